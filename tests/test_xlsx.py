"""read_xlsx_table: one sheet of an uploaded .xlsx as the CSV reader's text frame, and every refusal as a Problem."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from collections.abc import Callable

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, Reference

from beibei_geo import xlsx
from beibei_geo.errors import DataFileError
from beibei_geo.xlsx import read_xlsx_table

SHEET_XML = "xl/worksheets/sheet1.xml"
LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b"]>")


def book(*sheets: tuple[str, list[list[object]]]) -> openpyxl.Workbook:
    """A workbook with the given (title, rows) worksheets."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        ws = workbook.create_sheet(title)
        for row in rows:
            ws.append(row)
    return workbook


def to_bytes(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(rows: list[list[object]], title: str = "Sheet1") -> bytes:
    return to_bytes(book((title, rows)))


def rewrite(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """The same zip with one member's bytes changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, change(content) if info.filename == name else content)
    return out.getvalue()


def with_zeros(size: int, level: int) -> bytes:
    """A valid workbook plus a member of `size` zero bytes, written in 1 MB chunks (never all in memory)."""
    buffer = io.BytesIO(xlsx_bytes([["a"], ["1"]]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED, compresslevel=level) as archive, \
            archive.open("xl/media/zeros.bin", "w", force_zip64=True) as member:
        chunk = bytes(1 << 20)
        for _ in range(size >> 20):
            member.write(chunk)
    return buffer.getvalue()


def many_members() -> bytes:
    buffer = io.BytesIO(xlsx_bytes([["a"], ["1"]]))
    with zipfile.ZipFile(buffer, "a") as archive:
        for i in range(1001):
            archive.writestr(f"xl/media/x{i}.txt", b"")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", b"hello")
    return buffer.getvalue()


def merged_title() -> bytes:
    workbook = book(("Sheet1", [["北碚区街镇"], ["code", "name", "count"], ["1", "x", 2]]))
    workbook["Sheet1"].merge_cells("A1:C1")
    return to_bytes(workbook)


def laughs_in_prolog(content: bytes) -> bytes:
    """Put the DOCTYPE after a 70 kB comment: past the cheap 64 kB check, so defusedxml must find it."""
    return b"<!--" + b"x" * 70_000 + b"-->" + LAUGHS + content.replace(b"<t>a</t>", b"<t>&lol9;</t>")


def whole_sheet_merge(content: bytes) -> bytes:
    return content.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/>'
                                            b"</mergeCells>")


TABLE = [["code", "name"], ["1", "x"]]
BAD = [
    ("csv-text", lambda: "code,name\n1,天生街道\n".encode(), None, "not-xlsx", "-", "rename the file to .csv"),
    ("csv-gbk", lambda: "code,name\n1,天生街道\n".encode("gbk"), None, "not-xlsx", "-", "looks like CSV"),
    ("xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), None, "not-xlsx", "-", "old Excel .xls"),
    ("random", lambda: random.Random(7).randbytes(3000), None, "not-xlsx", "-", "not an Excel .xlsx workbook"),
    ("empty-file", lambda: b"", None, "not-xlsx", "-", "empty"),
    ("zip-not-workbook", plain_zip, None, "not-xlsx", "-", "no xl/workbook.xml"),
    ("broken-workbook", lambda: rewrite(xlsx_bytes(TABLE), "xl/workbook.xml", lambda _: b"not xml"),
     None, "not-xlsx", "-", "cannot be opened"),
    ("zip-bomb-total", lambda: with_zeros(300 << 20, level=1), None, "xlsx-too-large", "-", "unpacks to 314,"),
    ("zip-bomb-ratio", lambda: with_zeros(20 << 20, level=9), None, "xlsx-too-large", "-", "zeros.bin unpacks"),
    ("too-many-parts", many_members, None, "xlsx-too-large", "-", "1,010 parts"),
    ("huge-merge", lambda: rewrite(xlsx_bytes(TABLE), SHEET_XML, whole_sheet_merge),
     None, "xlsx-too-large", "-", "merged ranges cover more than 100,000 cells"),
    ("laughs-head", lambda: rewrite(xlsx_bytes(TABLE), "xl/styles.xml", lambda c: LAUGHS + c),
     None, "xlsx-unsafe", "-", "which Excel never writes (in xl/styles.xml)"),
    ("laughs-deep", lambda: rewrite(xlsx_bytes([["a"], ["1"]]), SHEET_XML, laughs_in_prolog),
     None, "xlsx-unsafe", "-", f"(in {SHEET_XML})"),
    ("several-sheets", lambda: to_bytes(book(("甲", TABLE), ("乙", TABLE))), None, "several-sheets", "-",
     "2 sheets ('甲', '乙'); choose one (on the command line: --sheet NAME)"),
    ("unknown-sheet", lambda: to_bytes(book(("甲", TABLE), ("乙", TABLE))), "丙", "unknown-sheet", "-",
     "no sheet named '丙'; the workbook has '甲', '乙'"),
    ("merged-cells", merged_title, None, "merged-cells", "sheet 'Sheet1'", "merged cells A1:C1; unmerge"),
    ("formula-no-value", lambda: xlsx_bytes([["a", "b"], [1, "=A2*2"]]), None, "formula-no-value",
     "sheet 'Sheet1' cell B2", "formula =A2*2 has no stored value"),
    ("total-row", lambda: xlsx_bytes([["name", "count"], ["x", 1], ["合 计", 1]]), None, "total-row",
     "sheet 'Sheet1' row 3", "'合 计' marks a summary row"),
    ("total-row-english", lambda: xlsx_bytes([["name", "count"], ["x", 1], [None, "Grand TOTAL:"]]), None,
     "total-row", "sheet 'Sheet1' row 3", "summary row"),
    ("missing-column", lambda: xlsx_bytes([["a", None, "c"], [1, 2, 3]]), None, "missing-column",
     "sheet 'Sheet1' cell B1", "columns A–C each need a name"),
    ("duplicate-column", lambda: xlsx_bytes([["a", "b", "ａ "], [1, 2, 3]]), None, "duplicate-column",
     "sheet 'Sheet1' cell C1", "column 'a' appears twice"),
    ("row-length", lambda: xlsx_bytes([["a", "b"], [1, 2], [1, 2, None, "x"]]), None, "row-length",
     "sheet 'Sheet1' cell D3", "outside the header's columns A–B"),
    ("header-only", lambda: xlsx_bytes([["a", "b"]]), None, "empty-table", "sheet 'Sheet1'", "no rows under it"),
    ("empty-sheet", lambda: xlsx_bytes([[None], ["   "]]), None, "empty-table", "sheet 'Sheet1'", "sheet is empty"),
]


@pytest.mark.parametrize(("make", "sheet", "rule", "where", "words"), [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_refusals_name_the_rule_file_and_place(make, sheet, rule, where, words):
    with pytest.raises(DataFileError) as info:
        read_xlsx_table(make(), "upload.xlsx", sheet=sheet)
    problem = info.value.problems[0]
    assert (problem.file, problem.where, problem.rule) == ("upload.xlsx", where, rule)
    assert words in problem.message


def test_the_table_comes_back_as_text_indexed_by_row_number():
    workbook = book(("Sheet1", [["code", " ｎａｍｅ ", "count"], ["500109001", "天生街道", 12]]))
    ws = workbook["Sheet1"]
    ws["A3"] = "   "  # blank only: skipped like an empty CSV line
    ws.append(["  007 ", "x", 3.25])
    frame = read_xlsx_table(to_bytes(workbook), "t.xlsx")
    expected = pd.DataFrame([["500109001", "天生街道", "12"], ["007", "x", "3.25"]], columns=["code", "name", "count"],
                            index=pd.Index([2, 4], name="row"), dtype=object)
    pd.testing.assert_frame_equal(frame, expected)
    assert all(type(v) is str for v in frame.to_numpy().ravel())


def test_numbers_dates_and_booleans_become_csv_like_text():
    workbook = book(("Sheet1", [["code", "float", "day", "moment", "yes", "no", "small"]]))
    ws = workbook["Sheet1"]
    ws.append([500109001, 12.0, dt.datetime(2020, 12, 31), dt.datetime(2020, 12, 31, 8, 30), True, False, 0.1])
    ws["A2"].number_format = "000000000000"
    # openpyxl writes 12.0 as <v>12</v>; other writers store <v>12.0</v> or <v>1.2E+1</v>, read back as float
    data = rewrite(to_bytes(workbook), SHEET_XML, lambda c: c.replace(b'"B2" t="n"><v>12<', b'"B2" t="n"><v>1.2E+1<'))
    frame = read_xlsx_table(data, "t.xlsx")
    assert frame.loc[2].to_dict() == {"code": "000500109001", "float": "12", "day": "2020-12-31",
                                      "moment": "2020-12-31T08:30:00", "yes": "true", "no": "false", "small": "0.1"}


def test_a_merge_of_empty_cells_outside_the_table_is_harmless():
    workbook = book(("Sheet1", [["a"], ["1"]]))
    workbook["Sheet1"].merge_cells("D5:E6")
    assert list(read_xlsx_table(to_bytes(workbook), "t.xlsx")["a"]) == ["1"]


def test_a_formula_with_a_stored_value_gives_that_value():
    data = rewrite(xlsx_bytes([["a", "b"], [21, "=A2*2"]]), SHEET_XML,
                   lambda c: c.replace(b"<f>A2*2</f><v></v>", b"<f>A2*2</f><v>42</v>"))
    assert list(read_xlsx_table(data, "t.xlsx")["b"]) == ["42"]


def test_formula_problems_are_one_per_cell_and_capped():
    rows = [["a"], *([f"=ROW()*{i}"] for i in range(12))]
    with pytest.raises(DataFileError) as info:
        read_xlsx_table(xlsx_bytes(rows), "t.xlsx")
    problems = info.value.problems
    assert [p.where for p in problems] == [f"sheet 'Sheet1' cell A{n}" for n in range(2, 12)]
    assert problems[-1].message.endswith("(2 more like this not listed)")


def test_a_sheet_is_chosen_among_several_and_chart_sheets_do_not_count():
    workbook = book(("甲", [["a"], ["from 甲"]]), ("乙", [["a"], ["from 乙"]]))
    assert list(read_xlsx_table(to_bytes(workbook), "t.xlsx", sheet="乙")["a"]) == ["from 乙"]
    workbook.remove(workbook["甲"])
    chart = BarChart()
    chart.add_data(Reference(workbook["乙"], min_col=1, min_row=1, max_row=2), titles_from_data=True)
    workbook.create_chartsheet("chart").add_chart(chart)
    assert list(read_xlsx_table(to_bytes(workbook), "t.xlsx")["a"]) == ["from 乙"]


def test_openpyxl_defusedxml_is_the_second_guard(monkeypatch):
    monkeypatch.setattr(xlsx, "_check_parts", lambda archive, label: None)
    data = rewrite(xlsx_bytes([["a"], ["1"]]), SHEET_XML, lambda c: LAUGHS + c)
    with pytest.raises(DataFileError) as info:
        read_xlsx_table(data, "t.xlsx")
    assert info.value.problems[0].rule == "xlsx-unsafe"


def test_damaged_bytes_give_a_data_file_error_and_nothing_else():
    data = xlsx_bytes([["code", "name"], ["1", "x"], ["2", "y"]])
    rng = random.Random(3)
    damaged = [data[:cut] for cut in range(0, len(data), len(data) // 25)]
    for _ in range(40):
        copy = bytearray(data)
        for _ in range(3):
            copy[rng.randrange(len(copy))] = rng.randrange(256)
        damaged.append(bytes(copy))
    for sample in damaged:
        try:
            read_xlsx_table(sample, "t.xlsx")
        except DataFileError as exc:
            assert exc.problems and all(p.file == "t.xlsx" for p in exc.problems)


def test_percent_cells_read_as_shown():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["indicator_id", "value"])
    sheet.append(["share", 0.278])
    sheet["B2"].number_format = "0.0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    frame = read_xlsx_table(buffer.getvalue(), "p.xlsx")
    assert frame.loc[2, "value"] == "27.8%"


def test_sheet_names_lists_worksheets():
    workbook = openpyxl.Workbook()
    workbook.active.title = "甲"
    workbook.create_sheet("乙")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert xlsx.sheet_names(buffer.getvalue(), "s.xlsx") == ["甲", "乙"]
