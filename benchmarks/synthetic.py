"""Synthetic benchmark data: a copy of the shipped data folder plus one generated layer, added through the catalog.

The features are made up for measuring speed only (names say 测试); they never enter the shipped data.
Points fall inside the real district boundary; attributes look like the real ones (goal, category, 街镇, status).
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from beibei_geo.validate import GOAL_IDS

SHIPPED = Path(__file__).resolve().parent.parent / "data"
CATEGORIES = {"point": ("village_service_center", "community_party_org", "village_party_branch"),
              "polygon": ("city_park", "community_park"), "line": ("route",)}
STATUSES = ("operating", "under_construction", "planned")
GEOMETRY = {"point": "Point", "polygon": "Polygon", "line": "LineString"}


def _catalog_entry(kind: str) -> str:
    categories = "\n".join(f'{c} = {{ zh = "测试{c}", en = "Test {c}" }}' for c in CATEGORIES[kind])
    return f"""
[layers.bench_{kind}s]
kind = "thematic"
file = "geo/bench_{kind}s.geojson"
geometry = ["{GEOMETRY[kind]}"]
name_zh = "测试图层（{kind}）"
name_en = "Benchmark {kind}s"
default_goal = "governance"
style = {{ color = "#6A1B9A", radius = 4 }}
popup_fields = ["name", "category", "status", "township", "description"]
tooltip_fields = ["name"]
[layers.bench_{kind}s.categories]
{categories}
"""


def _random_points(boundary, count: int, rng: random.Random) -> list[tuple[float, float]]:
    west, south, east, north = boundary.bounds
    generator = np.random.default_rng(rng.randrange(2**32))
    points: list[tuple[float, float]] = []
    while len(points) < count:
        lon, lat = generator.uniform(west, east, 4 * count), generator.uniform(south, north, 4 * count)
        inside = shapely.contains_xy(boundary, lon, lat)
        points += [(round(float(x), 6), round(float(y), 6)) for x, y in zip(lon[inside], lat[inside], strict=True)]
    return points[:count]


def _geometry(kind: str, lon: float, lat: float, rng: random.Random) -> dict:
    if kind == "point":
        return {"type": "Point", "coordinates": [lon, lat]}
    if kind == "polygon":  # a small square, ~100-300 m, counter-clockwise
        size = rng.uniform(0.001, 0.003)
        ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}
    steps = [(lon + 0.002 * i, lat + 0.0015 * ((i % 3) - 1)) for i in range(6)]  # a ~1 km zig-zag
    return {"type": "LineString", "coordinates": [[round(x, 6), round(y, 6)] for x, y in steps]}


def make_data_dir(target: Path, kind: str | None = None, count: int = 0, seed: int = 7) -> Path:
    """A copy of the shipped data in ``target``, plus ``count`` synthetic features of ``kind``.

    ``kind`` is point, polygon or line; None copies the shipped data only.
    """
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SHIPPED, target, ignore=shutil.ignore_patterns("history"))
    if not kind:
        return target
    rng = random.Random(seed)
    boundary = shape(json.loads((SHIPPED / "geo/boundary.geojson").read_text(encoding="utf-8"))["features"][0][
        "geometry"]).buffer(-0.01)  # keep the small shapes inside the district box
    towns = [f["properties"]["name"] for f in json.loads((SHIPPED / "geo/townships.geojson").read_text(
        encoding="utf-8"))["features"]]
    features = []
    for number, (lon, lat) in enumerate(_random_points(boundary, count, rng), start=1):
        goal = rng.choice(GOAL_IDS)
        features.append({"type": "Feature", "properties": {
            "id": f"bench-{kind}-{number}", "name": f"测试{kind}{number}号", "goal": goal,
            "goals_extra": [g for g in rng.sample(GOAL_IDS, 2) if g != goal][:1],
            "category": rng.choice(CATEGORIES[kind]), "township": rng.choice(towns), "status": rng.choice(STATUSES),
            "description": f"基准测试用的合成要素 {number}，不是真实地点。",
            "source": "benchmarks/synthetic.py（合成数据）",
            "location_precision": "approximate", "est_error_m": 100,
        }, "geometry": _geometry(kind, lon, lat, rng)})
    (target / f"geo/bench_{kind}s.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    with open(target / "catalog.toml", "a", encoding="utf-8") as catalog:
        catalog.write(_catalog_entry(kind))
    return target
