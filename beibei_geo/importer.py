"""Importing a layer or table into a data folder: read → convert → validate in staging → diff → atomic replace.

`stage_import` never writes to the data folder: it returns a `StagedImport` with the problems and the changes.
`commit_import` writes it, under the folder's lock, only when nothing changed since staging; `restore_version`
brings back an earlier version's bytes. Every import, rejection, conflict and restore is appended to the audit log.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import tomllib
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely.geometry
from shapely.geometry.polygon import orient

from beibei_geo import history
from beibei_geo.catalog import CATALOG_FILE, Catalog, LayerSpec, data_version, load_catalog
from beibei_geo.coords import gcj02_to_wgs84
from beibei_geo.dataset import Dataset, load_dataset
from beibei_geo.errors import BeibeiGeoError, DataFileError, ImportConflictError, Problem, ValidationError
from beibei_geo.readers import parse_csv_table, parse_json, parse_number
from beibei_geo.validate import check_collection, layer_context, validate_data_dir
from beibei_geo.xlsx import read_xlsx_table

#: Uploads above this size are refused before they are read (matches server.maxUploadSize).
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MODES = ("replace", "append")
CRS_CHOICES = ("wgs84", "gcj02")
LAYER_FORMATS = (".geojson", ".json", ".csv", ".xlsx")
TABLE_FORMATS = (".csv", ".xlsx")
SCENE_FORMATS = (".toml",)
LON_COLUMNS = ("lon", "lng", "longitude", "经度")
LAT_COLUMNS = ("lat", "latitude", "纬度")
#: Properties and columns that are join keys or codes: full-width characters and stray spaces are normalised.
KEY_PROPERTIES = ("id", "goal", "category", "township", "status", "location_precision", "code")
KEY_COLUMNS = ("goal_id", "indicator_id", "goal", "order", "color", "value", "year", "baseline_value",
               "baseline_year", "qualifier", "headline", "counts_layer", "counts_category", "counts_status")
_TRUE, _FALSE = ("true", "是", "yes", "1"), ("false", "否", "no", "0", "")
_WHERE = re.compile(r"^(feature|row) (\d+)")
_NUMBERED = re.compile(r"\b(feature|row) (\d+)\b")


@dataclass(frozen=True)
class ImportOptions:
    """How to read the uploaded file: replace or append, which Excel sheet, which coordinate system."""

    mode: str = "replace"
    sheet: str | None = None
    crs: str = "wgs84"


@dataclass(frozen=True)
class Change:
    """One added, removed or changed feature, row or scene."""

    kind: str
    key: str
    name: str = ""
    fields: tuple[str, ...] = ()


@dataclass
class StagedImport:
    """An import read and checked against a copy of the data folder; nothing written yet."""

    target: str
    file: str
    source: str
    source_sha256: str
    size: int
    base_version: str
    options: ImportOptions
    content: bytes | None = None
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def blocking(self) -> list[Problem]:
        """Errors anywhere, and warnings in the imported file: what stops the import."""
        return [p for p in self.problems
                if p.severity == "error" or (p.severity == "warning" and p.file in (self.source, self.file))]

    @property
    def ok(self) -> bool:
        return self.content is not None and not self.blocking

    def summary(self) -> str:
        if not self.ok:
            rules = sorted({p.rule for p in self.blocking})
            return f"rejected: {len(self.blocking)} problem(s) ({', '.join(rules[:5])})"
        counts = {kind: sum(c.kind == kind for c in self.changes) for kind in ("added", "removed", "changed")}
        return f"{self.file}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())


def import_targets(catalog: Catalog) -> dict[str, str]:
    """Every importable target and its file: thematic layers, then tables, then base layers."""
    return {**{spec.id: spec.file for spec in catalog.thematic_layers}, **catalog.tables,
            **{spec.id: spec.file for spec in catalog.base_layers}}


def stage_import(data_dir: Path | str, target: str, source: str, data: bytes,
                 options: ImportOptions | None = None) -> StagedImport:
    """Read ``data`` (an upload called ``source``) as the new ``target`` and check it; write nothing.

    Raise `CatalogError` when the folder's catalog is broken and `KeyError` for an unknown target.
    """
    data_dir = Path(data_dir)
    options = options or ImportOptions()
    catalog = load_catalog(data_dir)
    file = import_targets(catalog)[target]
    staged = StagedImport(target, file, _display_name(source), history.sha256_hex(data), len(data),
                          data_version(data_dir), options)
    staged.problems = _upload_problems(source, data, target, catalog, options)
    if staged.problems:
        return staged
    try:
        content, labels = _convert(catalog, target, staged.source, data, options)
    except BeibeiGeoError as exc:
        staged.problems = [_relabel(p, staged.source) for p in exc.problems]
        return staged
    staged.problems = _check_in_staging(catalog, file, content, staged.source, labels)
    staged.content = content
    if staged.ok:
        staged.changes = diff(target, catalog, _current_bytes(catalog.path(file)), content)
        if target in catalog.layers and catalog.layers[target].thematic:
            staged.problems += _unjoined_townships(catalog, content, staged.source)
    return staged


def _unjoined_townships(catalog: Catalog, content: bytes, source: str) -> list[Problem]:
    """The other side of the 街镇 join: seats that no feature of the imported layer names (for information)."""
    spec = catalog.layers[catalog.township_layer]
    seats = [feature.get("properties") or {} for feature in parse_json(catalog.path(spec.file).read_bytes(),
                                                                        spec.file)["features"]]
    used = {(feature.get("properties") or {}).get("township") for feature in json.loads(content)["features"]}
    unjoined = [str(seat.get("name")) for seat in seats
                if seat.get("name") not in used and seat.get("code") not in used]
    if not unjoined:
        return []
    return [Problem(source, "-", "unjoined-townships",
                    f"{len(unjoined)} of {len(seats)} 街镇 have no feature in this layer: {', '.join(unjoined)}",
                    "info")]


def _display_name(source: str) -> str:
    """The upload's name as shown in reports and the audit log (control characters removed, ≤ 120 chars)."""
    return "".join(ch for ch in str(source) if unicodedata.category(ch)[0] != "C")[:120] or "upload"


def _upload_problems(source: str, data: bytes, target: str, catalog: Catalog, options: ImportOptions) -> list[Problem]:
    label = _display_name(source)
    name = str(source)
    if "/" in name or "\\" in name or name in ("", ".", "..") or name != label:
        return [Problem(label, "-", "file-name", "the upload name must be a plain file name of at most 120 "
                                                 "characters, without folders, '..' or control characters")]
    if len(data) > MAX_IMPORT_BYTES:
        return [Problem(label, "-", "file-too-large", f"more than {MAX_IMPORT_BYTES // 2**20} MB; "
                                                      "split the data or simplify it before importing")]
    if not data.strip():
        return [Problem(label, "-", "empty-file", "the file is empty")]
    allowed = _formats(target, catalog)
    suffix = Path(name).suffix.lower()
    if suffix not in allowed:
        return [Problem(label, "-", "file-format", f"{suffix or 'no extension'} cannot be imported into "
                                                   f"{target}; allowed: {', '.join(allowed)}")]
    if options.mode not in MODES or options.crs not in CRS_CHOICES:
        return [Problem(label, "-", "bad-option", f"mode must be one of {', '.join(MODES)} and crs one of "
                                                  f"{', '.join(CRS_CHOICES)}")]
    if options.mode == "append" and target == "scenes":
        return [Problem(label, "-", "bad-option", "scenes can only be replaced, not appended")]
    return []


def _formats(target: str, catalog: Catalog) -> tuple[str, ...]:
    if target in catalog.layers:
        return LAYER_FORMATS
    return SCENE_FORMATS if target == "scenes" else TABLE_FORMATS


def _relabel(problem: Problem, source: str) -> Problem:
    return Problem(source, problem.where, problem.rule, problem.message, problem.severity)


def template_table(catalog: Catalog, target: str) -> pd.DataFrame:
    """The current ``target`` as a table to edit in Excel and import back: a table as stored, or a thematic point
    layer with 经度/纬度 columns (``goals_extra`` joined with ``|``). `DataFileError` for anything else."""
    if target in catalog.tables and target != "scenes":
        return parse_csv_table(catalog.path(catalog.tables[target]).read_bytes(), catalog.tables[target])
    spec = catalog.layers.get(target)
    features = parse_json(catalog.path(spec.file).read_bytes(), spec.file)["features"] if spec else []
    if (spec is None or not spec.thematic
            or any((feature.get("geometry") or {}).get("type", "Point") != "Point" for feature in features)):
        raise DataFileError(Problem(target, "-", "file-format", "only the tables and thematic point layers have an "
                                                                "Excel template; edit the others as files"))
    rows = []
    for feature in features:
        properties = dict(feature.get("properties") or {})
        if isinstance(properties.get("goals_extra"), list):
            properties["goals_extra"] = "|".join(properties["goals_extra"])
        coordinates = (feature.get("geometry") or {}).get("coordinates") or ["", ""]
        rows.append({**properties, "经度": coordinates[0], "纬度": coordinates[1]})
    return pd.DataFrame(rows).astype(object).where(lambda frame: frame.notna(), "")


# ---------------------------------------------------------------------------------------------- convert
def _convert(catalog: Catalog, target: str, source: str, data: bytes,
             options: ImportOptions) -> tuple[bytes, dict[int, str]]:
    """The bytes to store for ``target``, and how staged feature/row numbers read in the uploaded file."""
    if target == "scenes":
        return data, {}
    suffix = Path(source).suffix.lower()
    if target in catalog.layers:
        spec = catalog.layers[target]
        if suffix in (".geojson", ".json"):
            collection = parse_json(data, source)
            labels = {n: f"feature {n}" for n in range(1, _feature_count(collection) + 1)}
        else:
            collection, labels = features_from_table(_read_table(source, data, options), spec, source)
        return _layer_content(catalog, spec, source, collection, labels, options)
    frame = _read_table(source, data, options)
    return _table_content(catalog, target, source, frame, options)


def _feature_count(collection: Any) -> int:
    features = collection.get("features") if isinstance(collection, dict) else None
    return len(features) if isinstance(features, list) else 0


def _read_table(source: str, data: bytes, options: ImportOptions) -> pd.DataFrame:
    if Path(source).suffix.lower() == ".xlsx":
        return read_xlsx_table(data, source, options.sheet)
    return parse_csv_table(data, source)


def normalise_key(value: str) -> str:
    """A join key or code as it must be stored: full-width folded (NFKC), no spaces at all."""
    return "".join(unicodedata.normalize("NFKC", value).split())


def features_from_table(frame: pd.DataFrame, spec: LayerSpec, source: str) -> tuple[dict[str, Any], dict[int, str]]:
    """Point features from a table with lon/lat (经度/纬度) columns; other columns become properties."""
    columns = {normalise_key(c).lower(): c for c in frame.columns}
    lon = next((columns[c] for c in LON_COLUMNS if c in columns), None)
    lat = next((columns[c] for c in LAT_COLUMNS if c in columns), None)
    if "Point" not in spec.geometry:
        raise DataFileError(Problem(source, "-", "file-format", f"a table holds points; layer {spec.id} needs "
                                                                f"{'/'.join(spec.geometry)}: import GeoJSON"))
    if lon is None or lat is None:
        raise DataFileError(Problem(source, "row 1", "missing-column",
                                    f"a point table needs a longitude column ({', '.join(LON_COLUMNS)}) and a "
                                    f"latitude column ({', '.join(LAT_COLUMNS)}); found: {', '.join(frame.columns)}"))
    features, labels, problems = [], {}, []
    for number, (row, record) in enumerate(frame.iterrows(), start=1):
        where = f"row {row}"
        labels[number] = where
        properties = {}
        for column, value in record.items():
            if column not in (lon, lat):
                properties[column], problem = _typed_property(column, value, source, where)
                problems += problem
        geometry, problem = _point(record[lon], record[lat], source, where)
        problems += problem
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    if problems:
        raise DataFileError(problems)
    return {"type": "FeatureCollection", "features": features}, labels


def _typed_property(column: str, value: str, source: str, where: str) -> tuple[Any, list[Problem]]:
    if column == "est_error_m":
        if not value:
            return None, []
        try:
            number = parse_number(value)
            return int(number) if number.is_integer() else number, []
        except ValueError as exc:
            return value, [Problem(source, where, "bad-number", f"est_error_m: {exc}")]
    if column == "goals_extra":
        return [normalise_key(g) for g in re.split(r"[|,;，；、]", value) if normalise_key(g)], []
    if column in ("schematic", "outside_district"):
        folded = normalise_key(value).lower()
        if folded in _TRUE or folded in _FALSE:
            return folded in _TRUE, []
        return value, [Problem(source, where, "bad-value", f"{column} {value!r} must be true/false (是/否)")]
    return value, []


def _point(lon_text: str, lat_text: str, source: str, where: str) -> tuple[dict | None, list[Problem]]:
    if not lon_text and not lat_text:
        return None, []
    try:
        lon, lat = parse_number(lon_text), parse_number(lat_text)
    except ValueError as exc:
        return None, [Problem(source, where, "bad-number", f"longitude/latitude: {exc}")]
    return {"type": "Point", "coordinates": [lon, lat]}, []


def _layer_content(catalog: Catalog, spec: LayerSpec, source: str, collection: Any, labels: dict[int, str],
                   options: ImportOptions) -> tuple[bytes, dict[int, str]]:
    collection = _normalised_keys(collection)
    problems = check_collection(spec, collection, layer_context(catalog))
    if problems:
        raise DataFileError([_relabel(_rewhere(p, labels), source) for p in problems])
    features = [_canonical_feature(feature, options.crs) for feature in collection["features"]]
    members = {k: v for k, v in collection.items() if k not in ("type", "features", "crs")}
    if options.mode == "append":
        current = parse_json(_current_bytes(catalog.path(spec.file)) or b'{"features": []}', spec.file)
        existing = current.get("features", []) if isinstance(current, dict) else []
        members = {k: v for k, v in current.items() if k not in ("type", "features", "crs")}
        labels = {**{n: f"existing feature {n}" for n in range(1, len(existing) + 1)},
                  **{len(existing) + n: text for n, text in labels.items()}}
        features = [*existing, *features]
    document = {"type": "FeatureCollection", **members, "features": features}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8"), labels


def _normalised_keys(collection: Any) -> Any:
    """A copy with every feature's join keys and codes normalised (oddly shaped input is left to validation)."""
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        return collection
    normalised = []
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(properties, dict):
            keys = {k: normalise_key(v) for k, v in properties.items() if k in KEY_PROPERTIES and isinstance(v, str)}
            feature = {**feature, "properties": {**properties, **keys}}
        normalised.append(feature)
    return {**collection, "features": normalised}


def _canonical_feature(feature: dict[str, Any], crs: str) -> dict[str, Any]:
    """RFC 7946 form: GCJ-02 undone, rings oriented, coordinates rounded to 6 decimals."""
    result: dict[str, Any] = {"type": "Feature"}
    if "id" in feature:
        result["id"] = feature["id"]
    result["properties"] = dict(feature.get("properties") or {})
    result["geometry"] = _canonical_geometry(feature["geometry"], crs)
    return result


def _canonical_geometry(geometry: dict[str, Any] | None, crs: str) -> dict[str, Any] | None:
    if geometry is None:
        return None
    shape = shapely.geometry.shape(geometry)
    if crs == "gcj02":
        shape = shapely.transform(shape, gcj02_to_wgs84)
    if shape.geom_type == "Polygon":
        shape = orient(shape, sign=1.0)
    elif shape.geom_type == "MultiPolygon":
        shape = shapely.geometry.MultiPolygon([orient(part, sign=1.0) for part in shape.geoms])
    mapped = shapely.geometry.mapping(shape)
    return {"type": mapped["type"], "coordinates": _rounded(mapped["coordinates"])}


def _rounded(coords: Any) -> Any:
    if isinstance(coords[0], int | float | np.floating):
        return [round(float(value), 6) for value in coords]
    return [_rounded(part) for part in coords]


def _table_content(catalog: Catalog, target: str, source: str, frame: pd.DataFrame,
                   options: ImportOptions) -> tuple[bytes, dict[int, str]]:
    frame = frame.copy()
    for column in frame.columns:
        if column in KEY_COLUMNS:
            frame[column] = frame[column].map(normalise_key)
    labels = {staged: f"row {row}" for staged, row in enumerate(frame.index, start=2)}
    if options.mode == "append":
        current = parse_csv_table(_current_bytes(catalog.path(catalog.tables[target])), catalog.tables[target])
        if list(current.columns) != list(frame.columns):
            raise DataFileError(Problem(source, "row 1", "columns-differ",
                                        f"appending needs the same columns as {catalog.tables[target]}: "
                                        f"{', '.join(current.columns)}; got {', '.join(frame.columns)}"))
        labels = {**{n: f"existing row {n}" for n in range(2, len(current) + 2)},
                  **{len(current) + staged: text for staged, text in labels.items()}}
        frame = pd.concat([current, frame], ignore_index=True)
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8"), labels


# ---------------------------------------------------------------------------------------------- staging
def _current_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


@contextmanager
def _staging_folder(catalog: Catalog, file: str, content: bytes) -> Iterator[Path]:
    """A temporary copy of the data files with ``content`` in ``file``."""
    with tempfile.TemporaryDirectory(prefix="beibei-import-") as staging:
        staging_dir = Path(staging)
        names = [CATALOG_FILE, *catalog.tables.values(), *(spec.file for spec in catalog.layers.values())]
        for name in names:
            if catalog.path(name).is_file():
                (staging_dir / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(catalog.path(name), staging_dir / name)
        (staging_dir / file).parent.mkdir(parents=True, exist_ok=True)
        (staging_dir / file).write_bytes(content)
        yield staging_dir


def preview_dataset(data_dir: Path | str, staged: StagedImport) -> Dataset:
    """The data as it will be once ``staged`` (a clean import) is committed, for the preview map."""
    with _staging_folder(load_catalog(data_dir), staged.file, staged.content or b"") as staging_dir:
        return load_dataset(staging_dir)


def _check_in_staging(catalog: Catalog, file: str, content: bytes, source: str,
                      labels: dict[int, str]) -> list[Problem]:
    """Validate the whole folder as it would be with ``content`` in ``file``; name the upload's rows/features."""
    with _staging_folder(catalog, file, content) as staging_dir:
        report = validate_data_dir(staging_dir)
    problems = []
    for problem in report.problems:
        if problem.file == file:
            problem = _rewhere(problem, labels)
            if not problem.where.startswith("existing"):
                problem = _relabel(problem, source)
        else:
            problem = Problem(problem.file, problem.where, problem.rule,
                              f"{problem.message} (after importing {source} into {file})", problem.severity)
        problems.append(problem)
    return problems


def _rewhere(problem: Problem, labels: dict[int, str]) -> Problem:
    """Turn "feature 7 (id x)" / "row 7 (id x)", in the position and the message, into the uploaded file's numbering
    ("existing feature 7" for a feature that was already there before an append)."""
    def relabel(match: re.Match[str]) -> str:
        return labels.get(int(match[2]), match[0])

    where = _WHERE.sub(relabel, problem.where, count=1)
    message = _NUMBERED.sub(relabel, problem.message)
    return Problem(problem.file, where, problem.rule, message, problem.severity)


# ---------------------------------------------------------------------------------------------- diff
def diff(target: str, catalog: Catalog, old: bytes, new: bytes) -> list[Change]:
    """Added, removed and changed features (by id), rows (by their id column) or scenes (by id)."""
    if target in catalog.layers:
        before, after = _features_by_id(old), _features_by_id(new)
    elif target == "scenes":
        before, after = _scenes_by_id(old), _scenes_by_id(new)
    else:
        before, after = _rows_by_id(old), _rows_by_id(new)
    changes = [Change("added", key, _name(after[key])) for key in after if key not in before]
    changes += [Change("removed", key, _name(before[key])) for key in before if key not in after]
    for key in after:
        if key in before and after[key] != before[key]:
            fields = sorted(k for k in {*before[key], *after[key]} if before[key].get(k) != after[key].get(k))
            changes.append(Change("changed", key, _name(after[key]), tuple(fields)))
    return changes


def _name(record: dict[str, Any]) -> str:
    return str(record.get("name") or record.get("name_zh") or record.get("title_zh") or "")


def _features_by_id(content: bytes) -> dict[str, dict[str, Any]]:
    try:
        features = json.loads(content)["features"] if content else []
    except (ValueError, KeyError, TypeError):
        return {}
    records = {}
    for number, feature in enumerate(features, start=1):
        record = {**(feature.get("properties") or {}), "geometry": feature.get("geometry")}
        records[str(record.get("id") or f"#{number}")] = record
    return records


def _rows_by_id(content: bytes) -> dict[str, dict[str, Any]]:
    try:
        frame = parse_csv_table(content, "table")
    except BeibeiGeoError:
        return {}
    key = frame.columns[0]
    return {str(record[key] or f"row {row}"): dict(record) for row, record in frame.iterrows()}


def _scenes_by_id(content: bytes) -> dict[str, dict[str, Any]]:
    try:
        scenes = tomllib.loads(content.decode("utf-8")).get("scene", [])
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return {str(scene.get("id", f"#{n}")): scene for n, scene in enumerate(scenes, start=1) if isinstance(scene, dict)}


# ---------------------------------------------------------------------------------------------- write
def commit_import(data_dir: Path | str, staged: StagedImport, who: str) -> history.AuditEntry:
    """Write a clean staged import atomically and record it as a new version.

    Raise `ImportConflictError` (writing nothing but an audit line) when any data file changed since staging.
    """
    data_dir = Path(data_dir)
    if not staged.ok or staged.content is None:
        raise ValueError("a rejected import cannot be committed")
    with history.locked(data_dir):
        current_version = data_version(data_dir)
        if current_version != staged.base_version:
            history.append_entry(data_dir, _entry("conflict", staged.target, who, staged.file, source=staged.source,
                                                  summary="data changed since the import was staged; nothing written"))
            raise ImportConflictError(Problem(staged.file, "-", "changed-since-staged",
                                              "the data changed since you started (another import or an edit); "
                                              "nothing was changed — retry the import"))
        return _replace(data_dir, staged.target, staged.file, staged.content, who, "import", staged.summary(),
                        source=staged.source)


def record_rejection(data_dir: Path | str, staged: StagedImport, who: str) -> history.AuditEntry:
    """Append a "rejected" line to the audit log (the data files are not touched)."""
    entry = _entry("rejected", staged.target, who, staged.file, summary=staged.summary(), source=staged.source,
                   sha256=staged.source_sha256, size=staged.size)
    history.append_entry(Path(data_dir), entry)
    return entry


def restore_version(data_dir: Path | str, number: int, who: str) -> history.AuditEntry:
    """Bring back version ``number`` byte for byte, as a new version.

    Raise `HistoryError` for an unknown or damaged version and `ValidationError` when the folder would not be valid
    with it (e.g. it names a 街镇 that no longer exists); then nothing is written but an audit line.
    """
    data_dir = Path(data_dir)
    with history.locked(data_dir):
        entry = history.find_version(data_dir, number)
        content = history.read_blob(data_dir, entry)
        catalog = load_catalog(data_dir)
        file = import_targets(catalog).get(entry.target, entry.file)
        problems = [p for p in _check_in_staging(catalog, file, content, file, {}) if p.severity == "error"]
        if problems:
            history.append_entry(data_dir, _entry("restore-rejected", entry.target, who, file,
                                                  summary=f"version {number} would make the data invalid"))
            raise ValidationError(problems)
        return _replace(data_dir, entry.target, file, content, who, "restore", f"restored version {number}",
                        restored_from=number)


def _entry(event: str, target: str, who: str, file: str, **details: Any) -> history.AuditEntry:
    return history.AuditEntry(time=history.now_text(), event=event, target=target, who=_clean_who(who), file=file,
                              **details)


def _clean_who(who: str) -> str:
    return "".join(ch for ch in str(who) if unicodedata.category(ch)[0] != "C").strip()[:100] or "unknown"


def _replace(data_dir: Path, target: str, file: str, content: bytes, who: str, event: str, summary: str,
             **details: Any) -> history.AuditEntry:
    """Record the current file if history does not have it, then replace it (caller holds the lock)."""
    path = data_dir / file
    _record_current(data_dir, target, file)
    digest = history.store_blob(data_dir, content)
    history.remove_orphan_temp_files(path)
    history.write_atomically(path, content)
    entry = _entry(event, target, who, file, summary=summary, version=history.next_version(data_dir),
                   sha256=digest, size=len(content), **details)
    history.append_entry(data_dir, entry)
    return entry


def _record_current(data_dir: Path, target: str, file: str) -> None:
    """Keep the file about to be replaced as a version: the baseline, or a change made outside this tool."""
    current = _current_bytes(data_dir / file)
    if not current:
        return
    latest = history.latest_version(data_dir, target)
    digest = history.sha256_hex(current)
    if latest is not None and latest.sha256 == digest:
        return
    event, summary = (("baseline", "the file before the first import") if latest is None else
                      ("outside-change", "changed outside beibei-geo (an edit, or an import cut off before "
                                         "its audit line)"))
    history.store_blob(data_dir, current)
    history.append_entry(data_dir, _entry(event, target, "unknown" if latest else "beibei-geo", file,
                                          summary=summary, version=history.next_version(data_dir),
                                          sha256=digest, size=len(current)))
