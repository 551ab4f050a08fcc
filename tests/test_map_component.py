"""The map component: the same map as `st_folium` would draw, a new frame only for a new base map, and each part
rendered once per what it depends on."""

from __future__ import annotations

import json
import re

import pytest
import streamlit_folium

import map_component
import ui
from beibei_geo.basemaps import OFFLINE
from beibei_geo.filters import Selection, filter_features
from beibei_geo.mapview import base_map, label_group, thematic_groups
from beibei_geo.webgl import write_files

RANDOM_ID = re.compile(r"[0-9a-f]{32}")


#: What the frame draws from: the same as streamlit-folium's component gets from `st_folium`.
DRAWN_FROM = ("script", "header", "html", "feature_group", "height", "css_links", "js_links")


def recorded_arguments(monkeypatch, owner, name: str, show) -> dict:
    """The arguments ``show()`` hands to the component ``owner.name``, with folium's random element ids masked."""
    calls = []
    monkeypatch.setattr(owner, name, lambda **kwargs: calls.append(kwargs))
    show()
    (arguments,) = calls
    arguments.pop("on_change", None)  # st_folium's callback
    return json.loads(RANDOM_ID.sub("ID", json.dumps(arguments)))


def parts(shipped, files, selection: Selection):
    """A fresh base map and the feature groups of ``selection`` (folium elements are rendered once only)."""
    features = filter_features(shipped.features, selection)
    groups = thematic_groups(shipped, features, "zh", OFFLINE, 1.0, selection, files)
    if not features.empty:
        groups.append(label_group(features, tuple(features["id"][:2]), OFFLINE))
    return base_map(shipped, "zh", OFFLINE, None, base_urls=files.base_geojson), groups


def show_parts(fmap, groups, key: str = "map") -> None:
    layers = map_component.render_groups(groups) if groups else None
    map_component.show(map_component.render_map(fmap), layers, 500, key)


@pytest.mark.parametrize("selection", [Selection(), Selection(goals=("twin_city",)), Selection(layers=("nothing",))])
def test_the_frame_draws_what_st_folium_would(monkeypatch, shipped, tmp_path, selection):
    files = write_files(shipped, tmp_path)

    def with_st_folium():
        fmap, groups = parts(shipped, files, selection)
        streamlit_folium.st_folium(fmap, feature_group_to_add=groups or None, returned_objects=[], height=500,
                                   use_container_width=True, key="map")

    expected = recorded_arguments(monkeypatch, streamlit_folium, "_component_func", with_st_folium)
    expected["feature_group"] = expected["feature_group"] or ""  # no groups: None there, an empty script here
    assert expected["feature_group"] or selection.layers  # the comparison covers the layers
    ours = recorded_arguments(monkeypatch, map_component, "_frame", lambda: show_parts(*parts(shipped, files,
                                                                                              selection)))
    assert {name: ours[name] for name in DRAWN_FROM} == {name: expected[name] for name in DRAWN_FROM}
    assert ours["default"] is None  # the frame sends nothing back: panning never reruns the script


def test_a_new_base_map_gets_a_new_frame_and_new_layers_do_not(monkeypatch, shipped, tmp_path):
    files = write_files(shipped, tmp_path)

    def key_of(selection: Selection, lang: str = "zh") -> str:
        fmap, groups = parts(shipped, files, selection)
        if lang != "zh":
            fmap = base_map(shipped, lang, OFFLINE, None, base_urls=files.base_geojson)
        return recorded_arguments(monkeypatch, map_component, "_frame", lambda: show_parts(fmap, groups))["key"]

    everything = key_of(Selection())
    assert key_of(Selection(goals=("twin_city",))) == everything
    assert key_of(Selection(), "en") != everything


@pytest.fixture
def empty_render_caches():
    """The render caches of `ui` empty, before and after (the test fills them with stand-ins)."""
    for cached in (ui._rendered_base, ui._rendered_layers):
        cached.cache_clear()
    yield
    for cached in (ui._rendered_base, ui._rendered_layers):
        cached.cache_clear()


def test_each_part_is_rendered_once_per_data_version_and_view(monkeypatch, shipped, empty_render_caches):
    rendered = []
    monkeypatch.setattr(map_component, "render_groups",
                        lambda groups: rendered.append([g.layer_name for g in groups]) or map_component.Rendered(
                            "", (), ()))
    twin_city = Selection(goals=("twin_city",))
    for selection in (twin_city, twin_city, Selection(), twin_city):
        ui._rendered_layers(shipped, "zh", OFFLINE, selection, (), 1.0)
    assert len(rendered) == 2  # each selection once
    ui._rendered_layers(shipped, "en", OFFLINE, twin_city, (), 1.0)
    assert len(rendered) == 3 and rendered[2] != rendered[0]  # layer names in English

    maps = []
    monkeypatch.setattr(map_component, "render_map", lambda fmap: maps.append(fmap.location) or "rendered")
    for bounds in (None, None, ((29.7, 106.3), (29.9, 106.5)), None):
        ui._rendered_base(shipped, "zh", OFFLINE, bounds)
    assert len(maps) == 2 and maps[0] != maps[1]  # each view once
