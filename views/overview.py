"""总览 Overview: every layer on one map, filtered from the sidebar and the URL."""

from __future__ import annotations

import streamlit as st

import ui
from beibei_geo.i18n import t
from beibei_geo.join import indicators_for_goals

dataset, state = ui.start_page()
lang = state.lang
filters = st.sidebar.container()
basemap = ui.basemap_choice(lang)
head, map_area = st.container(), st.container()

# The map is sent first although it shows under the headline: its frame takes longest to load, so it starts
# loading while the browser draws the rest (with the map's own frame, the first draw is 30–210 ms sooner;
# benchmarks/README.md).
with map_area:
    ui.show_map(dataset, lang, basemap, state.selection)
    st.caption(ui.md_escape(f"{t('map_notice', lang)} · {t('map_sources', lang)}"))
ui.sidebar_filters(dataset, state, container=filters)

kept, mapped = ui.kept_rows(dataset, state.selection), dataset.features["mapped"]
with head:
    st.title(t("app_title", lang))
    total = int(mapped.sum())
    shown = int((kept & mapped).sum())
    st.markdown(f"**{t('count_line', lang, n=shown, m=total)}**")

    headline = indicators_for_goals(dataset, state.selection.goals, headline_only=True)
    if not state.selection.goals:
        headline = headline.groupby("goal", sort=False).head(1)
    st.subheader(t("headline_title", lang))
    ui.indicator_cards(dataset, headline, lang)
    if not shown:
        st.info(t("no_features", lang))

unmapped = dataset.features[kept & ~mapped]
st.subheader(t("unmapped_title", lang, n=len(unmapped)))
if unmapped.empty:
    st.caption(t("unmapped_none", lang))
else:
    st.html(ui.table_html(ui.places_table(dataset, unmapped, lang)))
