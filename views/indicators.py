"""指标 Indicators: every figure of the article with its quotation; search, goal filter, charts, downloads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from beibei_geo.export import to_csv_bytes, to_xlsx_bytes
from beibei_geo.filters import normalise_text
from beibei_geo.formatting import indicator_baseline, indicator_figure
from beibei_geo.i18n import label, t
from beibei_geo.join import indicators_for_goals

dataset, state = ui.start_page()
lang = state.lang
ui.sidebar_filters(dataset, state, with_places=False)
st.title(t("nav_indicators", lang))

indicators = indicators_for_goals(dataset, state.selection.goals)
needle = normalise_text(state.selection.text)
if needle:
    haystack = (indicators["name_zh"] + "\n" + indicators["name_en"] + "\n" + indicators["quote"] + "\n"
                + indicators["area"]).map(normalise_text)
    indicators = indicators[haystack.str.contains(needle, regex=False)]

table = pd.DataFrame({
    t("ind_goal", lang): indicators["goal"].map(lambda g: ui.goal_label(dataset, g, lang)),
    t("ind_name", lang): [label({"zh": r["name_zh"], "en": r["name_en"]}, lang) for _, r in indicators.iterrows()],
    t("ind_value", lang): [indicator_figure(r, lang) for _, r in indicators.iterrows()],
    t("ind_baseline", lang): [indicator_baseline(r, lang) for _, r in indicators.iterrows()],
    t("ind_baseline_year", lang): indicators["baseline_year"].astype("string").fillna(""),
    t("ind_year", lang): indicators["year"].astype("string").fillna(""),
    t("ind_period", lang): indicators["period_zh"],
    t("ind_area", lang): indicators["area"],
    t("ind_quote", lang): indicators["quote"],
})
st.markdown(t("ind_count", lang, n=len(table)))
if table.empty:
    st.info(t("ind_none", lang))
else:
    st.dataframe(table, hide_index=True, width="stretch")
    download = indicators.drop(columns=["row"])
    left, right = st.columns(2)
    left.download_button(t("ind_download_csv", lang), to_csv_bytes(download), "beibei-indicators.csv", "text/csv")
    right.download_button(t("ind_download_xlsx", lang), to_xlsx_bytes(download), "beibei-indicators.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    st.subheader(t("ind_chart_title", lang))
    per_goal = indicators.groupby("goal", sort=False).size()
    short = dataset.goals.set_index("goal_id")[f"short_{lang}"]
    st.bar_chart(pd.DataFrame({t("ind_goal", lang): short.loc[per_goal.index].to_numpy(),
                               t("ind_count", lang, n=""): per_goal.to_numpy()}),
                 x=t("ind_goal", lang), y=t("ind_count", lang, n=""), horizontal=True, x_label="", y_label="")
    percent = indicators[indicators["unit"] == "%"]
    if not percent.empty:
        st.subheader(t("ind_chart_percent", lang))
        st.bar_chart(pd.DataFrame({
            t("ind_name", lang): [label({"zh": r["name_zh"], "en": r["name_en"]}, lang) for _, r in percent.iterrows()],
            "%": percent["value"].to_numpy()}), x=t("ind_name", lang), y="%", horizontal=True)
