"""The shipped data against its sources: the article, the shared geodata and the data contract."""

from __future__ import annotations

import csv
import json
import re

import geojson_validator
import pytest
import shapely.geometry
from shapely.geometry.polygon import orient

from beibei_geo.catalog import load_catalog
from beibei_geo.readers import parse_number
from beibei_geo.validate import GOAL_IDS, THEMATIC_REQUIRED, validate_data_dir
from tests.conftest import ARTICLE, DATA, PLACES_CSV

CATALOG = load_catalog(DATA)
ARTICLE_FLAT = re.sub(r"\s+", "", ARTICLE.read_text(encoding="utf-8"))
# The figures the article writes in words, and what they mean.
WORD_NUMBERS = {"两年半": 2.5, "二十": 20, "二十五": 25, "千": 1000, "第一": 1, "两": 2, "三": 3, "八": 8,
                "三级": 3, "翻番": 2}
MIANYANG_GEONAMES = (104.68168, 31.46784)  # GeoNames 1800627, Mianyang, Sichuan


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def features(layer_id: str) -> list[dict]:
    return json.loads(CATALOG.path(CATALOG.layers[layer_id].file).read_text(encoding="utf-8"))["features"]


def test_shipped_data_validates_clean():
    report = validate_data_dir(DATA)
    assert report.problems == []


@pytest.mark.parametrize("layer_id", list(CATALOG.layers))
def test_layer_file_conforms_to_its_catalog_entry(layer_id):
    spec = CATALOG.layers[layer_id]
    collection = json.loads(CATALOG.path(spec.file).read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and "crs" not in collection
    required = THEMATIC_REQUIRED if spec.thematic else spec.required
    families = set()
    for feature in collection["features"]:
        assert set(required) <= set(feature["properties"]), feature["properties"].get("id")
        if feature["geometry"] is None:
            assert feature["properties"]["location_precision"] == "unknown"
            continue
        families.add(feature["geometry"]["type"].removeprefix("Multi"))
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.is_valid
        coords = re.findall(r"-?\d+\.\d+", json.dumps(feature["geometry"]["coordinates"]))
        assert all(len(c.split(".")[1]) <= 6 for c in coords), "RFC 7946 files are rounded to 6 decimals"
        polygons = getattr(shape, "geoms", [shape]) if shape.geom_type.endswith("Polygon") else []
        assert all(orient(p, 1.0).equals_exact(p, 0) for p in polygons), "exterior rings counter-clockwise"
    assert families <= set(spec.geometry) and len(families) <= 1


@pytest.mark.parametrize("layer_id", list(CATALOG.layers))
def test_layer_file_passes_an_independent_geojson_validator(layer_id):
    collection = json.loads(CATALOG.path(CATALOG.layers[layer_id].file).read_text(encoding="utf-8"))
    assert geojson_validator.validate_structure(collection) == {}
    assert geojson_validator.validate_geometries(collection)["invalid"] == {}


@pytest.mark.parametrize("layer_id", [spec.id for spec in CATALOG.thematic_layers])
def test_every_place_quotes_the_article(layer_id):
    for feature in features(layer_id):
        props = feature["properties"]
        assert props["source_quote"] and flat(props["source_quote"]) in ARTICLE_FLAT, props["id"]


def test_place_coordinates_come_from_the_shared_places_table():
    places = {row["name"]: row for row in csv.DictReader(PLACES_CSV.open(encoding="utf-8"))}
    checked = 0
    for spec in CATALOG.thematic_layers:
        for feature in features(spec.id):
            props = feature["properties"]
            source = props.get("location_source", "")
            if not source.startswith("sources/beibei_places.csv: ") or props.get("schematic"):
                continue
            row = places[source.split(": ", 1)[1]]
            if row["location_precision"] == "unknown":
                assert feature["geometry"] is None, props["id"]
                continue
            assert feature["geometry"]["coordinates"] == pytest.approx([float(row["lon"]), float(row["lat"])])
            assert props["est_error_m"] >= float(row["est_error_m"])
            checked += 1
    assert checked >= 12


def test_unknown_places_are_listed_not_plotted():
    unknown = [f for spec in CATALOG.thematic_layers for f in features(spec.id)
               if f["properties"]["location_precision"] == "unknown"]
    names = {f["properties"]["name"] for f in unknown}
    assert {"双塘村", "虎跳溪公园", "重庆茂田机械有限公司"} <= names
    assert all(f["geometry"] is None and f["properties"]["est_error_m"] is None for f in unknown)


def test_twin_city_reaches_mianyang_with_schematic_lines():
    lines = [f for f in features("tourism_routes") if "twin_city" in [f["properties"]["goal"],
                                                                      *f["properties"]["goals_extra"]]]
    assert lines
    for line in lines:
        assert line["properties"]["schematic"] is True and "示意" in line["properties"]["description"]
        assert line["geometry"]["coordinates"][-1] == pytest.approx(list(MIANYANG_GEONAMES))


def test_townships_are_the_17_nbs_units():
    seats = features("townships")
    codes = [f["properties"]["code"] for f in seats]
    assert len(set(codes)) == 17 and all(re.fullmatch(r"500109\d{3}", c) for c in codes)
    kinds = [f["properties"]["name"][-2:] == "街道" for f in seats]
    assert kinds.count(True) == 9


def read_indicators() -> list[dict]:
    return list(csv.DictReader(CATALOG.path(CATALOG.tables["indicators"]).open(encoding="utf-8")))


def test_every_indicator_quotes_the_article_and_its_figure():
    rows = read_indicators()
    assert len(rows) >= 60
    for row in rows:
        assert flat(row["quote"]) in ARTICLE_FLAT, row["indicator_id"]
        assert flat(row["value_text"]) in flat(row["quote"]), row["indicator_id"]
        figure = row["value_text"].removesuffix("余")
        expected = WORD_NUMBERS[figure] if figure in WORD_NUMBERS else parse_number(figure)
        assert parse_number(row["value"]) == pytest.approx(expected), row["indicator_id"]
        if "余" in row["value_text"]:
            assert row["qualifier"] == "more_than", row["indicator_id"]


def test_every_goal_has_mapped_places_and_indicators(shipped):
    from beibei_geo.join import goal_summary

    summary = goal_summary(shipped).set_index("goal_id")
    assert list(summary.index) == list(GOAL_IDS)
    assert (summary["mapped"] >= 1).all(), summary
    assert (summary["indicators"] >= 2).all() and (summary["headline"].between(2, 5)).all()


def test_counted_indicators_link_to_layers(shipped):
    from beibei_geo.join import completeness

    table = completeness(shipped).set_index("indicator_id")
    assert table.loc["city_parks_built", ["reported", "layer"]].tolist() == [32, "parks"]
    assert table.loc["rural_science_demo_bases", "reported"] == 33
    assert table.loc["red_tourism_routes_included", "reported"] == 7
    # The six parks started "今年" are under construction, so none of them counts as one of the 32 built.
    assert table.loc["city_parks_built", "mapped"] == 0
