"""The map component: the same arguments as `st_folium`, and each part rendered once per what it depends on."""

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


def component_arguments(monkeypatch, show) -> dict:
    """The arguments ``show()`` hands to streamlit-folium's component, with folium's random element ids masked."""
    calls = []
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kwargs: calls.append(kwargs))
    show()
    (arguments,) = calls
    arguments.pop("on_change", None)  # st_folium's copies the value under `key`; the map sends none back
    return json.loads(RANDOM_ID.sub("ID", json.dumps(arguments)))


@pytest.mark.parametrize("selection", [Selection(), Selection(goals=("twin_city",)), Selection(layers=("nothing",))])
def test_same_arguments_as_st_folium(monkeypatch, shipped, tmp_path, selection):
    files = write_files(shipped, tmp_path)
    features = filter_features(shipped.features, selection)

    def parts():
        groups = thematic_groups(shipped, features, "zh", OFFLINE, 1.0, selection, files)
        if not features.empty:
            groups.append(label_group(features, tuple(features["id"][:2]), OFFLINE))
        return base_map(shipped, "zh", OFFLINE, None, base_urls=files.base_geojson), groups

    def with_st_folium():
        fmap, groups = parts()
        streamlit_folium.st_folium(fmap, feature_group_to_add=groups or None, returned_objects=[], height=500,
                                   use_container_width=True, key="map")

    def with_map_component():
        fmap, groups = parts()
        layers = map_component.render_groups(groups) if groups else None
        map_component.show(map_component.render_map(fmap), layers, 500, "map")

    expected = component_arguments(monkeypatch, with_st_folium)
    assert expected["feature_group"] or features.empty  # the comparison covers the layers
    assert component_arguments(monkeypatch, with_map_component) == expected


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
