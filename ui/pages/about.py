"""Where the data come from, their licences, and what is approximate."""
from __future__ import annotations

import json

import streamlit as st

from geo.settings import DATA_DIR
from geo.stats import store_stats
from ui.common import get_store, tr


def render() -> None:
    st.title(tr("page.about"))
    st.markdown(tr("about.intro"))
    st.markdown(f"#### {tr('about.store')}")
    st.code(json.dumps(store_stats(get_store()), ensure_ascii=False, indent=1), language="json")
    sources = DATA_DIR / "SOURCES.md"
    if sources.exists():
        st.markdown(f"#### {tr('about.sources')}")
        st.markdown(sources.read_text(encoding="utf-8"))
