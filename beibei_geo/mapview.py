"""Building the folium map: offline assets, base layers, one constant-style layer per thematic layer.

Every string that reaches folium is escaped here (folium escapes nothing, and `${...}`/backticks run in
its templates), so pages never pass raw data to folium.
"""

from __future__ import annotations

import html
from typing import Any

import folium
import pandas as pd

from beibei_geo.assets import VENDOR_URL, asset_urls
from beibei_geo.dataset import Dataset

_EXTRA_ESCAPES = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})
POPUP_FIELDS = {  # field → label; the values are prepared by `_popup_properties`
    "name": "名称",
    "goal_label": "目标",
    "category_label": "类别",
    "status_label": "状态",
    "township": "街镇",
    "location_label": "位置精度",
    "description": "说明",
    "source": "来源",
}
APPROXIMATE = ("township_seat", "district_seat", "approximate")


def escape_text(value: Any) -> str:
    """HTML-escape ``value`` and also neutralise `` ` ``, ``$`` and ``\\`` (template-literal injection)."""
    return html.escape("" if value is None else str(value), quote=True).translate(_EXTRA_ESCAPES)


def _popup_properties(dataset: Dataset, row: pd.Series) -> dict[str, str]:
    spec = dataset.catalog.layers[row["layer"]]
    goal_names = dict(zip(dataset.goals["goal_id"], dataset.goals["name_zh"], strict=True))
    precision = dataset.catalog.location_precision.get(row["location_precision"], {}).get("zh", "")
    error = row["est_error_m"]
    location = precision + (f"（约 ±{int(error):,} 米）" if pd.notna(error) else "")
    source = row["source"] + (f"：“{row['source_quote']}”" if row["source_quote"] else "")
    values = {
        "name": row["name"],
        "goal_label": "、".join(goal_names.get(goal, goal) for goal in row["goals"]),
        "category_label": spec.category_label(row["category"]),
        "status_label": dataset.catalog.status.get(row["status"], {}).get("zh", row["status"]),
        "township": row["township"] or "—",
        "location_label": location,
        "description": row["description"],
        "source": source,
    }
    return {key: escape_text(value) for key, value in values.items()}


def _collection(dataset: Dataset, features: pd.DataFrame) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": row.geometry.__geo_interface__,
             "properties": _popup_properties(dataset, row)}
            for _, row in features.iterrows()
        ],
    }


def _add_layer(group: folium.FeatureGroup, dataset: Dataset, features: pd.DataFrame, style: dict[str, Any],
               hollow: bool) -> None:
    if features.empty:
        return
    color = style.get("color", "#333333")
    line_style = {"color": color, "weight": style.get("weight", 2), "dashArray": style.get("dash_array"),
                  "fillColor": color, "fillOpacity": 0.15 if hollow else 0.75}
    points = features.geometry.geom_type.isin(["Point", "MultiPoint"]).all()
    marker = folium.CircleMarker(radius=style.get("radius", 7), weight=2, color=color, fill=True, fill_color=color,
                                 fill_opacity=0.15 if hollow else 0.8,
                                 dash_array="3 3" if hollow else None) if points else None
    fields = list(POPUP_FIELDS)
    folium.GeoJson(
        _collection(dataset, features),
        marker=marker,
        style_function=lambda _feature: line_style,
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        popup=folium.GeoJsonPopup(fields=fields, aliases=[escape_text(POPUP_FIELDS[f]) for f in fields],
                                  max_width=360),
    ).add_to(group)


def build_map(dataset: Dataset, features: pd.DataFrame, asset_base: str = VENDOR_URL) -> folium.Map:
    """A map of the district: neighbours, boundary, 街镇 seats and the mapped rows of ``features``."""
    west, south, east, north = dataset.catalog.district_bbox
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=10, tiles=None,
                      control_scale=True, max_zoom=18, prefer_canvas=True)
    fmap.default_js, fmap.default_css = asset_urls(asset_base)
    for spec in dataset.catalog.base_layers:
        frame = dataset.layers[spec.id]
        frame = frame[frame.geometry.notna()]
        style = spec.style
        group = folium.FeatureGroup(name=escape_text(spec.name_zh))
        if frame.geometry.geom_type.isin(["Point"]).all():
            for _, row in frame.iterrows():
                folium.CircleMarker([row.geometry.y, row.geometry.x], radius=style.get("radius", 3),
                                    color=style.get("color", "#555"), fill=True,
                                    tooltip=escape_text(row["name"])).add_to(group)
        else:
            polygon_style = {"color": style.get("color"), "weight": style.get("weight", 1),
                             "fillColor": style.get("fill_color"), "fillOpacity": style.get("fill_opacity", 0)}
            folium.GeoJson(frame[["geometry"]].__geo_interface__,
                           style_function=lambda _feature, s=polygon_style: s).add_to(group)
        group.add_to(fmap)
    mapped = features[features["mapped"]]
    for spec in dataset.catalog.thematic_layers:
        layer = mapped[mapped["layer"] == spec.id]
        group = folium.FeatureGroup(name=escape_text(spec.name_zh))
        approximate = layer["location_precision"].isin(APPROXIMATE)
        _add_layer(group, dataset, layer[~approximate], spec.style, hollow=False)
        _add_layer(group, dataset, layer[approximate], spec.style, hollow=True)
        group.add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap
