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
from ui.auth_ui import reason_text
from ui.common import lang, load_layer, num, tr
from ui.downloads import download_buttons
from ui.pages.donors import currency_controls, headers, md_escape, msg_or_raw, text_or_dash, totals_table, year_text
from ui.state import selected_unit

#: The planner's register (starts as a copy of the shipped one).
PRIORITIES_USER_FILE = PROJECT_ROOT / "var" / "jap_priorities.csv"
_LEVEL_COLUMN = {1: "oblast_pcode", 2: "rayon_pcode", 3: "aiyl_okmot_pcode"}


def _register() -> pd.DataFrame:
    path = PRIORITIES_USER_FILE if PRIORITIES_USER_FILE.exists() else prio.PRIORITIES_FILE
    try:
        return prio.load_priorities(path)
    except AimakError as exc:
        st.warning(tr("unit.register_failed", reason=reason_text(exc)))
        return prio.load_priorities(prio.PRIORITIES_FILE)


def _pick_unit(admin: pd.DataFrame) -> str | None:
    names = dict(zip(admin["pcode"], unit_name(admin, lang())))
    levels = sorted(int(v) for v in admin["level"].dropna().unique() if int(v) in _LEVEL_COLUMN)
    current = selected_unit(admin)
    default_level = int(admin.loc[admin["pcode"] == current, "level"].iloc[0]) if current else (levels[0] if levels else 1)
    level = st.selectbox(tr("unit.pick_level"), levels, index=levels.index(default_level) if default_level in levels else 0,
                         format_func={v: tr(f"level.{v}") for v in levels}.get, key="unit_level")
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
    st.caption(tr("donors.split_note"))
    by = fn.totals(fund_unit, proj_unit, ["source_type", "year"], rates=rates)
    known = by[by["amount"].notna()].copy()
    if len(known):
        main = known.groupby("currency")["amount"].sum().sort_values(ascending=False).index[0]
        chart = known[known["currency"] == main].copy()
        chart["year"] = chart["year"].map(lambda v: str(int(v)) if pd.notna(v) else tr("unit.no_year"))
        chart["source_type"] = chart["source_type"].map(lambda s: msg_or_raw(f"source_type.{s}", s))
        chart["amount"] = chart["amount"].astype(float)
        chart["shown"] = chart["amount"].map(num) + f" {main}"
        st.altair_chart(
            alt.Chart(chart).mark_bar().encode(
                x=alt.X("year:N", title=tr("col.year"), axis=alt.Axis(labelAngle=0, labelLimit=240)),
                y=alt.Y("amount:Q", title=f"{tr('col.amount')} ({main})", axis=amount_axis()),
                color=alt.Color("source_type:N", title=tr("col.source_type"), legend=alt.Legend(labelLimit=320)),
                tooltip=[alt.Tooltip("year:N", title=tr("col.year")),
                         alt.Tooltip("source_type:N", title=tr("col.source_type")),
                         alt.Tooltip("shown:N", title=tr("col.amount"))],
            ).properties(height=260),
            width="stretch",
        )
        others = sorted(set(known["currency"]) - {main})
        if others:
            st.caption(tr("unit.chart_currency", currency=main, others=", ".join(others)))
    _shown = totals_table(fn.totals(fund_unit, proj_unit, "source_type", rates=rates))
    st.dataframe(_shown, hide_index=True, width="stretch")
    download_buttons(_shown, "unit_funds_by_source", "dl_unit_funds")
    st.markdown(f"**{tr('unit.funding_rows')}**")
    rows = fn.resolve_amounts(fund_unit, proj_unit).merge(
        pd.DataFrame(proj_unit)[["project_id", "title"]], on="project_id", how="left")
    table = rows[["project_id", "title", "source_name", "source_type", "amount_resolved", "currency_resolved",
                  "amount_basis"]].copy()
    table["source_type"] = table["source_type"].map(lambda s: msg_or_raw(f"source_type.{s}", s))
    table["amount_basis"] = table["amount_basis"].map(lambda b: msg_or_raw(f"amount_basis.{b}", b))
    table["amount_resolved"] = table["amount_resolved"].map(num)
    for col in ("title", "source_name", "currency_resolved"):
        table[col] = text_or_dash(table[col])
    _shown = headers(table.sort_values(["project_id"], kind="stable"))
    st.dataframe(_shown, hide_index=True, width="stretch")
    download_buttons(_shown, "unit_funding_rows", "dl_unit_funding_rows")


def amount_axis() -> alt.Axis:
    """A chart axis whose numbers follow the language ("80 000 000" in ky/ru, "80,000,000" in en)."""
    if lang() in ("ru", "ky"):
        return alt.Axis(labelExpr="replace(format(datum.value, ',.0f'), /,/g, '\u00a0')")
    return alt.Axis(format=",.0f")


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
    table["sector"] = table["sector"].map(lambda s: msg_or_raw(f"sector.{s}", s))
    table["title"] = text_or_dash(table["title"])
    for m in ben.MEASURES:
        table[m] = table[m].map(num)
    table = headers(table).rename(columns={m: tr(f"beneficiaries.{m}") for m in ben.MEASURES})
    st.dataframe(table, hide_index=True, width="stretch")
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
        st.markdown(f"**{md_escape(unit_label)}**")
        table = prio.priorities_by_year(part)
        table = table.astype("string").fillna("—")
        table.columns = [str(int(c)) for c in table.columns]
        sectors = part.dropna(subset=["sector"]).drop_duplicates("priority").set_index("priority")["sector"]
        table.insert(0, tr("col.sector"), [msg_or_raw(f"sector.{sectors[p]}", sectors[p]) if p in sectors.index else "—"
                                           for p in table.index])
        table.insert(0, tr("col.priority"), table.index.astype(str))
        st.dataframe(table, hide_index=True, width="stretch", height=36 * (len(table) + 1) + 3)
        download_buttons(table, f"priorities_{code}", f"dl_prio_{code}_{unit_label}")
        st.caption(tr("unit.priorities_rank_note"))
        matched = prio.match_projects(part, projects)
        year = matched["year"].max()
        latest = matched[matched["year"] == year][["priority", "rank", "sector", "n_projects", "project_ids",
                                                     "source_ref"]].copy()
        latest["sector"] = latest["sector"].map(lambda s: msg_or_raw(f"sector.{s}", s) if pd.notna(s) else "—")
        latest["rank"] = latest["rank"].map(lambda v: str(int(v)) if pd.notna(v) else "—")
        for col in ("priority", "project_ids", "source_ref"):
            latest[col] = text_or_dash(latest[col])
        st.caption(tr("unit.priorities_matched", year=str(int(year)) if pd.notna(year) else "—"))
        _shown = latest.rename(columns={"priority": tr("col.priority"), "rank": tr("col.rank"),
                                            "sector": tr("col.sector"), "n_projects": tr("col.n_projects"),
                                            "project_ids": tr("col.project_id"), "source_ref": tr("col.source_ref")})
        st.dataframe(_shown, hide_index=True, width="stretch")
        download_buttons(_shown, f"priorities_{code}_matched", f"dl_prio_matched_{code}_{unit_label}")
    with st.expander(tr("unit.priorities_add")):
        with st.form("add_priority", clear_on_submit=True):
            unit_text = st.text_input(tr("unit.priority_unit"), value=name if level == 3 else "")
            year = st.number_input(tr("col.year"), min_value=1991, max_value=2100, value=2024, step=1)
            text = st.text_input(tr("col.priority"))
            sector = st.selectbox(tr("col.sector"), [""] + list(SECTORS_HINT),
                                  format_func={s: tr(f"sector.{s}") if s else "—" for s in ["", *SECTORS_HINT]}.get)
            source = st.text_input(tr("col.source_ref"))
            if st.form_submit_button(tr("unit.priority_save")):
                new_row = {"unit_pcode": code if level == 3 else None, "unit_name": unit_text, "year": int(year),
                           "priority": text, "sector": sector or None, "source_ref": source,
                           "rayon_pcode": code if level == 2 else None, "oblast_pcode": code if level == 1 else None}
                try:
                    prio.save_priorities(prio.append_priorities(register, [new_row]), PRIORITIES_USER_FILE)
                    st.success(tr("unit.priority_saved"))
                except AimakError as exc:
                    st.error(tr("unit.priority_failed", reason=reason_text(exc)))


#: geo.coverage names its equal-area CRS in English; the UI says it in the chosen language.
_CRS_NAMES = {"Kyrgyzstan Albers equal-area (metres)": "coverage.crs_albers"}


def _coverage(settlements, projects, level: int, code: str, outline=None) -> None:
    st.subheader(tr("coverage.title"))
    column = _LEVEL_COLUMN[level]
    inside = settlements[settlements[column] == code] if column in settlements.columns else settlements.iloc[0:0]
    if inside.empty:
        st.caption(tr("coverage.none"))
        return
    km = st.slider(tr("coverage.distance"), 1, 50, 5, key="coverage_km")
    gaps = coverage.coverage_gaps(inside, projects, max_distance_m=km * 1000)
    crs = str(gaps["metric_crs"].iloc[0])
    st.caption(tr("coverage.caption", km=num(km), crs=tr(_CRS_NAMES[crs]) if crs in _CRS_NAMES else crs))
    long = coverage.gaps_long(gaps)
    long = long[long["gap"].fillna(False).astype(bool)]
    names = unit_name(gaps.assign(pcode=gaps["settlement_id"]), lang())
    long["settlement"] = long["settlement_id"].map(dict(zip(gaps["settlement_id"], names)))
    long["distance_km"] = (long["distance_m"] / 1000).map(lambda v: num(v, 1))
    long["sector"] = long["sector"].map(lambda s: msg_or_raw(f"sector.{s}", s))
    long["imprecise_within"] = long["imprecise_within"].map(lambda v: tr("coverage.check") if v else "")
    _shown = long[["settlement", "sector", "distance_km", "imprecise_within"]].rename(columns={
        "settlement": tr("col.settlement"), "sector": tr("col.sector"), "distance_km": tr("col.distance_km"),
        "imprecise_within": tr("coverage.imprecise")})
    st.dataframe(_shown, hide_index=True, width="stretch")
    download_buttons(_shown, f"coverage_gaps_{code}", "dl_coverage")
    fmap = new_map(basemap="plain", relief_name=tr("map.base.relief"), plain_name=tr("map.base.plain"))
    if outline is not None and not outline.is_empty:
        folium.GeoJson(outline.__geo_interface__, name=tr(f"level.{level}"), interactive=False,
                       style_function=lambda _: {"color": "#444444", "weight": 2, "fill": False}).add_to(fmap)
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
                                  (dot.format("#d73027"), tr("coverage.more_gaps"))], note=tr("coverage.legend_note"),
           position="bottom:30px; right:10px").add_to(fmap)
    west, south, east, north = gaps.total_bounds
    if outline is not None and not outline.is_empty:  # a single settlement alone would zoom in to a few metres
        w2, s2, e2, n2 = outline.bounds
        west, south, east, north = min(west, w2), min(south, s2), max(east, e2), max(north, n2)
    fmap.fit_bounds([[south, west], [north, east]])
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
    st.header(md_escape(name))
    st.caption(tr("unit.projects", n=num(len(proj_unit))) + " · " + (
        tr("unit.population", n=num(unit["population"])) if pd.notna(unit["population"]) else tr("population_unknown")))
    if len(proj_unit):
        table = pd.DataFrame(proj_unit)[["project_id", "title", "sector", "year_start", "year_end", "village"]].copy()
        table["sector"] = table["sector"].map(lambda s: msg_or_raw(f"sector.{s}", s))
        for col in ("year_start", "year_end"):
            table[col] = year_text(table[col])
        for col in ("title", "village"):
            table[col] = text_or_dash(table[col])
        _shown = headers(table).rename(columns={"year_start": tr("unit.year_start"), "year_end": tr("unit.year_end")})
        st.dataframe(_shown, hide_index=True, width="stretch")
        download_buttons(
            gpd.GeoDataFrame(_shown, geometry=proj_unit.geometry.to_numpy(), crs=proj_unit.crs),
            f"unit_{code}_projects", "dl_unit_projects")
    fund_unit = funding[funding["project_id"].isin(proj_unit["project_id"])]
    _funds(fund_unit, proj_unit, rates)
    _beneficiaries(proj_unit, benef, level, code, admin, settlements)
    _priorities(code, name, level, projects)
    _coverage(settlements, projects, level, code, outline=unit.geometry)
