"""Import the official OCHA COD-AB boundaries (levels 1–3) in one step."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geo import auth
from geo.errors import AimakError
from geo.settings import MAX_UPLOAD_MB
from ui.auth_ui import current_user, reason_text
from ui.common import get_store, lang, load_layer, num, tr
from ui.downloads import download_buttons


def render() -> None:
    st.title(tr("page.boundaries"))
    admin = load_layer("admin_units")
    counts = admin.groupby("level").size()
    sources = admin.groupby("level")["source"].first()
    table = pd.DataFrame({
        tr("boundaries.level"): [tr(f"level.{lv}") for lv in (1, 2, 3)],
        tr("boundaries.count"): [num(counts.get(lv, 0)) for lv in (1, 2, 3)],
        tr("boundaries.source"): [sources.get(lv, tr("boundaries.not_loaded")) for lv in (1, 2, 3)],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    download_buttons(table, "boundary_levels", "dl_boundaries")
    if 3 not in counts.index:
        st.warning(tr("level3.missing"))
    st.markdown(tr("boundaries.howto"))
    user = current_user()
    if not auth.can(user, auth.IMPORT_BOUNDARIES):
        st.info(tr("boundaries.admin_only"))
        return
    upload = st.file_uploader(tr("boundaries.upload"), type=["zip", "gpkg", "geojson", "json"], key="codab_upload")
    if upload is None:
        return
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(tr("upload.too_large", size=num(upload.size / 1e6, 1), limit=num(MAX_UPLOAD_MB)))
        return
    if st.button(tr("boundaries.import_button"), type="primary"):
        from geo.boundaries_import import import_boundaries

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.getbuffer())
            try:
                with st.spinner(tr("boundaries.importing")):
                    auth.require(user, auth.IMPORT_BOUNDARIES)
                    summary = import_boundaries(get_store(), path, user=user)
            except AimakError as exc:
                st.error(tr("boundaries.failed", reason=reason_text(exc)))
                return
        st.success(tr("boundaries.done", level=summary.get("level"), count=num(summary.get("count"))))
        for warning in summary.get("warnings", []):
            st.warning(warning_text(warning))


def warning_text(warning) -> str:
    """A warning of the boundary import in the chosen language (a catalogue phrase), or as it is."""
    return warning.text(lang()) if callable(getattr(warning, "text", None)) else str(warning)
