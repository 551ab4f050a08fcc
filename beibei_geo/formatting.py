"""Numbers for people: 17.64亿元, 2.3万余名, "more than 500 items"."""

from __future__ import annotations

import math

import pandas as pd


def _trim(number: float, grouping: str = ",") -> str:
    return f"{number:{grouping}.2f}".rstrip("0").rstrip(".")


def format_number(value: float, lang: str = "zh") -> str:
    """``1764000000`` → ``17.64亿`` (zh) or ``1,764,000,000`` (en); ``286500`` → ``28.65万``; ``13500`` stays."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if lang == "zh" and abs(value) >= 1e8:
        return _trim(value / 1e8, "") + "亿"
    in_wan = value / 1e4
    whole_thousands = abs(value) >= 1e4 and value % 1000 == 0
    short_in_wan = abs(value) >= 1e5 and round(in_wan, 2) == in_wan
    if lang == "zh" and (whole_thousands or short_in_wan):
        return _trim(in_wan, "") + "万"
    return _trim(value)


def format_figure(value: float, unit: str, unit_en: str, qualifier: str, lang: str = "zh") -> str:
    """A value with its unit and "more than" qualifier, in ``lang``."""
    number = format_number(value, lang)
    if unit_en == "rank":
        return f"No. {number}" if lang == "en" else f"第{number}{'位' if unit == '位' else '名'}"
    if lang == "en":
        unit_text = "%" if unit == "%" else f" {unit_en or unit}"
        return ("more than " if qualifier == "more_than" else "") + number + unit_text
    return number + ("余" if qualifier == "more_than" and unit != "%" else "") + unit + (
        "以上" if qualifier == "more_than" and unit == "%" else "")


def indicator_figure(row: pd.Series, lang: str = "zh") -> str:
    """`format_figure` for one indicators-table row."""
    return format_figure(row["value"], row["unit"], row.get("unit_en", ""), row.get("qualifier", "exact"), lang)


def indicator_baseline(row: pd.Series, lang: str = "zh") -> str:
    """The baseline of an indicator row as a figure, or "" when the article gives none."""
    if pd.isna(row["baseline_value"]):
        return ""
    return format_figure(row["baseline_value"], row["unit"], row.get("unit_en", ""), "exact", lang)
