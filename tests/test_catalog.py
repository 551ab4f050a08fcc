from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from beibei_geo import catalog as catalog_module
from beibei_geo.catalog import PRECISIONS, data_version, default_data_dir, load_catalog
from beibei_geo.errors import CatalogError
from tests.conftest import DATA

VOCAB = "\n".join(f'{key} = {{ zh = "z", en = "e" }}' for key in PRECISIONS)
GOOD = f"""
[tables]
goals = "tables/goals.csv"
indicators = "tables/indicators.csv"
[area]
district_bbox = [106.25, 29.60, 106.74, 30.14]
region_bbox = [97.3, 26.0, 110.2, 34.4]
township_layer = "towns"
[vocab.status]
operating = {{ zh = "运行", en = "Operating" }}
[vocab.location_precision]
{VOCAB}
[layers.towns]
kind = "base"
file = "geo/towns.geojson"
geometry = ["Point"]
name_zh = "街镇"
name_en = "Towns"
[layers.parks]
kind = "thematic"
file = "geo/parks.geojson"
geometry = ["Point"]
name_zh = "公园"
name_en = "Parks"
default_goal = "park_city"
[layers.parks.categories]
city_park = {{ zh = "城市公园", en = "City park" }}
"""


def write(tmp_path, text):
    (tmp_path / "catalog.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_minimal_catalog_loads(tmp_path):
    catalog = load_catalog(write(tmp_path, GOOD))
    assert [spec.id for spec in catalog.thematic_layers] == ["parks"]
    assert catalog.layers["parks"].category_label("city_park", "en") == "City park"
    assert catalog.path("geo/parks.geojson") == tmp_path / "geo/parks.geojson"


@pytest.mark.parametrize(
    ("change", "where", "rule"),
    [
        (('kind = "thematic"', 'kind = "overlay"'), "layers.parks", "catalog-kind"),
        (('geometry = ["Point"]\nname_zh = "公园"', 'geometry = ["Circle"]\nname_zh = "公园"'), "layers.parks",
         "catalog-geometry"),
        (('file = "geo/parks.geojson"', 'file = "../../etc/passwd"'), "layers.parks", "catalog-path"),
        (('file = "geo/parks.geojson"', 'file = "/etc/passwd"'), "layers.parks", "catalog-path"),
        (('name_en = "Parks"\n', ""), "layers.parks", "catalog-missing-key"),
        (('district_bbox = [106.25, 29.60, 106.74, 30.14]', 'district_bbox = [30.14, 106.25, 29.6, 106.74]'),
         "area.district_bbox", "catalog-bbox"),
        (('township_layer = "towns"', 'township_layer = "seats"'), "area", "catalog-layer-id"),
        (('[layers.parks]', '[layers.Parks-2]'), "layers.Parks-2", "catalog-layer-id"),
        (('surveyed = { zh = "z", en = "e" }\n', ""), "vocab.location_precision", "catalog-vocab"),
        (('city_park = { zh = "城市公园", en = "City park" }', 'city_park = "城市公园"'),
         "layers.parks.categories.city_park", "catalog-label"),
        (("[tables]", "[tables\n"), "-", "toml-syntax"),
    ],
)
def test_catalog_problems_name_the_key_and_rule(tmp_path, change, where, rule):
    old, new = change
    assert old in GOOD
    with pytest.raises(CatalogError) as info:
        load_catalog(write(tmp_path, GOOD.replace(old, new, 1)))
    assert any((p.file, p.where, p.rule) == ("catalog.toml", where, rule) for p in info.value.problems), \
        info.value.problems


def test_missing_catalog(tmp_path):
    with pytest.raises(CatalogError, match="file-missing"):
        load_catalog(tmp_path)


def test_data_dir_comes_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BEIBEI_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.delenv("BEIBEI_DATA_DIR")
    assert default_data_dir() == DATA


def test_data_version_follows_every_change_without_rehashing_unchanged_files(tmp_path, monkeypatch):
    data = Path(shutil.copytree(DATA, tmp_path / "data"))
    first = data_version(data)
    reads = []
    real_read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or real_read_bytes(self))
    assert data_version(data) == first and reads == []  # nothing changed: nothing hashed
    parks = data / "geo" / "parks.geojson"
    replacement = tmp_path / "parks.new"
    replacement.write_bytes(real_read_bytes(parks).replace("缙云山".encode(), "缙云山 ".encode()))
    os.replace(replacement, parks)  # how an import writes: a new inode
    assert data_version(data) != first and reads
    assert catalog_module._VERSIONS[data][1] == data_version(data)
