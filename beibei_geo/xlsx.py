"""Safe reading of one sheet of an uploaded Excel .xlsx workbook as text, in the shape `read_csv_table` gives.

The bytes are checked before openpyxl sees them: zip bombs, XML entity bombs and huge merged ranges (openpyxl
creates one object per merged cell) are refused. Every refusal is a `DataFileError` with rule names of its own.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import xml.sax
import zipfile
from dataclasses import replace
from typing import Any, NoReturn

import defusedxml.sax
import openpyxl
import pandas as pd
from defusedxml import DefusedXmlException
from openpyxl.cell.cell import Cell
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from beibei_geo.errors import DataFileError, Problem
from beibei_geo.readers import decode_text, is_summary_label

#: Zip-bomb guard: the declared unpacked size of all parts, and of one part packed suspiciously well.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 10 * 1024 * 1024
MAX_PARTS = 1000
#: openpyxl builds one object per merged cell, so a 5 kB file merging A1:XFD1048576 would never finish loading.
MAX_MERGED_CELLS = 100_000
#: At most this many problems of one kind are listed; the last one says how many more there are.
MAX_PROBLEMS = 10
_HEAD_BYTES = 64 * 1024
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_UNSAFE = "the workbook contains an XML DOCTYPE/ENTITY declaration, which Excel never writes"
_RESAVE = "open it in Excel and save it again as .xlsx"


def read_xlsx_table(data: bytes, label: str, sheet: str | None = None) -> pd.DataFrame:
    """Read one worksheet as text columns, indexed by spreadsheet row number, like `read_csv_table`.

    Parameters
    ----------
    data : the uploaded file's bytes.
    label : the file name used in every `Problem`.
    sheet : the worksheet to read; may be left out when the workbook has only one.

    Raises
    ------
    DataFileError
        For anything that is not a safe, plain table: see the module's rule names in `Problem.rule`.
    """
    values = _open_checked(data, label)
    name = _choose_sheet(values, label, sheet)
    formulas = _load(data, label, data_only=False)
    return _table(formulas[name], values[name], label)


def sheet_names(data: bytes, label: str) -> list[str]:
    """The worksheet names of a workbook (after the same safety checks as `read_xlsx_table`)."""
    return [ws.title for ws in _open_checked(data, label).worksheets]


def _open_checked(data: bytes, label: str) -> Workbook:
    """The workbook with cached values, opened only after the zip, size and XML checks pass."""
    with _open_zip(data, label) as archive:
        _check_sizes(archive, label)
        if "xl/workbook.xml" not in archive.namelist():
            _refuse(Problem(label, "-", "not-xlsx",
                            "a zip archive but not an Excel workbook (no xl/workbook.xml inside); "
                            "upload the .xlsx file itself"))
        _check_parts(archive, label)
    return _load(data, label, data_only=True)


def _refuse(problems: Problem | list[Problem]) -> NoReturn:
    """Raise `DataFileError`, listing at most `MAX_PROBLEMS` problems."""
    problems = [problems] if isinstance(problems, Problem) else problems
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        shown[-1] = replace(shown[-1], message=f"{shown[-1].message} ({more} more like this not listed)")
    raise DataFileError(shown)


def _reason(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 80 else text[:79] + "…"


def _open_zip(data: bytes, label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # zipfile raises several types on hostile bytes; all mean "not a workbook"
        pass
    if not data:
        message = "the file is empty (0 bytes); expected an Excel .xlsx workbook"
    elif data.startswith(_OLE2_MAGIC):
        message = ("this is an old Excel .xls workbook (or a password-protected file), not .xlsx; "
                   "open it in Excel and save it as .xlsx without a password")
    else:
        try:
            decode_text(data, label)
            message = "this looks like CSV text, not an Excel .xlsx workbook; rename the file to .csv"
        except DataFileError:
            message = f"not an Excel .xlsx workbook (expected a zip-based .xlsx file); {_RESAVE}"
    _refuse(Problem(label, "-", "not-xlsx", message))


def _check_sizes(archive: zipfile.ZipFile, label: str) -> None:
    """Refuse zip bombs using the sizes the archive declares (zipfile never unpacks more than declared)."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        _refuse(Problem(label, "-", "xlsx-too-large",
                        f"the workbook has {len(parts):,} parts inside (limit {MAX_PARTS:,}); "
                        "copy the table into a new workbook and save that"))
    total = sum(part.file_size for part in parts)
    if total > MAX_UNPACKED_BYTES:
        _refuse(Problem(label, "-", "xlsx-too-large",
                        f"the workbook unpacks to {total:,} bytes (limit {MAX_UNPACKED_BYTES:,}); "
                        "copy the table into a new workbook and save that"))
    for part in parts:
        if part.file_size > RATIO_FLOOR_BYTES and part.file_size > MAX_RATIO * part.compress_size:
            _refuse(Problem(label, "-", "xlsx-too-large",
                            f"part {part.filename} unpacks from {part.compress_size:,} to {part.file_size:,} bytes "
                            f"(more than {MAX_RATIO} times; Excel never packs that tightly); "
                            "copy the table into a new workbook and save that"))


class _MergeCounter(xml.sax.handler.ContentHandler):
    """Counts the cells covered by <mergeCell ref="A1:C3"> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.cells = 0

    def startElement(self, name: str, attrs: Any) -> None:
        if name.rpartition(":")[2] == "mergeCell":
            min_col, min_row, max_col, max_row = range_boundaries(attrs.get("ref", ""))
            self.cells += (max_col - min_col + 1) * (max_row - min_row + 1)


def _check_parts(archive: zipfile.ZipFile, label: str) -> None:
    """Refuse DOCTYPE/ENTITY declarations and merged ranges too large to load, before openpyxl parses anything.

    The merge count parses every part with defusedxml (any part name can hold a worksheet); parts that are not
    XML (images, printer settings) fail to parse and are left to openpyxl.
    """
    merged = 0
    for part in archive.infolist():
        counter = _MergeCounter()
        try:
            with archive.open(part) as stream:
                head = stream.read(_HEAD_BYTES)
            if part.filename.lower().endswith((".xml", ".rels")) and (b"<!DOCTYPE" in head or b"<!ENTITY" in head):
                raise DefusedXmlException  # the cheap check: refused below like defusedxml's own findings
            with archive.open(part) as stream:
                defusedxml.sax.parse(stream, counter, forbid_dtd=True)
        except DefusedXmlException:
            _refuse(Problem(label, "-", "xlsx-unsafe", f"{_UNSAFE} (in {part.filename}); do not import this file"))
        except xml.sax.SAXParseException:
            pass  # not XML: openpyxl decides whether the part matters
        except Exception as exc:  # unreadable zip member: bad CRC, encryption, unknown compression, bad merge ref
            _refuse(Problem(label, "-", "not-xlsx", f"part {part.filename} cannot be read ({_reason(exc)}); {_RESAVE}"))
        merged += counter.cells
        if merged > MAX_MERGED_CELLS:
            _refuse(Problem(label, "-", "xlsx-too-large",
                            f"merged ranges cover more than {MAX_MERGED_CELLS:,} cells (in {part.filename}); "
                            "unmerge all cells and save again"))


def _load(data: bytes, label: str, *, data_only: bool) -> Workbook:
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=data_only)
    except Exception as exc:  # openpyxl raises many types on malformed workbooks
        if _raised_by_defusedxml(exc):
            _refuse(Problem(label, "-", "xlsx-unsafe", f"{_UNSAFE}; do not import this file"))
        _refuse(Problem(label, "-", "not-xlsx", f"the workbook cannot be opened ({_reason(exc)}); {_RESAVE}"))


def _raised_by_defusedxml(exc: BaseException | None) -> bool:
    """True when defusedxml refused the XML, also when openpyxl re-raised that as a ValueError."""
    while exc is not None:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _choose_sheet(workbook: Workbook, label: str, sheet: str | None) -> str:
    names = [ws.title for ws in workbook.worksheets]  # chart sheets are not listed
    listed = ", ".join(f"'{n}'" for n in names)
    if not names:
        _refuse(Problem(label, "-", "empty-table", "the workbook has no worksheets; expected one sheet with a table"))
    if sheet is None and len(names) > 1:
        _refuse(Problem(label, "-", "several-sheets",
                        f"the workbook has {len(names)} sheets ({listed}); "
                        "choose one (on the command line: --sheet NAME)"))
    if sheet is None:
        return names[0]
    if sheet not in names:
        _refuse(Problem(label, "-", "unknown-sheet", f"no sheet named '{sheet}'; the workbook has {listed}"))
    return sheet


def _stored_cells(ws: Worksheet) -> dict[tuple[int, int], Cell]:
    """The cells the file stores, by (row, column): sparse, so a stray cell at XFD1048576 costs nothing."""
    return ws._cells


def _text(cell: Cell) -> str:
    """A cell's value as the text a CSV export would hold (codes with a 000… number format keep their zeros)."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and cell.number_format.endswith("%"):
        return f"{round(value * 100, 10):g}%"  # 27.8% is stored as 0.278: give back what the cell shows
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        width = len(cell.number_format) if re.fullmatch("0+", cell.number_format) else 0
        return str(int(value)).zfill(width)
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def _formula_problems(formulas: Worksheet, values: Worksheet, label: str) -> list[Problem]:
    stored = _stored_cells(values)
    problems = []
    for key, cell in sorted(_stored_cells(formulas).items()):
        if cell.data_type == "f" and (key not in stored or stored[key].value is None):
            formula = str(getattr(cell.value, "text", cell.value))  # array formulas are objects with .text
            formula = formula if len(formula) <= 60 else formula[:59] + "…"
            problems.append(Problem(label, f"sheet '{values.title}' cell {cell.coordinate}", "formula-no-value",
                                    f"formula {formula} has no stored value; open the file in Excel and save it "
                                    "(or paste values over the formulas), then upload again"))
    return problems


def _table(formulas: Worksheet, values: Worksheet, label: str) -> pd.DataFrame:
    at = f"sheet '{values.title}'"
    texts = {key: text for key, cell in _stored_cells(values).items() if (text := _text(cell))}
    if not texts:
        _refuse(Problem(label, at, "empty-table", "the sheet is empty; expected a header row and rows under it"))
    rows, cols = {r for r, _ in texts}, {c for _, c in texts}
    used = CellRange(min_col=min(cols), min_row=min(rows), max_col=max(cols), max_row=max(rows))
    merged = [str(m) for m in sorted(values.merged_cells.ranges, key=lambda m: (m.min_row, m.min_col))
              if not used.isdisjoint(m)]
    if merged:
        shown = ", ".join(merged[:5]) + (f" and {len(merged) - 5} more" if len(merged) > 5 else "")
        _refuse(Problem(label, at, "merged-cells",
                        f"merged cells {shown}; unmerge them and fill every cell with its value"))
    if problems := _formula_problems(formulas, values, label):
        _refuse(problems)

    header_row = min(rows)
    first = min(c for r, c in texts if r == header_row)
    last = max(c for r, c in texts if r == header_row)
    span = f"{get_column_letter(first)}–{get_column_letter(last)}"
    header = [unicodedata.normalize("NFKC", texts.get((header_row, c), "")).strip() for c in range(first, last + 1)]
    problems = []
    seen: set[str] = set()
    for col, name in enumerate(header, start=first):
        where = f"{at} cell {get_column_letter(col)}{header_row}"
        if not name:
            problems.append(Problem(label, where, "missing-column",
                                    f"the header cell is empty; columns {span} each need a name "
                                    "(type one, or delete the empty column)"))
        elif name in seen:
            problems.append(Problem(label, where, "duplicate-column",
                                    f"column '{name}' appears twice in the header; rename one of them"))
        seen.add(name)
    if problems:
        _refuse(problems)

    data_rows: dict[int, dict[int, str]] = {}
    for (r, c), text in sorted(texts.items()):
        if r > header_row:
            data_rows.setdefault(r, {})[c] = text
    for number, cells in data_rows.items():
        outside = [c for c in cells if not first <= c <= last]
        if outside:
            problems.append(Problem(label, f"{at} cell {get_column_letter(outside[0])}{number}", "row-length",
                                    f"a value outside the header's columns {span} (header row {header_row}); "
                                    "give the column a header, or clear the cell"))
        summary = next((t for t in cells.values() if is_summary_label(t)), None)
        if summary is not None:
            problems.append(Problem(label, f"{at} row {number}", "total-row",
                                    f"'{summary}' marks a summary row, which would be counted as a record; "
                                    "delete the row before importing"))
    if problems:
        _refuse(problems)
    if not data_rows:
        _refuse(Problem(label, at, "empty-table", f"the header (row {header_row}) has no rows under it"))
    return pd.DataFrame([[cells.get(c, "") for c in range(first, last + 1)] for cells in data_rows.values()],
                        columns=header, index=pd.Index(list(data_rows), name="row"), dtype=object)
