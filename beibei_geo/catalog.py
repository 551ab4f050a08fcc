"""The layer catalog (``data/catalog.toml``): which files exist, their geometry, style and labels."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beibei_geo.errors import CatalogError, Problem

CATALOG_FILE = "catalog.toml"
DATA_DIR_ENV = "BEIBEI_DATA_DIR"
GEOMETRY_FAMILIES = ("Point", "LineString", "Polygon")
LAYER_KINDS = ("base", "thematic")
EXTENTS = ("district", "region")
#: Location precision values of the data contract (DESIGN.md §2); the catalog gives their labels.
PRECISIONS = ("surveyed", "address", "township_seat", "district_seat", "approximate", "unknown")
#: Precisions drawn as hollow, dashed markers ("this place is only roughly here").
APPROXIMATE = ("township_seat", "district_seat", "approximate")
TABLES = ("goals", "indicators")
OPTIONAL_TABLES = ("scenes",)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def default_data_dir() -> Path:
    """The data folder: ``$BEIBEI_DATA_DIR`` if set, else the project's ``data/``."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class LayerSpec:
    """One catalog entry: a GeoJSON file and how to check and draw it."""

    id: str
    kind: str
    file: str
    geometry: tuple[str, ...]
    name_zh: str
    name_en: str
    style: dict[str, Any] = field(default_factory=dict)
    default_goal: str | None = None
    categories: dict[str, dict[str, str]] = field(default_factory=dict)
    popup_fields: tuple[str, ...] = ()
    tooltip_fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    source: str = ""
    extent: str = "district"

    @property
    def thematic(self) -> bool:
        return self.kind == "thematic"

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def category_label(self, category: str, lang: str = "zh") -> str:
        return self.categories.get(category, {}).get(lang, category)


@dataclass(frozen=True)
class Catalog:
    """The whole catalog: layers, table files, the sane coordinate boxes and the vocabularies."""

    data_dir: Path
    layers: dict[str, LayerSpec]
    tables: dict[str, str]
    district_bbox: tuple[float, float, float, float]
    region_bbox: tuple[float, float, float, float]
    status: dict[str, dict[str, str]]
    location_precision: dict[str, dict[str, str]]
    township_layer: str

    @property
    def thematic_layers(self) -> list[LayerSpec]:
        return [spec for spec in self.layers.values() if spec.thematic]

    @property
    def base_layers(self) -> list[LayerSpec]:
        return [spec for spec in self.layers.values() if not spec.thematic]

    def path(self, relative: str) -> Path:
        return self.data_dir / relative


def load_catalog(data_dir: Path | str | None = None) -> Catalog:
    """Read and check ``catalog.toml`` in ``data_dir``; raise `CatalogError` naming every problem."""
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    path = data_dir / CATALOG_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(Problem(CATALOG_FILE, "-", "file-missing", f"no catalog at {path}")) from None
    except UnicodeDecodeError as exc:
        raise CatalogError(Problem(CATALOG_FILE, "-", "encoding", f"not UTF-8 text ({exc.reason})")) from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(Problem(CATALOG_FILE, "-", "toml-syntax", str(exc))) from None
    except OSError as exc:
        raise CatalogError(Problem(CATALOG_FILE, "-", "file-unreadable", exc.strerror or str(exc))) from None
    checker = _CatalogChecker(data_dir)
    catalog = checker.build(raw)
    if checker.problems:
        raise CatalogError(checker.problems)
    return catalog


class _CatalogChecker:
    """Builds a `Catalog` from parsed TOML, collecting every problem instead of stopping at the first."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.problems: list[Problem] = []

    def problem(self, where: str, rule: str, message: str) -> None:
        self.problems.append(Problem(CATALOG_FILE, where, rule, message))

    def table(self, raw: dict, key: str, where: str) -> dict:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            self.problem(where, "catalog-type", f"[{key}] must be a table, got {type(value).__name__}")
            return {}
        return value

    def text(self, raw: dict, key: str, where: str, required: bool = True) -> str:
        value = raw.get(key)
        if value is None:
            if required:
                self.problem(where, "catalog-missing-key", f"'{key}' is required")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(where, "catalog-type", f"'{key}' must be a non-empty string, got {value!r}")
            return ""
        return value

    def strings(self, raw: dict, key: str, where: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(where, "catalog-type", f"'{key}' must be a list of strings, got {value!r}")
            return ()
        return tuple(value)

    def relative_file(self, value: str, where: str) -> str:
        parts = Path(value).parts
        if value and (Path(value).is_absolute() or ".." in parts):
            self.problem(where, "catalog-path", f"file {value!r} must be a relative path inside the data folder")
            return ""
        return value

    def bbox(self, raw: dict, key: str) -> tuple[float, float, float, float]:
        value = raw.get(key)
        ok = (
            isinstance(value, list)
            and len(value) == 4
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            and -180 <= value[0] < value[2] <= 180
            and -90 <= value[1] < value[3] <= 90
        )
        if not ok:
            self.problem(f"area.{key}", "catalog-bbox", f"must be [lon_min, lat_min, lon_max, lat_max], got {value!r}")
            return (-180.0, -90.0, 180.0, 90.0)
        return tuple(float(v) for v in value)  # type: ignore[return-value]

    def labels(self, raw: dict, where: str) -> dict[str, dict[str, str]]:
        labels: dict[str, dict[str, str]] = {}
        for key, value in raw.items():
            if not (isinstance(value, dict) and isinstance(value.get("zh"), str) and isinstance(value.get("en"), str)):
                self.problem(f"{where}.{key}", "catalog-label", 'needs { zh = "...", en = "..." }')
                continue
            labels[key] = {"zh": value["zh"], "en": value["en"]}
        return labels

    def build(self, raw: dict) -> Catalog:
        tables = {}
        raw_tables = self.table(raw, "tables", "tables")
        for name in TABLES:
            tables[name] = self.relative_file(self.text(raw_tables, name, f"tables.{name}"), f"tables.{name}")
        for name in OPTIONAL_TABLES:
            if name in raw_tables:
                tables[name] = self.relative_file(self.text(raw_tables, name, f"tables.{name}"), f"tables.{name}")
        area = self.table(raw, "area", "area")
        vocab = self.table(raw, "vocab", "vocab")
        status = self.labels(self.table(vocab, "status", "vocab.status"), "vocab.status")
        if not status:
            self.problem("vocab.status", "catalog-missing-key", "declare at least one status value")
        precision = self.labels(self.table(vocab, "location_precision", "vocab.location_precision"),
                                "vocab.location_precision")
        if sorted(precision) != sorted(PRECISIONS):
            self.problem("vocab.location_precision", "catalog-vocab",
                         f"must label exactly {', '.join(PRECISIONS)}; got {', '.join(precision) or 'none'}")
        layers = {}
        for layer_id, entry in self.table(raw, "layers", "layers").items():
            spec = self.layer(layer_id, entry)
            if spec is not None:
                layers[layer_id] = spec
        if not any(spec.thematic for spec in layers.values()):
            self.problem("layers", "catalog-missing-key", "declare at least one thematic layer")
        township_layer = self.text(area, "township_layer", "area")
        if township_layer and township_layer not in layers:
            self.problem("area", "catalog-layer-id",
                         f"township_layer {township_layer!r} is not a declared layer: {', '.join(layers)}")
        return Catalog(self.data_dir, layers, tables, self.bbox(area, "district_bbox"),
                       self.bbox(area, "region_bbox"), status, precision, township_layer)

    def layer(self, layer_id: str, entry: Any) -> LayerSpec | None:
        where = f"layers.{layer_id}"
        if not _ID.match(layer_id):
            self.problem(where, "catalog-layer-id", "layer ids are lowercase ascii letters, digits and _")
        if not isinstance(entry, dict):
            self.problem(where, "catalog-type", "each layer must be a table")
            return None
        kind = self.text(entry, "kind", where)
        if kind and kind not in LAYER_KINDS:
            self.problem(where, "catalog-kind", f"kind {kind!r} is not one of: {', '.join(LAYER_KINDS)}")
        geometry = self.strings(entry, "geometry", where)
        bad = [g for g in geometry if g not in GEOMETRY_FAMILIES]
        if not geometry or bad:
            self.problem(where, "catalog-geometry",
                         f"geometry must list some of {', '.join(GEOMETRY_FAMILIES)}; got {list(geometry)}")
        style = entry.get("style", {})
        if not isinstance(style, dict):
            self.problem(where, "catalog-type", "style must be a table")
            style = {}
        extent = self.text(entry, "extent", where, required=False) or "district"
        if extent not in EXTENTS:
            self.problem(where, "catalog-extent", f"extent {extent!r} is not one of: {', '.join(EXTENTS)}")
        categories = self.labels(self.table(entry, "categories", where), f"{where}.categories")
        if kind == "thematic" and not categories:
            self.problem(where, "catalog-missing-key", "a thematic layer needs [layers.<id>.categories]")
        return LayerSpec(
            id=layer_id,
            kind=kind,
            file=self.relative_file(self.text(entry, "file", where), where),
            geometry=geometry,
            name_zh=self.text(entry, "name_zh", where),
            name_en=self.text(entry, "name_en", where),
            style=style,
            default_goal=self.text(entry, "default_goal", where, required=kind == "thematic") or None,
            categories=categories,
            popup_fields=self.strings(entry, "popup_fields", where),
            tooltip_fields=self.strings(entry, "tooltip_fields", where),
            required=self.strings(entry, "required", where),
            source=self.text(entry, "source", where, required=False),
            extent=extent,
        )


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


#: The last hash of each folder, with the files' (inode, size, mtime) it was computed from.
_VERSIONS: dict[Path, tuple[tuple[object, ...], str]] = {}


def data_version(data_dir: Path | str | None = None) -> str:
    """A short hash of every file the catalog names (and the catalog): changes when any of them changes.

    The bytes are hashed again only when a file's inode, size or modification time changed (every page run
    asks, and large layers take a while to hash); an import's ``os.replace`` always gives a new inode.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    catalog_stamp = _file_stamp(data_dir / CATALOG_FILE)
    cached = _VERSIONS.get(data_dir)
    if cached and cached[0][0] == catalog_stamp:
        names = cached[0][1::2]
        if tuple(_file_stamp(data_dir / name) for name in names) == cached[0][2::2]:
            return cached[1]
    names = [CATALOG_FILE]
    try:
        catalog = load_catalog(data_dir)
        names += [*catalog.tables.values(), *(spec.file for spec in catalog.layers.values())]
    except CatalogError:
        names = [CATALOG_FILE]  # a broken catalog still has a version: its own bytes
    digest = hashlib.sha256()
    stamps: list[object] = [catalog_stamp]
    for name in names[1:]:
        stamps += [name, _file_stamp(data_dir / name)]
    for name in names:
        path = data_dir / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    version = digest.hexdigest()[:12]
    _VERSIONS[data_dir] = (tuple(stamps), version)
    return version
