"""Beibei 党建+ “八个一流” map dashboard: the entry point, which only sets up navigation.

The pages live in ``views/``, not ``pages/``: Streamlit auto-discovers a ``pages/`` folder and, when a link
opens such a page first, runs it without this script (no navigation, no page config).
"""

from __future__ import annotations

import streamlit as st

import ui

st.set_page_config(page_title="北碚 党建+ “八个一流” 地图", layout="wide")
st.navigation(ui.navigation_pages(ui.url_lang())).run()
