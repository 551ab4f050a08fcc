"""Offline map assets: Leaflet copied from the installed ``xstatic-leaflet`` package,
and the app's own map scripts (``beibei_geo/js``, served under ``beibei/``).

Nothing is committed or fetched from a CDN: at start-up the app copies the files into a git-ignored
``static/vendor/`` folder that Streamlit serves at ``/app/static/vendor/``.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet

#: URL under which Streamlit static serving exposes ``static/vendor`` beside ``app.py``.
VENDOR_URL = "/app/static/vendor"
_SOURCES = {"leaflet": Path(xs_leaflet.BASE_DIR), "beibei": Path(__file__).parent / "js"}
#: Leaflet, then the app's bulk point layer and popups (`beibei_geo.bulkpoints`). No jQuery: only folium.Popup
#: needs it, and no map uses one.
MAP_JS = (("leaflet", "leaflet/leaflet.js"), ("bb_bulk_points", "beibei/bulk_points.js"))
MAP_CSS = (("leaflet_css", "leaflet/leaflet.css"),)


def install_vendor_assets(static_dir: Path) -> Path:
    """Copy the vendored files into ``static_dir/vendor`` (only files that are missing or changed)."""
    target_root = static_dir / "vendor"
    for name, source_root in _SOURCES.items():
        for source in source_root.rglob("*"):
            if source.is_dir() or source.suffix == ".map":
                continue
            target = target_root / name / source.relative_to(source_root)
            if target.exists() and filecmp.cmp(source, target, shallow=False):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(target.name + ".tmp")
            shutil.copyfile(source, temporary)
            temporary.replace(target)
    return target_root


def asset_source(relative: str) -> Path:
    """The installed file behind a vendored path such as ``leaflet/leaflet.js``."""
    package, _, rest = relative.partition("/")
    return _SOURCES[package] / rest


def asset_urls(base_url: str = VENDOR_URL) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(default_js, default_css) lists for a folium map, pointing at ``base_url``."""
    js = [(name, f"{base_url}/{path}") for name, path in MAP_JS]
    css = [(name, f"{base_url}/{path}") for name, path in MAP_CSS]
    return js, css
