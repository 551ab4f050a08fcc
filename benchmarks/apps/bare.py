"""Benchmark bare page: an empty Streamlit page with simple sidebar widgets of the dashboard's kinds (few options,
no labels, callbacks, URL state or page navigation), no data, no map. It was the floor until the floor became the
app's own sidebar; kept as a second reference (benchmarks/README.md)."""

from __future__ import annotations

import streamlit as st

from beibei_geo.validate import GOAL_IDS

st.set_page_config(page_title="bare", layout="wide")
st.sidebar.radio("语言 / Language", ["zh", "en"], horizontal=True)
st.sidebar.header("筛选")
goals = st.sidebar.multiselect("目标（八个一流）", GOAL_IDS, key="filter_goals")
st.sidebar.multiselect("图层", ["parks", "red_sites", "science_bases", "service_centers"])
st.sidebar.multiselect("街镇", ["北温泉街道", "天生街道", "静观镇"])
st.sidebar.multiselect("状态", ["operating", "planned"])
st.sidebar.text_input("名称搜索")
st.sidebar.button("清除筛选")
st.title("bare")
st.markdown(f"**selected: {len(goals)}**")
