"""The audit log (who changed what, when, old and new values) and, for admins, user accounts.

Reading the log needs a signed-in account; password hashes and session tokens are
never in it (:mod:`geo.auth` leaves them out). Managing users goes through
:mod:`geo.auth`, which refuses anyone but an admin.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from geo import auth, schema
from geo.errors import AimakError
from layers.boundaries import unit_name
from ui.auth_ui import current_user, role_label, show_error
from ui.common import get_store, lang, load_layer, num, tr, utc_text
from ui.downloads import download_buttons

_COLUMNS = ("at", "user", "action", "layer", "row_key", "old_values", "new_values", "batch_id")


def _log_table() -> pd.DataFrame:
    log = load_layer(schema.AUDIT_LOG.name)
    frame = pd.DataFrame({c: log[c].astype("string") if c in log.columns else pd.array([pd.NA] * len(log), dtype="string")
                          for c in _COLUMNS})
    frame["_when"] = pd.to_datetime(frame["at"], utc=True, errors="coerce")
    return frame.sort_values("_when", ascending=False, na_position="last")


def _filters(frame: pd.DataFrame) -> pd.DataFrame:
    c1, c2, c3 = st.columns([1, 1, 2])
    users = sorted(frame["user"].dropna().unique())
    layers = sorted(frame["layer"].dropna().unique())
    chosen_users = c1.multiselect(tr("audit.filter.user"), users, key="audit_users", placeholder=tr("choose"))
    chosen_layers = c2.multiselect(tr("audit.filter.layer"), layers, key="audit_layers", placeholder=tr("choose"))
    known = frame["_when"].dropna()
    first = known.min().date() if len(known) else date.today()
    last = known.max().date() if len(known) else date.today()
    period = c3.date_input(tr("audit.filter.dates"), value=(first, last), key="audit_dates", format="DD.MM.YYYY")
    out = frame
    if chosen_users:
        out = out[out["user"].isin(chosen_users)]
    if chosen_layers:
        out = out[out["layer"].isin(chosen_layers)]
    if isinstance(period, (tuple, list)) and len(period) == 2:
        day = out["_when"].dt.date
        out = out[(day >= period[0]) & (day <= period[1])]
    return out


def _shown(frame: pd.DataFrame, *, download: bool = False) -> pd.DataFrame:
    """The log as shown; for a download the time stays ISO 8601 text (machine-readable)."""
    return pd.DataFrame({
        tr("audit.col.at"): frame["at"].astype(object) if download else utc_text(frame["at"]),
        tr("audit.col.user"): frame["user"].astype(object),
        tr("audit.col.action"): frame["action"].astype(object),
        tr("audit.col.layer"): frame["layer"].astype(object),
        tr("audit.col.row"): frame["row_key"].astype(object),
        tr("audit.col.old"): frame["old_values"].astype(object),
        tr("audit.col.new"): frame["new_values"].astype(object),
        tr("audit.col.batch"): frame["batch_id"].astype(object),
    }).reset_index(drop=True)


def _unit_options() -> tuple[list[str], dict[str, str]]:
    admin = load_layer("admin_units")
    names = unit_name(admin.set_index("pcode", drop=False), lang())
    ordered = admin.sort_values(["level", "pcode"])
    labels = {code: f"{names.get(code, code)} ({code})" for code in ordered["pcode"].astype(str)}
    return list(labels), labels


def _done(text: str) -> None:
    st.session_state["_users_flash"] = text
    st.rerun()


def _users_admin(store, user: auth.User) -> None:
    st.subheader(tr("users.title"))
    flash = st.session_state.pop("_users_flash", None)
    if flash:
        st.success(flash)
    users = auth.list_users(store)
    table = pd.DataFrame({
        tr("users.col.username"): users["username"].astype(object),
        tr("users.col.name"): users["display_name"].astype(object),
        tr("users.col.role"): [role_label(r) for r in users["role"].astype(str)],
        tr("users.col.units"): users["units"].astype(object),
        tr("users.col.active"): [tr("yes") if (pd.notna(a) and int(a) == 1) else tr("no") for a in users["active"]],
        tr("users.col.updated"): utc_text(users["updated_at"]),
    })
    st.dataframe(table, hide_index=True, width="stretch")
    codes, labels = _unit_options()
    roles = {r: role_label(r) for r in auth.ROLES}

    with st.expander(tr("users.create")):
        with st.form("users_create", clear_on_submit=True):
            a, b = st.columns(2)
            name = a.text_input(tr("users.col.username"), key="uc_name")
            display = b.text_input(tr("users.col.name"), key="uc_display")
            password = a.text_input(tr("auth.password"), type="password", key="uc_password",
                                    help=tr("users.password_help", n=auth.MIN_PASSWORD_LENGTH))
            role = b.selectbox(tr("users.col.role"), list(auth.ROLES), format_func=roles.get, key="uc_role")
            units = st.multiselect(tr("users.col.units"), codes, format_func=lambda c: labels.get(c, c),
                                   key="uc_units", placeholder=tr("choose"), help=tr("users.units_help"))
            create = st.form_submit_button(tr("users.create"), type="primary")
        if create:
            try:
                made = auth.create_user(store, user, name, password, role, units, display)
            except AimakError as exc:
                show_error(exc)
            else:
                _done(tr("users.created", name=made.username, role=role_label(made.role)))

    active = users[users["active"].fillna(0).astype(int) == 1]["username"].astype(str).tolist()
    with st.expander(tr("users.change")):
        who = st.selectbox(tr("users.col.username"), active, key="ur_user")
        current = users[users["username"] == who].iloc[0] if who else None
        now_role = str(current["role"]) if current is not None else "viewer"
        now_units = [u for u in str(current["units"] or "").split(";") if u] if current is not None and pd.notna(current["units"]) else []
        with st.form(f"users_role_{who}"):
            role = st.selectbox(tr("users.col.role"), list(auth.ROLES), index=list(auth.ROLES).index(now_role)
                                if now_role in auth.ROLES else 0, format_func=roles.get, key=f"ur_role_{who}")
            units = st.multiselect(tr("users.col.units"), codes, default=[u for u in now_units if u in codes],
                                   format_func=lambda c: labels.get(c, c), key=f"ur_units_{who}",
                                   placeholder=tr("choose"))
            save = st.form_submit_button(tr("users.set_role"))
        if save and who:
            try:
                auth.set_role(store, user, who, role, units)
            except AimakError as exc:
                show_error(exc)
            else:
                _done(tr("users.role_set", name=who, role=role_label(role)))
        if who and who != user.username:
            if st.button(tr("users.deactivate"), key=f"ud_{who}"):
                try:
                    auth.deactivate_user(store, user, who)
                except AimakError as exc:
                    show_error(exc)
                else:
                    _done(tr("users.deactivated", name=who))


def render() -> None:
    st.title(tr("page.audit"))
    store = get_store()
    user = current_user()
    if user is None:
        st.info(tr("audit.need_sign_in"))
        return
    st.caption(tr("audit.intro"))
    frame = _log_table()
    shown = _filters(frame)
    st.caption(tr("audit.count", shown=num(len(shown)), total=num(len(frame))))
    table = _shown(shown.head(5000))
    st.dataframe(table, hide_index=True, width="stretch", height=420)
    download_buttons(_shown(shown, download=True), "audit_log", "dl_audit")
    if auth.can(user, auth.MANAGE_USERS):
        st.divider()
        _users_admin(store, user)
