"""Aimak Atlas — Streamlit entry point. Thin: pages live in ui/pages, logic in geo/ and layers/."""
from __future__ import annotations

import streamlit as st

from geo import i18n
from layers.assets import install_static_assets
from ui.common import get_store, tr

st.set_page_config(page_title="Aimak Atlas", layout="wide")


@st.cache_resource(show_spinner=False)
def _assets_ready() -> bool:
    install_static_assets()
    return True


_assets_ready()

if "lang" not in st.session_state:
    st.session_state["lang"] = st.query_params.get("lang", i18n.DEFAULT_LANGUAGE)
with st.sidebar:
    st.selectbox(
        tr("language"), options=list(i18n.LANGUAGES), format_func=lambda code: i18n.LANGUAGES[code],
        key="lang", label_visibility="collapsed",
    )
    if st.session_state["lang"] != st.query_params.get("lang"):
        st.query_params["lang"] = st.session_state["lang"]

with st.spinner(tr("app.preparing_store")):
    get_store()

from ui.auth_ui import sign_in_box  # noqa: E402

with st.sidebar:
    sign_in_box()

from ui.pages import PAGES  # noqa: E402  (pages read the language chosen above)

navigation = st.navigation([st.Page(render, title=tr(title_key), url_path=path, default=(path == "map"))
                            for path, title_key, render in PAGES])
navigation.run()
