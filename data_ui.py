"""Streamlit glue of the Data page: who is an editor, the import steps, restore, and the report tables."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from beibei_geo.auth import PASSWORD_HASH_ENV, LoginThrottle, is_allowed, verify_password
from beibei_geo.basemaps import OFFLINE
from beibei_geo.dataset import Dataset
from beibei_geo.errors import BeibeiGeoError, ImportConflictError, Problem
from beibei_geo.export import to_xlsx_bytes
from beibei_geo.filters import Selection
from beibei_geo.i18n import t
from beibei_geo.importer import (
    CRS_CHOICES,
    LAYER_FORMATS,
    MODES,
    SCENE_FORMATS,
    TABLE_FORMATS,
    ImportOptions,
    StagedImport,
    commit_import,
    preview_dataset,
    record_rejection,
    restore_version,
    stage_import,
    template_table,
)
from beibei_geo.validate import Report, validate_data_dir
from beibei_geo.xlsx import sheet_names

_EDITOR = "editor_name"
_FLASH = "data_flash"
_STAGED = "staged_import"
_UPLOAD_ROUND = "upload_round"  # part of the uploader's key: a new round empties it after an import


@st.cache_resource
def _throttle() -> LoginThrottle:
    """One password throttle for the whole server (not per session, which a new tab would reset)."""
    return LoginThrottle()


@st.cache_resource(max_entries=4)
def data_report(data_dir: str, version: str) -> Report:
    """The validation report of the files on disk, once per data version."""
    return validate_data_dir(data_dir)


def _editor_settings() -> tuple[str, list[str]]:
    """The editor password hash (environment first, then secrets ``[editors]``) and the sign-in allow-list."""
    try:
        editors = dict(st.secrets.get("editors", {}))
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        editors = {}
    password_hash = os.environ.get(PASSWORD_HASH_ENV) or str(editors.get("password_hash", ""))
    allow = editors.get("allow", [])
    return password_hash, [str(item) for item in allow] if isinstance(allow, list) else []


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


def editor_or_login(lang: str) -> str | None:
    """The editor's name for the audit log, or None after showing how to sign in (read-only otherwise)."""
    password_hash, allow = _editor_settings()
    if _oidc_configured() and st.user.is_logged_in:
        email = str(st.user.get("email", ""))
        if is_allowed(email, allow):
            st.sidebar.caption(t("editor_as", lang, who=email))
            st.sidebar.button(t("logout", lang), on_click=st.logout)
            return email
        st.info(t("login_not_allowed", lang, email=email))
    if st.session_state.get(_EDITOR):
        who = st.session_state[_EDITOR]
        st.sidebar.caption(t("editor_as", lang, who=who))
        st.sidebar.button(t("logout", lang), on_click=lambda: st.session_state.pop(_EDITOR, None))
        return who
    if not password_hash and not (_oidc_configured() and allow):
        st.caption(t("data_no_editors", lang))
        return None
    st.caption(t("data_readonly", lang))
    with st.expander(t("login_title", lang)):
        if _oidc_configured() and allow and not st.user.is_logged_in:
            st.button(t("login_oidc", lang), on_click=st.login)
        if password_hash:
            with st.form("editor_login"):
                name = st.text_input(t("login_name", lang))
                password = st.text_input(t("login_password", lang), type="password")
                if st.form_submit_button(t("login_submit", lang)):
                    _check_password(name, password, password_hash, lang)
    return None


def _check_password(name: str, password: str, password_hash: str, lang: str) -> None:
    throttle = _throttle()
    locked = throttle.seconds_locked()
    if locked:
        st.error(t("login_locked", lang, seconds=locked))
    elif name.strip() and verify_password(password, password_hash):
        st.session_state[_EDITOR] = f"{name.strip()[:60]} (password)"
        st.rerun()
    else:
        throttle.record_failure()
        st.error(t("login_failed", lang))


def flash_messages() -> None:
    """Show (once) what the last action did."""
    for kind, text in st.session_state.pop(_FLASH, []):
        getattr(st, kind)(text)


def _flash(kind: str, text: str) -> None:
    st.session_state.setdefault(_FLASH, []).append((kind, text))


def problems_table(problems: list[Problem], lang: str) -> pd.DataFrame:
    """Problems as a table: file, feature/row, rule, message, severity (text only: nothing is rendered as HTML)."""
    return pd.DataFrame({
        t("col_file", lang): [p.file for p in problems], t("col_where", lang): [p.where for p in problems],
        t("col_rule", lang): [p.rule for p in problems], t("col_message", lang): [p.message for p in problems],
        t("col_severity", lang): [t(f"severity_{p.severity}", lang) for p in problems],
    })


def _target_label(dataset: Dataset, target: str, file: str, lang: str) -> str:
    spec = dataset.catalog.layers.get(target)
    return f"{spec.name(lang) if spec else target} · {file}"


def _formats(dataset: Dataset, target: str) -> list[str]:
    if target in dataset.catalog.layers:
        formats = LAYER_FORMATS
    else:
        formats = SCENE_FORMATS if target == "scenes" else TABLE_FORMATS
    return [suffix.lstrip(".") for suffix in formats]


def _stage(data_dir: Path, target: str, name: str, data: bytes, options: ImportOptions) -> StagedImport:
    """`stage_import`, with anything unexpected turned into a report line instead of a traceback."""
    try:
        return stage_import(data_dir, target, name, data, options)
    except Exception as exc:  # the promise: a report, never a traceback, whatever the upload holds
        problem = (exc.problems[0] if isinstance(exc, BeibeiGeoError) else
                   Problem(name, "-", "unexpected-error", f"{type(exc).__name__}: {exc}"))
        staged = StagedImport(target, target, name, "", len(data), "", options)
        staged.problems = [problem]
        return staged


def import_flow(dataset: Dataset, data_dir: Path, targets: dict[str, str], who: str, lang: str) -> None:
    """Upload → report → changes and preview → confirm."""
    left, middle, right = st.columns([3, 2, 3])
    target = left.selectbox(t("import_target", lang), options=list(targets), key="import_target",
                            format_func=lambda tg: _target_label(dataset, tg, targets[tg], lang))
    mode = middle.radio(t("import_mode", lang), options=MODES, key="import_mode", horizontal=True,
                        format_func=lambda m: t(f"import_mode_{m}", lang))
    crs = right.radio(t("import_crs", lang), options=CRS_CHOICES, key="import_crs", horizontal=True,
                      format_func=lambda c: t(f"import_crs_{c}", lang))
    try:
        template = to_xlsx_bytes(template_table(dataset.catalog, target), target)
        st.download_button(t("import_template", lang), template, f"{target}.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    except BeibeiGeoError:
        pass  # lines, polygons and scenes are edited as files, not in Excel
    upload = st.file_uploader(t("import_file", lang), type=_formats(dataset, target),
                              key=f"upload_{target}_{st.session_state.get(_UPLOAD_ROUND, 0)}")
    if upload is None:
        return
    data = upload.getvalue()
    sheet = None
    if upload.name.lower().endswith(".xlsx"):
        try:
            sheets = sheet_names(data, upload.name)
        except BeibeiGeoError:
            sheets = []  # the staged import reports why
        if len(sheets) > 1:
            sheet = st.selectbox(t("import_sheet", lang), options=sheets, index=None, key=f"sheet_{upload.file_id}")
            if sheet is None:
                return  # nothing to check until the editor says which sheet holds the table
    options = ImportOptions(mode, sheet, crs)
    key = (upload.file_id, target, options)
    if st.session_state.get(_STAGED, (None, None))[0] != key:
        staged = _stage(data_dir, target, upload.name, data, options)
        if not staged.ok:
            record_rejection(data_dir, staged, who)
        st.session_state[_STAGED] = (key, staged)
    staged = st.session_state[_STAGED][1]
    _show_staged(data_dir, staged, who, lang)


def _show_staged(data_dir: Path, staged: StagedImport, who: str, lang: str) -> None:
    st.subheader(t("import_report", lang))
    if staged.problems:
        st.dataframe(problems_table(staged.problems, lang), hide_index=True, width="stretch")
    if not staged.ok:
        st.error(t("import_rejected", lang, n=len(staged.blocking)))
        return
    st.success(t("import_clean", lang, summary=staged.summary()))
    st.subheader(t("import_changes", lang))
    if staged.changes:
        st.dataframe(pd.DataFrame({
            t("col_change", lang): [t(f"change_{c.kind}", lang) for c in staged.changes],
            t("col_key", lang): [c.key for c in staged.changes],
            t("col_message", lang): [c.name for c in staged.changes],
            t("col_fields", lang): [", ".join(c.fields) for c in staged.changes],
        }), hide_index=True, width="stretch")
    else:
        st.caption(t("import_no_changes", lang))
    preview = preview_dataset(data_dir, staged)
    st.subheader(t("import_preview", lang))
    if staged.target in preview.catalog.layers and preview.catalog.layers[staged.target].thematic:
        touched = tuple(c.key for c in staged.changes if c.kind != "removed")[:50]  # name what the import adds
        ui.show_map(preview, lang, OFFLINE, Selection(layers=(staged.target,)), height=420, key="import_preview_map",
                    labels=touched)
    elif staged.target in preview.layers:
        st.dataframe(pd.DataFrame(preview.layers[staged.target].drop(columns="geometry")), hide_index=True)
    elif staged.target == "indicators":
        st.dataframe(preview.indicators, hide_index=True)
    elif staged.target == "goals":
        st.dataframe(preview.goals, hide_index=True)
    st.button(t("import_confirm", lang), type="primary", on_click=_commit, args=(data_dir, staged, who, lang))


def _commit(data_dir: Path, staged: StagedImport, who: str, lang: str) -> None:
    st.session_state.pop(_STAGED, None)
    st.session_state[_UPLOAD_ROUND] = st.session_state.get(_UPLOAD_ROUND, 0) + 1
    try:
        entry = commit_import(data_dir, staged, who)
    except ImportConflictError:
        _flash("error", t("import_conflict", lang))
        return
    _flash("success", t("import_done", lang, file=staged.file, version=entry.version))


def restore(data_dir: Path, version: int, who: str, lang: str) -> None:
    """Restore ``version`` (a button callback); the outcome is shown on the next run."""
    try:
        entry = restore_version(data_dir, version, who)
    except BeibeiGeoError as exc:
        _flash("error", t("history_restore_failed", lang, version=version) + " "
               + "; ".join(str(p) for p in exc.problems[:5]))
        return
    _flash("success", t("history_restored", lang, old=version, new=entry.version))
