"""Validation of a data folder against the data contract (DESIGN.md §2 and §5).

Every check returns `Problem` records instead of raising, so one run reports everything wrong at once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import shapely.geometry
from shapely.validation import explain_validity

from beibei_geo.catalog import CATALOG_FILE, PRECISIONS, Catalog, LayerSpec, load_catalog
from beibei_geo.errors import BeibeiGeoError, Problem
from beibei_geo.readers import is_finite_number, parse_number, read_csv_table, read_json
from beibei_geo.scenes import Presentation, SceneContext, read_scenes

#: The eight goals of the data contract; their ids appear in URLs and must not change.
GOAL_IDS = ("business", "innovation", "twin_city", "rural", "park_city", "governance", "green", "culture_tourism")
THEMATIC_REQUIRED = ("id", "name", "goal", "category", "township", "status", "description", "source",
                     "location_precision", "est_error_m")
GOAL_COLUMNS = ("goal_id", "name_zh", "name_en", "color")
INDICATOR_COLUMNS = ("indicator_id", "goal", "name_zh", "name_en", "value", "unit", "year",
                     "baseline_value", "baseline_year", "area", "quote")
QUALIFIERS = ("exact", "more_than")
BOOLEANS = ("true", "false")
GEOMETRY_TYPES = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
                  "MultiPolygon": 3}
WGS84_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326",
               "urn:ogc:def:crs:EPSG::4326")
_FEATURE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_INDICATOR_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?]|javascript\s*:", re.IGNORECASE)
_SIGNED_NUMBER = re.compile(r"^[+-]\s*[\d.,]")


@dataclass
class RawData:
    """What a data folder holds once read: catalog, tables as text, layers as parsed GeoJSON."""

    catalog: Catalog
    goals: pd.DataFrame
    indicators: pd.DataFrame
    collections: dict[str, dict[str, Any]]
    presentation: Presentation | None


@dataclass
class Report:
    """The outcome of validating one data folder."""

    data_dir: Path
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    features: dict[str, int] = field(default_factory=dict)
    indicators: int = 0

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop the data from loading."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        checked = (f"{len(self.files)} files, {sum(self.features.values())} features in "
                   f"{len(self.features)} layers, {self.indicators} indicators")
        warnings = len(self.problems) - len(self.errors)
        if self.ok:
            return f"OK: {checked}" + (f"; {warnings} warning(s)" if warnings else "")
        bad_files = len({p.file for p in self.errors})
        return (f"{len(self.errors)} problem(s) in {bad_files} file(s)" + (f" and {warnings} warning(s)" if warnings
                                                                           else "") + f"; checked {checked}")

    def to_dict(self) -> dict[str, Any]:
        return {"data_dir": str(self.data_dir), "ok": self.ok, "summary": self.summary(),
                "files": self.files, "features": self.features, "indicators": self.indicators,
                "problems": [p.to_dict() for p in self.problems]}


def validate_data_dir(data_dir: Path | str) -> Report:
    """Read and check every file the catalog in ``data_dir`` names."""
    return inspect_data_dir(data_dir)[0]


def inspect_data_dir(data_dir: Path | str) -> tuple[Report, RawData | None]:
    """Validate ``data_dir``; also return the parsed data when nothing is wrong."""
    report = Report(Path(data_dir))
    try:
        catalog = load_catalog(data_dir)
    except BeibeiGeoError as exc:
        report.problems.extend(exc.problems)
        return report, None
    report.files.append(CATALOG_FILE)

    goals = _read_table(catalog, "goals", report)
    if goals is not None:
        report.problems.extend(check_goals(goals, catalog.tables["goals"]))
    goal_ids = set(GOAL_IDS) if goals is None or "goal_id" not in goals else set(goals["goal_id"])
    for spec in catalog.thematic_layers:
        if spec.default_goal not in goal_ids:
            report.problems.append(Problem(CATALOG_FILE, f"layers.{spec.id}", "unknown-goal",
                                           f"default_goal {spec.default_goal!r} is not one of: "
                                           f"{', '.join(sorted(goal_ids))}"))

    collections: dict[str, dict[str, Any]] = {}
    for spec in catalog.layers.values():
        try:
            collections[spec.id] = read_json(catalog.path(spec.file), spec.file)
        except BeibeiGeoError as exc:
            report.problems.extend(exc.problems)
        report.files.append(spec.file)
    township_fc = collections.get(catalog.township_layer)
    # No names at all means the township file is broken (reported there): skip the check, not blame every feature.
    townships = (_township_names(township_fc) if township_fc else set()) or None
    context = LayerContext(catalog, goal_ids, townships)
    for layer_id, collection in collections.items():
        spec = catalog.layers[layer_id]
        problems = check_collection(spec, collection, context)
        report.problems.extend(problems)
        if not any(p.severity == "error" for p in problems):
            report.features[layer_id] = len(collection["features"])

    indicators = _read_table(catalog, "indicators", report)
    if indicators is not None:
        report.problems.extend(check_indicators(indicators, catalog.tables["indicators"], goal_ids, catalog))
        report.indicators = len(indicators)
    presentation = _read_presentation(catalog, goal_ids, collections, indicators, report)
    if not report.ok or goals is None or indicators is None:
        return report, None
    return report, RawData(catalog, goals, indicators, collections, presentation)


def _read_presentation(catalog: Catalog, goal_ids: set[str], collections: dict[str, Any],
                       indicators: pd.DataFrame | None, report: Report) -> Presentation | None:
    label = catalog.tables.get("scenes")
    if label is None:
        return None
    report.files.append(label)
    features = {
        str(feature["properties"].get("id"))
        for spec in catalog.thematic_layers
        for feature in _feature_list(collections.get(spec.id))
        if isinstance(feature, dict) and isinstance(feature.get("properties"), dict)
    }
    has_ids = indicators is not None and "indicator_id" in indicators
    indicator_ids = set(indicators["indicator_id"]) if has_ids else set()
    context = SceneContext(goal_ids, {spec.id for spec in catalog.thematic_layers}, features, indicator_ids)
    presentation = read_scenes(catalog.path(label), label, context)
    report.problems.extend(presentation.problems)
    return presentation


def _read_table(catalog: Catalog, name: str, report: Report) -> pd.DataFrame | None:
    label = catalog.tables[name]
    report.files.append(label)
    try:
        return read_csv_table(catalog.path(label), label)
    except BeibeiGeoError as exc:
        report.problems.extend(exc.problems)
        return None


def _feature_list(collection: Any) -> list[Any]:
    """The ``features`` list of a parsed file, or [] when the file is not shaped like a FeatureCollection."""
    features = collection.get("features") if isinstance(collection, dict) else None
    return features if isinstance(features, list) else []


def _township_names(collection: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for feature in _feature_list(collection):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(props, dict):
            names.update(str(props[key]) for key in ("name", "code") if props.get(key))
    return names


# ---------------------------------------------------------------------------------------------- text
def check_text(value: str, field_name: str, where: str, label: str) -> list[Problem]:
    """Plain-text rules for every text cell and property: no HTML markup, no spreadsheet formula.

    They are warnings: the app escapes and neutralises such text, so the data still loads, but an import refuses it.
    """
    markup = _MARKUP.search(value)
    if markup:
        found = value[markup.start():markup.start() + 24]
        return [Problem(label, where, "markup", f"{field_name} contains markup or a script ({found!r}); "
                                               "text fields must be plain text", "warning")]
    stripped = value.lstrip()
    if stripped[:1] in ("=", "@") or (stripped[:1] in ("+", "-") and not _SIGNED_NUMBER.match(stripped)
                                      and len(stripped) > 1):
        return [Problem(label, where, "formula-text", f"{field_name} {value[:40]!r} starts like a spreadsheet "
                                                     "formula; tables and layers hold values, not formulas",
                        "warning")]
    return []


def _check_cells(record: pd.Series, where: str, label: str) -> list[Problem]:
    return [problem for column, value in record.items() if isinstance(value, str)
            for problem in check_text(value, str(column), where, label)]


# ---------------------------------------------------------------------------------------------- tables
def _missing_columns(frame: pd.DataFrame, required: tuple[str, ...], label: str) -> list[Problem]:
    missing = [c for c in required if c not in frame.columns]
    if not missing:
        return []
    return [Problem(label, "row 1", "missing-column",
                    f"missing {', '.join(missing)}; required columns: {', '.join(required)}")]


def check_goals(goals: pd.DataFrame, label: str) -> list[Problem]:
    """Check the goals table: the eight contract ids, names, and #RRGGBB colours."""
    problems = _missing_columns(goals, GOAL_COLUMNS, label)
    if problems:
        return problems
    seen: set[str] = set()
    for row, record in goals.iterrows():
        where = f"row {row} ({record['goal_id'] or 'no id'})"
        problems += _check_cells(record, where, label)
        if record["goal_id"] in seen:
            problems.append(Problem(label, where, "duplicate-id", f"goal_id {record['goal_id']!r} appears twice"))
        seen.add(record["goal_id"])
        for column in ("name_zh", "name_en"):
            if not record[column]:
                problems.append(Problem(label, where, "missing-value", f"{column} is empty"))
        if not _COLOR.match(record["color"]):
            problems.append(Problem(label, where, "bad-color", f"color {record['color']!r} is not #RRGGBB"))
    missing = [g for g in GOAL_IDS if g not in seen]
    extra = sorted(seen - set(GOAL_IDS))
    if missing or extra:
        problems.append(Problem(label, "-", "goal-set",
                                f"goal ids must be exactly: {', '.join(GOAL_IDS)}"
                                + (f"; missing: {', '.join(missing)}" if missing else "")
                                + (f"; unknown: {', '.join(extra)}" if extra else "")))
    return problems


def _check_number(value: str, column: str, where: str, label: str, required: bool) -> list[Problem]:
    if not value:
        return [Problem(label, where, "missing-value", f"{column} is empty")] if required else []
    try:
        parse_number(value)
    except ValueError as exc:
        return [Problem(label, where, "bad-number", f"{column}: {exc}")]
    return []


def _check_year(value: str, column: str, where: str, label: str) -> list[Problem]:
    if value and not (value.isascii() and value.isdigit() and 1949 <= int(value) <= 2100):
        return [Problem(label, where, "bad-year", f"{column} {value!r} is not a year between 1949 and 2100")]
    return []


def _check_choice(value: str, column: str, allowed: tuple[str, ...] | list[str], rule: str, where: str,
                  label: str) -> list[Problem]:
    if value and value not in allowed:
        return [Problem(label, where, rule, f"{column} {value!r} is not one of: {', '.join(allowed)}")]
    return []


def check_indicators(indicators: pd.DataFrame, label: str, goal_ids: set[str], catalog: Catalog) -> list[Problem]:
    """Check the indicators table: ids, goals, numbers, years and the links to counted layers."""
    problems = _missing_columns(indicators, INDICATOR_COLUMNS, label)
    if problems:
        return problems
    thematic = {spec.id: spec for spec in catalog.thematic_layers}
    seen: dict[str, int] = {}
    for row, record in indicators.iterrows():
        get = _optional_cell(record)
        where = f"row {row} ({record['indicator_id'] or 'no id'})"
        problems += _check_cells(record, where, label)
        if not _INDICATOR_ID.match(record["indicator_id"]):
            problems.append(Problem(label, where, "bad-id",
                                    f"indicator_id {record['indicator_id']!r} must be lowercase ascii, digits, _"))
        elif record["indicator_id"] in seen:
            problems.append(Problem(label, where, "duplicate-id", f"indicator_id {record['indicator_id']!r} is also "
                                                                  f"used by row {seen[record['indicator_id']]}"))
        seen.setdefault(record["indicator_id"], row)
        problems += _check_choice(record["goal"], "goal", sorted(goal_ids), "unknown-goal", where, label)
        if not record["goal"]:
            problems.append(Problem(label, where, "unknown-goal", "goal is empty"))
        for column in ("name_zh", "unit", "quote"):
            if not record[column]:
                problems.append(Problem(label, where, "missing-value", f"{column} is empty"))
        problems += _check_number(record["value"], "value", where, label, required=True)
        problems += _check_number(record["baseline_value"], "baseline_value", where, label, required=False)
        problems += _check_year(record["year"], "year", where, label)
        problems += _check_year(record["baseline_year"], "baseline_year", where, label)
        problems += _check_choice(get("qualifier"), "qualifier", QUALIFIERS, "bad-value", where, label)
        problems += _check_choice(get("headline"), "headline", BOOLEANS, "bad-value", where, label)
        problems += _check_counts_link(get("counts_layer"), get("counts_category"), get("counts_status"),
                                       thematic, catalog, where, label)
    return problems


def _optional_cell(record: pd.Series):
    """A reader of ``record`` that gives "" for a column the table does not have."""
    return lambda column: record.get(column, "") or ""


def _check_counts_link(layer_id: str, categories: str, status: str, thematic: dict[str, LayerSpec],
                       catalog: Catalog, where: str, label: str) -> list[Problem]:
    if not layer_id:
        if categories or status:
            return [Problem(label, where, "missing-value", "counts_category/counts_status need counts_layer")]
        return []
    if layer_id not in thematic:
        return [Problem(label, where, "unknown-layer",
                        f"counts_layer {layer_id!r} is not one of: {', '.join(thematic)}")]
    problems = []
    allowed = list(thematic[layer_id].categories)
    for category in filter(None, categories.split("|")):
        problems += _check_choice(category, "counts_category", allowed, "unknown-category", where, label)
    problems += _check_choice(status, "counts_status", list(catalog.status), "unknown-status", where, label)
    return problems


# ---------------------------------------------------------------------------------------------- layers
@dataclass(frozen=True)
class LayerContext:
    """What a layer is checked against: the catalog, the goal ids and the 街镇 names/codes (None: unknown)."""

    catalog: Catalog
    goal_ids: set[str]
    townships: set[str] | None


def layer_context(catalog: Catalog) -> LayerContext:
    """The context of the data folder ``catalog`` belongs to, read leniently (a broken file gives defaults)."""
    try:
        goal_ids = set(read_csv_table(catalog.path(catalog.tables["goals"]), "goals")["goal_id"])
    except (BeibeiGeoError, KeyError):
        goal_ids = set(GOAL_IDS)
    try:
        spec = catalog.layers[catalog.township_layer]
        townships = _township_names(read_json(catalog.path(spec.file), spec.file)) or None
    except (BeibeiGeoError, KeyError):
        townships = None
    return LayerContext(catalog, goal_ids, townships)


def check_collection(spec: LayerSpec, collection: Any, context: LayerContext) -> list[Problem]:
    """Check one parsed GeoJSON file against its catalog entry and the data contract."""
    label = spec.file
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        got = collection.get("type") if isinstance(collection, dict) else type(collection).__name__
        return [Problem(label, "-", "not-feature-collection", f"top level must be a FeatureCollection, got {got!r}")]
    problems = _check_crs_member(collection, label)
    features = collection.get("features")
    if not isinstance(features, list):
        return [*problems, Problem(label, "-", "not-feature-collection", "'features' must be a list")]
    if not features:
        return [*problems, Problem(label, "-", "empty-collection", "the collection has no features")]
    families: Counter[str] = Counter()
    ids: dict[str, int] = {}
    for number, feature in enumerate(features, start=1):
        problems += _check_feature(spec, feature, number, context, families, ids)
    if len(families) > 1:
        counts = ", ".join(f"{family} ×{n}" for family, n in families.items())
        problems.append(Problem(label, "-", "mixed-geometry", f"one geometry family per layer; found {counts}"))
    return problems


def _check_crs_member(collection: dict[str, Any], label: str) -> list[Problem]:
    crs = collection.get("crs")
    if crs is None:
        return []
    crs_props = crs.get("properties") if isinstance(crs, dict) else None
    name = crs_props.get("name") if isinstance(crs_props, dict) else None
    if isinstance(name, str) and name in WGS84_NAMES:
        return []
    return [Problem(label, "-", "crs", f"crs {name or crs!r} is not WGS-84; GeoJSON data must be lon/lat WGS-84 "
                                       "(convert it, e.g. from a projected CRS, before importing)")]


def _feature_where(number: int, props: dict[str, Any]) -> str:
    feature_id = props.get("id")
    return f"feature {number}" + (f" (id {feature_id})" if isinstance(feature_id, str | int) else "")


def _check_feature(spec: LayerSpec, feature: Any, number: int, context: LayerContext,
                   families: Counter[str], ids: dict[str, int]) -> list[Problem]:
    label = spec.file
    if not isinstance(feature, dict) or feature.get("type") != "Feature" or "geometry" not in feature:
        return [Problem(label, f"feature {number}", "feature-structure",
                        "each item of 'features' must be an object with type 'Feature' and a 'geometry'")]
    props = feature.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        return [Problem(label, f"feature {number}", "feature-structure", "'properties' must be an object or null")]
    where = _feature_where(number, props)
    problems = [Problem(label, where, "missing-property", f"property {name!r} is required")
                for name in (THEMATIC_REQUIRED if spec.thematic else spec.required) if name not in props]
    problems += _check_id(props, where, label, ids, number)
    problems += [problem for name, value in props.items() if isinstance(value, str)
                 for problem in check_text(value, name, where, label)]
    problems += _check_location(spec, feature["geometry"], props, where, context, families)
    if spec.thematic:
        problems += _check_thematic_properties(spec, props, where, context)
    return problems


def _check_id(props: dict[str, Any], where: str, label: str, ids: dict[str, int], number: int) -> list[Problem]:
    if "id" not in props:
        return []
    feature_id = props["id"]
    if not isinstance(feature_id, str) or not _FEATURE_ID.match(feature_id):
        return [Problem(label, where, "bad-id", f"id {feature_id!r} must be text of letters, digits, '_', '-', '.'")]
    if feature_id in ids:
        return [Problem(label, where, "duplicate-id", f"id {feature_id!r} is also used by feature {ids[feature_id]}")]
    ids[feature_id] = number
    return []


def _is_one_of(value: Any, allowed: set[str] | dict[str, Any]) -> bool:
    """True when ``value`` is text and one of ``allowed`` (a list or an object never is, and never raises)."""
    return isinstance(value, str) and value in allowed


def _check_thematic_properties(spec: LayerSpec, props: dict[str, Any], where: str,
                               context: LayerContext) -> list[Problem]:
    label = spec.file
    problems = []
    for name in ("name", "source"):
        if name in props and (not isinstance(props[name], str) or not props[name].strip()):
            problems.append(Problem(label, where, "missing-value", f"{name} must be non-empty text"))
    for name in ("description", "township", "name_en", "source_quote"):
        if props.get(name) is not None and not isinstance(props[name], str):
            problems.append(Problem(label, where, "bad-type", f"{name} must be text, got {props[name]!r}"))
    goals = sorted(context.goal_ids)
    if "goal" in props and not _is_one_of(props["goal"], context.goal_ids):
        problems.append(Problem(label, where, "unknown-goal",
                                f"goal {props['goal']!r} is not one of: {', '.join(goals)}"))
    extra = props.get("goals_extra", [])
    if not isinstance(extra, list):
        problems.append(Problem(label, where, "bad-type", f"goals_extra must be a list of goal ids, got {extra!r}"))
    else:
        problems += [Problem(label, where, "unknown-goal", f"goals_extra {g!r} is not one of: {', '.join(goals)}")
                     for g in extra if not _is_one_of(g, context.goal_ids)]
    if "category" in props and not _is_one_of(props["category"], spec.categories):
        problems.append(Problem(label, where, "unknown-category",
                                f"category {props['category']!r} is not one of: {', '.join(spec.categories)}"))
    if "status" in props and not _is_one_of(props["status"], context.catalog.status):
        problems.append(Problem(label, where, "unknown-status",
                                f"status {props['status']!r} is not one of: {', '.join(context.catalog.status)}"))
    township = props.get("township")
    if isinstance(township, str) and township and context.townships is not None and township not in context.townships:
        close = sorted((name for name in context.townships if township in name or name in township), key=len)
        problems.append(Problem(label, where, "unknown-township",
                                f"township {township!r} is not a 街镇 name or code of the "
                                f"{context.catalog.township_layer} layer (or empty)"
                                + (f"; did you mean {close[0]!r}?" if close else "")))
    for name in ("schematic", "outside_district"):
        if name in props and not isinstance(props[name], bool):
            problems.append(Problem(label, where, "bad-type", f"{name} must be true or false, got {props[name]!r}"))
    return problems


def _check_location(spec: LayerSpec, geometry: Any, props: dict[str, Any], where: str, context: LayerContext,
                    families: Counter[str]) -> list[Problem]:
    label = spec.file
    precision = props.get("location_precision")
    problems = []
    if "location_precision" in props and precision not in PRECISIONS:
        problems.append(Problem(label, where, "unknown-precision",
                                f"location_precision {precision!r} is not one of: {', '.join(PRECISIONS)}"))
    if "est_error_m" in props:
        error = props["est_error_m"]
        if precision == "unknown" and error is not None:
            problems.append(Problem(label, where, "est-error", "est_error_m must be null when the location is unknown"))
        elif precision != "unknown" and not (is_finite_number(error) and error >= 0):
            problems.append(Problem(label, where, "est-error",
                                    f"est_error_m must be a number ≥ 0 (metres), got {error!r}"))
    if geometry is None:
        if precision != "unknown":
            problems.append(Problem(label, where, "null-geometry",
                                    f"geometry is null but location_precision is {precision!r}; "
                                    "a place without a location must say location_precision = unknown"))
        return problems
    if precision == "unknown":
        problems.append(Problem(label, where, "unknown-location-plotted",
                                "location_precision is unknown but the feature has a geometry; "
                                "set its precision or make the geometry null"))
    return problems + _check_geometry(spec, geometry, props, where, context, families)


def _check_geometry(spec: LayerSpec, geometry: Any, props: dict[str, Any], where: str, context: LayerContext,
                    families: Counter[str]) -> list[Problem]:
    label = spec.file
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if not isinstance(kind, str) or kind not in GEOMETRY_TYPES:
        return [Problem(label, where, "geometry-type",
                        f"geometry type {kind!r} is not one of: {', '.join(GEOMETRY_TYPES)}")]
    family = kind.removeprefix("Multi")
    families[family] += 1
    if family not in spec.geometry:
        return [Problem(label, where, "geometry-type",
                        f"{kind} is not allowed in this layer; allowed: {', '.join(spec.geometry)} (and Multi*)")]
    positions: list[list[float]] = []
    shape_problem = _collect_positions(geometry.get("coordinates"), GEOMETRY_TYPES[kind], positions)
    if shape_problem:
        return [Problem(label, where, "coordinates-structure", f"{kind} coordinates: {shape_problem}")]
    outside = spec.extent == "region" or props.get("outside_district") is True
    problems = _check_positions(positions, outside, where, label, context.catalog)
    if problems:
        return problems
    return _check_shape(kind, geometry["coordinates"], where, label)


def _collect_positions(coords: Any, depth: int, out: list[list[float]]) -> str | None:
    """Walk nested coordinate arrays ``depth`` levels deep; return a problem description or None."""
    if depth == 0:
        if not isinstance(coords, list) or len(coords) not in (2, 3):
            return f"a position must be [lon, lat], got {coords!r}"[:160]
        if not all(is_finite_number(v) for v in coords):
            return f"position {repr(coords)[:100]} has a value that is not a finite number"
        out.append(coords)
        return None
    if not isinstance(coords, list) or not coords:
        return "expected a non-empty array"
    for item in coords:
        problem = _collect_positions(item, depth - 1, out)
        if problem:
            return problem
    return None


def _check_positions(positions: list[list[float]], outside: bool, where: str, label: str,
                     catalog: Catalog) -> list[Problem]:
    box = catalog.region_bbox if outside else catalog.district_bbox
    for lon, lat, *_ in positions:
        if box[0] <= lon <= box[2] and box[1] <= lat <= box[3]:
            continue
        if box[0] <= lat <= box[2] and box[1] <= lon <= box[3]:
            hint = "lat/lon look swapped: GeoJSON order is [lon, lat]"
        elif abs(lon) > 180 or abs(lat) > 90:
            hint = "looks like projected metres: convert to WGS-84 lon/lat"
        else:
            hint = ("outside the region box" if outside else
                    "outside the district box; set outside_district = true for a place beyond Beibei")
        name = "region_bbox" if outside else "district_bbox"
        return [Problem(label, where, "coordinates-out-of-area",
                        f"position [{lon}, {lat}] is not inside {name} {list(box)}: {hint}")]
    return []


def _check_shape(kind: str, coords: Any, where: str, label: str) -> list[Problem]:
    if kind in ("LineString", "MultiLineString"):
        lines = [coords] if kind == "LineString" else coords
        if any(len(line) < 2 for line in lines):
            return [Problem(label, where, "coordinates-structure", "a line needs at least 2 positions")]
    if kind in ("Polygon", "MultiPolygon"):
        for ring in [ring for polygon in ([coords] if kind == "Polygon" else coords) for ring in polygon]:
            if len(ring) < 4:
                return [Problem(label, where, "ring-too-short", f"a ring needs ≥ 4 positions, got {len(ring)}")]
            if ring[0] != ring[-1]:
                return [Problem(label, where, "ring-not-closed",
                                f"first position {ring[0]} differs from last {ring[-1]}")]
    geometry = shapely.geometry.shape({"type": kind, "coordinates": coords})
    if not geometry.is_valid:
        return [Problem(label, where, "geometry-invalid", explain_validity(geometry))]
    return []
