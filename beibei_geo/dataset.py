"""Loading a validated data folder into typed frames: goals, indicators and one GeoDataFrame per layer."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd

from beibei_geo.catalog import Catalog, data_version, default_data_dir
from beibei_geo.errors import ValidationError
from beibei_geo.readers import parse_number
from beibei_geo.scenes import Presentation
from beibei_geo.validate import inspect_data_dir

T = TypeVar("T")

#: Columns every thematic feature frame has, whatever optional properties its file carries.
FEATURE_COLUMNS = ("layer", "id", "name", "name_en", "goal", "goals", "category", "township", "status",
                   "description", "source", "source_quote", "location_precision", "est_error_m",
                   "location_source", "location_note", "schematic", "outside_district", "mapped")
_STANDARD_COLUMNS = {*FEATURE_COLUMNS, "geometry", "goals_extra"}


@dataclass(frozen=True)
class Dataset:
    """A loaded data folder. Frames are shared: copy before changing them."""

    catalog: Catalog
    version: str
    goals: pd.DataFrame
    indicators: pd.DataFrame
    layers: dict[str, gpd.GeoDataFrame]
    presentation: Presentation | None = None

    @functools.cached_property
    def features(self) -> gpd.GeoDataFrame:
        """All thematic features in one frame (mapped or not), in catalog order (built once: copy to change)."""
        frames = [self.layers[spec.id] for spec in self.catalog.thematic_layers]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")

    @property
    def goal_ids(self) -> list[str]:
        return list(self.goals["goal_id"])


def load_dataset(data_dir: Path | str | None = None) -> Dataset:
    """Validate and load ``data_dir`` (default: `default_data_dir`); raise `ValidationError` on any problem."""
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    report, raw = inspect_data_dir(data_dir)
    if raw is None:
        raise ValidationError(report.errors)
    layers = {spec.id: _layer_frame(spec.id, raw.collections[spec.id], spec.thematic)
              for spec in raw.catalog.layers.values()}
    return Dataset(raw.catalog, data_version(data_dir), _typed_goals(raw.goals),
                   _typed_indicators(raw.indicators), layers, raw.presentation)


def _typed_goals(goals: pd.DataFrame) -> pd.DataFrame:
    goals = goals.reset_index(drop=True)
    if "order" in goals:
        goals = goals.assign(order=pd.to_numeric(goals["order"], errors="coerce"))
        goals = goals.sort_values("order", kind="stable").reset_index(drop=True)
    return goals


def _optional_number(text: str) -> float:
    return parse_number(text) if text else float("nan")


def _typed_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    frame = indicators.reset_index().copy()
    for column in ("qualifier", "headline", "counts_layer", "counts_category", "counts_status", "value_text",
                   "unit_en", "period_zh", "baseline_note"):
        if column not in frame:
            frame[column] = ""
    frame["value"] = frame["value"].map(parse_number)
    frame["baseline_value"] = frame["baseline_value"].map(_optional_number)
    for column in ("year", "baseline_year"):
        frame[column] = pd.to_numeric(frame[column].replace("", None), errors="raise").astype("Int64")
    frame["headline"] = frame["headline"].eq("true")
    frame["qualifier"] = frame["qualifier"].replace("", "exact")
    return frame


def _layer_frame(layer_id: str, collection: dict[str, Any], thematic: bool) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame.from_features(collection["features"], crs="EPSG:4326")
    frame.insert(0, "layer", layer_id)
    if not thematic:
        return frame
    defaults: dict[str, Any] = {"name_en": "", "source_quote": "", "location_source": "", "location_note": "",
                                "schematic": False, "outside_district": False}
    for column, default in defaults.items():
        frame[column] = frame[column].fillna(default) if column in frame else default
    extra = frame["goals_extra"] if "goals_extra" in frame else pd.Series([[]] * len(frame), index=frame.index)
    frame["goals"] = [
        [goal, *[g for g in (more if isinstance(more, list) else []) if g != goal]]
        for goal, more in zip(frame["goal"], extra, strict=True)
    ]
    frame["mapped"] = ~(frame.geometry.isna() | frame.geometry.is_empty)
    frame["est_error_m"] = pd.to_numeric(frame["est_error_m"], errors="coerce")
    columns = [*FEATURE_COLUMNS, *[c for c in frame.columns if c not in FEATURE_COLUMNS and c != "geometry"]]
    return frame[[*columns, "geometry"]]


def present(value: Any) -> bool:
    """True for a value worth showing: not None, NaN, "" or an empty list."""
    if isinstance(value, list | tuple):
        return bool(value)
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and value != ""


def extra_properties(row: pd.Series) -> list[tuple[str, Any]]:
    """(column, value) of a feature row's layer-specific properties (beyond `FEATURE_COLUMNS`) that have a value."""
    return [(name, value) for name, value in row.items() if name not in _STANDARD_COLUMNS and present(value)]


def per_version(function: Callable[..., T]) -> Callable[..., T]:
    """Memoise ``function(dataset, *args)`` by the data version and ``args`` (a version is a hash of the files,
    so it names their content); the 64 newest entries are kept. For what every page run would recompute."""
    cache: dict[tuple, T] = {}

    @functools.wraps(function)
    def memoised(dataset: Dataset, *args: Hashable) -> T:
        key = (dataset.version, *args)
        if key not in cache:
            if len(cache) >= 64:
                cache.pop(next(iter(cache)), None)
            cache[key] = function(dataset, *args)
        return cache[key]

    memoised.cache_clear = cache.clear
    return memoised
