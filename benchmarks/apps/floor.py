"""Benchmark floor: the dashboard with an empty overview. The same sidebar as the real app, from the app's own code
(page navigation, language switch, the filter widgets with their labels, options, callbacks and URL state), and
nothing in the page: no map, no cards, no tables."""

from __future__ import annotations

import streamlit as st

import ui


def empty_overview() -> None:
    dataset, state = ui.start_page()
    ui.sidebar_filters(dataset, state)
    st.title("floor")
    st.markdown(f"**selected: {len(state.selection.goals)}**")


st.set_page_config(page_title="floor", layout="wide")
pages = ui.navigation_pages(ui.url_lang())
pages[0] = st.Page(empty_overview, title=pages[0].title, default=True)
st.navigation(pages).run()
