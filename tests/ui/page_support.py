"""Helpers for the page tests: run one page of the app in Streamlit's AppTest."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest


def render_page(page: str) -> None:
    """The script AppTest runs: one page module's ``render()`` (self-contained, AppTest copies its source)."""
    import importlib

    importlib.import_module(f"ui.pages.{page}").render()


def run_page(page: str, lang: str, *, state: dict | None = None, query: dict | None = None,
             timeout: float = 120) -> AppTest:
    """Run ``ui.pages.<page>`` once in ``lang`` with the given session state and URL query."""
    at = AppTest.from_function(render_page, args=(page,), default_timeout=timeout)
    at.session_state["lang"] = lang
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


@contextmanager
def configured_copy(source: Path, tmp_path: Path, monkeypatch):
    """A private copy of the store file ``source`` in ``tmp_path``, configured for the app
    (AIMAK_STORE, no database URL); Streamlit caches cleared before and after."""
    path = tmp_path / "aimak.gpkg"
    shutil.copy2(source, path)
    monkeypatch.setenv("AIMAK_STORE", str(path))
    monkeypatch.setenv("AIMAK_DATABASE_URL", "")
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        yield path
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


#: Message-key prefixes that must never show on a page as raw keys.
MESSAGE_PREFIXES = ("page.", "unit.", "donors.", "col.", "split.", "rates.", "coverage.", "sector.", "source_type.",
                    "amount_basis.", "beneficiaries.", "level.")


def shown_texts(at: AppTest) -> list[str]:
    """Every label and text of the page (not data cells): headings, captions, messages, metric,
    tab and widget labels, selectbox and radio options, table column names."""
    out = [e.value for e in (*at.title, *at.header, *at.subheader, *at.caption, *at.markdown, *at.info,
                             *at.success, *at.error, *at.warning)]
    out += [m.label for m in at.metric] + [t.label for t in at.tabs]
    out += [w.label for w in (*at.text_input, *at.text_area, *at.selectbox, *at.radio, *at.button, *at.slider)]
    out += [str(o) for w in (*at.selectbox, *at.radio) for o in w.options]
    out += [str(c) for df in at.dataframe for c in df.value.columns]
    return out


def table_with(at: AppTest, *headers: str):
    """The first data table on the page that has all ``headers`` among its columns."""
    for df in at.dataframe:
        if all(h in df.value.columns for h in headers):
            return df.value
    raise AssertionError(f"no table with columns {headers}: {[list(d.value.columns) for d in at.dataframe]}")
