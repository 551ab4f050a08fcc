"""汇报 Present: the review meeting, scene by scene (← / →), with PPTX, PDF and offline HTML exports."""

from __future__ import annotations

import streamlit as st

import ui
from beibei_geo.basemaps import OFFLINE
from beibei_geo.i18n import t
from beibei_geo.presentation import scene_bounds, scene_features, scene_indicators, scene_selection

st.set_page_config(initial_sidebar_state="collapsed")  # the room is for the map when a link opens this page
dataset, state = ui.start_page()
lang = state.lang
presentation = dataset.presentation
if presentation is None or not presentation.scenes:
    st.info(t("present_none", lang))
    st.stop()
scenes = presentation.scenes


def _scene_number() -> int | None:
    """The 1-based scene of the URL, or None when it names no scene."""
    raw = st.query_params.get("scene", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= len(scenes) else None


def _go(step: int) -> None:
    """Step from the scene the URL shows now (quick key presses each count)."""
    st.query_params["scene"] = str(min(max((_scene_number() or 1) + step, 1), len(scenes)))


number = _scene_number()
if number is None:
    st.warning(t("notice_unknown_scene", lang, value=st.query_params.get("scene", "")[:20]))
    number = 1
scene = scenes[number - 1]


st.html("<style>.block-container{padding-top:3.4rem;padding-bottom:0.5rem}</style>")
head, position, previous, following = st.columns([6, 1.4, 1.4, 1.4], vertical_alignment="center")
colour = dataset.goals.set_index("goal_id")["color"].get(scene.goal) if scene.goal else None
head.html(ui.swatch_line(scene.text("title", lang), colour, size=34))
position.markdown(f"**{t('present_position', lang, n=number, total=len(scenes))}**")
previous.button(t("present_prev", lang), on_click=_go, args=(-1,), shortcut="Left", disabled=number == 1,
                key="present_prev")
following.button(t("present_next", lang), on_click=_go, args=(1,), shortcut="Right",
                 disabled=number == len(scenes), key="present_next")

features = scene_features(dataset, scene)
west, south, east, north = scene_bounds(dataset, scene, features)
left, right = st.columns([5, 2])
with left:
    ui.show_map(dataset, lang, OFFLINE, scene_selection(scene), bounds=[[south, west], [north, east]], height=470,
                key="present_map", labels=scene.highlight, scale=1.6)
with right:
    ui.indicator_cards(dataset, scene_indicators(dataset, scene), lang, with_goal=scene.kind != "goal", large=True)
st.markdown(f"### {ui.md_escape(scene.text('caption', lang))}")
st.caption(ui.md_escape(f"{t('present_stamp', lang, date=presentation.data_date(lang))} · {t('map_notice', lang)} · "
                        f"{t('map_sources', lang)} · {t('present_keys', lang)}"))

with st.expander(t("present_notes", lang)):
    st.write(ui.md_escape(scene.text("notes", lang)))
pptx, pdf, html = st.columns(3)
pptx.download_button(t("present_download_pptx", lang), lambda: ui.export_bytes("pptx", lang), "beibei-review.pptx",
                     "application/vnd.openxmlformats-officedocument.presentationml.presentation")
pdf.download_button(t("present_download_pdf", lang), lambda: ui.export_bytes("pdf", lang), "beibei-review.pdf",
                    "application/pdf")
html.download_button(t("present_download_html", lang), lambda: ui.export_bytes("html", lang), "beibei-map.html",
                     "text/html")
