"""Benchmark anchor: the naive map, `st_folium(folium.GeoJson(gdf))` of every mapped feature, rebuilt each run.

Only what it takes to draw offline is added (Leaflet served by the app, no tiles); everything else is folium's
and streamlit-folium's defaults, as a first attempt would write it.
"""

from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from beibei_geo.assets import asset_urls
from beibei_geo.dataset import load_dataset
from beibei_geo.validate import GOAL_IDS

st.set_page_config(page_title="naive", layout="wide")
goals = st.sidebar.multiselect("目标（八个一流）", GOAL_IDS, key="filter_goals")
features = load_dataset().features
features = features[features["mapped"]]
if goals:
    features = features[features["goals"].map(lambda gs: bool(set(goals) & set(gs)))]
gdf = features[["id", "name", "goal", "category", "status", "township", "description", "geometry"]]
fmap = folium.Map(location=[29.85, 106.45], zoom_start=10, tiles=None)
fmap.default_js, fmap.default_css = asset_urls()
folium.GeoJson(gdf).add_to(fmap)
st.title("naive")
st.markdown(f"**shown: {len(gdf)}**")
st_folium(fmap, height=620, use_container_width=True)
