"""Streamlit glue shared by the pages: cached data, URL state ↔ widgets, filters, the map and the legend.

The library (`beibei_geo`) does the work; this module only reads widgets and the URL and draws.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import map_component
from beibei_geo.assets import install_vendor_assets
from beibei_geo.basemaps import OFFLINE, Basemap, basemaps_from_config
from beibei_geo.dataset import Dataset, data_version, default_data_dir, load_dataset, per_version
from beibei_geo.deck import build_pdf, build_pptx
from beibei_geo.errors import BeibeiGeoError
from beibei_geo.filters import EVERYTHING, Selection, selection_mask
from beibei_geo.formatting import indicator_baseline, indicator_figure
from beibei_geo.htmlexport import map_html
from beibei_geo.i18n import DEFAULT_LANG, LANGS, label, t
from beibei_geo.join import feature_goal_table, feature_township_names
from beibei_geo.mapview import (
    base_map,
    escape_text,
    label_group,
    legend_entries,
    legend_html,
    popup_html,
    thematic_groups,
    use_webgl,
)
from beibei_geo.urlstate import Allowed, Notice, ViewState, parse_view, to_query
from beibei_geo.webgl import MAX_INLINE, deck, write_files

_MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:"})

#: Widget keys of the sidebar filters, by Selection field.
FILTER_KEYS = {"goals": "filter_goals", "layers": "filter_layers", "towns": "filter_towns",
               "statuses": "filter_status", "text": "filter_text"}
LANG_KEY = "filter_lang"
_SYNCED = "_synced_query"
STATIC_DIR = Path(__file__).parent / "static"  # served by Streamlit at /app/static/
VIEWS_DIR = Path(__file__).parent / "views"


@st.cache_resource
def install_assets() -> Path:
    """Copy Leaflet & co. into ``static/vendor`` once per server."""
    return install_vendor_assets(STATIC_DIR)


@st.cache_resource(max_entries=4)
def _load(version: str) -> Dataset:
    """The loaded data, cached per data version (a hash of the files): an edit is picked up on the next run."""
    return load_dataset(default_data_dir())


def url_lang() -> str:
    """The language the URL asks for (Chinese when absent or unknown)."""
    lang = st.query_params.get("lang", DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def navigation_pages(lang: str) -> list[st.Page]:
    """The dashboard's pages in the navigation, the overview first (the default page)."""
    return [
        st.Page(VIEWS_DIR / "overview.py", title=t("nav_overview", lang), default=True),
        st.Page(VIEWS_DIR / "goals.py", title=t("nav_goals", lang), url_path="goals"),
        st.Page(VIEWS_DIR / "present.py", title=t("nav_present", lang), url_path="present"),
        st.Page(VIEWS_DIR / "indicators.py", title=t("nav_indicators", lang), url_path="indicators"),
        st.Page(VIEWS_DIR / "data.py", title=t("nav_data", lang), url_path="data"),
    ]


@st.cache_resource
def _last_good() -> dict[str, Dataset]:
    """The last data that loaded, shared by every session of this server."""
    return {}


def dataset_or_stop(lang: str) -> Dataset:
    """The current data. When the files on disk fail validation, the last good data is served with a warning;
    when there never was any, the problems are shown and the page stops."""
    last_good = _last_good()
    try:
        dataset = _load(data_version())
    except BeibeiGeoError as exc:
        if "dataset" in last_good:
            st.warning(t("data_last_good", lang, n=len(exc.problems), version=last_good["dataset"].version))
            return last_good["dataset"]
        st.error(t("data_invalid", lang))
        st.code("\n".join(str(problem) for problem in exc.problems[:50]), language=None)
        st.stop()
    last_good["dataset"] = dataset
    return dataset


@per_version
def _allowed(dataset: Dataset) -> Allowed:
    return Allowed.from_dataset(dataset)


def read_view(dataset: Dataset) -> tuple[ViewState, list[Notice]]:
    """The view the URL describes, and notices for the values it had to ignore."""
    return parse_view(st.query_params.to_dict(), _allowed(dataset))


def write_view(state: ViewState) -> None:
    """Put ``state`` in the URL (a new history entry, so back/forward step through views)."""
    query = to_query(state)
    st.session_state[_SYNCED] = sorted(query.items())
    st.query_params.from_dict(query)


def _sync_widgets(state: ViewState) -> None:
    """Set the widgets from the URL when the URL changed outside them (first load, back/forward, a link)."""
    query = sorted(to_query(state).items())
    if st.session_state.get(_SYNCED) == query:
        return
    for attribute, key in FILTER_KEYS.items():
        value = getattr(state.selection, attribute)
        st.session_state[key] = value if isinstance(value, str) else list(value)
    st.session_state[LANG_KEY] = state.lang
    st.session_state[_SYNCED] = query


def _view_from_widgets() -> ViewState:
    values = {attribute: st.session_state.get(key) for attribute, key in FILTER_KEYS.items()}
    selection = Selection(goals=tuple(values["goals"] or ()), layers=tuple(values["layers"] or ()),
                          towns=tuple(values["towns"] or ()), statuses=tuple(values["statuses"] or ()),
                          text=(values["text"] or "").strip())
    return ViewState(selection, st.session_state.get(LANG_KEY) or DEFAULT_LANG)


def _on_widget_change() -> None:
    write_view(_view_from_widgets())


def _clear_filters() -> None:
    write_view(ViewState(lang=st.session_state.get(LANG_KEY) or DEFAULT_LANG))


def md_escape(text: str) -> str:
    """Backslash every Markdown special character, so data text shows as typed (no links, images, math)."""
    return str(text).translate(_MARKDOWN_SPECIALS)


def goal_label(dataset: Dataset, goal_id: str, lang: str) -> str:
    return _goal_labels(dataset, lang)[goal_id]


@per_version
def _goal_labels(dataset: Dataset, lang: str) -> dict[str, str]:
    return {goal["goal_id"]: label({"zh": goal["name_zh"], "en": goal["name_en"]}, lang)
            for goal in dataset.goals.to_dict("records")}


def swatch_line(text: str, color: str | None, size: int = 13) -> str:
    """Escaped HTML: ``text`` (``size`` px, bold when large) after a square of ``color`` (none when None)."""
    weight = 600 if size > 20 else 400
    swatch = (f"<span style='display:inline-block;width:{size * 0.8:.0f}px;height:{size * 0.8:.0f}px;"
              f"border-radius:2px;margin-right:6px;background:{escape_text(color)}'></span>") if color else ""
    return f"<div style='font-size:{size}px;font-weight:{weight};line-height:1.6'>{swatch}{escape_text(text)}</div>"


def goal_colour_key(dataset: Dataset, goal_ids: list[str], lang: str, size: int = 13) -> str:
    """Escaped HTML: each goal's name after a swatch of its colour."""
    goals = dataset.goals.set_index("goal_id")
    return "".join(swatch_line(goal_label(dataset, g, lang), goals.at[g, "color"], size) for g in goal_ids)


@functools.lru_cache(maxsize=8)
def _export(version: str, kind: str, lang: str) -> bytes:
    dataset = _load(version)
    if kind == "html":
        return map_html(dataset, (), lang).encode("utf-8")
    return (build_pdf if kind == "pdf" else build_pptx)(dataset, lang)


def export_bytes(kind: str, lang: str) -> bytes:
    """The review deck (``pptx``/``pdf``) or the offline ``html`` map of the current data, built once per version."""
    return _export(data_version(), kind, lang)


def start_page() -> tuple[Dataset, ViewState]:
    """Every page starts here: data, the view from the URL (notices shown), widgets in sync, language switch."""
    install_assets()
    dataset = dataset_or_stop(url_lang())
    state, notices = read_view(dataset)
    _sync_widgets(state)
    st.sidebar.radio(t("language", state.lang), options=list(LANGS), key=LANG_KEY, horizontal=True,
                     format_func={"zh": "中文", "en": "English"}.get, on_change=_on_widget_change)
    for notice in notices:
        st.warning(t(notice.key, state.lang, **notice.values))
    return dataset, state


def sidebar_filters(dataset: Dataset, state: ViewState, with_places: bool = True,
                    container: DeltaGenerator | None = None) -> None:
    """Goal (in their colours), layer, 街镇, status and text filters, all kept in the URL; in ``container`` of
    the sidebar when given, else at its end."""
    lang = state.lang
    sidebar = container or st.sidebar
    sidebar.header(t("filters", lang))
    sidebar.multiselect(t("filter_goals", lang), options=dataset.goal_ids, key=FILTER_KEYS["goals"],
                        placeholder=t("choose", lang), format_func=lambda g: goal_label(dataset, g, lang),
                        on_change=_on_widget_change)
    sidebar.html(goal_colour_key(dataset, list(state.selection.goals) or dataset.goal_ids, lang))
    if with_places:
        layers = {spec.id: spec.name(lang) for spec in dataset.catalog.thematic_layers}
        sidebar.multiselect(t("filter_layers", lang), options=list(layers), key=FILTER_KEYS["layers"],
                            placeholder=t("choose", lang), format_func=layers.get, on_change=_on_widget_change)
        towns = list(_allowed(dataset).towns.values())
        sidebar.multiselect(t("filter_towns", lang), options=list(dict.fromkeys(towns)), key=FILTER_KEYS["towns"],
                            placeholder=t("choose", lang), on_change=_on_widget_change)
        statuses = dataset.catalog.status
        sidebar.multiselect(t("filter_status", lang), options=list(statuses), key=FILTER_KEYS["statuses"],
                            placeholder=t("choose", lang), format_func=lambda s: label(statuses[s], lang),
                            on_change=_on_widget_change)
    sidebar.text_input(t("filter_text" if with_places else "ind_search", lang), key=FILTER_KEYS["text"],
                       on_change=_on_widget_change)
    sidebar.button(t("filter_reset", lang), on_click=_clear_filters)


def basemap_choice(lang: str) -> Basemap:
    """The basemap picked in the sidebar among the offline one and those configured in secrets."""
    try:
        config = st.secrets.get("basemaps")
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        config = None
    basemaps, problems = basemaps_from_config(config)
    for problem in problems:
        st.sidebar.warning(problem)
    if len(basemaps) == 1:
        return OFFLINE
    by_id = {b.id: b for b in basemaps}
    chosen = st.sidebar.selectbox(t("basemap", lang), options=list(by_id), format_func=lambda i: by_id[i].name(lang),
                                  key="basemap")
    return by_id[chosen]


@per_version
def kept_rows(dataset: Dataset, selection: Selection) -> pd.Series:
    """Which features ``selection`` keeps, a boolean per feature (kept per data version and selection: a page run
    that only counts or picks a few rows takes none of the others)."""
    return selection_mask(dataset.features, selection, feature_township_names(dataset), feature_goal_table(dataset))


def filtered_features(dataset: Dataset, selection: Selection) -> pd.DataFrame:
    return dataset.features[kept_rows(dataset, selection)]


def show_map(dataset: Dataset, lang: str, basemap: Basemap, selection: Selection = EVERYTHING,
             bounds: list[list[float]] | None = None, height: int = 620, key: str = "map",
             labels: tuple[str, ...] = (), scale: float = 1.0) -> None:
    """The map of what ``selection`` keeps of ``dataset``, with the legend under it.

    Normal data: folium, a stable base map with the filtered layers as feature groups, each rendered once per data
    version and view (a filter change renders only the layers). Large data: WebGL.
    ``labels`` names features to label permanently; ``scale`` enlarges markers (presentations).
    """
    if use_webgl(dataset):
        _show_webgl_map(dataset, lang, bounds, height, key, labels, scale, selection)
        return
    write_files(dataset, STATIC_DIR)  # once per data version (a stat on other runs); the browser fetches them once
    view = tuple(map(tuple, bounds)) if bounds else None
    map_component.show(_rendered_base(dataset, lang, basemap, view),
                       _rendered_layers(dataset, lang, basemap, selection, labels, scale), height, key)
    st.html(_legend(dataset, lang, selection))


@per_version
def _rendered_base(dataset: Dataset, lang: str, basemap: Basemap,
                   bounds: tuple[tuple[float, ...], ...] | None) -> map_component.RenderedMap:
    files = write_files(dataset, STATIC_DIR)
    return map_component.render_map(base_map(dataset, lang, basemap, list(map(list, bounds)) if bounds else None,
                                             base_urls=files.base_geojson))


@per_version
def _rendered_layers(dataset: Dataset, lang: str, basemap: Basemap, selection: Selection, labels: tuple[str, ...],
                     scale: float) -> map_component.Rendered | None:
    features = filtered_features(dataset, selection)
    groups = thematic_groups(dataset, features, lang, basemap, scale, selection, write_files(dataset, STATIC_DIR))
    if labels:
        groups.append(label_group(features, labels, basemap))
    return map_component.render_groups(groups) if groups else None


@per_version
def _legend(dataset: Dataset, lang: str, selection: Selection) -> str:
    return legend_html(legend_entries(dataset, filtered_features(dataset, selection), lang), lang)


def _show_webgl_map(dataset: Dataset, lang: str, bounds: list[list[float]] | None, height: int, key: str,
                    labels: tuple[str, ...], scale: float, selection: Selection) -> None:
    """The deck.gl map: data by URL, filtered in the browser; a click shows the place's details under the map."""
    features = filtered_features(dataset, selection)
    west, south, east, north = dataset.catalog.district_bbox
    files = write_files(dataset, STATIC_DIR)  # written once per data version
    previous = st.session_state.get(key)
    picked = [row for rows in (previous or {}).get("selection", {}).get("objects", {}).values() for row in rows]
    selected = str(picked[0].get("id")) if picked else None
    spec = deck(dataset, files, selection, features, bounds or [[south, west], [north, east]], labels, selected,
                scale)
    st.pydeck_chart(spec, height=height, on_select="rerun", selection_mode="single-object", key=key)
    st.caption(t("webgl_notice", lang))
    if selection.text and len(features) > MAX_INLINE:
        st.warning(t("webgl_search_capped", lang, n=MAX_INLINE))
    st.html(_legend(dataset, lang, selection))
    chosen = features[features["id"] == selected] if selected else features.iloc[:0]
    if not chosen.empty:
        st.html(popup_html(dataset, chosen.iloc[0], lang))


def indicator_cards(dataset: Dataset, indicators: pd.DataFrame, lang: str, with_goal: bool = True,
                    large: bool = False) -> None:
    """Indicators as cards: goal colour, the figure in large type, baseline → current, the quotation on hover.

    ``large`` stacks bigger cards in one column (for the projector).
    """
    goals = dataset.goals.set_index("goal_id")
    big, small = ((40, 18) if len(indicators) <= 4 else (32, 16)) if large else (26, 14)  # five fit a laptop
    cards = []
    for _, row in indicators.iterrows():
        goal = goals.loc[row["goal"]]
        baseline = indicator_baseline(row, lang)
        year = f"{row['baseline_year']} " if pd.notna(row["baseline_year"]) else ""
        change = f"{year}{baseline} → {indicator_figure(row, lang)}" if baseline else ""
        when = str(row["year"]) if pd.notna(row["year"]) else (row["period_zh"] if lang == "zh" else "")
        goal_line = label({"zh": goal["short_zh"], "en": goal["short_en"]}, lang) if with_goal else ""
        figure, name = indicator_figure(row, lang), label({"zh": row["name_zh"], "en": row["name_en"]}, lang)
        cards.append(
            f"<div title='{escape_text(row['quote'])}' style='border:1px solid #ddd;border-top:4px solid "
            f"{escape_text(goal['color'])};border-radius:8px;padding:{'6px 12px' if large else '10px 12px'};"
            f"background:#fff'>"
            f"<div style='font-size:12px;color:#666'>{escape_text(goal_line)}</div>"
            f"<div style='font-size:{big}px;font-weight:600;line-height:1.25'>{escape_text(figure)}</div>"
            f"<div style='font-size:{small}px'>{escape_text(name)}</div>"
            f"<div style='font-size:12px;color:#2e7d32'>{escape_text(change)}</div>"
            f"<div style='font-size:12px;color:#888'>{escape_text(when)}</div></div>")
    columns = "1fr" if large else "repeat(auto-fill,minmax(220px,1fr))"
    st.html(f"<div style='display:grid;grid-template-columns:{columns};gap:10px'>" + "".join(cards) + "</div>")


def table_html(table: pd.DataFrame) -> str:
    """A small table as plain, escaped HTML: lighter for the browser than `st.dataframe` (no grid to load)."""
    cells = "padding:4px 10px;border-bottom:1px solid #e6e6e6;text-align:left;vertical-align:top"
    head = "".join(f"<th style='{cells};color:#555'>{escape_text(name)}</th>" for name in table.columns)
    rows = "".join("<tr>" + "".join(f"<td style='{cells}'>{escape_text(value)}</td>" for value in row) + "</tr>"
                   for row in table.itertuples(index=False))
    return (f"<table style='border-collapse:collapse;font-size:14px;width:100%'><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def places_table(dataset: Dataset, features: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Features as a readable table in ``lang``."""
    layers = {spec.id: spec for spec in dataset.catalog.thematic_layers}
    precision = dataset.catalog.location_precision
    return pd.DataFrame({
        t("field_name", lang): features["name"],
        t("field_layer", lang): features["layer"].map(lambda layer: layers[layer].name(lang)),
        t("field_goals", lang): features["goals"].map(lambda gs: " · ".join(goal_label(dataset, g, lang) for g in gs)),
        t("field_category", lang): [layers[ly].category_label(c, lang) for ly, c in
                                    zip(features["layer"], features["category"], strict=True)],
        t("field_township", lang): features["township"],
        t("field_location", lang): features["location_precision"].map(lambda p: label(precision.get(p, {}), lang)),
        t("field_description", lang): features["description"],
    })
