"""The folium map through the app's own component frame, with the base map and the layers rendered apart.

`st_folium` renders the whole map through jinja (three passes) on every script run, although a filter change only
changes the feature groups. Here the base map and the groups are rendered separately with streamlit-folium's own
helpers (the version is pinned in pyproject.toml), so the pages can cache each by what it depends on;
`tests/test_map_component.py` checks that the scripts equal `st_folium`'s.

They are drawn by `map_frame/` (a page and 90 lines of JavaScript) rather than streamlit-folium's React frame,
which loads Leaflet and the app's script one after the other only once its 225 kB bundle has run: the frame draws
the shipped map about 0.18 s after it is created, against 0.43 s (benchmarks/README.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import folium
import streamlit.components.v1 as components
import streamlit_folium
from branca.element import Element


@dataclass(frozen=True)
class Rendered:
    """A rendered part of the map: its script and the stylesheets and scripts it needs."""

    script: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]


@dataclass(frozen=True)
class RenderedMap(Rendered):
    """The base map: besides its script (which draws into the element ``map_div``), the page header and body."""

    header: str
    html: str


def _links(elements: list[Element]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stylesheet and script URLs the elements and their children ask for, deduplicated in order."""
    def walk(element: Element) -> Iterator[Element]:
        yield element
        for child in getattr(element, "_children", {}).values():
            yield from walk(child)

    found = [e for element in elements for e in walk(element)]
    css = dict.fromkeys(href for e in found for _, href in getattr(e, "default_css", []))
    js = dict.fromkeys(src for e in found for _, src in getattr(e, "default_js", []))
    return tuple(css), tuple(js)


def render_map(fmap: folium.Map) -> RenderedMap:
    """Render the base map (without feature groups) as `st_folium` does."""
    fmap.get_root().render()
    fmap.render()
    html = streamlit_folium._get_html(fmap)
    header = streamlit_folium._get_header(fmap)
    script = streamlit_folium._get_map_string(fmap)
    css, js = _links([fmap])
    return RenderedMap(script, css, js, header, html)


def render_groups(groups: list[folium.FeatureGroup]) -> Rendered:
    """Render feature groups as `st_folium` does for ``feature_group_to_add``, on a bare stand-in map (the script
    calls the map ``map_div`` whichever map the groups were rendered on)."""
    stand_in = folium.Map(tiles=None)
    script = "".join(streamlit_folium._get_feature_group_string(group, stand_in, index)
                     for index, group in enumerate(groups))
    css, js = _links(groups)
    return Rendered(script, css, js)


_frame = components.declare_component("map", path=str(Path(__file__).parent / "map_frame"))


def show(base: RenderedMap, layers: Rendered | None, height: int, key: str) -> None:
    """The map, full width and ``height`` px. A new base map gets a new frame; new layers are swapped in place."""
    layers = layers or Rendered("", (), ())
    base_id = hashlib.sha256(base.script.encode()).hexdigest()[:16]
    _frame(script=base.script, header=base.header, html=base.html, feature_group=layers.script, height=height,
           css_links=list(dict.fromkeys(base.css_links + layers.css_links)),
           js_links=list(dict.fromkeys(base.js_links + layers.js_links)), key=f"{key}-{base_id}", default=None)
