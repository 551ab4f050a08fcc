"""The bulk canvas point layer's Python side: options that cannot break out of the script, the rows and details
files, the popup lookups and the filter codes (their browser evaluation is in test_browser_bulkpoints.py)."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from pathlib import Path

import folium
import numpy as np
import pytest
from shapely.geometry import MultiPoint

from beibei_geo import webgl
from beibei_geo.assets import asset_urls, install_vendor_assets
from beibei_geo.bulkpoints import BulkPoints, bulk_points, kept_bits, layer_part, popup_text, row_numbers, script_json
from beibei_geo.catalog import PRECISIONS
from beibei_geo.dataset import Dataset, load_dataset
from beibei_geo.filters import Selection, filter_features
from beibei_geo.i18n import label
from beibei_geo.join import township_names
from beibei_geo.webgl import DETAILS_CHUNK, FILE_FORMAT, detail_rows, feature_rows, write_files
from benchmarks.synthetic import make_data_dir

HOSTILE = "<img src=x onerror=window.__xss=1></script>危险名称"
HOSTILE_DESCRIPTION = "</script><script>window.__xss=2</script>说明&amp;"
OPTIONS = re.compile(r"L\.bbBulkPoints\((.*)\)\.addTo\(", re.S)


def hostile_data(target: Path, count: int = 400) -> Path:
    """Shipped data plus ``count`` synthetic points, every other one exact; the first is named HOSTILE."""
    data = make_data_dir(target, "point", count)
    layer = data / "geo" / "bench_points.geojson"
    collection = json.loads(layer.read_text(encoding="utf-8"))
    collection["features"][0]["properties"].update(name=HOSTILE, description=HOSTILE_DESCRIPTION)
    for feature in collection["features"][1::2]:
        feature["properties"].update(location_precision="address", est_error_m=30)
    layer.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Dataset:
    return load_dataset(hostile_data(tmp_path_factory.mktemp("bulk") / "data"))


def options_of(element: BulkPoints) -> dict:
    return json.loads(element.options_json)


def test_options_cannot_close_the_script(hostile):
    spec = hostile.catalog.layers["bench_points"]
    fmap = folium.Map(tiles=None)
    group = folium.FeatureGroup().add_to(fmap)
    element = bulk_points(hostile, spec, "approximate", Selection()).add_to(group)
    html = fmap.get_root().render()
    script = OPTIONS.search(html)[1]
    assert not re.search(r"[<>&]", script)  # so no "</script>", no "<!--", no entity
    assert HOSTILE not in html and "</script><script>window" not in html
    assert f"var {element.get_name()} = L.bbBulkPoints(" in html and f".addTo({group.get_name()});" in html
    rows = json.loads(script)["rows"]
    assert rows[0]["n"] == HOSTILE  # the JSON still reads back exactly
    assert json.loads(script)["details"][0]["description"] == HOSTILE_DESCRIPTION
    assert script_json("\u2028`${x}`") == '"\\u2028`${x}`"'  # a JS string literal, never a template


def test_rows_and_details_files_are_aligned_and_carry_the_popup(hostile, tmp_path):
    files = write_files(hostile, tmp_path / "static")
    folder = tmp_path / "static" / "webgl" / hostile.version
    for layer, kinds in files.layers.items():
        for kind, url in kinds.items():
            rows = json.loads((folder / url.rsplit("/", 1)[1]).read_text(encoding="utf-8"))
            details_url = files.details[layer][kind]
            assert details_url == url.removesuffix(".json") + "-details-{chunk}.json"
            details = json.loads((folder / details_url.format(chunk=0).rsplit("/", 1)[1]).read_text(encoding="utf-8"))
            assert len(details) == len(rows)  # one file: fewer rows than DETAILS_CHUNK
    feature = hostile.features.set_index("id").loc["bench-point-2"]
    part = layer_part(hostile, "bench_points", "exact")
    row = feature_rows(hostile, part)[0]
    detail = detail_rows(hostile, part)[0]
    assert row["id"] == "bench-point-2"
    assert row["l"] == PRECISIONS.index("address")
    assert list(hostile.catalog.layers["bench_points"].categories)[row["c"]] == feature["category"]
    assert detail == {"goals": [hostile.goal_ids.index(g) for g in feature["goals"]],
                      "description": feature["description"], "source": feature["source"], "error_m": 30}
    service = next(d for r, d in zip(feature_rows(hostile, hostile.features), detail_rows(hostile, hostile.features),
                                     strict=True) if r["id"] == "svc-suxin-village")
    assert service["extra"] == [["tier", "village"]] and service["quote"]


def test_details_files_hold_chunks_of_rows(hostile, tmp_path, monkeypatch):
    monkeypatch.setattr(webgl, "DETAILS_CHUNK", 3)
    files = write_files(hostile, tmp_path / "static")
    folder = tmp_path / "static" / "webgl" / hostile.version

    def chunk_file(layer: str, kind: str, chunk: int) -> Path:
        return folder / files.details[layer][kind].format(chunk=chunk).rsplit("/", 1)[1]

    sizes = []
    for layer, kinds in files.details.items():
        for kind in kinds:
            expected = detail_rows(hostile, layer_part(hostile, layer, kind))
            chunks = max(1, -(-len(expected) // 3))  # a part without rows still has its (empty) file
            found = [json.loads(chunk_file(layer, kind, c).read_text(encoding="utf-8")) for c in range(chunks)]
            assert [item for items in found for item in items] == expected  # row r: item r % 3 of file r // 3
            assert all(len(items) == 3 for items in found[:-1]) and not chunk_file(layer, kind, chunks).exists()
            sizes.append(len(expected))
    assert max(sizes) > 3 and 0 in sizes  # several files for one part; an empty part
    options = options_of(bulk_points(hostile, hostile.catalog.layers["bench_points"], "exact", Selection(), files))
    assert options["detailsChunk"] == files.details_chunk == 3


def test_an_older_file_format_is_written_again(shipped, tmp_path):
    folder = tmp_path / "static" / "webgl" / shipped.version
    folder.mkdir(parents=True)
    (folder / ".complete").write_text(shipped.version, encoding="utf-8")  # format 1 wrote no details files
    files = write_files(shipped, tmp_path / "static")
    assert (folder / files.details["parks"]["exact"].format(chunk=0).rsplit("/", 1)[1]).is_file()
    stamp = f"{shipped.version} format {FILE_FORMAT} details {DETAILS_CHUNK}"
    assert (folder / ".complete").read_text(encoding="utf-8") == stamp


def test_popup_lookups_follow_the_row_codes(hostile):
    spec = hostile.catalog.layers["bench_points"]
    text = popup_text(hostile, spec.id, "en")
    features = hostile.features[hostile.features["layer"] == "bench_points"]
    towns = township_names(hostile, features)
    for row, (_, feature), town in zip(feature_rows(hostile, features)[:50], features.iterrows(), towns, strict=False):
        assert text["statuses"][row["s"]] == label(hostile.catalog.status[feature["status"]], "en")
        assert text["towns"][row["t"]] == town
        assert text["categories"][row["c"]] == spec.category_label(feature["category"], "en")
        assert [text["goals"][bit] for bit in range(len(text["goals"])) if row["m"] & 1 << bit]
    assert text["layer"] == "Benchmark points" and text["labels"]["error"] == "about ±{error} m"
    governance = hostile.goal_ids.index("governance")
    assert text["indicators"][governance] and all(": " in line for line in text["indicators"][governance])


@pytest.mark.parametrize("selection", [
    Selection(text="危险名称"), Selection(text="测试point1", goals=("governance",)), Selection(text="no such place"),
    Selection(towns=("500109001", "静观镇")),  # a code: filter_features matches it against the data's codes only
])
def test_what_codes_cannot_say_goes_as_one_bit_per_row(hostile, selection):
    part = layer_part(hostile, "bench_points", "approximate")
    bits = np.unpackbits(np.frombuffer(base64.b64decode(kept_bits(hostile, part, selection)), np.uint8),
                         bitorder="little")
    rows = feature_rows(hostile, part)
    found = {row["id"] for row, bit in zip(rows, bits, strict=False) if bit}
    assert found == set(filter_features(part, selection, township_names(hostile, part))["id"])
    element = bulk_points(hostile, hostile.catalog.layers["bench_points"], "approximate", selection)
    assert options_of(element)["filter"]["rows"] == kept_bits(hostile, part, selection)


def test_files_mode_sends_urls_and_no_rows(hostile, tmp_path):
    files = write_files(hostile, tmp_path / "static")
    spec = hostile.catalog.layers["bench_points"]
    options = options_of(bulk_points(hostile, spec, "exact", Selection(goals=("governance",)), files, scale=2))
    assert options["url"] == files.layers["bench_points"]["exact"] and "rows" not in options
    assert options["detailsUrl"] == files.details["bench_points"]["exact"] and "details" not in options
    assert options["filter"] == {"mask": 1 << hostile.goal_ids.index("governance"), "statuses": None,
                                 "towns": None, "rows": None}
    assert options["style"] == {"color": "#6A1B9A", "radius": 8, "weight": 4, "fillOpacity": 0.85, "dash": None}
    assert len(json.dumps(options, ensure_ascii=False)) < 10_000  # a filter change sends kilobytes


def test_the_script_is_installed_and_linked(tmp_path):
    root = install_vendor_assets(tmp_path / "static")
    relative = "beibei/bulk_points.js"
    assert (root / relative).read_text(encoding="utf-8").startswith("/* L.bbBulkPoints")
    assert [url for _, url in asset_urls()[0]] == ["/app/static/vendor/leaflet/leaflet.js",
                                                   f"/app/static/vendor/{relative}"]  # after Leaflet


def test_each_feature_finds_its_row_in_the_files(shipped, tmp_path):
    """The `row` a folium feature carries points at that feature's row (its first part's) in the layer part's file,
    also after a multi-part shape (one row per part)."""
    features = shipped.features.copy()
    first = features.index[features["mapped"] & (features.geometry.geom_type == "Point")][0]
    point = features.at[first, "geometry"]
    features.at[first, "geometry"] = MultiPoint([point, (point.x + 0.001, point.y)])
    dataset = dataclasses.replace(shipped, version="multi-part-test")  # other content, other version
    dataset.__dict__["features"] = features
    files = write_files(dataset, tmp_path / "static")
    folder = tmp_path / "static" / "webgl" / dataset.version
    checked = 0
    for spec in dataset.catalog.thematic_layers:
        for kind, url in files.layers[spec.id].items():
            rows = json.loads((folder / url.rsplit("/", 1)[1]).read_text(encoding="utf-8"))
            numbers = row_numbers(dataset, spec.id, kind)
            assert all(rows[number]["id"] == feature_id for feature_id, number in numbers.items())
            checked += len(numbers)
    assert checked == int(features["mapped"].sum())
