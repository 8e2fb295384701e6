"""Signing in and out in the sidebar; the signed-in user for every page.

The browser session keeps only the session token (``st.session_state['token']``);
each run asks the store who it belongs to (:func:`geo.auth.session_user`), so an
expired, signed-out or deactivated session ends here too. Nobody signed in is a
viewer. ``st.session_state['user']`` mirrors the current :class:`geo.auth.User`
for pages that read it (the canals editor).

Permissions are checked in ``geo/`` (:func:`geo.auth.require`); pages use
:func:`current_user` only to decide what to show.
"""
from __future__ import annotations

import streamlit as st

from geo import auth
from geo.errors import AimakError, PermissionDeniedError, StaleVersionError
from ui.common import get_store, lang, tr

TOKEN_KEY = "token"
_NOTICE_KEY = "_auth_notice"


def _forget() -> None:
    for key in (TOKEN_KEY, "user"):
        st.session_state.pop(key, None)


def current_user() -> auth.User | None:
    """The signed-in user, or None (a viewer) when nobody is signed in or the session ended."""
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        st.session_state.pop("user", None)
        return None
    try:
        user = auth.session_user(get_store(), token)
    except PermissionDeniedError as exc:
        _forget()
        st.session_state[_NOTICE_KEY] = "auth.expired" if getattr(exc, "key", None) == "err.auth.session_expired" else "auth.ended"
        return None
    st.session_state["user"] = user
    return user


def role_label(role: str) -> str:
    return tr(f"role.{role}")


def reason_text(exc: Exception) -> str:
    """The message of an exception alone, in the chosen language when it comes from ``geo/`` with a key."""
    return exc.text(lang()) if isinstance(exc, AimakError) else str(exc)


def error_text(exc: Exception) -> str:
    """A translated lead-in plus the message from ``geo/`` in the chosen language
    (errors raised with a catalogue key; others keep their English text, which names rows, columns, users)."""
    if isinstance(exc, PermissionDeniedError):
        key = "error.permission"
    elif isinstance(exc, StaleVersionError):
        key = "error.stale"
    elif isinstance(exc, AimakError):
        key = "error.refused"
    else:
        key = "error.unexpected"
    return tr(key, reason=reason_text(exc))


def show_error(exc: Exception) -> None:
    st.error(error_text(exc))


def sign_in_box() -> auth.User | None:
    """The sidebar box: a sign-in form, or who is signed in with a sign-out button."""
    user = current_user()
    notice = st.session_state.pop(_NOTICE_KEY, None)
    with st.container(border=True):
        if user is not None:
            st.markdown(tr("auth.signed_in_as", name=_md(user.label), role=role_label(user.role)))
            if user.role == "editor" and user.units:
                st.caption(tr("auth.units", units=", ".join(sorted(user.units))))
            if st.button(tr("auth.sign_out"), key="auth_sign_out", width="stretch"):
                try:
                    auth.sign_out(get_store(), st.session_state.get(TOKEN_KEY, ""))
                except AimakError:
                    pass
                _forget()
                st.rerun()
            return user
        if notice:
            st.warning(tr(notice))
        with st.form("auth_sign_in", clear_on_submit=False, border=False):
            st.markdown(f"**{tr('auth.title')}**")
            name = st.text_input(tr("auth.username"), key="auth_username", autocomplete="username")
            password = st.text_input(tr("auth.password"), type="password", key="auth_password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button(tr("auth.sign_in"), width="stretch")
        if submitted:
            try:
                token, signed = auth.sign_in(get_store(), name, password)
            except AimakError as exc:
                wrong = getattr(exc, "key", None) == "err.auth.wrong_password"
                st.error(tr("auth.wrong") if wrong else error_text(exc))
                return None
            st.session_state[TOKEN_KEY] = token
            st.session_state["user"] = signed
            st.session_state.pop("auth_password", None)
            st.rerun()
        st.caption(tr("auth.viewer_note"))
    return None


def _md(text: str) -> str:
    """Text safe inside Markdown (no formatting or links from user names)."""
    out = str(text)
    for ch in "\\`*_{}[]()#+-.!|<>~":
        out = out.replace(ch, "\\" + ch)
    return out
