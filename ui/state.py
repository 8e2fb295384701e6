"""The selected unit, kept in st.session_state and in the URL (?unit=PCODE) so views can be shared."""
from __future__ import annotations

import pandas as pd
import streamlit as st


def selected_unit(admin: pd.DataFrame) -> str | None:
    """The selected unit's P-code from the URL or session; None for the whole country."""
    code = st.query_params.get("unit") or st.session_state.get("unit")
    if code and code in set(admin["pcode"]):
        st.session_state["unit"] = code
        return code
    return None


def set_selected_unit(code: str | None) -> None:
    """Select a unit (None = country) and rerun so every page follows."""
    st.session_state["unit"] = code
    if code:
        st.query_params["unit"] = code
    elif "unit" in st.query_params:
        del st.query_params["unit"]
    st.rerun()
