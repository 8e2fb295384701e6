"""Reports page: a PDF and an XLSX for one aiyl okmot, rayon, oblast or donor, in ky, ru or en.

Thin: the content comes from :mod:`geo.reports` (collect), :mod:`geo.reports.pdf`
and :mod:`geo.reports.xlsx`. The report is prepared on a button click (with a
spinner) and kept in the session until the choice changes, so the two download
buttons hand out the same report.
"""
from __future__ import annotations

import streamlit as st

from geo import i18n
from geo.errors import AimakError
from geo.reports import LEVEL_COLUMN, collect, report_filename
from ui.auth_ui import reason_text
from ui.common import lang, load_layer, tr

_STATE = "_report_files"


def _frames() -> dict:
    """The store layers a report reads, from the page cache."""
    names = ("admin_units", "projects", "funding", "beneficiaries", "settlements", "rivers", "lakes", "hazard_zones")
    out = {}
    for name in names:
        try:
            out[name] = load_layer(name)
        except AimakError:
            out[name] = None
    return out


def _pick_unit(admin) -> str | None:
    names = {r["pcode"]: i18n.place_name(r, lang(), fallback=r["pcode"]) for _, r in admin.iterrows()}
    levels = sorted(int(v) for v in admin["level"].dropna().unique() if int(v) in LEVEL_COLUMN)
    if not levels:
        return None
    level = st.selectbox(tr("unit.pick_level"), levels, index=min(1, len(levels) - 1),
                         format_func=lambda v: tr(f"level.{v}"), key="report_level")
    codes = sorted(admin.loc[admin["level"] == level, "pcode"], key=lambda c: names.get(c, c))
    if not codes:
        return None
    default = codes.index("KG-N-KOCHKOR") if "KG-N-KOCHKOR" in codes else 0
    return st.selectbox(tr("unit.pick"), codes, index=default, format_func=lambda c: names.get(c, c), key="report_unit")


def render() -> None:
    st.title(tr("page.reports"))
    st.caption(tr("reports.intro"))
    frames = _frames()
    admin, funding = frames["admin_units"], frames["funding"]

    kind = st.radio(tr("reports.kind"), ["unit", "donor"], horizontal=True, key="report_kind",
                    format_func=lambda k: tr(f"reports.kind.{k}"))
    unit = donor = None
    if kind == "unit":
        unit = _pick_unit(admin)
        if unit is None:
            st.info(tr("level3.missing"))
            return
    else:
        names = sorted(funding["source_name"].dropna().astype(str).unique()) if funding is not None else []
        if not names:
            st.info(tr("reports.no_donors"))
            return
        donor = st.selectbox(tr("donors.donor"), names, key="report_donor")
    languages = list(i18n.LANGUAGES)
    report_lang = st.radio(tr("reports.language"), languages, index=languages.index(lang()), horizontal=True,
                           format_func=lambda c: i18n.LANGUAGES[c], key="report_lang")

    choice = (kind, unit, donor, report_lang)
    if st.button(tr("reports.prepare"), type="primary", key="report_prepare"):
        from geo.reports.pdf import render_pdf
        from geo.reports.xlsx import render_xlsx

        try:
            with st.spinner(tr("reports.preparing")):
                report = collect(frames, unit=unit, donor=donor, lang=report_lang)
                files = {
                    "pdf": (render_pdf(report), report_filename(report, "pdf")),
                    "xlsx": (render_xlsx(report), report_filename(report, "xlsx")),
                    "name": report.name,
                }
            st.session_state[_STATE] = (choice, files)
        except AimakError as exc:
            st.session_state.pop(_STATE, None)
            st.error(tr("reports.failed", reason=reason_text(exc)))
            return

    stored = st.session_state.get(_STATE)
    if not stored or stored[0] != choice:
        return
    files = stored[1]
    st.success(tr("reports.ready", name=files["name"]))
    c1, c2 = st.columns(2)
    c1.download_button(tr("reports.download_pdf"), data=files["pdf"][0], file_name=files["pdf"][1],
                       mime="application/pdf", key="report_pdf", on_click="ignore", type="primary", width="stretch")
    c2.download_button(tr("reports.download_xlsx"), data=files["xlsx"][0], file_name=files["xlsx"][1],
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="report_xlsx",
                       on_click="ignore", width="stretch")
