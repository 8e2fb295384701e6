"""Where the data come from, their licences, and what is approximate."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from geo.reports import DATA_SOURCES
from geo.settings import DATA_DIR
from geo.stats import store_stats
from ui.common import get_store, tr
from ui.downloads import download_buttons


def render() -> None:
    st.title(tr("page.about"))
    st.markdown(tr("about.intro"))
    st.markdown(tr("about.names"))
    st.markdown(f"#### {tr('about.store')}")
    st.code(json.dumps(store_stats(get_store()), ensure_ascii=False, indent=1), language="json")
    st.markdown(f"#### {tr('download.sources')}")
    table = pd.DataFrame({
        tr("report.col.dataset"): [s["name"] for s in DATA_SOURCES],
        tr("report.col.used_for"): [tr(s["what"]) for s in DATA_SOURCES],
        tr("report.col.licence"): [tr(s["licence"]) if s["licence"].startswith("report.") else s["licence"]
                                   for s in DATA_SOURCES],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    download_buttons(table, "data_sources", "dl_about_sources")
    sources = DATA_DIR / "SOURCES.md"
    if sources.exists():
        st.markdown(f"#### {tr('about.sources')}")
        st.markdown(sources.read_text(encoding="utf-8"))
