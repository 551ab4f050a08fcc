"""八个一流 Goals: one goal at a time — its places on the map, its indicators, and how complete the map is."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from beibei_geo.filters import Selection
from beibei_geo.formatting import format_number
from beibei_geo.i18n import label, t
from beibei_geo.join import completeness, indicators_for_goals
from beibei_geo.mapview import feature_bounds
from beibei_geo.urlstate import ViewState

dataset, state = ui.start_page()
lang = state.lang
goal_ids = dataset.goal_ids
requested = state.selection.goals
goal_id = requested[0] if requested else goal_ids[0]


def _choose_goal() -> None:
    ui.write_view(ViewState(Selection(goals=(st.session_state["goal_page_choice"],)), lang))


st.session_state["goal_page_choice"] = goal_id
st.sidebar.radio(t("goal_select", lang), options=goal_ids, key="goal_page_choice",
                 format_func=lambda g: ui.goal_label(dataset, g, lang), on_change=_choose_goal)
basemap = ui.basemap_choice(lang)

st.html(ui.goal_colour_key(dataset, [goal_id], lang, size=30))
features = ui.filtered_features(dataset, Selection(goals=(goal_id,)))

indicators = indicators_for_goals(dataset, [goal_id])
st.subheader(t("goal_indicators", lang))
ui.indicator_cards(dataset, indicators, lang, with_goal=False)

bounds = feature_bounds(features, basemap)
ui.show_map(dataset, lang, basemap, Selection(goals=(goal_id,)), bounds=bounds, height=520,
            key=f"goal_map_{goal_id}")

same_unit = indicators[indicators["unit"] == indicators["unit"].value_counts().index[0]]
if len(same_unit) > 1:
    st.subheader(t("goal_chart", lang) + f" · {same_unit['unit'].iloc[0]}")
    chart = pd.DataFrame({
        t("ind_name", lang): [label({"zh": r["name_zh"], "en": r["name_en"]}, lang) for _, r in same_unit.iterrows()],
        t("ind_value", lang): same_unit["value"].to_numpy(),
    })
    st.bar_chart(chart, x=t("ind_name", lang), y=t("ind_value", lang), horizontal=True)

mapped, listed = int(features["mapped"].sum()), int((~features["mapped"]).sum())
st.subheader(t("goal_places", lang, mapped=mapped, listed=listed))
if features.empty:
    st.caption(t("goal_no_places", lang))
else:
    st.dataframe(ui.places_table(dataset, features, lang), hide_index=True, width="stretch")

st.subheader(t("goal_completeness", lang))
counted = completeness(dataset)
counted = counted[counted["goal"] == goal_id]
if counted.empty:
    st.caption(t("goal_no_completeness", lang))
for _, row in counted.iterrows():
    reported = format_number(row["reported"], lang) + ("余" if row["qualifier"] == "more_than" and lang == "zh" else "")
    line = t("goal_completeness_line", lang, name=label({"zh": row["name_zh"], "en": row["name_en"]}, lang),
             reported=reported, mapped=row["mapped"])
    if row["listed"]:
        line += t("goal_completeness_listed", lang, listed=row["listed"])
    st.markdown("- " + ui.md_escape(line))
