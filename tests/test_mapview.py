"""The rendered map: offline assets only, all features drawn, and every string escaped."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from beibei_geo.basemaps import Basemap
from beibei_geo.bulkpoints import BULK_THRESHOLD, BulkPoints, bulk_layer_ids
from beibei_geo.coords import to_gcj02
from beibei_geo.dataset import load_dataset
from beibei_geo.mapview import (
    build_map,
    escape_text,
    feature_bounds,
    legend_entries,
    legend_html,
    popup_html,
    thematic_groups,
    use_webgl,
)
from beibei_geo.webgl import WEBGL_THRESHOLD
from benchmarks.synthetic import make_data_dir
from tests.conftest import DATA

PAYLOADS = ["<img src=x onerror=alert(1)>", "${alert(2)}", "`alert(3)`", "</script><script>alert(4)</script>",
            "a\\u003cb"]


def readable(html: str) -> str:
    """The map HTML with folium's JSON \\uXXXX escapes decoded, as the browser's JavaScript sees it."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), html)


def name_property(name: str) -> str:
    return f'"name": {json.dumps(escape_text(name), ensure_ascii=False)}'


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_leaves_no_active_characters(payload):
    escaped = escape_text(payload)
    assert not set("<>\"'`$\\") & set(escaped)


def test_map_html_loads_nothing_from_the_network(shipped):
    html = build_map(shipped, shipped.features).get_root().render()
    assert re.findall(r"https?://[^\s\"')]+", html) == []
    assert "/app/static/vendor/leaflet/leaflet.js" in html and "jquery" not in html.lower()


def test_map_draws_every_mapped_feature_and_no_unknown_one(shipped):
    html = readable(build_map(shipped, shipped.features).get_root().render())
    for _, row in shipped.features.iterrows():
        assert (name_property(row["name"]) in html) == bool(row["mapped"]), row["name"]


def test_hostile_names_reach_the_map_escaped(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    parks = data / "geo" / "parks.geojson"
    text = parks.read_text(encoding="utf-8")
    for payload, name in zip(PAYLOADS, ["滨江公园（二期）", "灯塔公园", "黛湖", "缙云山", "新北温泉公园"], strict=True):
        text = text.replace(f'"name": "{name}"', f'"name": {json.dumps(payload)}', 1)
    parks.write_text(text, encoding="utf-8")
    dataset = load_dataset(data)
    html = readable(build_map(dataset, dataset.features).get_root().render())
    for payload in PAYLOADS[:4]:
        assert payload not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&#36;{alert(2)}" in html and "&#96;alert(3)&#96;" in html


def test_popup_tells_source_precision_goals_and_indicators(shipped):
    features = shipped.features
    row = features[features["id"] == "red-wangpu-cemetery"].iloc[0]
    html = popup_html(shipped, row, "zh")
    assert "王朴烈士陵园" in html and "来源" in html and escape_text(row["source"]) in html
    assert "街镇驻地示意" in html and "±4,000" in html and "争创一流文旅融合" in html
    assert "目标指标" in html and "273" in html
    english = popup_html(shipped, row, "en")
    assert "Source" in english and "At the 街镇 seat" in english and "Wang Pu" in english


def test_layer_and_category_labels_are_escaped(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    catalog = data / "catalog.toml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(
        'name_zh = "公园与生态"', 'name_zh = "<b onmouseover=alert(1)>${x}`公园"').replace(
        'city_park = { zh = "城市公园"', 'city_park = { zh = "<i>城市`公园</i>"'), encoding="utf-8")
    dataset = load_dataset(data)
    fmap = build_map(dataset, dataset.features)
    html = readable(fmap.get_root().render())
    assert "<b onmouseover" not in html and "${x}" not in html and "<i>城市" not in html
    legend = legend_html(legend_entries(dataset, dataset.features))
    assert "<b onmouseover" not in legend and "&lt;b onmouseover=alert(1)&gt;&#36;{x}&#96;公园" in legend


def test_legend_follows_the_visible_layers(shipped):
    features = shipped.features
    parks_only = features[features["layer"] == "parks"]
    texts = [entry.text for entry in legend_entries(shipped, parks_only)]
    assert "公园与生态" in texts and "红色文化资源" not in texts
    assert "虚线路线 = 示意线" not in texts  # no schematic route shown
    assert "文旅与交通线路" in [e.text for e in legend_entries(shipped, features)]


def test_large_point_layers_become_bulk_canvas_layers_offline(shipped):
    features = shipped.features
    point = features[features["id"] == "sci-swu"].iloc[0]
    many = pd.DataFrame([point] * (BULK_THRESHOLD + 1)).assign(id=[f"p{i}" for i in range(BULK_THRESHOLD + 1)])
    many = gpd.GeoDataFrame(many, geometry="geometry", crs="EPSG:4326")
    dataset = dataclasses.replace(shipped, version="many-science-bases")  # other content, other version
    dataset.__dict__["features"] = pd.concat([features[features["layer"] != "science_bases"], many])
    assert bulk_layer_ids(dataset) == {"science_bases"}
    groups = thematic_groups(dataset, dataset.features)
    science = groups[[spec.id for spec in dataset.catalog.thematic_layers if spec.id in
                      set(dataset.features["layer"])].index("science_bases")]
    assert [type(child) for child in science._children.values()] == [BulkPoints]
    html = build_map(dataset, dataset.features).get_root().render()
    assert "L.bbBulkPoints" in html and "/app/static/vendor/beibei/bulk_points.js" in html
    assert re.findall(r"https?://[^\s\"')]+", html) == []


def test_only_many_lines_or_polygons_switch_to_webgl(shipped, tmp_path):
    assert not use_webgl(shipped)
    points = load_dataset(make_data_dir(tmp_path / "points", "point", WEBGL_THRESHOLD + 1))
    assert not use_webgl(points) and "bench_points" in bulk_layer_ids(points)  # drawn by the bulk layer
    assert use_webgl(load_dataset(make_data_dir(tmp_path / "polygons", "polygon", WEBGL_THRESHOLD + 1)))


def test_gcj02_basemap_shifts_every_geometry(shipped):
    amap = Basemap("amap", "高德", "Amap", url="https://w{s}.example.com/{z}/{x}/{y}", crs="gcj02",
                   attribution="<script>x</script>高德")
    features = shipped.features
    wgs = build_map(shipped, features).get_root().render()
    gcj = build_map(shipped, features, basemap=amap).get_root().render()
    seat = [106.43645, 29.82739]
    shifted = to_gcj02(Point(seat))
    assert f"{seat[0]}, {seat[1]}" in wgs and f"{seat[0]}, {seat[1]}" not in gcj
    assert f"{shifted.x}, {shifted.y}" in gcj
    assert "<script>x</script>" not in gcj and "w{s}.example.com" in gcj


def test_feature_bounds_reach_mianyang_for_twin_city(shipped):
    features = shipped.features
    twin = features[features["goals"].map(lambda goals: "twin_city" in goals)]
    (_south, west), (north, east) = feature_bounds(twin)
    assert west < 105 and north > 31 and east > 106.4
    assert feature_bounds(features.iloc[0:0]) is None
