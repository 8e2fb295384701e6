"""Unit page (planner): one oblast, rayon or aiyl okmot — its projects, funds, beneficiaries,
joint action plan priorities and coverage gaps.

Thin: figures come from :mod:`geo.funding`, :mod:`geo.beneficiaries`,
:mod:`geo.priorities` and :mod:`geo.coverage`. Texts from data are escaped before
they reach map HTML.
"""
from __future__ import annotations

import html

import altair as alt
import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import beneficiaries as ben, coverage, funding as fn, priorities as prio
from geo.errors import AimakError
from geo.schema import SECTORS_HINT
from geo.settings import PROJECT_ROOT
from layers.base_map import finish, new_map
from layers.boundaries import unit_name
from layers.legend import Legend
from ui.common import lang, load_layer, num, tr
from ui.downloads import download_buttons
from ui.pages.donors import currency_controls, headers, totals_table
from ui.state import selected_unit

#: The planner's register (starts as a copy of the shipped one).
PRIORITIES_USER_FILE = PROJECT_ROOT / "var" / "jap_priorities.csv"
_LEVEL_COLUMN = {1: "oblast_pcode", 2: "rayon_pcode", 3: "aiyl_okmot_pcode"}


def _register() -> pd.DataFrame:
    path = PRIORITIES_USER_FILE if PRIORITIES_USER_FILE.exists() else prio.PRIORITIES_FILE
    try:
        return prio.load_priorities(path)
    except AimakError as exc:
        st.warning(tr("donors.failed", reason=str(exc)))
        return prio.load_priorities(prio.PRIORITIES_FILE)


def _pick_unit(admin: pd.DataFrame) -> str | None:
    names = dict(zip(admin["pcode"], unit_name(admin, lang())))
    levels = sorted(int(v) for v in admin["level"].dropna().unique() if int(v) in _LEVEL_COLUMN)
    current = selected_unit(admin)
    default_level = int(admin.loc[admin["pcode"] == current, "level"].iloc[0]) if current else (levels[0] if levels else 1)
    level = st.selectbox(tr("unit.pick_level"), levels, index=levels.index(default_level) if default_level in levels else 0,
                         format_func=lambda v: tr(f"level.{v}"), key="unit_level")
    codes = admin[admin["level"] == level].assign(_n=lambda d: d["pcode"].map(names)).sort_values("_n")["pcode"].tolist()
    if not codes:
        return None
    return st.selectbox(tr("unit.pick"), codes, index=codes.index(current) if current in codes else 0,
                        format_func=lambda c: names.get(c, c), key="unit_code")


def _funds(fund_unit: pd.DataFrame, proj_unit: pd.DataFrame, rates) -> None:
    st.subheader(tr("unit.funds"))
    if fund_unit.empty:
        st.caption(tr("donors.none"))
        return
    by = fn.totals(fund_unit, proj_unit, ["source_type", "year"], rates=rates)
    known = by[by["amount"].notna()].copy()
    if len(known):
        main = known.groupby("currency")["amount"].sum().sort_values(ascending=False).index[0]
        chart = known[known["currency"] == main].copy()
        chart["year"] = chart["year"].astype("string").fillna(tr("unit.no_year"))
        chart["source_type"] = chart["source_type"].map(lambda s: tr(f"source_type.{s}") if pd.notna(s) else tr("unknown"))
        chart["amount"] = chart["amount"].astype(float)
        st.altair_chart(
            alt.Chart(chart).mark_bar().encode(
                x=alt.X("year:N", title=tr("col.year")), y=alt.Y("amount:Q", title=f"{tr('col.amount')} ({main})"),
                color=alt.Color("source_type:N", title=tr("col.source_type")),
                tooltip=["year", "source_type", "amount"],
            ).properties(height=260),
            use_container_width=True,
        )
    _shown = totals_table(fn.totals(fund_unit, proj_unit, "source_type", rates=rates))
    st.dataframe(_shown, hide_index=True, use_container_width=True)
    download_buttons(_shown, "unit_funds_by_source", "dl_unit_funds")


def _percent(share) -> str:
    """A 0–1 share as a percentage with one decimal; missing shows as a dash."""
    return num(share * 100, 1) + " %" if pd.notna(share) else num(None)


def _beneficiaries(proj_unit: pd.DataFrame, benef: pd.DataFrame, level: int, code: str, admin, settlements) -> None:
    st.subheader(tr("unit.beneficiaries"))
    per = ben.per_project(proj_unit, benef)
    roll = ben.rollup(per, {1: "oblast", 2: "rayon", 3: "aiyl_okmot"}[level], admin_units=admin, settlements=settlements)
    row = roll[roll["pcode"] == code]
    if row.empty:
        st.caption(tr("unit.no_beneficiaries"))
        return
    r = row.iloc[0]
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(tr("unit.plain_sum"), num(r["total_sum"]))
    c2.metric(tr("unit.people_reached"), num(r["people_reached"]))
    c3.metric(tr("unit.women_share"), _percent(r["women_share"]))
    c4.metric(tr("unit.share_population"), _percent(r["reached_share_of_population"]))
    st.caption(tr("unit.reporting", n=num(r["total_n_reporting"]), total=num(r["n_projects"])))
    st.caption(tr(ben.RULE_PEOPLE_REACHED_KEY))
    table = per[["project_id", "title", "sector", *ben.MEASURES]].copy()
    table["sector"] = table["sector"].map(lambda s: tr(f"sector.{s}") if pd.notna(s) else tr("unknown"))
    for m in ben.MEASURES:
        table[m] = table[m].map(num)
    table = headers(table).rename(columns={m: tr(f"beneficiaries.{m}") for m in ben.MEASURES})
    st.dataframe(table, hide_index=True, use_container_width=True)
    download_buttons(table, "unit_beneficiaries", "dl_unit_beneficiaries")


def _priorities(code: str, name: str, level: int, projects: pd.DataFrame) -> None:
    st.subheader(tr("unit.priorities"))
    register = _register()
    if level == 3:
        rows = prio.priorities_for(register, unit_pcode=code, unit_name=name)
    else:
        column = "rayon_pcode" if level == 2 else "oblast_pcode"
        rows = register[register[column] == code].sort_values(["unit_name", "year", "rank"])
    if rows.empty:
        st.caption(tr("unit.priorities_none"))
    for unit_label, part in rows.groupby(rows["unit_name"].fillna(rows["unit_pcode"]), sort=True):
        st.markdown(f"**{html.escape(str(unit_label))}**")
        table = prio.priorities_by_year(part)
        table = table.astype("string").fillna("—").rename_axis(columns=tr("col.year"))
        _shown = table.rename_axis(tr("col.priority"))
        st.dataframe(_shown, use_container_width=True)
        download_buttons(_shown, f"priorities_{code}", f"dl_prio_{code}_{unit_label}", index=True)
        matched = prio.match_projects(part, projects)
        latest = matched[matched["year"] == matched["year"].max()][["priority", "rank", "n_projects", "project_ids", "source_ref"]]
        st.caption(tr("unit.priorities_matched", year=str(matched["year"].max())))
        _shown = latest.rename(columns={"priority": tr("col.priority"), "rank": tr("col.rank"),
                                            "n_projects": tr("col.n_projects"), "project_ids": tr("col.project_id"),
                                            "source_ref": tr("col.source_ref")})
        st.dataframe(_shown, hide_index=True, use_container_width=True)
        download_buttons(_shown, f"priorities_{code}_matched", f"dl_prio_matched_{code}_{unit_label}")
    with st.expander(tr("unit.priorities_add")):
        with st.form("add_priority", clear_on_submit=True):
            unit_text = st.text_input(tr("unit.priority_unit"), value=name if level == 3 else "")
            year = st.number_input(tr("col.year"), min_value=1991, max_value=2100, value=2024, step=1)
            text = st.text_input(tr("col.priority"))
            sector = st.selectbox(tr("col.sector"), [""] + list(SECTORS_HINT),
                                  format_func=lambda s: tr(f"sector.{s}") if s else "—")
            source = st.text_input(tr("col.source_ref"))
            if st.form_submit_button(tr("unit.priority_save")):
                new_row = {"unit_pcode": code if level == 3 else None, "unit_name": unit_text, "year": int(year),
                           "priority": text, "sector": sector or None, "source_ref": source,
                           "rayon_pcode": code if level == 2 else None, "oblast_pcode": code if level == 1 else None}
                try:
                    prio.save_priorities(prio.append_priorities(register, [new_row]), PRIORITIES_USER_FILE)
                    st.success(tr("unit.priority_saved"))
                except AimakError as exc:
                    st.error(tr("donors.failed", reason=str(exc)))


def _coverage(settlements, projects, level: int, code: str) -> None:
    st.subheader(tr("coverage.title"))
    column = _LEVEL_COLUMN[level]
    inside = settlements[settlements[column] == code] if column in settlements.columns else settlements.iloc[0:0]
    if inside.empty:
        st.caption(tr("coverage.none"))
        return
    km = st.slider(tr("coverage.distance"), 1, 50, 5, key="coverage_km")
    gaps = coverage.coverage_gaps(inside, projects, max_distance_m=km * 1000)
    st.caption(tr("coverage.caption", km=num(km), crs=str(gaps["metric_crs"].iloc[0])))
    long = coverage.gaps_long(gaps)
    long = long[long["gap"].fillna(False).astype(bool)]
    names = unit_name(gaps.assign(pcode=gaps["settlement_id"]), lang())
    long["settlement"] = long["settlement_id"].map(dict(zip(gaps["settlement_id"], names)))
    long["distance_km"] = (long["distance_m"] / 1000).map(lambda v: num(v, 1))
    long["sector"] = long["sector"].map(lambda s: tr(f"sector.{s}"))
    long["imprecise_within"] = long["imprecise_within"].map(lambda v: tr("coverage.check") if v else "")
    _shown = long[["settlement", "sector", "distance_km", "imprecise_within"]].rename(columns={
        "settlement": tr("col.settlement"), "sector": tr("col.sector"), "distance_km": tr("col.distance_km"),
        "imprecise_within": tr("coverage.imprecise")})
    st.dataframe(_shown, hide_index=True, use_container_width=True)
    download_buttons(_shown, f"coverage_gaps_{code}", "dl_coverage")
    fmap = new_map(basemap="plain", relief_name=tr("map.base.relief"), plain_name=tr("map.base.plain"))
    group = folium.FeatureGroup(name=tr("coverage.title"))
    for label, point, count in zip(names, gaps.geometry, gaps["gap_count"]):
        if point is None or point.is_empty:
            continue
        colour = "#1a9850" if count == 0 else ("#fdae61" if count == 1 else "#d73027")
        tip = f"{label}: {tr('coverage.gap_count', n=int(count) if pd.notna(count) else '—')}"
        folium.CircleMarker([point.y, point.x], radius=6, color=colour, fill=True, fill_opacity=0.85, weight=1,
                            tooltip=html.escape(tip)).add_to(group)
    group.add_to(fmap)
    dot = '<span style="display:inline-block;width:12px;height:12px;border-radius:50%;background:{}"></span>'
    Legend(tr("coverage.title"), [(dot.format("#1a9850"), tr("coverage.covered")), (dot.format("#fdae61"), tr("coverage.one_gap")),
                                  (dot.format("#d73027"), tr("coverage.more_gaps"))], note=tr("coverage.legend_note")).add_to(fmap)
    bounds = gaps.total_bounds
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    st_folium(finish(fmap), height=420, use_container_width=True, key=f"coverage_map_{code}", returned_objects=[])


def render() -> None:
    admin = load_layer("admin_units")
    projects = load_layer("projects")
    funding = load_layer("funding")
    benef = load_layer("beneficiaries")
    settlements = load_layer("settlements")
    st.title(tr("page.unit"))
    with st.sidebar:
        code = _pick_unit(admin)
        rates = currency_controls("unit")
    if code is None:
        st.info(tr("level3.missing"))
        return
    unit = admin[admin["pcode"] == code].iloc[0]
    level = int(unit["level"])
    name = str(unit_name(admin[admin["pcode"] == code], lang()).iloc[0])
    column = _LEVEL_COLUMN[level]
    proj_unit = projects[projects[column] == code]
    st.header(name)
    st.caption(tr("unit.projects", n=num(len(proj_unit))) + " · " + (
        tr("unit.population", n=num(unit["population"])) if pd.notna(unit["population"]) else tr("population_unknown")))
    if len(proj_unit):
        table = proj_unit[["project_id", "title", "sector", "year_start", "year_end", "village"]].copy()
        table["sector"] = table["sector"].map(lambda s: tr(f"sector.{s}") if pd.notna(s) else tr("unknown"))
        _shown = headers(table).rename(columns={"year_start": tr("unit.year_start"), "year_end": tr("unit.year_end")})
        st.dataframe(_shown, hide_index=True, use_container_width=True)
        download_buttons(
            gpd.GeoDataFrame(_shown, geometry=proj_unit.geometry.to_numpy(), crs=proj_unit.crs),
            f"unit_{code}_projects", "dl_unit_projects")
    fund_unit = funding[funding["project_id"].isin(proj_unit["project_id"])]
    _funds(fund_unit, proj_unit, rates)
    _beneficiaries(proj_unit, benef, level, code, admin, settlements)
    _priorities(code, name, level, projects)
    _coverage(settlements, projects, level, code)
