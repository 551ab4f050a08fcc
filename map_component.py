"""The folium map through streamlit-folium's component, with the base map and the layers rendered apart.

`st_folium` renders the whole map through jinja (three passes) on every script run, although a filter change only
changes the feature groups. Here the base map and the groups are rendered separately, so the pages can cache each
by what it depends on, and the same component gets the same arguments `st_folium` would give it. This uses
streamlit-folium's own rendering helpers (the version is pinned in pyproject.toml);
`tests/test_map_component.py` checks that the arguments equal `st_folium`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import folium
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
    """The base map: besides its script, the page header and body and the map's element id."""

    header: str
    html: str
    map_id: str


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
    return RenderedMap(script, css, js, header, html, streamlit_folium.get_full_id(fmap))


def render_groups(groups: list[folium.FeatureGroup]) -> Rendered:
    """Render feature groups as `st_folium` does for ``feature_group_to_add``, on a bare stand-in map (the script
    calls the map ``map_div`` whichever map the groups were rendered on)."""
    stand_in = folium.Map(tiles=None)
    script = "".join(streamlit_folium._get_feature_group_string(group, stand_in, index)
                     for index, group in enumerate(groups))
    css, js = _links(groups)
    return Rendered(script, css, js)


def show(base: RenderedMap, layers: Rendered | None, height: int, key: str) -> None:
    """The map component, full width, sending nothing back (panning and zooming never rerun the script)."""
    layers = layers or Rendered("", (), ())
    streamlit_folium._component_func(
        script=base.script, header=base.header, html=base.html, id=base.map_id,
        key=streamlit_folium.generate_js_hash(base.script, key, False), height=height, width=None,
        returned_objects=[], default={}, zoom=None, center=None, feature_group=layers.script or None,
        return_on_hover=False, layer_control=None, pixelated=False,
        css_links=list(dict.fromkeys(base.css_links + layers.css_links)),
        js_links=list(dict.fromkeys(base.js_links + layers.js_links)), wrap_longitude=False)
