"""What every page shares: the store, cached layers, the language and messages."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import i18n
from geo.i18n import format_date
from geo.store import Store, open_store


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """The configured store (one per server process)."""
    from geo.build import ensure_store

    store = open_store()
    ensure_store(store)
    return store


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_layer(name: str, revision: str):
    return get_store().read(name)


def load_layer(name: str):
    """A store layer, cached until the store changes."""
    store = get_store()
    return _cached_layer(name, store.revision())


def lang() -> str:
    """The language chosen in the sidebar (ky, ru or en)."""
    return st.session_state.get("lang", i18n.DEFAULT_LANGUAGE)


def tr(key: str, **fields) -> str:
    """A message in the chosen language."""
    return i18n.t(key, lang(), **fields)


def num(value, decimals: int = 0) -> str:
    """A number formatted for the chosen language; missing shows as a dash."""
    return i18n.format_number(value, lang(), decimals)


def utc_text(values, language: str | None = None) -> list[str]:
    """Timestamps (ISO text with an offset) as UTC date and time in the language's convention:
    ``23.11.2026 13:41`` (ky, ru), ``23 November 2026 13:41`` (en); unreadable or missing ones as ``—``.
    The column header says UTC."""
    language = language or lang()
    when = pd.to_datetime(pd.Series(values, dtype="object"), utc=True, errors="coerce", format="ISO8601")
    return ["—" if pd.isna(w) else f"{format_date(w, language)} {w:%H:%M}" for w in when]
