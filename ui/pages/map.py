"""The main map: drill down country → oblast → rayon → aiyl okmot, filter, click a project."""
from __future__ import annotations

import copy
import re

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.filters import ProjectFilter, filter_projects
from layers.boundaries import unit_name
from layers.map_view import MapContext, build_map, child_units, prepare_units
from layers.project_text import popup_table
from ui.common import get_store, lang, load_layer, num, tr
from ui.downloads import download_buttons
from ui.state import selected_unit, set_selected_unit

_ID = re.compile(r"ID: (\S+)")


@st.cache_resource(show_spinner=False, max_entries=4)
def _prepared_units(revision: str):
    """Simplified boundaries per level, computed once per store revision."""
    return prepare_units(load_layer("admin_units"))


def _choropleth(admin, projects, selected: str | None, metric: str):
    """(metric, label, note, metrics frame) for the units shown in choropleth mode."""
    from geo.unit_metrics import unit_metrics
    from layers.map_view import visible_units

    children, unit, child_level = visible_units(admin, selected)
    if unit is None:
        children = admin[admin["level"] == 2]
    if children.empty:
        return None
    metrics = unit_metrics(children, projects, load_layer("funding"), load_layer("beneficiaries"))
    note = tr(f"choropleth.note.{metric}")
    unconverted = int(metrics["funding_unconverted"].sum())
    if metric.startswith("funding") and unconverted:
        note += " " + tr("choropleth.unconverted", n=num(unconverted))
    return metric, tr(f"choropleth.metric.{metric}"), note, metrics


@st.cache_resource(show_spinner=False, max_entries=32)
def _map_for(revision: str, selected: str | None, flt: ProjectFilter, language: str, basemap: str,
             show_settlements: bool, metric: str | None = None, hazard: str | None = None):
    """The folium map for a view; cached per store revision, view, filter, mode, hazard layer and language."""
    admin = load_layer("admin_units")
    zones = load_layer("hazard_zones") if hazard else None
    if zones is not None:
        zones = zones[zones["layer_name"] == hazard]
    projects = filter_projects(load_layer("projects"), load_layer("funding"), flt)
    popups = popup_table(projects, load_layer("funding"), load_layer("beneficiaries"), language)
    ctx = MapContext(
        admin_units=admin, projects=projects, popups=popups,
        settlements=load_layer("settlements") if show_settlements else None,
        rivers=load_layer("rivers"), lakes=load_layer("lakes"), hazard_zones=zones,
        selected=selected, lang=language, basemap=basemap, simplified=_prepared_units(revision),
        choropleth=_choropleth(admin, projects, selected, metric) if metric else None,
    )
    return build_map(ctx), len(projects)


def _labeller(labels: dict):
    """A format_func that looks labels up (computed now, in the chosen language); None → "All"."""
    table = {None: tr("all"), **dict(labels)}
    return lambda value: str(table.get(value, value))


def _breadcrumb(admin: pd.DataFrame, selected: str | None) -> None:
    chain = []
    code = selected
    by_code = admin.set_index("pcode")
    while code and code in by_code.index:
        chain.append(code)
        code = by_code.at[code, "parent_pcode"]
    chain.reverse()
    names = unit_name(admin.set_index("pcode", drop=False), lang())
    cols = st.columns(len(chain) + 1 if chain else 1)
    if cols[0].button(tr("country.name"), key="crumb_root", disabled=not chain):
        set_selected_unit(None)
    for i, code in enumerate(chain, start=1):
        if cols[i].button(f"› {names[code]}", key=f"crumb_{code}", disabled=(code == selected)):
            set_selected_unit(code)


def _unit_picker(admin: pd.DataFrame, selected: str | None) -> None:
    names = unit_name(admin.set_index("pcode", drop=False), lang())
    oblasts = admin[admin["level"] == 1].sort_values("name_en")["pcode"].tolist()
    chain = {}
    code = selected
    by_code = admin.set_index("pcode")
    while code and code in by_code.index:
        chain[int(by_code.at[code, "level"])] = code
        code = by_code.at[code, "parent_pcode"]
    current_oblast = chain.get(1)
    choice = st.selectbox(tr("level.1"), [None] + oblasts, format_func=_labeller(names),
                          index=([None] + oblasts).index(current_oblast))
    if choice != current_oblast:
        set_selected_unit(choice)
    if current_oblast:
        rayons = admin[(admin["level"] == 2) & (admin["parent_pcode"] == current_oblast)].sort_values("name_en")["pcode"].tolist()
        current = chain.get(2)
        pick = st.selectbox(tr("level.2"), [None] + rayons, format_func=_labeller(names),
                            index=([None] + rayons).index(current) if current in rayons else 0)
        if pick != current:
            set_selected_unit(pick or current_oblast)
        if pick:
            level3 = child_units(admin, pick).sort_values("name_en")["pcode"].tolist()
            if level3:
                cur3 = chain.get(3)
                pick3 = st.selectbox(tr("level.3"), [None] + level3, format_func=_labeller(names),
                                     index=([None] + level3).index(cur3) if cur3 in level3 else 0)
                if pick3 != cur3:
                    set_selected_unit(pick3 or pick)


def _filters(projects: pd.DataFrame, funding: pd.DataFrame, selected: str | None, level: int | None) -> ProjectFilter:
    from geo.schema import FUNDING_SOURCE_TYPES, PRECISION_CODES

    sectors = sorted(projects["sector"].dropna().unique())
    if "f_sectors" not in st.session_state:
        from_url = [s for s in st.query_params.get("sector", "").split(",") if s in sectors]
        st.session_state["f_sectors"] = from_url
    chosen = st.multiselect(tr("filter.sector"), sectors, format_func=_labeller({s: tr(f"sector.{s}") for s in sectors}), key="f_sectors",
                            placeholder=tr("choose"))
    if ",".join(chosen) != st.query_params.get("sector", ""):
        if chosen:
            st.query_params["sector"] = ",".join(chosen)
        else:
            del st.query_params["sector"]
    years = pd.concat([projects["year_start"], projects["year_end"]]).dropna().astype(int)
    year_range = None
    include_undated = True
    if len(years):
        lo, hi = int(years.min()), int(years.max())
        if lo < hi:
            picked = st.slider(tr("filter.years"), lo, hi, (lo, hi), key="f_years")
            if picked != (lo, hi):
                year_range = picked
                include_undated = st.checkbox(tr("filter.include_undated"), value=True, key="f_undated")
    types = st.multiselect(tr("filter.source_type"), list(FUNDING_SOURCE_TYPES),
                           format_func=_labeller({s: tr(f"source_type.{s}") for s in FUNDING_SOURCE_TYPES}),
                           key="f_types", placeholder=tr("choose"))
    precisions = st.multiselect(tr("filter.precision"), list(PRECISION_CODES),
                                format_func=_labeller({c: f"{c} — {tr(f'precision.{c}')}" for c in PRECISION_CODES}), key="f_prec",
                                placeholder=tr("choose"))
    return ProjectFilter(unit_pcode=selected, unit_level=level, sectors=tuple(chosen), year_range=year_range,
                         include_undated=include_undated, source_types=tuple(types), precisions=tuple(precisions))


@st.cache_data(show_spinner=False, max_entries=8)
def _hazard_layers(revision: str) -> pd.DataFrame:
    from ui.hazard_labels import layer_table

    return layer_table(load_layer("hazard_zones"))


def _hazard_picker() -> str | None:
    """A hazard layer to overlay (none by default: zones would hide the projects and add
    weight to every page load); official layers are listed before indicative ones."""
    from ui.hazard_labels import layer_label

    table = _hazard_layers(get_store().revision())
    if len(table) == 0:
        st.caption(tr("map.hazard_none_loaded"))
        return None
    labels = {row["layer_name"]: layer_label(row) for _, row in table.iterrows()}
    return st.selectbox(tr("map.hazard_layer"), [None, *labels], key="map_hazard",
                        format_func=lambda v: tr("map.hazard_off") if v is None else labels.get(v, str(v)))


def _project_details(project_id: str) -> None:
    projects = load_layer("projects")
    row = projects[projects["project_id"] == project_id]
    if row.empty:
        return
    p = row.iloc[0]
    st.subheader(str(p["title"]))
    popup = popup_table(row, load_layer("funding"), load_layer("beneficiaries"), lang()).iloc[0]
    facts = {tr(f"popup.{k}"): v for k, v in popup.items() if v}
    facts[tr("popup.status")] = p["status"]
    st.table(pd.DataFrame({"": list(facts.values())}, index=list(facts.keys())))
    if pd.notna(p["location_note"]):
        st.caption(str(p["location_note"]))
    funding = load_layer("funding")
    funding = funding[funding["project_id"] == project_id][["source_name", "source_type", "amount", "currency", "share_pct", "note"]]
    if len(funding):
        st.markdown(f"**{tr('funding.title')}**")
        st.dataframe(funding, hide_index=True, width="stretch")
        download_buttons(funding, f"project_{project_id}_funding", "dl_project_funding")


def render() -> None:
    store = get_store()
    admin = load_layer("admin_units")
    projects = load_layer("projects")
    funding = load_layer("funding")
    selected = selected_unit(admin)
    level = int(admin.loc[admin["pcode"] == selected, "level"].iloc[0]) if selected else None

    st.title(tr("page.map"))
    _breadcrumb(admin, selected)
    with st.sidebar:
        st.markdown(f"### {tr('sidebar.place')}")
        _unit_picker(admin, selected)
        st.markdown(f"### {tr('sidebar.filters')}")
        flt = _filters(projects, funding, selected, level)
        basemap = st.selectbox(tr("map.basemap"), ["relief", "plain", "OpenStreetMap", "Satellite (Esri World Imagery)", "Topographic (OpenTopoMap)"],
                               format_func=_labeller({"relief": tr("map.base.relief"), "plain": tr("map.base.plain")}), key="basemap")
        show_settlements = st.checkbox(tr("map.layer.settlements"), value=False, key="show_settlements")
        hazard = _hazard_picker()
        st.markdown(f"### {tr('map.mode')}")
        from geo.unit_metrics import METRICS

        mode = st.selectbox(tr("map.mode"), ["markers", *METRICS], key="metric", label_visibility="collapsed",
                            format_func=_labeller({"markers": tr("map.mode.markers"), **{m: tr(f"choropleth.metric.{m}") for m in METRICS}}))
        metric = None if mode == "markers" else mode

    if selected:
        note = admin.loc[admin["pcode"] == selected, "note"].iloc[0]
        if isinstance(note, str) and note.strip():
            st.caption(f"{tr('unit.data_note')}: {note}")
    if not (admin["level"] == 3).any():
        if level == 2 or level is None:
            st.info(tr("level3.missing"))

    cached_map, shown = _map_for(store.revision(), selected, flt, lang(), basemap, show_settlements, metric, hazard)
    fmap = copy.deepcopy(cached_map)  # st_folium renames elements in place; keep the cached one pristine
    st.caption(tr("map.count", shown=num(shown), total=num(len(projects))) + " · " + tr("legend.precision_note"))
    result = st_folium(fmap, height=620, use_container_width=True, key=f"map_{selected}",
                       returned_objects=["last_object_clicked_popup", "last_active_drawing"])

    with st.expander(tr("download.projects_shown")):
        download_buttons(filter_projects(projects, funding, flt), "projects_shown", "dl_map_projects")
    clicked = (result or {}).get("last_active_drawing") or {}
    pcode = (clicked.get("properties") or {}).get("pcode")
    if pcode and pcode != selected and pcode in set(admin["pcode"]):
        if st.session_state.get("_last_clicked_unit") != pcode:
            st.session_state["_last_clicked_unit"] = pcode
            set_selected_unit(pcode)
    popup_text = (result or {}).get("last_object_clicked_popup") or ""
    match = _ID.search(popup_text)
    if match:
        _project_details(match.group(1))
