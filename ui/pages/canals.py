"""Canals page: the canal on the map, outlets by status, dispute timeline, flow balance, editing.

Thin: figures come from :mod:`geo.canal_balance`, the map from :mod:`layers.canal_map`,
changes go through :mod:`geo.canal_edits` (each in a store transaction that records
who and when). Every visible text comes from the message catalogues (``canals.*``);
data values (names, notes, events) are shown as they are stored, escaped in HTML.
"""
from __future__ import annotations

import html

import altair as alt
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import canal_balance, canal_edits, canals
from geo.errors import AimakError, InputError, OutsideCountryError, StaleVersionError
from layers.canal_map import STATUS_COLOURS, canal_map, country_label, status_label
from ui.auth_ui import reason_text
from ui.common import get_store, lang, load_layer, num, tr
from ui.downloads import download_buttons

#: Table column → message key (headers of every table on this page).
COLUMNS = {c: f"canals.col.{c}" for c in (
    "village", "country", "outlets_found", "outlets_unauthorised", "outlets_agreed", "outlets_closed",
    "allocated_lps", "measured_lps_min", "measured_lps_max", "measurements", "last_measured",
    "tail_lps_min", "tail_lps_max", "tail_measurements", "tail_last_measured", "subject", "value", "unit",
    "as_written", "note", "source_ref", "agreement_id", "count", "count_unit", "flow_lps",
)}

_ACTIONS = ("new_outlet", "status", "measurement", "agreement")


def _maybe(key: str, raw) -> str:
    """The message ``key`` if the catalogues have it, else the raw value (data stays as stored)."""
    if raw is None or (not isinstance(raw, str) and pd.isna(raw)):
        return "—"
    text = tr(key)
    return str(raw) if text == key else text


def _md(value) -> str:
    """Text from data made safe for Markdown (every punctuation mark escaped)."""
    text = "—" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=")


def _status(value) -> str:
    return status_label(value, lang())


def _country(value) -> str:
    return country_label(value, lang())


def _count(value) -> int:
    return int(value) if pd.notna(value) else 1


def _flow_range(low, high) -> str:
    if pd.isna(low) and pd.isna(high):
        return "—"
    if pd.isna(high) or low == high:
        return num(low, _decimals(low))
    return f"{num(low, _decimals(low))}–{num(high, _decimals(high))}"


def _decimals(value) -> int:
    """Decimals that show a number as stored (up to 2): 14.4 stays 14.4, 210.0 shows as 210."""
    if pd.isna(value) or float(value).is_integer():
        return 0
    return 1 if round(float(value), 1) == float(value) else 2


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    """A table ready to show: numbers formatted for the language, missing as a dash, codes
    translated, headers from the catalogues."""
    out = pd.DataFrame(frame).drop(columns=[c for c in ("geometry", "scope", "canal_id", "version", "updated_at",
                                                        "updated_by") if c in frame.columns]).copy()
    for col in out.columns:
        if col == "country":
            out[col] = out[col].map(lambda v: _country(v) if pd.notna(v) else "—")
        elif col == "count_unit":
            out[col] = out[col].map(lambda v: _maybe(f"canals.count_unit.{v}", v))
        elif pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(lambda v: num(v, _decimals(v)))
        else:
            out[col] = out[col].astype("object").where(out[col].notna(), "—").astype(str)
    return out.rename(columns={c: tr(COLUMNS[c]) for c in out.columns if c in COLUMNS})


def _label_rows(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows of canal-level records (no village / no country) labelled 'whole canal'."""
    out = table.copy()
    out[key] = out[key].astype("object").where(out["scope"] != "canal", None)
    shown = _display(out)
    header = tr(COLUMNS[key])
    shown[header] = shown[header].where(out["scope"].to_numpy() != "canal", tr("canals.whole_canal"))
    return shown


# -- side list and charts ------------------------------------------------------------
def _unplaced_html(outlets: pd.DataFrame, measurements: pd.DataFrame) -> str:
    """Records without a position, as an escaped HTML list (shown beside the map)."""
    items = []
    for _, r in outlets[outlets.geometry.isna()].iterrows():
        where = r["village"] if pd.notna(r["village"]) else tr("canals.whole_canal")
        if pd.notna(r["village"]) and pd.notna(r["country"]):
            where = f"{where} ({_country(r['country'])})"
        colour = STATUS_COLOURS.get(str(r["status"]), "#7f7f7f")
        items.append(
            f'<li><span style="display:inline-block;width:10px;height:10px;border-radius:50%;background:{colour};'
            f'border:1px solid #444"></span> <b>{html.escape(str(where))}</b>: '
            f'{html.escape(_status(r["status"]))} {html.escape(num(_count(r["count"])))}'
            + (f' <span style="color:#777">[{html.escape(str(r["source_ref"]))}]</span>' if pd.notna(r["source_ref"]) else "")
            + "</li>")
    for _, r in measurements[measurements.geometry.isna()].iterrows():
        place = r["place"] if pd.notna(r["place"]) else (r["village"] if pd.notna(r["village"]) else "—")
        flow = tr("canals.flow_value", value=_flow_range(r["flow_lps_min"], r["flow_lps_max"]))
        when = r["date"] if pd.notna(r["date"]) else (_maybe(f"canals.season.{r['season']}", r["season"])
                                                      if pd.notna(r["season"]) else "")
        items.append(f'<li>&#9650; <b>{html.escape(str(place))}</b>: {html.escape(flow)}'
                     + (f" ({html.escape(str(when))})" if when else "") + "</li>")
    if not items:
        return ""
    return (f'<div style="font:14px/1.45 sans-serif"><div style="font-weight:600;margin-bottom:4px">'
            f'{html.escape(tr("canals.unplaced"))}</div>'
            f'<div style="color:#555;font-size:12px;margin-bottom:6px">{html.escape(tr("canals.unplaced_note"))}</div>'
            f'<ul style="padding-left:18px;margin:0">{"".join(items)}</ul></div>')


def _balance_chart(summary: pd.Series) -> alt.Chart | None:
    rows = [
        {"item": tr("canals.chart.capacity"), "low": 0.0, "high": summary["design_capacity_lps"]},
        {"item": tr("canals.chart.allocated"), "low": 0.0, "high": summary["allocated_lps"]},
        {"item": tr("canals.chart.tail"), "low": summary["tail_lps_min"], "high": summary["tail_lps_max"]},
    ]
    data = pd.DataFrame(rows).dropna()
    if data.empty:
        return None
    data[["low", "high"]] = data[["low", "high"]].astype(float)
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("item:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("low:Q", title=tr("canals.chart.lps")), x2="high:Q",
        tooltip=[alt.Tooltip("item:N", title=tr("canals.chart.item")),
                 alt.Tooltip("low:Q", title=tr("canals.chart.low")),
                 alt.Tooltip("high:Q", title=tr("canals.chart.high"))],
    ).properties(height=150)


def _agreed_chart(table: pd.DataFrame) -> alt.Chart | None:
    data = table[(table["scope"] == "village") & table["outlets_agreed"].notna()].copy()
    if data.empty:
        return None
    data["village"] = data["village"].astype(str)
    data["country"] = data["country"].map(_country)
    data["agreed"] = data["outlets_agreed"].astype(float)
    return alt.Chart(data).mark_bar(color=STATUS_COLOURS["agreed"]).encode(
        x=alt.X("village:N", title=tr("canals.col.village"), sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("agreed:Q", title=tr("canals.col.outlets_agreed"), axis=alt.Axis(tickMinStep=1)),
        tooltip=[alt.Tooltip("village:N", title=tr("canals.col.village")),
                 alt.Tooltip("country:N", title=tr("canals.col.country")),
                 alt.Tooltip("agreed:Q", title=tr("canals.col.outlets_agreed"))],
    ).properties(height=220)


def _timeline(events: pd.DataFrame) -> pd.DataFrame:
    ordered = canals.timeline(events)
    shown = []
    for d, e, n in zip(ordered["date"], ordered["date_end"], ordered["sequence"]):
        if pd.notna(d):
            shown.append(f"{d}–{e}" if pd.notna(e) else str(d))
        else:
            shown.append(tr("canals.undated", n=num(n) if pd.notna(n) else "—"))
    return pd.DataFrame({tr("canals.date"): shown, tr("canals.event"): ordered["event"].fillna("—"),
                         tr("canals.col.note"): ordered["note"].fillna("—"),
                         tr("canals.col.source_ref"): ordered["source_ref"].fillna("—")})


# -- editing -------------------------------------------------------------------------
def signed_in_user() -> str | None:
    """The signed-in user's name from ``st.session_state['user']`` (a name or an object with
    ``username``), or None when nobody is signed in."""
    user = st.session_state.get("user")
    if user is None:
        return None
    name = getattr(user, "username", user)
    name = str(name).strip() if name is not None else ""
    return name or None


def _position(typed: str, clicked) -> tuple[float, float]:
    """(lon, lat) from typed coordinates, else the clicked point; a translated error otherwise."""
    if typed and typed.strip():
        try:
            return canal_edits.parse_coordinates(typed)
        except InputError:
            raise InputError(tr("canals.edit.bad_coords", text=typed.strip())) from None
    if clicked:
        return clicked
    raise InputError(tr("canals.edit.need_position"))


def _outside_message(lon: float, lat: float) -> str:
    text = tr("canals.edit.outside", lat=f"{lat:.5f}", lon=f"{lon:.5f}")
    try:
        if bool(canal_edits.in_canal_region(lat, lon, load_layer("country"))[0]):
            text += " " + tr("canals.edit.swapped")
    except Exception:  # noqa: BLE001 — the hint is optional
        pass
    return text


def _editor(canal_id: str, outlets: pd.DataFrame, agreements: pd.DataFrame, clicked) -> None:
    store = get_store()
    st.caption(tr("canals.edit.audit"))
    signed = signed_in_user()
    if signed:
        st.info(tr("canals.edit.signed_in", user=signed))
        user = signed
    else:
        user = st.text_input(tr("canals.edit.user"), key="canal_user")
    # Labels are looked up now, in this run's language (format functions may be called later).
    action_names = {a: tr(f"canals.edit.{a}") for a in _ACTIONS}
    status_names = {s: _status(s) for s in canals.OUTLET_STATUSES}
    country_names = {c: _country(c) if c else "—" for c in ("", *canals.COUNTRY_NAMES)}
    position_names = {None: "—", **{p: tr(f"canals.position.{p}") for p in canals.CANAL_POSITIONS}}
    action = st.radio(tr("canals.edit.action"), list(_ACTIONS), format_func=action_names.get,
                      key="canal_action", horizontal=True)
    if clicked:
        st.caption(tr("canals.edit.clicked", lat=f"{clicked[1]:.5f}", lon=f"{clicked[0]:.5f}"))
    else:
        st.caption(tr("canals.edit.click_hint"))
    countries = ["", *canals.COUNTRY_NAMES]
    position = None
    try:
        if action == "new_outlet":
            with st.form("canal_form_new_outlet"):
                typed = st.text_input(tr("canals.edit.coords"), key="canal_coords",
                                      placeholder="40.0100, 70.5200")
                status = st.selectbox(tr("canals.edit.status_new"), list(canals.INITIAL_STATUSES),
                                      format_func=status_names.get, key="canal_new_status")
                village = st.text_input(tr("canals.col.village"), key="canal_new_village")
                country = st.selectbox(tr("canals.col.country"), countries, format_func=country_names.get,
                                       key="canal_new_country")
                note = st.text_area(tr("canals.col.note"), key="canal_new_note")
                submitted = st.form_submit_button(tr("canals.edit.save"), type="primary")
            if submitted:
                user = _need_user(user)
                position = _position(typed, clicked)
                canal_edits.record_outlet(store, user, canal_id, *position, status=status, village=village,
                                          country=country or None, note=note)
                _saved(user)
        elif action == "status":
            mine = outlets[outlets["canal_id"] == canal_id]
            if mine.empty:
                st.info(tr("canals.edit.no_outlets"))
                return
            labels = {r["outlet_id"]: f"{r['village'] if pd.notna(r['village']) else tr('canals.whole_canal')} · "
                      f"{_status(r['status'])} · {num(_count(r['count']))}" for _, r in mine.iterrows()}
            outlet_id = st.selectbox(tr("canals.edit.outlet"), list(labels), format_func=labels.get,
                                     key="canal_status_outlet")
            row = mine[mine["outlet_id"] == outlet_id].iloc[0]
            targets = canals.ALLOWED_TRANSITIONS.get(str(row["status"]), ())
            if not targets:
                st.info(tr("canals.edit.no_change", status=_status(row["status"])))
                return
            if _count(row["count"]) > 1:
                st.warning(tr("canals.edit.aggregate", n=num(_count(row["count"]))))
            new_status = st.selectbox(tr("canals.edit.status_new"), list(targets), format_func=status_names.get,
                                      key="canal_status_new")
            with st.form("canal_form_status"):
                flow = agreement = None
                if new_status == "agreed":
                    flow = st.text_input(tr("canals.edit.allowed_flow"), key="canal_status_flow")
                    ids = agreements[agreements["canal_id"] == canal_id]
                    names = {a: f"{d} · {_maybe(f'canals.kind.{k}', k)}"
                             for a, d, k in zip(ids["agreement_id"], ids["date"], ids["kind"])}
                    agreement = st.selectbox(tr("canals.edit.agreement_ref"), [None, *names],
                                             format_func=lambda a: "—" if a is None else names.get(a, a),
                                             key="canal_status_agreement")
                note = st.text_area(tr("canals.col.note"), key="canal_status_note")
                submitted = st.form_submit_button(tr("canals.edit.save"), type="primary")
            if submitted:
                user = _need_user(user)
                canal_edits.change_outlet_status(store, user, outlet_id, new_status, int(row["version"]), note=note,
                                                 allowed_flow_lps=flow or None, agreement_id=agreement)
                _saved(user)
        elif action == "measurement":
            with st.form("canal_form_measurement"):
                typed = st.text_input(tr("canals.edit.coords_optional"), key="canal_m_coords",
                                      placeholder="40.0100, 70.5200")
                date = st.text_input(tr("canals.edit.date"), key="canal_m_date")
                c1, c2, c3 = st.columns(3)
                flow = c1.text_input(tr("canals.edit.flow"), key="canal_m_flow")
                low = c2.text_input(tr("canals.edit.flow_min"), key="canal_m_low")
                high = c3.text_input(tr("canals.edit.flow_max"), key="canal_m_high")
                village = st.text_input(tr("canals.col.village"), key="canal_m_village")
                country = st.selectbox(tr("canals.col.country"), countries, format_func=country_names.get,
                                       key="canal_m_country")
                where = st.selectbox(tr("canals.edit.position"), [None, *canals.CANAL_POSITIONS],
                                     format_func=position_names.get,
                                     key="canal_m_position")
                note = st.text_area(tr("canals.col.note"), key="canal_m_note")
                submitted = st.form_submit_button(tr("canals.edit.save"), type="primary")
            if submitted:
                user = _need_user(user)
                position = _position(typed, clicked) if (typed.strip() or clicked) else None
                lon, lat = position if position else (None, None)
                canal_edits.record_measurement(store, user, canal_id, date=date, flow_lps=flow or None,
                                               flow_lps_min=low or None, flow_lps_max=high or None, lon=lon, lat=lat,
                                               village=village, place=village, country=country or None,
                                               canal_position=where, note=note)
                _saved(user)
        else:
            with st.form("canal_form_agreement"):
                date = st.text_input(tr("canals.edit.date"), key="canal_a_date")
                parties = st.text_area(tr("canals.edit.parties"), key="canal_a_parties")
                terms = st.text_area(tr("canals.edit.terms"), key="canal_a_terms")
                submitted = st.form_submit_button(tr("canals.edit.save"), type="primary")
            if submitted:
                user = _need_user(user)
                canal_edits.record_agreement(store, user, canal_id, date, parties.splitlines(), terms)
                _saved(user)
    except OutsideCountryError:
        st.error(_outside_message(*position) if position else tr("canals.edit.failed", reason=""))
    except StaleVersionError:
        st.error(tr("canals.edit.stale"))
    except AimakError as exc:
        st.error(tr("canals.edit.failed", reason=reason_text(exc)))


def _need_user(user: str | None) -> str:
    if not user or not str(user).strip():
        raise InputError(tr("canals.edit.need_user"))
    return str(user).strip()


def _saved(user: str) -> None:
    st.session_state["canal_flash"] = tr("canals.edit.saved", user=user.strip())
    st.session_state.pop("canal_clicked", None)
    st.rerun()


# -- page ----------------------------------------------------------------------------
def _metrics(summary: pd.Series) -> None:
    flow = st.columns(3)
    flow[0].metric(tr("canals.capacity"), num(summary["design_capacity_lps"]))
    flow[1].metric(tr("canals.tail"), _flow_range(summary["tail_lps_min"], summary["tail_lps_max"]))
    share = "—" if pd.isna(summary["tail_share_pct_min"]) else \
        f"{num(summary['tail_share_pct_min'], 1)}–{num(summary['tail_share_pct_max'], 1)} %"
    flow[2].metric(tr("canals.tail_share"), share)
    counts = st.columns(3)
    counts[0].metric(tr("canals.outlets_found"), num(summary["outlets_found"]))
    counts[1].metric(tr("canals.outlets_agreed"), num(summary["outlets_agreed"]))
    counts[2].metric(tr("canals.outlets_closed"), num(summary["outlets_closed"]))


def _table(frame: pd.DataFrame, name: str, **kwargs) -> None:
    """Show a table with its CSV/XLSX download buttons underneath."""
    st.dataframe(frame, **kwargs)
    download_buttons(pd.DataFrame(frame), f"canal_{name}", f"dl_canal_{name}")


def render() -> None:
    st.title(tr("page.canals"))
    if flash := st.session_state.pop("canal_flash", None):
        st.success(flash)
    canal_frame = load_layer("canals")
    if canal_frame.empty:
        st.info(tr("canals.none"))
        if st.button(tr("canals.load_case")):
            from geo.canal_case import install_voruh_shurab

            install_voruh_shurab(get_store(), user=signed_in_user() or "build")
            st.rerun()
        return
    names = dict(zip(canal_frame["canal_id"], canal_frame["name"]))
    canal_id = st.selectbox(tr("canals.canal"), list(names), format_func=lambda c: str(names.get(c, c)),
                            key="canal_id")
    canal = canal_frame[canal_frame["canal_id"] == canal_id].iloc[0]
    outlets = load_layer("canal_outlets")
    allocations = load_layer("outlet_allocations")
    measurements = load_layer("flow_measurements")
    summary = canal_balance.canal_summary(canal_frame, outlets, allocations, measurements, canal_id)
    _metrics(summary)

    sections = load_layer("canal_sections")
    sections = sections[sections["canal_id"] == canal_id].sort_values("sequence")
    if len(sections):
        parts = ", ".join(tr("canals.length_part", country=_country(r["country"]), km=num(r["length_km"]))
                          for _, r in sections.iterrows())
        st.caption(tr("canals.length", total=num(canal["length_km"]), parts=parts))
    st.caption(tr("canals.flow_direction"))

    mine = outlets[outlets["canal_id"] == canal_id]
    mine_m = measurements[measurements["canal_id"] == canal_id]
    clicked = st.session_state.get("canal_clicked")
    left, right = st.columns([3, 1])
    with left:
        fmap = canal_map(canal, mine, mine_m, load_layer("country"), lang(), clicked)
        result = st_folium(fmap, height=520, use_container_width=True, key="canal_map",
                           returned_objects=["last_clicked"])
    with right:
        side = _unplaced_html(mine, mine_m)
        if side:
            st.html(side)
    if pd.notna(canal["note"]):
        with st.expander(tr("canals.line_note")):
            st.text(str(canal["note"]))
    last = (result or {}).get("last_clicked")
    if last and (last["lng"], last["lat"]) != clicked:
        st.session_state["canal_clicked"] = (last["lng"], last["lat"])
        st.rerun()

    tabs = st.tabs([tr(f"canals.tab.{k}") for k in ("outlets", "balance", "dispute", "agreements", "edit")])
    with tabs[0]:
        found_vs = canal_balance.agreed_vs_found(outlets, canal_id)
        _table(name="found_vs_agreed", frame=_label_rows(found_vs, "village"), hide_index=True, width="stretch")
        canal_row = found_vs[(found_vs["scope"] == "canal") & found_vs["outlets_found"].notna()]
        if len(canal_row) and found_vs.loc[found_vs["scope"] == "village", "outlets_found"].isna().all():
            st.caption(tr("canals.found_not_split", n=num(canal_row["outlets_found"].sum())))
        chart = _agreed_chart(found_vs)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
    with tabs[1]:
        chart = _balance_chart(summary)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        if pd.notna(summary["not_at_tail_lps_min"]):
            st.caption(tr("canals.balance.derived", low=num(summary["not_at_tail_lps_min"]),
                          high=num(summary["not_at_tail_lps_max"])))
        st.markdown(f"**{tr('canals.balance.village')}**")
        _table(name="village_balance", frame=_label_rows(canal_balance.village_balance(outlets, allocations, measurements, canal_id), "village"),
                     hide_index=True, width="stretch")
        st.markdown(f"**{tr('canals.balance.country')}**")
        _table(name="country_balance", frame=_label_rows(canal_balance.country_balance(outlets, allocations, measurements, canal_id), "country"),
                     hide_index=True, width="stretch")
        st.caption(tr("canals.balance.note"))
    with tabs[2]:
        disputes = load_layer("canal_disputes")
        events = load_layer("canal_dispute_events")
        for _, d in disputes[disputes["canal_id"] == canal_id].iterrows():
            st.markdown(f"**{tr('canals.dispute.subject')}**")
            st.text(str(d["subject"]))
            period = f"{d['date_start'] if pd.notna(d['date_start']) else '—'} – " \
                     f"{d['date_end'] if pd.notna(d['date_end']) else '—'}"
            facts = {tr("canals.dispute.status"): _maybe(f"canals.dispute_status.{d['status']}", d["status"]),
                     tr("canals.dispute.parties"): str(d["parties"]).replace("|", "; ") if pd.notna(d["parties"]) else "—",
                     tr("canals.dispute.mediator"): d["mediator"] if pd.notna(d["mediator"]) else "—",
                     tr("canals.dispute.period"): period,
                     tr("canals.dispute.resolution"): d["resolution"] if pd.notna(d["resolution"]) else "—",
                     tr("canals.col.source_ref"): d["source_ref"] if pd.notna(d["source_ref"]) else "—"}
            _table(name=f"dispute_{d['dispute_id']}", frame=pd.DataFrame({tr("canals.dispute.field"): list(facts), tr("canals.dispute.value"): list(facts.values())}),
                         hide_index=True, width="stretch")
            if pd.notna(d["note"]):
                st.caption(_md(d["note"]))
            st.markdown(f"**{tr('canals.timeline')}**")
            _table(name=f"timeline_{d['dispute_id']}", frame=_timeline(events[events["dispute_id"] == d["dispute_id"]]), hide_index=True, width="stretch")
        facts = load_layer("canal_facts")
        facts = facts[facts["canal_id"] == canal_id]
        if len(facts):
            st.markdown(f"**{tr('canals.facts')}**")
            _table(name="facts", frame=_display(facts[["subject", "value", "unit", "as_written", "note", "source_ref"]]),
                         hide_index=True, width="stretch")
    agreements = load_layer("canal_agreements")
    with tabs[3]:
        shown = agreements[agreements["canal_id"] == canal_id].sort_values("date")
        for _, a in shown.iterrows():
            parties = str(a["parties"]).replace("|", "; ") if pd.notna(a["parties"]) else tr("canals.parties_unknown")
            kind = _maybe(f"canals.kind.{a['kind']}", a["kind"])
            st.markdown(f"**{_md(a['date'])} · {_md(kind)}**")
            st.text(f"{tr('canals.dispute.parties')}: {parties}")
            st.text(str(a["terms"]) if pd.notna(a["terms"]) else "—")
            if pd.notna(a["note"]):
                (st.warning if str(a["note"]).startswith("Data quality") else st.caption)(_md(a["note"]))
            st.caption(f"{tr('canals.col.source_ref')}: {_md(a['source_ref'])}")
        links = allocations[allocations["canal_id"] == canal_id]
        if len(links):
            st.markdown(f"**{tr('canals.allocations')}**")
            _table(name="agreement_outlets", frame=_display(links[["agreement_id", "village", "country", "count", "count_unit", "flow_lps",
                                         "note", "source_ref"]]), hide_index=True, width="stretch")
    with tabs[4]:
        _editor(canal_id, outlets, agreements, clicked)
