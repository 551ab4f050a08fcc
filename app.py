"""Beibei 党建+ “八个一流” map dashboard: the entry point, which only sets up navigation.

The pages live in ``views/``, not ``pages/``: Streamlit auto-discovers a ``pages/`` folder and, when a link
opens such a page first, runs it without this script (no navigation, no page config).
"""

from __future__ import annotations

import streamlit as st

import ui
from beibei_geo.i18n import t

st.set_page_config(page_title="北碚 党建+ “八个一流” 地图", layout="wide")
lang = ui.url_lang()
pages = [
    st.Page("views/overview.py", title=t("nav_overview", lang), default=True),
    st.Page("views/goals.py", title=t("nav_goals", lang), url_path="goals"),
    st.Page("views/present.py", title=t("nav_present", lang), url_path="present"),
    st.Page("views/indicators.py", title=t("nav_indicators", lang),
            url_path="indicators"),
    st.Page("views/data.py", title=t("nav_data", lang), url_path="data"),
]
st.navigation(pages).run()
