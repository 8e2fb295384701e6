"""Importing project files: upload, choose the layer and columns, read the per-row report, commit, undo.

Everything is done by :mod:`geo.project_import` (which checks the role); this page
only collects the choices and shows the report. Nothing is written before the
Commit button; each import can be undone from the history below.
"""
from __future__ import annotations

import hashlib
import html
import tempfile
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import auth
from geo.errors import AimakError, CRSUnresolvedError
from geo.project_import import commit_import, list_imports, preview_import, undo_import
from geo.project_import.checks import kyrgyz_crs_choices
from geo.project_import.columns import FIELDS
from geo.project_import.readers import list_source_layers, read_source
from geo.settings import MAX_UPLOAD_MB
from layers.base_map import finish, new_map
from ui.auth_ui import current_user, error_text, role_label, show_error
from ui.common import get_store, lang, num, tr, utc_text
from ui.downloads import download_buttons

TYPES = ["csv", "txt", "xlsx", "geojson", "json", "gpkg", "zip", "kml", "kmz", "xml"]
_ACTION = {"add": "import.action.add", "update": "import.action.update", "skip": "import.action.skip"}
_STATUS = {"ok": "import.status.ok", "warning": "import.status.warning", "error": "import.status.error"}


def _upload_path(upload) -> Path:
    """The uploaded bytes in a private temporary folder (kept for this session's reruns)."""
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    folders = st.session_state.setdefault("_import_dirs", {})
    folder = folders.get(digest)
    if folder is None or not Path(folder).exists():
        folder = tempfile.mkdtemp(prefix="aimak-import-")
        folders[digest] = folder
    path = Path(folder) / (Path(upload.name).name or "upload")
    if not path.exists():
        path.write_bytes(data)
    return path


def _mapping_widgets(prefix: str, columns: list[str], mapping: dict[str, str]) -> dict[str, str | None]:
    """One dropdown per project field, pre-filled with the guesses; returns the choices made."""
    options = [None, *columns]
    not_mapped = tr("import.not_mapped")
    chosen: dict[str, str | None] = {}
    with st.expander(tr("import.mapping"), expanded=False):
        st.caption(tr("import.mapping_help"))
        cols = st.columns(3)
        for i, field in enumerate(FIELDS):
            key = f"{prefix}_map_{field}"
            if key not in st.session_state:
                st.session_state[key] = mapping.get(field) if mapping.get(field) in columns else None
            value = cols[i % 3].selectbox(
                tr(f"import.field.{field}"), options, key=key,
                format_func=lambda c, n=not_mapped: n if c is None else str(c),
            )
            chosen[field] = value
    return chosen


def _crs_widget(prefix: str, needed: bool, detected: str | None) -> int | None:
    choices = kyrgyz_crs_choices()
    labels = {None: tr("import.crs_auto"), **{code: label for code, label in choices}}
    options = [None, *[code for code, _ in choices]]
    box = st.container() if needed else st.expander(tr("import.crs"), expanded=False)
    with box:
        if needed:
            st.warning(tr("import.crs_needed"))
        elif detected:
            st.caption(tr("import.crs_detected", crs=detected))
        return st.selectbox(tr("import.crs_choose"), options, key=f"{prefix}_crs",
                            format_func=labels.get)


@st.cache_data(show_spinner=False, max_entries=8)
def _columns_of(path: str, name: str, layer: str | None, _mtime: float) -> list[str]:
    table = read_source(path, layer=layer, display_name=name)
    return [str(c) for c in table.frame.columns]


def _preview(store, path: Path, name: str, layer, mapping, crs, user):
    """preview_import, remembered for the same file, choices and store revision."""
    key = (str(path), layer, tuple(sorted((k, v) for k, v in (mapping or {}).items())), crs, store.revision(),
           getattr(user, "username", None))
    cache = st.session_state.get("_import_preview")
    if cache and cache[0] == key:
        return cache[1]
    preview = preview_import(store, path, mapping=mapping, crs=crs, layer=layer, user=user, display_name=name)
    st.session_state["_import_preview"] = (key, preview)
    return preview


def _report_table(preview) -> pd.DataFrame:
    rows = preview.report.rows_frame(lang())
    return pd.DataFrame({
        tr("import.col.row"): rows["row"].astype(str),
        tr("import.col.key"): rows["key"].astype(object).where(rows["key"].notna(), "—").astype(str),
        tr("import.col.action"): [tr(_ACTION.get(a, "import.action.skip")) for a in rows["action"]],
        tr("import.col.status"): [tr(_STATUS.get(s, "import.status.ok")) for s in rows["status"]],
        tr("import.col.messages"): rows["messages"].astype(str),
    })


def _accepted_map(preview) -> None:
    accepted = preview.accepted()
    accepted = accepted[accepted.geometry.notna() & ~accepted.geometry.is_empty]
    if accepted.empty:
        return
    fmap = new_map(relief_name=tr("map.base.relief"), plain_name=tr("map.base.plain"))
    group = folium.FeatureGroup(name=tr("import.map_layer"))
    for _, row in accepted.iterrows():
        tip = html.escape(f"{row['project_id']} — {row['title'] if pd.notna(row['title']) else ''}")
        colour = "#1b7837" if row["_action"] == "add" else "#2166ac"
        geom = row.geometry
        if geom.geom_type == "Point":
            folium.CircleMarker([geom.y, geom.x], radius=7, color=colour, fill=True, fill_opacity=0.8,
                                tooltip=tip).add_to(group)
        else:
            folium.GeoJson(geom.__geo_interface__, tooltip=tip,
                           style_function=lambda _f, c=colour: {"color": c, "weight": 3, "fillOpacity": 0.2}).add_to(group)
    group.add_to(fmap)
    minx, miny, maxx, maxy = accepted.total_bounds
    pad = 0.05
    fmap.fit_bounds([[miny - pad, minx - pad], [maxy + pad, maxx + pad]])
    st_folium(finish(fmap), height=380, use_container_width=True, key="import_map", returned_objects=[])


def _show_report(preview) -> None:
    s = preview.summary
    cols = st.columns(5)
    cols[0].metric(tr("import.count.rows"), num(s["rows"]))
    cols[1].metric(tr("import.count.add"), num(s["to_add"]))
    cols[2].metric(tr("import.count.update"), num(s["to_update"]))
    cols[3].metric(tr("import.count.warnings"), num(s["warning"]))
    cols[4].metric(tr("import.count.errors"), num(s["error"]))
    st.caption(tr("import.summary_line", file=preview.source, fmt=preview.format, crs=preview.crs or "—",
                  funding=num(s.get("funding_to_add", 0) + s.get("funding_to_update", 0)),
                  beneficiaries=num(s.get("beneficiaries_to_add", 0) + s.get("beneficiaries_to_update", 0))))
    for m in preview.report.file_messages:
        text = m.text(lang())
        if m.severity == "error":
            st.error(text)
        elif m.severity == "warning":
            st.warning(text)
        else:
            st.info(text)
    table = _report_table(preview)
    st.markdown(f"**{tr('import.report')}**")
    st.dataframe(table, hide_index=True, width="stretch")
    download_buttons(preview.report.to_frame(lang()), "import_report", "dl_import_report")
    _accepted_map(preview)


def _commit(store, preview, user) -> None:
    s = preview.summary
    skip = False
    if s["error"]:
        st.warning(tr("import.has_errors", n=num(s["error"])))
        skip = st.checkbox(tr("import.skip_errors"), key="import_skip_errors")
    disabled = (s["to_add"] + s["to_update"]) == 0 or (s["error"] > 0 and not skip)
    if st.button(tr("import.commit", n=num(s["to_add"] + s["to_update"])), type="primary", disabled=disabled,
                 key="import_commit"):
        try:
            with st.spinner(tr("import.committing")):
                result = commit_import(store, preview, user, skip_errors=skip)
        except AimakError as exc:
            show_error(exc)
            return
        st.session_state["_import_done"] = {"batch": result.batch_id, "added": len(result.added),
                                            "updated": len(result.updated), "file": result.source}
        st.session_state.pop("_import_preview", None)
        st.session_state["_import_round"] = st.session_state.get("_import_round", 0) + 1
        st.rerun()


def _history(store, user) -> None:
    st.subheader(tr("import.history"))
    imports = list_imports(store)
    if imports.empty:
        st.caption(tr("import.history_empty"))
        return
    imports = imports.sort_values("at", ascending=False).head(30)
    table = pd.DataFrame({
        tr("import.col.batch"): imports["batch_id"].astype(str),
        tr("import.col.at"): utc_text(imports["at"]),
        tr("import.col.user"): imports["user"].astype(str),
        tr("import.col.file"): imports["file"].astype(str),
        tr("import.count.add"): imports["added"].astype(int),
        tr("import.count.update"): imports["updated"].astype(int),
        tr("import.col.undone"): [tr("yes") if u else tr("no") for u in imports["undone"]],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    if not auth.can(user, auth.IMPORT_PROJECTS):
        return
    open_batches = imports[~imports["undone"].astype(bool)]
    if open_batches.empty:
        return
    choice = st.selectbox(tr("import.undo_choose"), open_batches["batch_id"].tolist(), key=f"import_undo_choice_{len(imports)}",
                          format_func=lambda b: _batch_label(open_batches, b))
    if st.button(tr("import.undo"), key="import_undo"):
        try:
            summary = undo_import(store, choice, user)
        except AimakError as exc:
            show_error(exc)
            return
        removed = sum(len(v) for v in summary["removed"].values())
        restored = sum(len(v) for v in summary["restored"].values())
        st.session_state["_import_undone"] = tr("import.undone", batch=choice, removed=num(removed),
                                                restored=num(restored))
        st.rerun()


def _batch_label(frame: pd.DataFrame, batch: str) -> str:
    row = frame[frame["batch_id"] == batch].iloc[0]
    return f"{row['at']} · {row['file']} · {row['user']} ({batch})"


def render() -> None:
    st.title(tr("page.import"))
    store = get_store()
    user = current_user()
    done = st.session_state.pop("_import_done", None)
    if done:
        st.success(tr("import.done", batch=done["batch"], added=num(done["added"]), updated=num(done["updated"]),
                      file=done["file"]))
    undone = st.session_state.pop("_import_undone", None)
    if undone:
        st.success(undone)

    if not auth.can(user, auth.IMPORT_PROJECTS):
        st.info(tr("import.need_editor") if user is None else
                tr("import.role_refused", role=role_label(user.role)))
        _history(store, user)
        return
    if user.role == "editor":
        st.caption(tr("import.editor_scope", units=", ".join(sorted(user.units))))
    st.markdown(tr("import.intro", limit=num(MAX_UPLOAD_MB)))
    round_ = st.session_state.get("_import_round", 0)
    upload = st.file_uploader(tr("import.upload"), type=TYPES, key=f"import_upload_{round_}")
    if upload is not None:
        _work(store, user, upload)
    st.divider()
    _history(store, user)


def _work(store, user, upload) -> None:
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(tr("upload.too_large", size=num(upload.size / 1024 / 1024, 1), limit=num(MAX_UPLOAD_MB)))
        return
    path = _upload_path(upload)
    name = Path(upload.name).name
    prefix = "imp_" + hashlib.sha256(f"{name}{upload.size}".encode()).hexdigest()[:8]
    layer = None
    try:
        layers = list_source_layers(path, display_name=name)
    except AimakError as exc:
        show_error(exc)
        return
    if len(layers) > 1:
        layer = st.selectbox(tr("import.layer"), layers, key=f"{prefix}_layer")
        prefix += "_" + hashlib.sha256(str(layer).encode()).hexdigest()[:6]
    elif layers:
        layer = layers[0]

    chosen = {f: st.session_state.get(f"{prefix}_map_{f}") for f in FIELDS if f"{prefix}_map_{f}" in st.session_state}
    crs = st.session_state.get(f"{prefix}_crs")
    preview, problem = None, None
    try:
        with st.spinner(tr("import.checking")):
            preview = _preview(store, path, name, layer, chosen or None, crs, user)
    except AimakError as exc:
        problem = exc
    if preview is not None:
        columns, mapping = preview.columns, preview.mapping
    else:
        try:
            columns, mapping = _columns_of(str(path), name, layer, path.stat().st_mtime), {}
        except AimakError:
            columns, mapping = [], {}
    if columns:
        _mapping_widgets(prefix, columns, mapping)
        _crs_widget(prefix, isinstance(problem, CRSUnresolvedError), preview.crs if preview else None)
    if problem is not None:
        st.error(error_text(problem))
        return
    _show_report(preview)
    _commit(store, preview, user)

