"""Table downloads (CSV, Excel) that cannot run as formulas when opened in a spreadsheet."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from openpyxl import Workbook

#: A cell starting with one of these is a formula (or DDE payload) to Excel, LibreOffice and WPS.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would read as a formula with ``'``; leave other values alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) neutralised."""
    safe = frame.copy()
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return safe


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads Chinese correctly), formula cells neutralised."""
    return safe_table(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "indicators") -> bytes:
    """An .xlsx workbook of ``frame``, every text cell stored as text and neutralised."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    safe = safe_table(frame)
    worksheet.append(list(safe.columns))
    for row in safe.itertuples(index=False):
        worksheet.append([None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row])
    for cell in (c for line in worksheet.iter_rows() for c in line if isinstance(c.value, str)):
        cell.data_type = "s"  # never let openpyxl treat a leading "=" as a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
