"""Canals page: the canal on the map, outlets by status, dispute timeline, flow balance, editing.

Thin: figures come from ``geo.canal_balance``, changes go through ``geo.canal_edits``
(each in a store transaction that records who and when). Every text from data is
escaped before it reaches map HTML; tables are rendered by Streamlit as text.
"""
from __future__ import annotations

import html

import altair as alt
import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from shapely.geometry import box
from streamlit_folium import st_folium

from geo import canal_balance, canal_edits, canals
from geo.errors import AimakError, InputError
from layers.base_map import finish, new_map
from layers.legend import Legend, line_swatch
from ui.common import get_store, load_layer, num, tr

#: status → marker colour
STATUS_COLOURS = {"found": "#ff7f00", "unauthorised": "#e31a1c", "agreed": "#33a02c", "closed": "#636363"}

#: English texts used until the keys are added to geo/locales/{ky,ru,en}.json.
_EN = {
    "page.canals": "Canals",
    "canals.none": "No canal is stored yet.",
    "canals.load_case": "Load the documented Voruh–Shurab case",
    "canals.canal": "Canal",
    "canals.capacity": "Design capacity, l/s",
    "canals.tail": "Arrives at the tail, l/s",
    "canals.tail_share": "Share of capacity at the tail",
    "canals.allocated": "Known allocations, l/s",
    "canals.outlets_found": "Outlets found",
    "canals.outlets_agreed": "Outlets agreed",
    "canals.outlets_closed": "Illegal cuttings closed",
    "canals.length": "Length {total} km: {parts}",
    "canals.flow_direction": "Flow: from the source in Kyrgyzstan to the tail at Shurab (Tajikistan).",
    "canals.layer.canal": "Canal (schematic)",
    "canals.layer.outlets": "Outlets",
    "canals.layer.border": "State border",
    "canals.layer.border_area": "State border in the canal area",
    "canals.layer.measurements": "Flow measurements",
    "canals.legend": "Canal",
    "canals.legend.note": "Line drawn only between located villages; positions are approximate (precision {precision}).",
    "canals.unplaced": "Not on the map (no known position): {items}",
    "canals.tab.outlets": "Outlets per village",
    "canals.tab.balance": "Flow balance",
    "canals.tab.dispute": "Dispute",
    "canals.tab.agreements": "Agreements",
    "canals.tab.edit": "Record a change",
    "canals.village": "Village",
    "canals.country": "Country",
    "canals.whole_canal": "Whole canal (not broken down)",
    "canals.balance.village": "Per village",
    "canals.balance.country": "Per country",
    "canals.balance.derived": "Not reaching the tail: {low}–{high} l/s (design capacity minus arrivals at the tail; derived, not measured).",
    "canals.chart.item": "Item",
    "canals.chart.lps": "l/s",
    "canals.chart.capacity": "Design capacity",
    "canals.chart.allocated": "Known allocations",
    "canals.chart.tail": "Arrives at the tail (range)",
    "canals.dispute.parties": "Parties",
    "canals.dispute.mediator": "Mediator",
    "canals.dispute.period": "Period",
    "canals.dispute.resolution": "Resolution",
    "canals.timeline": "Timeline",
    "canals.undated": "undated (no. {n} in the source)",
    "canals.source": "Source",
    "canals.date": "Date",
    "canals.event": "Event",
    "canals.facts": "Other documented numbers",
    "canals.edit.user": "Your name (recorded with the change)",
    "canals.edit.action": "What to record",
    "canals.edit.new_outlet": "A new outlet",
    "canals.edit.status": "A status change (unauthorised, closed, agreed)",
    "canals.edit.measurement": "A flow measurement",
    "canals.edit.agreement": "An agreement",
    "canals.edit.clicked": "Clicked on the map: {lat}, {lon}",
    "canals.edit.coords": "Coordinates (latitude, longitude), or click the map",
    "canals.edit.status_new": "Status",
    "canals.edit.outlet": "Outlet",
    "canals.edit.note": "Note",
    "canals.edit.flow": "Flow, l/s (single reading)",
    "canals.edit.flow_min": "or lowest, l/s",
    "canals.edit.flow_max": "highest, l/s",
    "canals.edit.allowed_flow": "Allowed flow, l/s (if agreed)",
    "canals.edit.agreement_ref": "Under agreement",
    "canals.edit.date": "Date (YYYY-MM-DD, YYYY-MM or YYYY)",
    "canals.edit.parties": "Parties (one per line)",
    "canals.edit.terms": "Terms",
    "canals.edit.position": "Position on the canal",
    "canals.edit.save": "Save",
    "canals.edit.saved": "Saved by {user}.",
    "canals.edit.no_change": "This outlet is {status}; it cannot change any more.",
    "canals.edit.failed": "Not saved: {reason}",
}


def _t(key: str, **fields) -> str:
    text = tr(key, **fields)
    if text == key and key in _EN:
        text = _EN[key].format(**fields) if fields else _EN[key]
    return text


# -- map ----------------------------------------------------------------------------
def _outlet_tooltip(row) -> str:
    parts = [f"{row['status']}: {int(row['count']) if pd.notna(row['count']) else 1}"]
    if pd.notna(row["village"]):
        parts.append(str(row["village"]))
    if pd.notna(row["allowed_flow_lps"]):
        parts.append(f"{num(row['allowed_flow_lps'], 1)} l/s")
    if pd.notna(row["source_ref"]):
        parts.append(f"[{row['source_ref']}]")
    return html.escape(" · ".join(parts))


def _canal_map(canal: pd.Series, outlets: gpd.GeoDataFrame, measurements: gpd.GeoDataFrame,
               country: gpd.GeoDataFrame, clicked: tuple[float, float] | None) -> folium.Map:
    fmap = new_map(basemap="relief", center=(40.0, 70.6), zoom=10)
    if len(country):
        border = gpd.GeoDataFrame(geometry=country.boundary, crs=4326)
        folium.GeoJson(border.__geo_interface__, name=_t("canals.layer.border"), interactive=False,
                       style_function=lambda _: {"color": "#b2182b", "weight": 1.5, "opacity": 0.7}).add_to(fmap)
        near = border.clip(box(*canal_edits.ISFARA_AREA_BOUNDS))
        if len(near) and not near.geometry.is_empty.all():
            folium.GeoJson(near.__geo_interface__, name=_t("canals.layer.border_area"),
                           tooltip=html.escape(_t("canals.layer.border_area")),
                           style_function=lambda _: {"color": "#b2182b", "weight": 5, "opacity": 0.9}).add_to(fmap)
    if canal.geometry is not None and not canal.geometry.is_empty:
        group = folium.FeatureGroup(name=_t("canals.layer.canal"))
        folium.PolyLine([(y, x) for x, y in canal.geometry.coords], color="#2166ac", weight=4, dash_array="8 6",
                        tooltip=html.escape(f"{canal['name']} — {canal['note']}")).add_to(group)
        group.add_to(fmap)
    group = folium.FeatureGroup(name=_t("canals.layer.outlets"))
    placed = outlets[outlets.geometry.notna()]
    for _, row in placed.iterrows():
        count = int(row["count"]) if pd.notna(row["count"]) else 1
        folium.CircleMarker([row.geometry.y, row.geometry.x], radius=5 + min(count, 25) ** 0.5 * 2,
                            color=STATUS_COLOURS.get(row["status"], "#7f7f7f"), fill=True, fill_opacity=0.8,
                            weight=1, tooltip=_outlet_tooltip(row)).add_to(group)
    group.add_to(fmap)
    placed_m = measurements[measurements.geometry.notna()]
    if len(placed_m):
        group = folium.FeatureGroup(name=_t("canals.layer.measurements"))
        for _, row in placed_m.iterrows():
            flow = f"{num(row['flow_lps_min'], 1)}–{num(row['flow_lps_max'], 1)} l/s"
            folium.RegularPolygonMarker([row.geometry.y, row.geometry.x], number_of_sides=3, radius=7, color="#2166ac",
                                        fill=True, tooltip=html.escape(f"{row['place'] or ''} {flow} {row['date'] or ''}")).add_to(group)
        group.add_to(fmap)
    if clicked:
        folium.CircleMarker([clicked[1], clicked[0]], radius=6, color="#000", weight=2, fill=False).add_to(fmap)
    entries = [(line_swatch("#2166ac", 3, dash="8 6"), _t("canals.layer.canal")),
               (line_swatch("#b2182b", 4), _t("canals.layer.border_area"))]
    entries += [(f'<span style="display:inline-block;width:12px;height:12px;border-radius:50%;background:{c}"></span>', s)
                for s, c in STATUS_COLOURS.items()]
    precision = int(canal["location_precision"]) if pd.notna(canal["location_precision"]) else "—"
    Legend(_t("canals.legend"), entries, note=_t("canals.flow_direction") + " " +
           _t("canals.legend.note", precision=precision)).add_to(fmap)
    return finish(fmap)


# -- tables and charts ---------------------------------------------------------------
def _label_rows(table: pd.DataFrame, key: str) -> pd.DataFrame:
    out = table.copy()
    out[key] = out[key].astype("object").where(out["scope"] != "canal", _t("canals.whole_canal"))
    return out.drop(columns="scope")


def _balance_chart(summary: pd.Series) -> alt.Chart | None:
    rows = [
        {"item": _t("canals.chart.capacity"), "low": 0.0, "high": summary["design_capacity_lps"]},
        {"item": _t("canals.chart.allocated"), "low": 0.0, "high": summary["allocated_lps"]},
        {"item": _t("canals.chart.tail"), "low": summary["tail_lps_min"], "high": summary["tail_lps_max"]},
    ]
    data = pd.DataFrame(rows).dropna()
    if data.empty:
        return None
    data[["low", "high"]] = data[["low", "high"]].astype(float)
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("item:N", title=_t("canals.chart.item"), sort=None),
        x=alt.X("low:Q", title=_t("canals.chart.lps")), x2="high:Q",
        tooltip=["item", "low", "high"],
    ).properties(height=140)


def _timeline(events: pd.DataFrame) -> pd.DataFrame:
    ordered = canals.timeline(events)
    dates = ordered["date"].astype("object").where(ordered["date"].notna(), None)
    shown = [
        (f"{d}–{e}" if pd.notna(e) else d) if d else _t("canals.undated", n=int(n))
        for d, e, n in zip(dates, ordered["date_end"], ordered["sequence"])
    ]
    return pd.DataFrame({_t("canals.date"): shown, _t("canals.event"): ordered["event"],
                         _t("canals.edit.note"): ordered["note"], _t("canals.source"): ordered["source_ref"]})


# -- editing -------------------------------------------------------------------------
def _position_input(clicked) -> tuple[float, float] | None:
    if clicked:
        st.caption(_t("canals.edit.clicked", lat=f"{clicked[1]:.5f}", lon=f"{clicked[0]:.5f}"))
    typed = st.text_input(_t("canals.edit.coords"), key="canal_coords")
    if typed.strip():
        return canal_edits.parse_coordinates(typed)
    return clicked


def _editor(canal_id: str, outlets: pd.DataFrame, agreements: pd.DataFrame, clicked) -> None:
    store = get_store()
    user = st.text_input(_t("canals.edit.user"), key="canal_user")
    actions = ["new_outlet", "status", "measurement", "agreement"]
    action = st.radio(_t("canals.edit.action"), actions, format_func=lambda a: _t(f"canals.edit.{a}"), key="canal_action")
    try:
        if action == "new_outlet":
            position = _position_input(clicked)
            status = st.selectbox(_t("canals.edit.status_new"), list(canals.INITIAL_STATUSES))
            village = st.text_input(_t("canals.village"))
            country = st.selectbox(_t("canals.country"), ["", *canals.COUNTRY_NAMES])
            note = st.text_area(_t("canals.edit.note"))
            if st.button(_t("canals.edit.save"), type="primary"):
                if position is None:
                    raise InputError(_t("canals.edit.coords"))
                canal_edits.record_outlet(store, user, canal_id, *position, status=status, village=village,
                                          country=country or None, note=note)
                _saved(user)
        elif action == "status":
            mine = outlets[outlets["canal_id"] == canal_id]
            if mine.empty:
                return
            labels = {r["outlet_id"]: f"{r['village'] if pd.notna(r['village']) else '—'} · {r['status']} · "
                      f"{int(r['count']) if pd.notna(r['count']) else 1} · {r['outlet_id']}" for _, r in mine.iterrows()}
            outlet_id = st.selectbox(_t("canals.edit.outlet"), list(labels), format_func=labels.get)
            row = mine[mine["outlet_id"] == outlet_id].iloc[0]
            targets = canals.ALLOWED_TRANSITIONS.get(str(row["status"]), ())
            if not targets:
                st.info(_t("canals.edit.no_change", status=row["status"]))
                return
            new_status = st.selectbox(_t("canals.edit.status_new"), list(targets))
            flow = agreement = None
            if new_status == "agreed":
                flow = st.text_input(_t("canals.edit.allowed_flow"))
                ids = agreements[agreements["canal_id"] == canal_id]
                agreement = st.selectbox(_t("canals.edit.agreement_ref"), [None, *ids["agreement_id"]],
                                         format_func=lambda a: "—" if a is None else a)
            note = st.text_area(_t("canals.edit.note"))
            if st.button(_t("canals.edit.save"), type="primary"):
                canal_edits.change_outlet_status(store, user, outlet_id, new_status, int(row["version"]), note=note,
                                                 allowed_flow_lps=flow or None, agreement_id=agreement)
                _saved(user)
        elif action == "measurement":
            position = _position_input(clicked)
            date = st.text_input(_t("canals.edit.date"))
            c1, c2, c3 = st.columns(3)
            flow = c1.text_input(_t("canals.edit.flow"))
            low = c2.text_input(_t("canals.edit.flow_min"))
            high = c3.text_input(_t("canals.edit.flow_max"))
            village = st.text_input(_t("canals.village"))
            country = st.selectbox(_t("canals.country"), ["", *canals.COUNTRY_NAMES])
            where = st.selectbox(_t("canals.edit.position"), [None, *canals.CANAL_POSITIONS],
                                 format_func=lambda p: "—" if p is None else p)
            note = st.text_area(_t("canals.edit.note"))
            if st.button(_t("canals.edit.save"), type="primary"):
                lon, lat = position if position else (None, None)
                canal_edits.record_measurement(store, user, canal_id, date=date, flow_lps=flow or None,
                                               flow_lps_min=low or None, flow_lps_max=high or None, lon=lon, lat=lat,
                                               village=village, place=village, country=country or None,
                                               canal_position=where, note=note)
                _saved(user)
        else:
            date = st.text_input(_t("canals.edit.date"))
            parties = st.text_area(_t("canals.edit.parties"))
            terms = st.text_area(_t("canals.edit.terms"))
            if st.button(_t("canals.edit.save"), type="primary"):
                canal_edits.record_agreement(store, user, canal_id, date, parties.splitlines(), terms)
                _saved(user)
    except AimakError as exc:
        st.error(_t("canals.edit.failed", reason=str(exc)))


def _saved(user: str) -> None:
    st.session_state["canal_flash"] = _t("canals.edit.saved", user=user.strip())
    st.rerun()


# -- page ----------------------------------------------------------------------------
def render() -> None:
    st.title(_t("page.canals"))
    if flash := st.session_state.pop("canal_flash", None):
        st.success(flash)
    canal_frame = load_layer("canals")
    if canal_frame.empty:
        st.info(_t("canals.none"))
        if st.button(_t("canals.load_case")):
            from geo.canal_case import install_voruh_shurab

            install_voruh_shurab(get_store(), user="build")
            st.rerun()
        return
    names = dict(zip(canal_frame["canal_id"], canal_frame["name"]))
    canal_id = st.selectbox(_t("canals.canal"), list(names), format_func=names.get, key="canal_id")
    canal = canal_frame[canal_frame["canal_id"] == canal_id].iloc[0]
    outlets = load_layer("canal_outlets")
    allocations = load_layer("outlet_allocations")
    measurements = load_layer("flow_measurements")
    summary = canal_balance.canal_summary(canal_frame, outlets, allocations, measurements, canal_id)

    cols = st.columns(5)
    cols[0].metric(_t("canals.capacity"), num(summary["design_capacity_lps"]))
    tail = "—" if pd.isna(summary["tail_lps_min"]) else f"{num(summary['tail_lps_min'])}–{num(summary['tail_lps_max'])}"
    cols[1].metric(_t("canals.tail"), tail)
    share = "—" if pd.isna(summary["tail_share_pct_min"]) else \
        f"{num(summary['tail_share_pct_min'], 1)}–{num(summary['tail_share_pct_max'], 1)} %"
    cols[2].metric(_t("canals.tail_share"), share)
    cols[3].metric(_t("canals.outlets_found"), num(summary["outlets_found"]))
    cols[4].metric(_t("canals.outlets_agreed"), num(summary["outlets_agreed"]))
    sections = load_layer("canal_sections")
    sections = sections[sections["canal_id"] == canal_id].sort_values("sequence")
    if len(sections):
        parts = ", ".join(f"{r['country']} {num(r['length_km'])}" for _, r in sections.iterrows())
        st.caption(_t("canals.length", total=num(canal["length_km"]), parts=parts) + " · " + _t("canals.flow_direction"))
    if pd.notna(canal["note"]):
        st.caption(str(canal["note"]))

    mine = outlets[outlets["canal_id"] == canal_id]
    mine_m = measurements[measurements["canal_id"] == canal_id]
    clicked = st.session_state.get("canal_clicked")
    result = st_folium(_canal_map(canal, mine, mine_m, load_layer("country"), clicked), height=520,
                       use_container_width=True, key="canal_map", returned_objects=["last_clicked"])
    last = (result or {}).get("last_clicked")
    if last and (last["lng"], last["lat"]) != clicked:
        st.session_state["canal_clicked"] = (last["lng"], last["lat"])
        st.rerun()
    unplaced = mine[mine.geometry.isna()]
    if len(unplaced):
        items = "; ".join(f"{r['village'] if pd.notna(r['village']) else _t('canals.whole_canal')}: "
                          f"{r['status']} {int(r['count']) if pd.notna(r['count']) else 1}" for _, r in unplaced.iterrows())
        st.caption(_t("canals.unplaced", items=items))

    tabs = st.tabs([_t(f"canals.tab.{k}") for k in ("outlets", "balance", "dispute", "agreements", "edit")])
    with tabs[0]:
        table = _label_rows(canal_balance.agreed_vs_found(outlets, canal_id), "village")
        st.dataframe(table, hide_index=True, width="stretch")
        chart = table.dropna(subset=["outlets_agreed"])
        if len(chart):
            st.bar_chart(chart.set_index("village")["outlets_agreed"].astype(float))
    with tabs[1]:
        chart = _balance_chart(summary)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        if pd.notna(summary["not_at_tail_lps_min"]):
            st.caption(_t("canals.balance.derived", low=num(summary["not_at_tail_lps_min"]),
                          high=num(summary["not_at_tail_lps_max"])))
        st.markdown(f"**{_t('canals.balance.village')}**")
        st.dataframe(_label_rows(canal_balance.village_balance(outlets, allocations, measurements, canal_id), "village"),
                     hide_index=True, width="stretch")
        st.markdown(f"**{_t('canals.balance.country')}**")
        st.dataframe(_label_rows(canal_balance.country_balance(outlets, allocations, measurements, canal_id), "country"),
                     hide_index=True, width="stretch")
    with tabs[2]:
        disputes = load_layer("canal_disputes")
        events = load_layer("canal_dispute_events")
        for _, d in disputes[disputes["canal_id"] == canal_id].iterrows():
            st.markdown(f"**{d['subject']}**")
            facts = {_t("canals.dispute.parties"): str(d["parties"]).replace("|", "; "),
                     _t("canals.dispute.mediator"): d["mediator"],
                     _t("canals.dispute.period"): f"{d['date_start']} – {d['date_end']}",
                     _t("canals.dispute.resolution"): d["resolution"], _t("canals.source"): d["source_ref"]}
            st.table(pd.DataFrame({"": list(facts.values())}, index=list(facts)))
            if pd.notna(d["note"]):
                st.caption(str(d["note"]))
            st.markdown(f"**{_t('canals.timeline')}**")
            st.dataframe(_timeline(events[events["dispute_id"] == d["dispute_id"]]), hide_index=True,
                         width="stretch")
        facts = load_layer("canal_facts")
        facts = facts[facts["canal_id"] == canal_id]
        if len(facts):
            st.markdown(f"**{_t('canals.facts')}**")
            st.dataframe(facts[["subject", "value", "unit", "as_written", "note", "source_ref"]], hide_index=True,
                         width="stretch")
    agreements = load_layer("canal_agreements")
    with tabs[3]:
        shown = agreements[agreements["canal_id"] == canal_id].sort_values("date")
        for _, a in shown.iterrows():
            parties = str(a["parties"]).replace("|", "; ") if pd.notna(a["parties"]) else "—"
            st.markdown(f"**{a['date']} · {a['kind']}** — {parties}")
            st.write(str(a["terms"]))
            if pd.notna(a["note"]):
                (st.warning if str(a["note"]).startswith("Data quality") else st.caption)(str(a["note"]))
            st.caption(f"{_t('canals.source')}: {a['source_ref']}")
        links = allocations[allocations["canal_id"] == canal_id]
        if len(links):
            st.dataframe(links.drop(columns=["canal_id"]), hide_index=True, width="stretch")
    with tabs[4]:
        _editor(canal_id, outlets, agreements, clicked)
