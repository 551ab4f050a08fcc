"""The map files, and the WebGL map for many lines or polygons (deck.gl, Streamlit's built-in ``st.pydeck_chart``).

`write_files` writes, once per data version, into the app's static folder: each layer part's slim JSON rows and
popup details, and the base layers (as rows for deck.gl, as display GeoJSON for folium). Both maps fetch them by
URL, once per browser. A deck.gl spec names them by URL, so a filter change sends only a few kB: which layers are
visible and one filter expression that deck.gl evaluates on the rows it already has. No basemap is loaded
(``map_provider=None``): the district outline, neighbours and 街镇 seats are layers of their own, so the map works
offline.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pydeck as pdk

from beibei_geo.catalog import APPROXIMATE, PRECISIONS
from beibei_geo.dataset import Dataset, extra_properties, present
from beibei_geo.filters import Selection
from beibei_geo.join import township_names

#: More features than this that folium would draw one by one, and the map is drawn with WebGL (`mapview.use_webgl`).
WEBGL_THRESHOLD = 3000
#: Features of a text search are sent inline (the GPU filter cannot search text); at most this many.
MAX_INLINE = 2000
WEBGL_URL = "/app/static/webgl"
_DISPLAY_DECIMALS = 5  # about 1 m: enough to draw, and smaller files
_SIMPLIFY_DEGREES = 0.00005  # about 5 m: outlines are simplified for display only, never in the data


#: Rows per popup-details file: a click fetches only the file holding its row (50k points: 8 MB in all).
DETAILS_CHUNK = 1000


@dataclass(frozen=True)
class WebglFiles:
    """The URLs of one data version's files: per thematic layer (exact, approximate) the rows and the popup
    details (a list aligned with the rows, see `detail_rows`, in files of `DETAILS_CHUNK` rows: the URL's
    ``{chunk}`` is row // DETAILS_CHUNK), and the base layers."""

    version: str
    layers: dict[str, dict[str, str]]
    base: dict[str, str]
    base_geojson: dict[str, str]  # the base layers for the folium map
    details: dict[str, dict[str, str]]
    details_chunk: int


def _rgb(color: str, alpha: int = 255) -> list[int]:
    return [int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), alpha]


def _rounded(coords: Any) -> Any:
    if isinstance(coords[0], int | float):
        return [round(float(value), _DISPLAY_DECIMALS) for value in coords[:2]]
    return [_rounded(part) for part in coords]


def display_geojson(frame: pd.DataFrame) -> dict[str, Any]:
    """A FeatureCollection of ``frame``'s names and geometries, simplified and rounded for display only."""
    shapes = [geometry.simplify(_SIMPLIFY_DEGREES).__geo_interface__ for geometry in frame.geometry]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name},
         "geometry": {"type": shape["type"], "coordinates": _rounded(shape["coordinates"])}}
        for name, shape in zip(frame["name"], shapes, strict=True)]}


def geometry_parts(geometry: Any) -> list[Any]:
    """The parts of a (multi-part) geometry: each gives one row."""
    return list(getattr(geometry, "geoms", [geometry]))


def _shape_rows(geometry: Any) -> list[dict[str, Any]]:
    """The drawable parts of a geometry: {"p": [x, y]}, {"path": [...]} or {"poly": [ring, holes...]}."""
    parts = geometry_parts(geometry)
    if geometry.geom_type.endswith("Point"):
        return [{"p": _rounded([part.x, part.y])} for part in parts]
    simplified = [part.simplify(_SIMPLIFY_DEGREES) for part in parts]
    if geometry.geom_type.endswith("LineString"):
        return [{"path": _rounded([list(c) for c in part.coords])} for part in simplified]
    return [{"poly": _rounded([[list(c) for c in ring.coords] for ring in (part.exterior, *part.interiors)])}
            for part in simplified]


def _index(values: list[str] | tuple[str, ...], value: str) -> int:
    return values.index(value) if value in values else -1


def town_index(dataset: Dataset) -> dict[str, int]:
    """Each 街镇 name's code (the t of a row): its position in the 街镇 layer."""
    names = list(dict.fromkeys(dataset.layers[dataset.catalog.township_layer]["name"]))
    return {name: number for number, name in enumerate(names)}


def feature_rows(dataset: Dataset, features: pd.DataFrame) -> list[dict[str, Any]]:
    """Slim rows of the mapped ``features``: shape, id, name, goal bit mask (m), status (s), 街镇 (t), category
    (c, index in the layer's catalog categories) and location precision (l, index in `PRECISIONS`) codes;
    -1 for a value without a code. One row per part of a multi-part shape."""
    goal_bits = {goal: 1 << number for number, goal in enumerate(dataset.goal_ids)}
    statuses = {status: number for number, status in enumerate(dataset.catalog.status)}
    towns = town_index(dataset)
    mapped = features[features["mapped"]]
    rows = []
    for (_, feature), town in zip(mapped.iterrows(), township_names(dataset, mapped), strict=True):
        categories = list(dataset.catalog.layers[feature["layer"]].categories)
        codes = {"id": feature["id"], "n": feature["name"], "m": sum(goal_bits.get(g, 0) for g in feature["goals"]),
                 "s": statuses.get(feature["status"], -1), "t": towns.get(town, -1),
                 "c": _index(categories, feature["category"]), "l": _index(PRECISIONS, feature["location_precision"])}
        rows += [{**shape, **codes} for shape in _shape_rows(feature.geometry)]
    return rows


_DETAIL_COLUMNS = {"name_en": "name_en", "description": "description", "source": "source",
                   "source_quote": "quote", "location_source": "location_source", "location_note": "location_note"}


def detail_rows(dataset: Dataset, features: pd.DataFrame) -> list[dict[str, Any]]:
    """What a popup shows beyond `feature_rows`, one dict per row of ``feature_rows(dataset, features)`` (same
    order): goals (indices in ``dataset.goal_ids``, the primary goal first), the texts of ``_DETAIL_COLUMNS``,
    error_m, schematic, category (only when it has no catalog code) and extra ([[column, text], ...])."""
    goals = dataset.goal_ids
    mapped = features[features["mapped"]]
    details = []
    for _, feature in mapped.iterrows():
        detail: dict[str, Any] = {"goals": [goals.index(g) for g in feature["goals"] if g in goals]}
        detail.update({key: feature[column] for column, key in _DETAIL_COLUMNS.items() if present(feature[column])})
        if pd.notna(feature["est_error_m"]):
            detail["error_m"] = int(feature["est_error_m"])
        if feature["schematic"]:
            detail["schematic"] = True
        if feature["category"] not in dataset.catalog.layers[feature["layer"]].categories:
            detail["category"] = feature["category"]
        extra = [[name, str(value)] for name, value in extra_properties(feature)]
        if extra:
            detail["extra"] = extra
        details += [detail] * len(geometry_parts(feature.geometry))
    return details


#: Data versions whose files stay on disk (the current one, a preview of an import, the one before).
KEEP_VERSIONS = 3
#: Bumped when the files change shape: a folder written by an older format is written again.
FILE_FORMAT = 4


def write_files(dataset: Dataset, static_dir: Path) -> WebglFiles:
    """This data version's files under ``static_dir/webgl/<version>/``: written once (a stat and a read when they
    exist, as on most page runs); writing a version removes the folders beyond the newest `KEEP_VERSIONS`."""
    root = static_dir / "webgl"
    folder = root / dataset.version
    url = f"{WEBGL_URL}/{dataset.version}"
    kinds = ("exact", "approximate")
    layers = {spec.id: {kind: f"{url}/{spec.id}-{kind}.json" for kind in kinds}
              for spec in dataset.catalog.thematic_layers}
    details = {spec.id: {kind: f"{url}/{spec.id}-{kind}-details-{{chunk}}.json" for kind in kinds}
               for spec in dataset.catalog.thematic_layers}
    base = {spec.id: f"{url}/{spec.id}.json" for spec in dataset.catalog.base_layers}
    base_geojson = {spec.id: f"{url}/{spec.id}.geojson" for spec in dataset.catalog.base_layers}
    stamp = f"{dataset.version} format {FILE_FORMAT} details {DETAILS_CHUNK}"
    complete = folder / ".complete"
    if not (complete.is_file() and complete.read_text(encoding="utf-8") == stamp):
        staging = root / f".{dataset.version}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        features = dataset.features
        parts = {}
        for spec in dataset.catalog.thematic_layers:
            layer = features[features["layer"] == spec.id]
            approximate = layer["location_precision"].isin(APPROXIMATE)
            parts |= {f"{spec.id}-exact": layer[~approximate], f"{spec.id}-approximate": layer[approximate]}
        rows = {f"{name}.json": feature_rows(dataset, part) for name, part in parts.items()}
        for name, part in parts.items():
            popups = detail_rows(dataset, part)
            rows |= {f"{name}-details-{chunk}.json": popups[chunk * DETAILS_CHUNK:(chunk + 1) * DETAILS_CHUNK]
                     for chunk in range(max(1, -(-len(popups) // DETAILS_CHUNK)))}
        for spec in dataset.catalog.base_layers:
            frame = dataset.layers[spec.id][dataset.layers[spec.id].geometry.notna()]
            rows[f"{spec.id}.json"] = [{**shape, "n": name} for name, geometry in zip(frame["name"], frame.geometry,
                                                                                       strict=True)
                                       for shape in _shape_rows(geometry)]
            rows[f"{spec.id}.geojson"] = display_geojson(frame)
        for name, content in rows.items():
            (staging / name).write_text(json.dumps(content, ensure_ascii=False, separators=(",", ":")),
                                        encoding="utf-8")
        (staging / ".complete").write_text(stamp, encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
        versions = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                          key=lambda p: p.stat().st_mtime, reverse=True)
        for old in versions[KEEP_VERSIONS:]:
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
    return WebglFiles(dataset.version, layers, base, base_geojson, details, DETAILS_CHUNK)


def filter_codes(dataset: Dataset, selection: Selection) -> dict[str, Any]:
    """The goal, status and 街镇 filters over a row's codes: ``mask`` (a row passes when ``m & mask``), the
    ``statuses`` and ``towns`` codes a row's s and t must be among; None for no restriction."""
    codes: dict[str, Any] = {"mask": None, "statuses": None, "towns": None}
    if selection.goals:
        codes["mask"] = sum(1 << number for number, goal in enumerate(dataset.goal_ids) if goal in selection.goals)
    if selection.statuses:
        codes["statuses"] = [number for number, status in enumerate(dataset.catalog.status)
                             if status in selection.statuses]
    if selection.towns:
        towns = town_index(dataset)
        names_by_code = dict(zip(dataset.layers[dataset.catalog.township_layer]["code"],
                                 dataset.layers[dataset.catalog.township_layer]["name"], strict=True))
        codes["towns"] = sorted({towns[name] for name in (names_by_code.get(t, t) for t in selection.towns)
                                 if name in towns})
    return codes


def filter_expression(dataset: Dataset, selection: Selection) -> str:
    """A deck.gl expression over a row's codes: 1 when the row matches the goal, status and 街镇 filters."""
    codes = filter_codes(dataset, selection)
    clauses = [] if codes["mask"] is None else [f"(m & {codes['mask']}) > 0"]
    for key, name in (("statuses", "s"), ("towns", "t")):
        if codes[key] is not None:
            clauses.append("(" + " || ".join(f"{name} == {code}" for code in codes[key] or [-2]) + ")")
    return f"({' && '.join(clauses)}) ? 1 : 0" if clauses else "1"


def view_state(bounds: list[list[float]], width: int = 1000, height: int = 620) -> pdk.ViewState:
    """A view that fits ``bounds`` ([[south, west], [north, east]]) in a ``width`` × ``height`` map."""
    (south, west), (north, east) = bounds

    def mercator_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lon_zoom = math.log2(0.9 * width * 360 / (512 * max(east - west, 1e-6)))
    lat_zoom = math.log2(0.9 * height * 2 * math.pi / (512 * max(mercator_y(north) - mercator_y(south), 1e-9)))
    return pdk.ViewState(longitude=(west + east) / 2, latitude=(south + north) / 2,
                         zoom=round(min(lon_zoom, lat_zoom, 16), 2))


def _quoted(text: str) -> str:
    """pydeck turns plain strings into expressions; a literal string needs quotes."""
    return f"'{text}'"


def _thematic_layer(layer_id: str, geometry: str, data: Any, color: list[int], hollow: bool, visible: bool,
                    scale: float, **filter_props: Any) -> pdk.Layer:
    common = {"id": layer_id, "data": data, "pickable": True, "auto_highlight": True, "visible": visible,
              **filter_props}
    if geometry == "LineString":
        return pdk.Layer("PathLayer", get_path="path", get_color=color, width_units=_quoted("pixels"),
                         get_width=3 * scale, **common)
    if geometry == "Polygon":
        return pdk.Layer("SolidPolygonLayer", get_polygon="poly", get_fill_color=[*color[:3], 60 if hollow else 150],
                         **common)
    return pdk.Layer("ScatterplotLayer", get_position="p", radius_units=_quoted("pixels"),
                     get_radius=4 * scale, filled=not hollow, stroked=hollow, get_fill_color=color,
                     get_line_color=color, line_width_units=_quoted("pixels"), get_line_width=1.5 * scale, **common)


def deck(dataset: Dataset, files: WebglFiles, selection: Selection, visible_features: pd.DataFrame,
         bounds: list[list[float]], labels: tuple[str, ...] = (), selected: str | None = None,
         scale: float = 1.0) -> pdk.Deck:
    """The deck.gl spec of one view: every layer always present (hidden ones only ``visible=False``, so their
    data is never fetched twice), the filter as one expression, and small inline layers for a text search,
    permanent labels and the selected feature."""
    expression = filter_expression(dataset, selection)
    filter_props = {"extensions": [{"@@type": "DataFilterExtension", "filterSize": 1}],
                    "get_filter_value": expression, "filter_range": [1, 1],
                    "update_triggers": {"getFilterValue": expression}}
    searching = bool(selection.text)
    layers = [pdk.Layer("SolidPolygonLayer", id=f"base-{spec.id}",
                        data=files.base[spec.id], get_polygon="poly",
                        get_fill_color=_rgb(spec.style.get("fill_color", "#ffffff"),
                                            int(255 * spec.style.get("fill_opacity", 0.5))), pickable=False)
              for spec in dataset.catalog.base_layers if "Polygon" in spec.geometry]
    layers += [pdk.Layer("PathLayer", id=f"outline-{spec.id}", data=files.base[spec.id],
                         get_path="poly[0]", get_color=_rgb(spec.style.get("color", "#555555")),
                         width_units=_quoted("pixels"), get_width=spec.style.get("weight", 1), pickable=False)
               for spec in dataset.catalog.base_layers if "Polygon" in spec.geometry]
    for spec in dataset.catalog.thematic_layers:
        shown = not selection.layers or spec.id in selection.layers
        color = _rgb(spec.style.get("color", "#333333"))
        for kind, url in files.layers[spec.id].items():
            layers.append(_thematic_layer(f"{spec.id}-{kind}", spec.geometry[0], url, color, kind == "approximate",
                                          shown and not searching, scale, **filter_props))
    seats = dataset.catalog.township_layer
    layers += [
        pdk.Layer("ScatterplotLayer", id="seats", data=files.base[seats], get_position="p",
                  get_fill_color=_rgb(dataset.catalog.layers[seats].style.get("color", "#555555")),
                  radius_units=_quoted("pixels"), get_radius=3, pickable=False),
    ]
    if searching:
        rows = feature_rows(dataset, visible_features.head(MAX_INLINE))
        for shape, geometry in (("p", "Point"), ("path", "LineString"), ("poly", "Polygon")):
            found = [row for row in rows if shape in row]
            if found:
                layers.append(_thematic_layer(f"search-{geometry}", geometry, found, [0, 0, 0, 200], False, True,
                                              scale * 1.5))
    labelled = visible_features[visible_features["id"].isin((*labels, *([selected] if selected else [])))]
    if not labelled.empty:
        anchors = [{"p": _rounded([geometry.representative_point().x, geometry.representative_point().y]), "n": name}
                   for name, geometry in zip(labelled["name"], labelled.geometry, strict=True) if geometry is not None]
        layers += [
            pdk.Layer("ScatterplotLayer", id="selected", data=anchors, get_position="p", filled=False, stroked=True,
                      get_line_color=[255, 160, 0], line_width_units=_quoted("pixels"), get_line_width=3,
                      radius_units=_quoted("pixels"), get_radius=10 * scale, pickable=False),
            pdk.Layer("TextLayer", id="labels", data=anchors, get_position="p", get_text="n",
                      character_set=_quoted("auto"), font_family=_quoted("Noto Sans CJK SC, sans-serif"),
                      get_size=15 * scale, get_pixel_offset=[0, -16 * scale], pickable=False),
        ]
    return pdk.Deck(layers=layers, map_provider=None, initial_view_state=view_state(bounds),
                    tooltip={"html": "<b>{n}</b>"})  # Streamlit escapes each value before it is shown
