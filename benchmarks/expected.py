"""How many features a map must draw, counted straight from the data files (not through `beibei_geo`).

Mapped = every feature of a thematic layer (catalog.toml) with a non-null geometry. A goal filter keeps the
features whose ``goal`` is the goal or whose ``goals_extra`` contains it.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from benchmarks.browser import Expected


def mapped_properties(data_dir: Path) -> list[dict]:
    catalog = tomllib.loads((data_dir / "catalog.toml").read_text(encoding="utf-8"))
    properties = []
    for layer in catalog["layers"].values():
        if layer.get("kind") != "thematic":
            continue
        collection = json.loads((data_dir / layer["file"]).read_text(encoding="utf-8"))
        properties += [f["properties"] for f in collection["features"] if f.get("geometry") is not None]
    return properties


def expected_counts(data_dir: Path, goal: str) -> Expected:
    mapped = mapped_properties(data_dir)
    filtered = sum(p.get("goal") == goal or goal in (p.get("goals_extra") or []) for p in mapped)
    return Expected(total=len(mapped), filtered=filtered, goal=goal)
