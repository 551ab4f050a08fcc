from __future__ import annotations

import pytest

from beibei_geo.errors import DataFileError
from beibei_geo.readers import decode_text, parse_number, read_csv_table, read_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3452", 3452),
        ("3,452", 3452),
        ("1,234,567.5", 1234567.5),
        ("1.2万", 12000),
        ("28.65万", 286500),
        ("17.64亿", 1_764_000_000),
        ("27.8%", 27.8),
        ("１２３", 123),
        (" 42 ", 42),
        ("-3.5", -3.5),
    ],
)
def test_parse_number_accepts_chinese_style_numbers(text, expected):
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "约1.2万", "1.2.3", "3,45", "12,3456", "NaN", "inf", "1e5", "十二", "万"])
def test_parse_number_rejects_everything_else(text):
    with pytest.raises(ValueError, match="is not a number"):
        parse_number(text)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("名称,数值\n公园,32\n".encode(), "utf-8"),
        ("名称,数值\n公园,32\n".encode("utf-8-sig"), "utf-8"),
        ("名称,数值\n公园,32\n".encode("gbk"), "gb18030"),
    ],
)
def test_decode_text_detects_encoding(data, encoding):
    text, detected = decode_text(data, "t.csv")
    assert text.lstrip("\ufeff").startswith("名称,数值")
    assert detected == encoding


def test_read_csv_keeps_codes_as_text_and_numbers_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code,name\n\n500109001,天生街道\n007,x\n", encoding="utf-8")
    frame = read_csv_table(path, "t.csv")
    assert list(frame["code"]) == ["500109001", "007"]
    assert list(frame.index) == [3, 4]  # the blank line 2 is skipped but keeps numbering honest


def test_read_json_reports_line_and_column(tmp_path):
    path = tmp_path / "x.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [],}', encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        read_json(path, "x.geojson")
    (problem,) = info.value.problems
    assert (problem.file, problem.where, problem.rule) == ("x.geojson", "line 2 column 17", "json-syntax")
