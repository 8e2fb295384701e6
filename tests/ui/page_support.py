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
