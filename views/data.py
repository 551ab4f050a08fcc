"""数据管理 Data: the state of the data, version history and audit log for everyone; import and restore for editors."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import data_ui
import ui
from beibei_geo.catalog import data_version, default_data_dir
from beibei_geo.history import read_audit, sha256_hex, versions
from beibei_geo.i18n import t
from beibei_geo.importer import import_targets

dataset, state = ui.start_page()
lang = state.lang
data_dir = default_data_dir()
st.title(t("nav_data", lang))
data_ui.flash_messages()

report = data_ui.data_report(str(data_dir), data_version(data_dir))
(st.success if report.ok else st.error)(t("data_status", lang, version=dataset.version, summary=report.summary()))
if report.problems:
    st.dataframe(data_ui.problems_table(report.problems, lang), hide_index=True, width="stretch")

who = data_ui.editor_or_login(lang)
targets = import_targets(dataset.catalog)
if who:
    st.header(t("import_title", lang))
    data_ui.import_flow(dataset, data_dir, targets, who, lang)

st.header(t("history_title", lang))
found = list(reversed(versions(data_dir)))
if not found:
    st.caption(t("history_none", lang))
current = {target: sha256_hex(path.read_bytes()) for target, file in targets.items()
           if (path := data_dir / file).is_file()}
for entry in found[:30]:
    columns = st.columns([1, 3, 2, 2, 6, 2] if who else [1, 3, 2, 2, 6])
    is_current = current.get(entry.target) == entry.sha256
    columns[0].markdown(f"**{entry.version}**")
    columns[1].caption(entry.time.replace("T", " ").removesuffix("+00:00"))
    columns[2].markdown(ui.md_escape(entry.target) + (f" · **{t('history_current', lang)}**" if is_current else ""))
    columns[3].caption(ui.md_escape(entry.who))
    columns[4].caption(ui.md_escape(f"{entry.event}: {entry.summary} · sha256 {entry.sha256[:12]} · "
                                    f"{entry.size:,} B"))
    if who:
        columns[5].button(t("history_restore", lang), key=f"restore_{entry.version}", disabled=is_current,
                          on_click=data_ui.restore, args=(data_dir, entry.version, who, lang))

entries, damaged = read_audit(data_dir)
with st.expander(t("audit_title", lang, n=len(entries))):
    if damaged:
        st.dataframe(data_ui.problems_table(damaged, lang), hide_index=True, width="stretch")
    st.dataframe(pd.DataFrame({
        t("col_time", lang): [e.time for e in entries], t("col_event", lang): [e.event for e in entries],
        t("col_target", lang): [e.target for e in entries], t("col_version", lang): [e.version for e in entries],
        t("col_who", lang): [e.who for e in entries], t("col_file", lang): [e.source or e.file for e in entries],
        t("col_summary", lang): [e.summary for e in entries],
    }).iloc[::-1], hide_index=True, width="stretch")
