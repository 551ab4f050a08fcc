"""i18n table, number formatting, GCJ-02 shift, basemap configuration and safe exports."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import prcoords
import pytest
from openpyxl import load_workbook
from shapely.geometry import LineString, Point

from beibei_geo.basemaps import OFFLINE, basemaps_from_config
from beibei_geo.coords import to_gcj02, wgs84_to_gcj02
from beibei_geo.dataset import per_version
from beibei_geo.errors import SEVERITIES
from beibei_geo.export import neutralise, to_csv_bytes, to_xlsx_bytes
from beibei_geo.formatting import format_figure, format_number
from beibei_geo.i18n import LANGS, TEXT, t
from beibei_geo.importer import CRS_CHOICES, MODES
from tests.conftest import PROJECT


def test_every_text_has_both_languages_and_the_same_placeholders():
    for key, entry in TEXT.items():
        assert set(entry) == set(LANGS), key
        fields = [sorted(re.findall(r"{(\w+)}", entry[lang])) for lang in LANGS]
        assert fields[0] == fields[1], key


def test_text_keys_used_by_the_code_exist_and_every_text_is_used():
    sources = [*(PROJECT / "views").glob("*.py"), PROJECT / "ui.py", PROJECT / "data_ui.py", PROJECT / "app.py",
               *(p for p in (PROJECT / "beibei_geo").glob("*.py") if p.name != "i18n.py")]
    code = "".join(Path(path).read_text(encoding="utf-8") for path in sources)
    called = set(re.findall(r"\bt\(\s*[\"'](\w+)[\"']", code))
    assert called and called <= set(TEXT), called - set(TEXT)
    quoted = set(re.findall(r"[\"'](\w+)[\"']", code))
    built = {f"import_mode_{m}" for m in MODES} | {f"import_crs_{c}" for c in CRS_CHOICES} | {
        f"change_{kind}" for kind in ("added", "removed", "changed")} | {f"severity_{s}" for s in SEVERITIES}
    assert built <= set(TEXT), built - set(TEXT)  # keys the Data page builds from values
    unused = [key for key in TEXT if key not in quoted | built and not key.startswith("tier_")]  # tier_*: from data
    assert unused == []


def test_t_formats_and_falls_back_to_chinese():
    assert t("count_line", "en", n=3, m=18) == "Showing 3 of 18 features"
    assert t("count_line", "fr", n=3, m=18) == "显示 3 / 18 个要素"


@pytest.mark.parametrize(
    ("value", "unit", "qualifier", "zh", "en"),
    [
        (1_764_000_000, "元", "exact", "17.64亿元", "1,764,000,000 yuan"),
        (286_500, "人", "exact", "28.65万人", "286,500 yuan"),
        (23_000, "名", "more_than", "2.3万余名", "more than 23,000 yuan"),
        (13_500, "户", "exact", "13,500户", "13,500 yuan"),
        (27.8, "%", "exact", "27.8%", "27.8%"),
        (30, "%", "more_than", "30%以上", "more than 30%"),
        (2.5, "年", "exact", "2.5年", "2.5 yuan"),
    ],
)
def test_format_figure(value, unit, qualifier, zh, en):
    assert format_figure(value, unit, "yuan", qualifier, "zh") == zh
    assert format_figure(value, unit, "yuan", qualifier, "en") == en


def test_format_number_missing():
    assert format_number(float("nan")) == "—"


@pytest.mark.parametrize("lon_lat", [(106.43645, 29.82739), (104.68168, 31.46784), (106.65187, 30.00528)])
def test_gcj02_matches_an_independent_implementation(lon_lat):
    lon, lat = lon_lat
    expected = prcoords.wgs_gcj((lat, lon))
    (got_lon, got_lat), = wgs84_to_gcj02(np.array([[lon, lat]]))
    assert (got_lon, got_lat) == pytest.approx((expected.lon, expected.lat), abs=1e-9)


def test_gcj02_shift_is_about_half_a_kilometre_and_keeps_shape():
    shifted = to_gcj02(LineString([(106.4, 29.8), (106.5, 29.9)]))
    assert len(shifted.coords) == 2
    moved = to_gcj02(Point(106.43645, 29.82739))
    metres = np.hypot((moved.x - 106.43645) * 96_500, (moved.y - 29.82739) * 111_000)
    assert 300 < metres < 700
    assert to_gcj02(None) is None


def test_basemaps_from_config():
    basemaps, problems = basemaps_from_config({
        "tianditu": {"name_zh": "天地图", "url": "https://t{s}.example.cn/vec/{z}/{x}/{y}?tk={key}", "key": "K1",
                     "overlay_url": "https://t{s}.example.cn/cva/{z}/{x}/{y}?tk={key}", "subdomains": "01"},
        "amap": {"url": "https://w{s}.example.com/{z}/{x}/{y}", "crs": "gcj02"},
        "bad crs": {"url": "https://x/{z}/{x}/{y}"},
        "baidu": {"url": "https://x/{z}/{x}/{y}", "crs": "bd09"},
        "nourl": {"name_zh": "x"},
        "js": {"url": "javascript:alert(1)//{z}{x}{y}"},
    })
    assert [b.id for b in basemaps] == ["offline", "tianditu", "amap"]
    assert basemaps[0] is OFFLINE and basemaps[1].url.endswith("tk=K1") and basemaps[2].gcj02
    assert len(problems) == 4 and all(p.startswith("basemaps.") for p in problems)
    assert basemaps_from_config(None) == ([OFFLINE], [])


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_like_cells_are_neutralised(text):
    assert neutralise(text) == "'" + text


def test_exports_neutralise_and_keep_numbers():
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "公园"], "value": [-3.5, 32], "=col": ["a", "b"]})
    csv_text = to_csv_bytes(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'=col" in csv_text and "-3.5" in csv_text
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(frame))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("name", "value", "'=col")
    assert rows[1] == ("'=HYPERLINK(\"x\")", -3.5, "a") and rows[2] == ("公园", 32, "b")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_the_shipped_secrets_example_configures_three_basemaps():
    import tomllib

    config = tomllib.loads((PROJECT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8"))
    basemaps, problems = basemaps_from_config(config["basemaps"])
    assert problems == [] and [b.id for b in basemaps] == ["offline", "osm", "tianditu", "amap"]
    assert [b.crs for b in basemaps] == ["wgs84", "wgs84", "wgs84", "gcj02"]


def test_streamlit_reads_the_project_config_with_no_full_collection_after_each_run():
    """The option must be spelled as Streamlit knows it: read the project's config the way `streamlit run` does."""
    code = "from streamlit import config; print(config.get_option('runner.postScriptGC'))"
    output = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "False"


def test_per_version_memoises_by_data_version_and_arguments(shipped):
    calls = []

    @per_version
    def layer_count(dataset, lang):
        calls.append((dataset.version, lang))
        return len(dataset.layers)

    other = dataclasses.replace(shipped, version="other-content")
    assert [layer_count(shipped, "zh"), layer_count(shipped, "zh"), layer_count(shipped, "en"),
            layer_count(other, "zh")] == [len(shipped.layers)] * 4
    assert calls == [(shipped.version, "zh"), (shipped.version, "en"), ("other-content", "zh")]
