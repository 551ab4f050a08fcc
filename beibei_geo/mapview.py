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
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement, Template

from beibei_geo.assets import VENDOR_URL, asset_urls
from beibei_geo.basemaps import OFFLINE, Basemap
from beibei_geo.bulkpoints import FilePopups, bulk_layer_ids, bulk_points, row_numbers
from beibei_geo.catalog import APPROXIMATE, LayerSpec
from beibei_geo.coords import to_gcj02
from beibei_geo.dataset import Dataset, extra_properties, per_version
from beibei_geo.filters import EVERYTHING, Selection
from beibei_geo.formatting import indicator_figure
from beibei_geo.i18n import TEXT, label, t
from beibei_geo.join import indicators_for_goals
from beibei_geo.webgl import WEBGL_THRESHOLD, WebglFiles

MAX_ZOOM = 18
_EXTRA_ESCAPES = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


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

    @staticmethod
    @per_version
    def of(dataset: Dataset, lang: str) -> _PopupContext:
        """The context of ``dataset`` in ``lang`` (computed once per data version and language)."""
        names = {goal["goal_id"]: label({"zh": goal["name_zh"], "en": goal["name_en"]}, lang)
                 for _, goal in dataset.goals.iterrows()}
        items = {}
        for goal in names:
            indicators = indicators_for_goals(dataset, [goal], headline_only=True)
            items[goal] = "".join(f"<li>{escape_text(label({'zh': i['name_zh'], 'en': i['name_en']}, lang))}: "
                                  f"{escape_text(indicator_figure(i, lang))}</li>" for _, i in indicators.iterrows())
        return _PopupContext(names, items)


def popup_html(dataset: Dataset, row: pd.Series, lang: str = "zh") -> str:
    """The details of one place as escaped HTML: every attribute, goals, precision, source, goal indicators."""
    context = _PopupContext.of(dataset, lang)
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
             for name, value in extra_properties(row)]
    items = context.indicator_items.get(row["goal"], "")
    name_en = f"<div class='bb-sub'>{escape_text(row['name_en'])}</div>" if lang == "en" and row["name_en"] else ""
    schematic = f"<div class='bb-note'>{escape_text(t('schematic_note', lang))}</div>" if row["schematic"] else ""
    return (f"<div class='bb-popup' style='font-size:12px'><b style='font-size:14px'>{escape_text(row['name'])}</b>"
            f"{name_en}{schematic}<table style='border-collapse:collapse;margin:4px 0'>{''.join(rows)}</table>"
            + (f"<b>{escape_text(t('field_indicators', lang))}</b><ul>{items}</ul>" if items else "") + "</div>")


# -------------------------------------------------------------------------------------------- layers
def _display_geometry(frame: gpd.GeoDataFrame, basemap: Basemap) -> gpd.GeoSeries:
    return frame.geometry.map(to_gcj02) if basemap.gcj02 else frame.geometry


def _collection(dataset: Dataset, features: pd.DataFrame, lang: str, basemap: Basemap,
                rows: dict[str, int] | None) -> dict[str, Any]:
    """The features with their escaped name (the tooltip) and either their ``row`` in the map files, from which the
    browser builds the popup, or the popup HTML itself (without files)."""
    geometries = _display_geometry(features, basemap)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": geometry.__geo_interface__,
             "properties": {"name": escape_text(row["name"]),
                            **({"row": rows[row["id"]]} if rows else {"popup": popup_html(dataset, row, lang)})}}
            for geometry, (_, row) in zip(geometries, features.iterrows(), strict=True)
        ],
    }


def _geojson(dataset: Dataset, features: pd.DataFrame, spec: LayerSpec, kind: str, lang: str, basemap: Basemap,
             scale: float, files: WebglFiles | None) -> folium.GeoJson:
    """One part of a layer as folium GeoJson with a constant style; popups from ``files`` when given."""
    style, hollow = spec.style, kind == "approximate"
    color = style.get("color", "#333333")
    points = features.geometry.geom_type.isin(["Point", "MultiPoint"]).all()
    constant_style = {"color": color, "weight": style.get("weight", 2) * scale, "dashArray": style.get("dash_array"),
                      "fillColor": color, "fillOpacity": 0.15 if hollow else 0.75, "opacity": 0.9}
    marker = folium.CircleMarker(radius=style.get("radius", 7) * scale, weight=2 * scale, color=color, fill=True,
                                 fill_color=color, fill_opacity=0.2 if hollow else 0.85,
                                 dash_array="3 3" if hollow else None) if points else None
    layer = folium.GeoJson(
        _collection(dataset, features, lang, basemap, row_numbers(dataset, spec.id, kind) if files else None),
        marker=marker,
        style_function=lambda _feature: constant_style,
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        popup=None if files else folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=380),
    )
    if files:
        FilePopups(dataset, spec.id, kind, files, lang).add_to(layer)
    return layer


def _mapped_layers(dataset: Dataset, features: pd.DataFrame) -> Iterator[tuple[LayerSpec, pd.DataFrame]]:
    """(layer spec, its mapped rows of ``features``) for each thematic layer with any, in catalog order."""
    by_layer = dict(list(features[features["mapped"]].groupby("layer", sort=False)))
    for spec in dataset.catalog.thematic_layers:
        if spec.id in by_layer:
            yield spec, by_layer[spec.id]


@per_version
def use_webgl(dataset: Dataset) -> bool:
    """True when the features folium would draw one by one (all but the bulk point layers) are too many for the
    folium map to stay fluid: more than `WEBGL_THRESHOLD`."""
    mapped = dataset.features[dataset.features["mapped"]]
    return int((~mapped["layer"].isin(bulk_layer_ids(dataset))).sum()) > WEBGL_THRESHOLD


def thematic_groups(dataset: Dataset, features: pd.DataFrame, lang: str = "zh", basemap: Basemap = OFFLINE,
                    scale: float = 1.0, selection: Selection = EVERYTHING,
                    files: WebglFiles | None = None) -> list[folium.FeatureGroup]:
    """One feature group per thematic layer that has mapped rows in ``features`` (catalog order).

    ``features`` are what ``selection`` keeps of the data. Large point layers (`bulk_layer_ids`) become bulk canvas
    layers that filter by ``selection`` in the browser, their rows fetched from ``files`` (inline without).
    ``scale`` enlarges markers and lines (e.g. 1.6 for a projector).
    """
    bulk = bulk_layer_ids(dataset)
    groups = []
    for spec, layer in _mapped_layers(dataset, features):
        group = folium.FeatureGroup(name=escape_text(spec.name(lang)))
        approximate = layer["location_precision"].isin(APPROXIMATE)
        for kind, part in (("exact", layer[~approximate]), ("approximate", layer[approximate])):
            if part.empty:
                continue
            if spec.id in bulk:
                bulk_points(dataset, spec, kind, selection, files, lang, scale, basemap.gcj02).add_to(group)
            else:
                _geojson(dataset, part, spec, kind, lang, basemap, scale, files).add_to(group)
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
             bounds: list[list[float]] | None = None, asset_base: str = VENDOR_URL,
             base_urls: dict[str, str] | None = None) -> folium.Map:
    """The map without thematic layers: background, district outline, 街镇 seats, scale, sources.

    ``base_urls`` (layer id → URL of its display GeoJSON) lets the browser fetch the base layers instead of
    receiving them inline on every run; ignored for a GCJ-02 basemap.
    """
    west, south, east, north = dataset.catalog.district_bbox
    bounds = bounds or [[south, west], [north, east]]
    fmap = folium.Map(location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
                      zoom_start=10, tiles=None, control_scale=True, prefer_canvas=True)
    fmap.options["maxZoom"] = MAX_ZOOM  # folium sets it on tiles only
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
        url = (base_urls or {}).get(spec.id) if not basemap.gcj02 else None  # the files hold WGS-84
        _base_layer(dataset.layers[spec.id], spec.style, basemap, url).add_to(fmap)
    _Attribution(t("map_notice", lang)).add_to(fmap)  # the full sources stand under the map
    fmap.fit_bounds(bounds, padding=(20, 20))
    return fmap


class _BaseLayer(MacroElement):
    """A base layer (outline, neighbours, 街镇 seats) with a constant style, from inline GeoJSON or from a URL the
    browser fetches (a file written once per data version, see `webgl.write_files`).

    Points become circle markers whose tooltip is the feature's name, set as text (never as HTML). Areas get their
    own canvas below the thematic layers, whichever loads first.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        {% if this.url %}fetch({{ this.url|tojson }}).then(response => response.json()){% else -%}
        Promise.resolve({{ this.data|tojson }}){% endif %}.then(data => {
          const map = {{ this._parent.get_name() }};
          const style = {{ this.style|tojson }};
          if (!style.interactive) {
            if (!map.getPane('bbAreas')) map.createPane('bbAreas').style.zIndex = 350;
            style.renderer = L.canvas({pane: 'bbAreas'});
          }
          const layer = L.geoJSON(data, {
            interactive: style.interactive, style: () => style,
            pointToLayer: (feature, latlng) => L.circleMarker(latlng, style),
            onEachFeature: (feature, layer) => {
              if (!style.interactive) return;
              const name = document.createElement('span');
              name.textContent = feature.properties.name;
              layer.bindTooltip(name);
            },
          }).addTo(map);
          if (style.interactive) layer.bringToBack();  // under the thematic markers, for the eye and the mouse
        });
        {% endmacro %}
    """)

    def __init__(self, style: dict[str, Any], url: str | None = None, data: dict[str, Any] | None = None):
        super().__init__()
        self.style, self.url, self.data = style, url, data


def _base_style(frame: gpd.GeoDataFrame, style: dict[str, Any], basemap: Basemap) -> dict[str, Any]:
    """Leaflet path options of a base layer: seats are small filled circles with a tooltip; areas only lines."""
    color = style.get("color", "#555555")
    if frame.geometry.geom_type.eq("Point").all():
        return {"radius": style.get("radius", 3), "color": color, "weight": 1, "fill": True, "fillOpacity": 0.9,
                "interactive": True}
    return {"color": color, "weight": style.get("weight", 1), "fillColor": style.get("fill_color", color),
            "fillOpacity": 0 if basemap.url else style.get("fill_opacity", 0), "interactive": False}


def _base_layer(frame: gpd.GeoDataFrame, style: dict[str, Any], basemap: Basemap, url: str | None) -> _BaseLayer:
    """The layer by ``url`` when given, else inline (names only, geometries shifted for a GCJ-02 basemap)."""
    frame = frame[frame.geometry.notna()]
    if url:
        return _BaseLayer(_base_style(frame, style, basemap), url=url)
    display = gpd.GeoDataFrame({"name": frame["name"]}, geometry=_display_geometry(frame, basemap), crs=frame.crs)
    return _BaseLayer(_base_style(frame, style, basemap), data=display.__geo_interface__)


def build_map(dataset: Dataset, features: pd.DataFrame, lang: str = "zh", basemap: Basemap = OFFLINE,
              bounds: list[list[float]] | None = None, asset_base: str = VENDOR_URL,
              selection: Selection = EVERYTHING) -> folium.Map:
    """Base map plus the thematic groups in one folium map, all data inline (for tests and exports).

    ``features`` are what ``selection`` keeps of the data."""
    fmap = base_map(dataset, lang, basemap, bounds, asset_base)
    for group in thematic_groups(dataset, features, lang, basemap, selection=selection):
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
