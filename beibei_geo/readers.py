"""Strict reading of data files: JSON/GeoJSON and CSV text, and numbers written the Chinese way."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd

from beibei_geo.errors import DataFileError, Problem

#: Larger files are refused before reading (the shipped layers are a few kB).
MAX_FILE_BYTES = 64 * 1024 * 1024
_MAGNITUDES = {"": 1.0, "千": 1e3, "万": 1e4, "亿": 1e8, "万亿": 1e12}
_SUMMARY_LABELS = frozenset(("合计", "总计", "小计", "total", "subtotal", "grandtotal"))
_NUMBER = re.compile(
    r"^(?P<sign>[-+]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?(?P<mag>千|万|亿|万亿)?(?P<pct>%)?$"
)


def is_summary_label(text: str) -> bool:
    """True for a cell marking a summary row: 合计, 总计, 小计, Total, Subtotal, Grand total (spaces, ':' ignored)."""
    return "".join(unicodedata.normalize("NFKC", text).split()).rstrip(":").casefold() in _SUMMARY_LABELS


def parse_number(text: str) -> float:
    """Parse '3,452', '1.2万', '17.64亿', '27.8%' (→ 27.8) or full-width digits; raise ValueError otherwise."""
    cleaned = unicodedata.normalize("NFKC", str(text)).strip().replace(" ", "")
    match = _NUMBER.match(cleaned)
    if not match:
        raise ValueError(f"{text!r} is not a number (allowed: 3452, 3,452, 1.2万, 17.64亿, 27.8%)")
    value = float(match["int"].replace(",", "") + (match["frac"] or "")) * _MAGNITUDES[match["mag"] or ""]
    return -value if match["sign"] == "-" else value


def _read_bytes(path: Path, label: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataFileError(Problem(label, "-", "file-too-large",
                                        f"{size:,} bytes; the limit is {MAX_FILE_BYTES:,}"))
        return path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(Problem(label, "-", "file-missing", f"no file at {path}")) from None
    except IsADirectoryError:
        raise DataFileError(Problem(label, "-", "file-unreadable", "is a folder, not a file")) from None
    except OSError as exc:
        raise DataFileError(Problem(label, "-", "file-unreadable", exc.strerror or str(exc))) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (use null or a finite number)")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise KeyError(key)
        obj[key] = value
    return obj


def read_json(path: Path, label: str) -> Any:
    """Read a strict JSON file (see `parse_json`)."""
    return parse_json(_read_bytes(path, label), label)


def parse_json(data: bytes, label: str) -> Any:
    """Parse strict JSON (RFC 8259): UTF-8, no NaN/Infinity, no duplicate keys, no trailing commas."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(Problem(label, "-", "encoding",
                                    f"JSON must be UTF-8; byte {exc.start} is not ({exc.reason})")) from None
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise DataFileError(Problem(label, f"line {exc.lineno} column {exc.colno}", "json-syntax",
                                    exc.msg)) from None
    except ValueError as exc:
        raise DataFileError(Problem(label, "-", "json-constant", str(exc))) from None
    except KeyError as exc:
        raise DataFileError(Problem(label, "-", "json-duplicate-key",
                                    f"key {exc.args[0]!r} appears twice in one object")) from None
    except RecursionError:
        raise DataFileError(Problem(label, "-", "json-too-deep", "nesting is too deep to be GeoJSON")) from None


def decode_text(data: bytes, label: str) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM), else GB18030; return (text, encoding)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[1:200:2].count(0) > 50 or data[0:200:2].count(0) > 50:
        raise DataFileError(Problem(label, "-", "encoding", "UTF-16 text (Excel's \"Unicode text\"); save it as "
                                                            "\"CSV UTF-8\" instead"))
    if b"\x00" in data:
        raise DataFileError(Problem(label, "-", "encoding", "binary file (NUL bytes), not CSV text"))
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise DataFileError(Problem(label, "-", "encoding",
                                    f"neither UTF-8 nor GB18030/GBK (byte {exc.start})")) from None
    odd = [ch for ch in text if unicodedata.category(ch) in ("Co", "Cn", "Cc") and ch not in "\r\n\t"]
    if odd:
        raise DataFileError(Problem(label, "-", "encoding",
                                    "not UTF-8, and reading it as GB18030 gives unassigned characters; "
                                    "save it as UTF-8"))
    return text, "gb18030"


def read_csv_table(path: Path, label: str) -> pd.DataFrame:
    """Read a CSV file as text columns (codes keep leading zeros), indexed by row number (header = row 1)."""
    return parse_csv_table(_read_bytes(path, label), label)


def parse_csv_table(data: bytes, label: str) -> pd.DataFrame:
    """Parse CSV bytes as text columns, indexed by row number (header = row 1).

    Ragged rows, empty or duplicate header cells and header-only files raise `DataFileError`.
    """
    text, _encoding = decode_text(data, label)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DataFileError(Problem(label, "-", "csv-syntax", str(exc))) from None
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if not numbered:
        raise DataFileError(Problem(label, "-", "empty-table", "the file has no header and no rows"))
    header_number, header_row = numbered[0]
    header = [unicodedata.normalize("NFKC", cell).strip() for cell in header_row]
    seen: set[str] = set()
    for name in header:
        if not name:
            raise DataFileError(Problem(label, f"row {header_number}", "missing-column", "a header cell is empty"))
        if name in seen:
            raise DataFileError(Problem(label, f"row {header_number}", "duplicate-column",
                                        f"column {name!r} appears twice"))
        seen.add(name)
    problems = [
        Problem(label, f"row {number}", "row-length", f"{len(row)} cells, the header has {len(header)}")
        for number, row in numbered[1:]
        if len(row) != len(header)
    ]
    problems += [
        Problem(label, f"row {number}", "total-row",
                f"{next(c for c in row if is_summary_label(c))!r} marks a summary row, which would be counted as a "
                "record; delete the row before importing")
        for number, row in numbered[1:]
        if any(is_summary_label(cell) for cell in row)
    ]
    if problems:
        raise DataFileError(problems)
    if len(numbered) == 1:
        raise DataFileError(Problem(label, "-", "empty-table", "the header has no rows under it"))
    frame = pd.DataFrame([row for _, row in numbered[1:]], columns=header,
                         index=pd.Index([n for n, _ in numbered[1:]], name="row"), dtype=object)
    return frame.apply(lambda column: column.str.strip())


def is_finite_number(value: Any) -> bool:
    """True for int/float (not bool) that is finite and fits in a float."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float, e.g. 1 followed by 400 zeros
        return False
