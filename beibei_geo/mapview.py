"""The folium map: a stable base map (background, outline, 街镇 seats) and one feature group per layer.

Every string that reaches folium is escaped here (folium escapes nothing, and `${...}`/backticks run in
its templates), so pages never hand raw data to folium. Geometries are shifted to GCJ-02 only while a
GCJ-02 basemap (Amap/高德) is shown.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement, Template

from beibei_geo.assets import VENDOR_URL, asset_urls
from beibei_geo.basemaps import OFFLINE, Basemap
from beibei_geo.catalog import LayerSpec
from beibei_geo.coords import to_gcj02
from beibei_geo.dataset import FEATURE_COLUMNS, Dataset
from beibei_geo.formatting import indicator_figure
from beibei_geo.i18n import TEXT, label, t
from beibei_geo.join import indicators_for_goals

#: A layer with more mapped points than this is clustered.
CLUSTER_THRESHOLD = 200
#: Precisions drawn as hollow, dashed markers ("this place is only roughly here").
APPROXIMATE = ("township_seat", "district_seat", "approximate")
MAX_ZOOM = 18
_EXTRA_ESCAPES = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})
_SHOWN_COLUMNS = {*FEATURE_COLUMNS, "geometry", "goals_extra"}


def escape_text(value: Any) -> str:
    """HTML-escape ``value`` and also neutralise `` ` ``, ``$`` and ``\\`` (template-literal injection)."""
    return html.escape("" if value is None else str(value), quote=True).translate(_EXTRA_ESCAPES)


@dataclass(frozen=True)
class LegendEntry:
    """One legend line: a colour, a shape (point, line, seat, note) and an escaped-on-render label."""

    color: str
    shape: str
    text: str


# ------------------------------------------------------------------------------------------ popups
_TH = "text-align:left;vertical-align:top;padding:2px 8px 2px 0;color:#555;white-space:nowrap;font-weight:normal"


def _row(name: str, value: Any) -> str:
    if value in ("", None):
        return ""
    return f"<tr><th style='{_TH}'>{escape_text(name)}</th><td style='padding:2px 0'>{escape_text(value)}</td></tr>"


@dataclass(frozen=True)
class _PopupContext:
    """What every popup of one map shares, computed once: goal names and each goal's headline indicator list."""

    goal_names: dict[str, str]
    indicator_items: dict[str, str]

    @classmethod
    def of(cls, dataset: Dataset, lang: str) -> _PopupContext:
        names = {goal["goal_id"]: label({"zh": goal["name_zh"], "en": goal["name_en"]}, lang)
                 for _, goal in dataset.goals.iterrows()}
        items = {}
        for goal in names:
            indicators = indicators_for_goals(dataset, [goal], headline_only=True)
            items[goal] = "".join(f"<li>{escape_text(label({'zh': i['name_zh'], 'en': i['name_en']}, lang))}: "
                                  f"{escape_text(indicator_figure(i, lang))}</li>" for _, i in indicators.iterrows())
        return cls(names, items)


def popup_html(dataset: Dataset, row: pd.Series, lang: str = "zh", context: _PopupContext | None = None) -> str:
    """The details of one place as escaped HTML: every attribute, goals, precision, source, goal indicators."""
    context = context or _PopupContext.of(dataset, lang)
    catalog = dataset.catalog
    spec = catalog.layers[row["layer"]]
    goal_names = [context.goal_names[g] for g in row["goals"] if g in context.goal_names]
    precision = label(catalog.location_precision.get(row["location_precision"], {}), lang)
    if pd.notna(row["est_error_m"]):
        error = f"{int(row['est_error_m']):,}"
        precision += f" ({t('field_error', lang, error=error)})"
    rows = [
        _row(t("field_layer", lang), spec.name(lang)),
        _row(t("field_goals", lang), " · ".join(goal_names)),
        _row(t("field_category", lang), spec.category_label(row["category"], lang)),
        _row(t("field_status", lang), label(catalog.status.get(row["status"], {}), lang) or row["status"]),
        _row(t("field_township", lang), row["township"]),
        _row(t("field_location", lang), precision),
        _row(t("field_location_source", lang), row["location_source"]),
        _row(t("field_location_note", lang), row["location_note"]),
        _row(t("field_description", lang), row["description"]),
        _row(t("field_source", lang), row["source"]),
        _row(t("field_quote", lang), f"“{row['source_quote']}”" if row["source_quote"] else ""),
    ]
    rows += [_row(t("field_tier", lang), t(f"tier_{value}", lang) if f"tier_{value}" in TEXT else value)
             if name == "tier" else _row(name, value)
             for name, value in row.items() if name not in _SHOWN_COLUMNS and _present(value)]
    items = context.indicator_items.get(row["goal"], "")
    name_en = f"<div class='bb-sub'>{escape_text(row['name_en'])}</div>" if lang == "en" and row["name_en"] else ""
    schematic = f"<div class='bb-note'>{escape_text(t('schematic_note', lang))}</div>" if row["schematic"] else ""
    return (f"<div class='bb-popup' style='font-size:12px'><b style='font-size:14px'>{escape_text(row['name'])}</b>"
            f"{name_en}{schematic}<table style='border-collapse:collapse;margin:4px 0'>{''.join(rows)}</table>"
            + (f"<b>{escape_text(t('field_indicators', lang))}</b><ul>{items}</ul>" if items else "") + "</div>")


def _present(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return bool(value)
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and value != ""


# -------------------------------------------------------------------------------------------- layers
def _display_geometry(frame: gpd.GeoDataFrame, basemap: Basemap) -> gpd.GeoSeries:
    return frame.geometry.map(to_gcj02) if basemap.gcj02 else frame.geometry


def _collection(dataset: Dataset, features: pd.DataFrame, lang: str, basemap: Basemap) -> dict[str, Any]:
    geometries = _display_geometry(features, basemap)
    context = _PopupContext.of(dataset, lang)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": geometry.__geo_interface__,
             "properties": {"name": escape_text(row["name"]), "popup": popup_html(dataset, row, lang, context)}}
            for geometry, (_, row) in zip(geometries, features.iterrows(), strict=True)
        ],
    }


def _geojson(dataset: Dataset, features: pd.DataFrame, style: dict[str, Any], hollow: bool, lang: str,
             basemap: Basemap, scale: float) -> folium.GeoJson:
    color = style.get("color", "#333333")
    points = features.geometry.geom_type.isin(["Point", "MultiPoint"]).all()
    constant_style = {"color": color, "weight": style.get("weight", 2) * scale, "dashArray": style.get("dash_array"),
                      "fillColor": color, "fillOpacity": 0.15 if hollow else 0.75, "opacity": 0.9}
    marker = folium.CircleMarker(radius=style.get("radius", 7) * scale, weight=2 * scale, color=color, fill=True,
                                 fill_color=color, fill_opacity=0.2 if hollow else 0.85,
                                 dash_array="3 3" if hollow else None) if points else None
    return folium.GeoJson(
        _collection(dataset, features, lang, basemap),
        marker=marker,
        style_function=lambda _feature: constant_style,
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=380),
    )


def _mapped_layers(dataset: Dataset, features: pd.DataFrame) -> Iterator[tuple[LayerSpec, pd.DataFrame]]:
    """(layer spec, its mapped rows of ``features``) for each thematic layer with any, in catalog order."""
    mapped = features[features["mapped"]]
    for spec in dataset.catalog.thematic_layers:
        layer = mapped[mapped["layer"] == spec.id]
        if not layer.empty:
            yield spec, layer


def thematic_groups(dataset: Dataset, features: pd.DataFrame, lang: str = "zh", basemap: Basemap = OFFLINE,
                    scale: float = 1.0) -> list[folium.FeatureGroup]:
    """One feature group per thematic layer that has mapped rows in ``features`` (catalog order).

    ``scale`` enlarges markers and lines (e.g. 1.6 for a projector).
    """
    groups = []
    for spec, layer in _mapped_layers(dataset, features):
        group = folium.FeatureGroup(name=escape_text(spec.name(lang)))
        target = group
        if len(layer) > CLUSTER_THRESHOLD and layer.geometry.geom_type.eq("Point").all():
            target = folium.plugins.MarkerCluster(name=escape_text(spec.name(lang)), disableClusteringAtZoom=16)
            target.default_js, target.default_css = [], []  # served with the base map, offline
            target.add_to(group)
        approximate = layer["location_precision"].isin(APPROXIMATE)
        for part, hollow in ((layer[~approximate], False), (layer[approximate], True)):
            if not part.empty:
                _geojson(dataset, part, spec.style, hollow, lang, basemap, scale).add_to(target)
        groups.append(group)
    return groups


def label_group(features: pd.DataFrame, ids: tuple[str, ...], basemap: Basemap = OFFLINE) -> folium.FeatureGroup:
    """Always-visible name labels for the mapped features whose id is in ``ids`` (escaped)."""
    group = folium.FeatureGroup(name="labels")
    chosen = features[features["id"].isin(ids) & features["mapped"]]
    for geometry, name in zip(_display_geometry(chosen, basemap), chosen["name"], strict=True):
        anchor = geometry.interpolate(0.5, normalized=True) if "LineString" in geometry.geom_type else \
            geometry.representative_point()
        label = (f"<div style='white-space:nowrap;font-size:15px;font-weight:600;color:#222;"
                 f"text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;transform:translate(10px,-50%)'>"
                 f"{escape_text(name)}</div>")
        folium.Marker([anchor.y, anchor.x], icon=folium.DivIcon(html=label, icon_size=(0, 0), icon_anchor=(0, 0)),
                      interactive=False).add_to(group)
    return group


# -------------------------------------------------------------------------------------------- base map
class _Attribution(MacroElement):
    """Adds escaped text to the map's attribution control (sources and the 示意图 notice)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix(false).addAttribution({{ this.text }});
        {% endmacro %}
    """)

    def __init__(self, text: str):
        super().__init__()
        self.text = json.dumps(escape_text(text))


def feature_bounds(features: pd.DataFrame, basemap: Basemap = OFFLINE) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the mapped rows of ``features``, or None when there are none."""
    mapped = features[features["mapped"]]
    if mapped.empty:
        return None
    west, south, east, north = gpd.GeoSeries(_display_geometry(mapped, basemap)).total_bounds
    return [[float(south), float(west)], [float(north), float(east)]]


def base_map(dataset: Dataset, lang: str = "zh", basemap: Basemap = OFFLINE,
             bounds: list[list[float]] | None = None, asset_base: str = VENDOR_URL) -> folium.Map:
    """The map without thematic layers: background, district outline, 街镇 seats, scale, sources."""
    west, south, east, north = dataset.catalog.district_bbox
    bounds = bounds or [[south, west], [north, east]]
    fmap = folium.Map(location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
                      zoom_start=10, tiles=None, control_scale=True, prefer_canvas=True)
    fmap.options["maxZoom"] = MAX_ZOOM  # folium sets it on tiles only; MarkerCluster fails on a map without one
    fmap.default_js, fmap.default_css = asset_urls(asset_base)
    if basemap.url:
        attribution = escape_text(basemap.attribution or basemap.name(lang))  # folium refuses tiles without one
        folium.TileLayer(basemap.url, attr=attribution, name=escape_text(basemap.name(lang)),
                         max_zoom=basemap.max_zoom, subdomains=basemap.subdomains).add_to(fmap)
        if basemap.overlay_url:
            folium.TileLayer(basemap.overlay_url, attr=" ", overlay=True, max_zoom=basemap.max_zoom,
                             subdomains=basemap.subdomains).add_to(fmap)
    for spec in dataset.catalog.base_layers:
        if basemap.url and spec.extent == "region":
            continue  # tiles show the neighbours; keep only the district's own lines
        _add_base_layer(fmap, dataset.layers[spec.id], spec.style, basemap, lang)
    _Attribution(t("map_notice", lang)).add_to(fmap)  # the full sources stand under the map
    fmap.fit_bounds(bounds, padding=(20, 20))
    return fmap


def _add_base_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, style: dict[str, Any], basemap: Basemap,
                    lang: str) -> None:
    frame = frame[frame.geometry.notna()]
    geometries = _display_geometry(frame, basemap)
    color = style.get("color", "#555555")
    if frame.geometry.geom_type.eq("Point").all():
        for geometry, name in zip(geometries, frame["name"], strict=True):
            folium.CircleMarker([geometry.y, geometry.x], radius=style.get("radius", 3), color=color, weight=1,
                                fill=True, fill_opacity=0.9, tooltip=escape_text(name)).add_to(fmap)
        return
    polygon_style = {"color": color, "weight": style.get("weight", 1), "fillColor": style.get("fill_color", color),
                     "fillOpacity": 0 if basemap.url else style.get("fill_opacity", 0)}
    collection = gpd.GeoDataFrame(geometry=geometries, crs=frame.crs).__geo_interface__
    folium.GeoJson(collection, style_function=lambda _feature: polygon_style, interactive=False).add_to(fmap)


def build_map(dataset: Dataset, features: pd.DataFrame, lang: str = "zh", basemap: Basemap = OFFLINE,
              bounds: list[list[float]] | None = None, asset_base: str = VENDOR_URL) -> folium.Map:
    """Base map plus the thematic groups in one folium map (for tests and exports)."""
    fmap = base_map(dataset, lang, basemap, bounds, asset_base)
    for group in thematic_groups(dataset, features, lang, basemap):
        group.add_to(fmap)
    return fmap


# ---------------------------------------------------------------------------------------------- legend
def legend_entries(dataset: Dataset, features: pd.DataFrame, lang: str = "zh") -> list[LegendEntry]:
    """Legend lines for the thematic layers that ``features`` shows on the map, then the conventions."""
    mapped = features[features["mapped"]]
    entries = []
    for spec, layer in _mapped_layers(dataset, features):
        lines = layer.geometry.geom_type.str.contains("LineString").all()
        entries.append(LegendEntry(spec.style.get("color", "#333333"), "line" if lines else "point", spec.name(lang)))
    if not mapped.empty:
        entries.append(LegendEntry("#555555", "note", t("legend_approximate", lang)))
        if mapped["schematic"].any():
            entries.append(LegendEntry("#555555", "line", t("legend_schematic", lang)))
    entries.append(LegendEntry("#555555", "seat", t("legend_seat", lang)))
    return entries


def legend_html(entries: list[LegendEntry], lang: str = "zh") -> str:
    """The legend as escaped HTML (inline styles only, no script)."""
    swatches = {
        "point": "display:inline-block;width:12px;height:12px;border-radius:50%;border:2px solid {c};background:{c}",
        "line": "display:inline-block;width:22px;height:0;border-top:4px dashed {c};vertical-align:middle",
        "seat": "display:inline-block;width:6px;height:6px;border-radius:50%;background:{c};margin:0 3px",
        "note": "display:inline-block;width:12px;height:12px;border-radius:50%;border:2px dashed {c}",
    }
    items = "".join(
        f"<span style='margin-right:14px;white-space:nowrap'>"
        f"<span style='{escape_text(swatches[e.shape].format(c=e.color))}'></span> {escape_text(e.text)}</span>"
        for e in entries)
    return f"<div style='font-size:14px;line-height:1.9'><b>{escape_text(t('legend', lang))}</b>：{items}</div>"
