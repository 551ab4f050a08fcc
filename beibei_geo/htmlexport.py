"""One self-contained HTML map: every script, style and image inlined, so it opens from a USB stick offline."""

from __future__ import annotations

import base64
import re

from beibei_geo.assets import MAP_CSS, MAP_JS, asset_source
from beibei_geo.dataset import Dataset
from beibei_geo.filters import Selection, filter_features
from beibei_geo.i18n import t
from beibei_geo.mapview import build_map, escape_text, feature_bounds, legend_entries, legend_html

_PLACEHOLDER = "beibei-asset:"
_CSS_URL = re.compile(r"url\((images/[^)]+\.png)\)")


def _inline_css(relative: str) -> str:
    css = asset_source(relative).read_text(encoding="utf-8")
    folder = relative.rsplit("/", 1)[0]

    def data_uri(match: re.Match[str]) -> str:
        image = asset_source(f"{folder}/{match[1]}").read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(image).decode()})"

    return _CSS_URL.sub(data_uri, css)


def _inline_js(relative: str) -> str:
    return asset_source(relative).read_text(encoding="utf-8").replace("</script", "<\\/script")


def map_html(dataset: Dataset, goals: tuple[str, ...] = (), lang: str = "zh") -> str:
    """The map of ``goals`` (all when empty) with its legend, notice and sources, as one HTML document."""
    features = filter_features(dataset.features, Selection(goals=goals))
    fmap = build_map(dataset, features, lang, bounds=feature_bounds(features), asset_base=_PLACEHOLDER,
                     selection=Selection(goals=goals))
    html = fmap.get_root().render()
    for _name, relative in MAP_JS:
        html = html.replace(f'<script src="{_PLACEHOLDER}/{relative}"></script>',
                            f"<script>{_inline_js(relative)}</script>")
    for _name, relative in MAP_CSS:
        html = html.replace(f'<link rel="stylesheet" href="{_PLACEHOLDER}/{relative}"/>',
                            f"<style>{_inline_css(relative)}</style>")
    if _PLACEHOLDER in html:
        raise ValueError("an asset was not inlined")  # folium changed how it writes asset tags
    title = escape_text(t("app_title", lang))
    header = (f"<div style='position:fixed;z-index:1000;left:60px;top:10px;right:10px;background:#fffe;"
              f"padding:6px 12px;border-radius:6px;font-family:sans-serif;box-shadow:0 1px 4px #0003'>"
              f"<div style='font-size:18px;font-weight:600'>{title}</div>"
              f"{legend_html(legend_entries(dataset, features, lang), lang)}"
              f"<div style='font-size:12px;color:#666'>{escape_text(t('map_notice', lang))} · "
              f"{escape_text(t('map_sources', lang))}</div></div>")
    html = html.replace("<title>", f"<title>{title}", 1) if "<title>" in html else html.replace(
        "<head>", f"<head><title>{title}</title>", 1)
    return html.replace("<body>", f"<body>{header}", 1)
