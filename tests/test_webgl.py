"""The WebGL map spec (deck.gl via pydeck): offline, data by URL, filters as one expression, nothing refetched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from shapely.geometry import shape

from beibei_geo.dataset import load_dataset
from beibei_geo.filters import Selection, filter_features
from beibei_geo.join import township_names
from beibei_geo.webgl import KEEP_VERSIONS, WEBGL_THRESHOLD, deck, feature_rows, filter_expression, write_files
from benchmarks.synthetic import make_data_dir


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    return make_data_dir(tmp_path_factory.mktemp("webgl") / "data", "polygon", WEBGL_THRESHOLD + 500)


def spec_of(dataset, files, selection: Selection | None = None, **kwargs) -> dict:
    selection = selection or Selection()
    features = filter_features(dataset.features, selection, township_names(dataset, dataset.features))
    west, south, east, north = dataset.catalog.district_bbox
    return json.loads(deck(dataset, files, selection, features, [[south, west], [north, east]], **kwargs).to_json())


def evaluate(expression: str, row: dict) -> int:
    """The filter expression as deck.gl's expression language reads it (a subset of JavaScript)."""
    python = expression.replace("&&", " and ").replace("||", " or ")
    condition, _, _ = python.partition(" ? ")
    return int(bool(eval(condition, {}, dict(row)))) if " ? " in python else int(python)


def test_rows_are_slim_and_carry_the_filter_codes(shipped):
    rows = feature_rows(shipped, shipped.features)
    assert len(rows) >= int(shipped.features["mapped"].sum())  # multi-part shapes give one row per part
    point = next(r for r in rows if r["id"] == "svc-suxin-village")
    assert set(point) == {"p", "id", "n", "m", "s", "t", "c", "l"}
    assert point["n"] == "素心村党群服务中心"
    goals = shipped.goal_ids
    assert point["m"] == sum(1 << goals.index(g) for g in ("business", "rural", "governance"))
    assert all(len(str(value).split(".")[-1]) <= 5 for value in point["p"])  # rounded for display


@pytest.mark.parametrize("selection", [
    Selection(), Selection(goals=("governance",)), Selection(goals=("rural", "green"), statuses=("planned",)),
    Selection(towns=("静观镇", "天生街道"), statuses=("operating", "under_construction")),
])
def test_the_browser_filter_keeps_exactly_what_the_server_filter_keeps(shipped, selection):
    expression = filter_expression(shipped, selection)
    rows = feature_rows(shipped, shipped.features)
    kept_by_gpu = {row["id"] for row in rows if evaluate(expression, row) == 1}
    server = filter_features(shipped.features, selection, township_names(shipped, shipped.features))
    assert kept_by_gpu == set(server[server["mapped"]]["id"])


def test_the_spec_is_offline_and_only_its_filter_changes(large, tmp_path):
    dataset = load_dataset(large)
    files = write_files(dataset, tmp_path / "static")
    everything = spec_of(dataset, files)
    filtered = spec_of(dataset, files, Selection(goals=("governance",), layers=("bench_points",)))
    assert everything["mapStyle"] == "__MAP_STYLE__"  # map_provider=None: no basemap, no Carto request
    assert [layer["id"] for layer in everything["layers"]] == [layer["id"] for layer in filtered["layers"]]
    urls = [layer["data"] for layer in everything["layers"] if isinstance(layer.get("data"), str)]
    assert urls and all(url.startswith(f"/app/static/webgl/{dataset.version}/") for url in urls)
    assert urls == [layer["data"] for layer in filtered["layers"] if isinstance(layer.get("data"), str)]
    hidden = {layer["id"] for layer in filtered["layers"] if layer.get("visible") is False}
    assert "parks-exact" in hidden and "bench_points-approximate" not in hidden
    assert len(json.dumps(filtered)) < 20_000  # a filter change sends kilobytes, not the data
    for name in {url.rsplit("/", 1)[1] for url in urls}:
        assert (tmp_path / "static" / "webgl" / dataset.version / name).is_file()


def test_files_are_written_once_per_version_and_old_versions_removed(shipped, tmp_path):
    static = tmp_path / "static"
    for number, name in enumerate(("v-oldest", "v-older", "v-old")):
        (static / "webgl" / name).mkdir(parents=True)
        os.utime(static / "webgl" / name, (1000 + number, 1000 + number))
    write_files(shipped, static)
    folder = static / "webgl" / shipped.version
    stamp = (folder / "parks-exact.json").stat().st_mtime_ns
    write_files(shipped, static)
    assert (folder / "parks-exact.json").stat().st_mtime_ns == stamp
    assert sorted(p.name for p in (static / "webgl").iterdir()) == sorted([shipped.version, "v-old", "v-older"])


def test_a_text_search_is_drawn_inline_and_labels_are_text(shipped, tmp_path):
    files = write_files(shipped, tmp_path / "static")
    spec = spec_of(shipped, files, Selection(text="公园"), labels=("park-dengta",))
    found = [row["n"] for layer in spec["layers"] if layer["id"].startswith("search-") for row in layer["data"]]
    assert set(found) <= {"滨江公园（二期）", "灯塔公园", "黛湖", "缙云山"} and found
    assert all(layer.get("visible") is False for layer in spec["layers"] if layer["id"].startswith("parks-"))
    labels = next(layer for layer in spec["layers"] if layer["id"] == "labels")
    assert labels["@@type"] == "TextLayer" and labels["data"][0]["n"] == "灯塔公园"


def test_base_layers_for_the_folium_map_are_valid_display_geojson(shipped, tmp_path):
    files = write_files(shipped, tmp_path / "static")
    folder = tmp_path / "static" / "webgl" / shipped.version
    for spec in shipped.catalog.base_layers:
        collection = json.loads((folder / files.base_geojson[spec.id].rsplit("/", 1)[1]).read_text(encoding="utf-8"))
        frame = shipped.layers[spec.id][shipped.layers[spec.id].geometry.notna()]
        assert [f["properties"] for f in collection["features"]] == [{"name": name} for name in frame["name"]]
        for feature, original in zip(collection["features"], frame.geometry, strict=True):
            drawn = shape(feature["geometry"])
            assert drawn.is_valid and drawn.geom_type.removeprefix("Multi") == original.geom_type.removeprefix("Multi")
            assert drawn.hausdorff_distance(original) < 0.0002  # simplified for display by about 5 m


def test_writing_a_version_keeps_only_the_newest_folders(shipped, tmp_path):
    static = tmp_path / "static"
    for number in range(KEEP_VERSIONS + 2):  # older versions, each a folder with an older mtime
        old = static / "webgl" / f"old-{number}"
        old.mkdir(parents=True)
        os.utime(old, (1_000_000 + number, 1_000_000 + number))
    write_files(shipped, static)
    kept = sorted(p.name for p in (static / "webgl").iterdir() if not p.name.startswith("."))
    assert KEEP_VERSIONS == 3 and kept == sorted([shipped.version, "old-4", "old-3"])  # the new one, the 2 newest
    (static / "webgl" / "old-4").rmdir()
    write_files(shipped, static)  # already written: nothing is listed or removed
    assert sorted(p.name for p in (static / "webgl").iterdir()) == sorted([shipped.version, "old-3"])
