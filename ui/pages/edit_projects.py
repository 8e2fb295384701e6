"""Editing projects: forms for a project, its funding rows and beneficiaries; place or move it on the map.

Every save goes through :mod:`geo.project_edit`, which checks the role and the unit
(:func:`geo.auth.require`) and the version the form was opened with (optimistic
locking). The version is remembered when a row is first shown and only replaced
by the saved row's version, or when a refused save reloads the row.
"""
from __future__ import annotations

import html

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import auth, project_edit, schema
from geo.errors import AimakError, StaleVersionError
from layers.base_map import finish, new_map
from layers.boundaries import unit_name
from ui.auth_ui import current_user, role_label, show_error
from ui.common import get_store, lang, load_layer, num, tr, utc_text
from ui.state import selected_unit

_OPENED = "_edit_opened"
_FLASH = "_edit_flash"
_PLACE = ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode")


# -- small helpers ---------------------------------------------------------------------------

def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value))


def _text(value) -> str:
    return "" if _missing(value) else str(value)


def _int(value):
    return None if _missing(value) else int(value)


def _float(value):
    return None if _missing(value) else float(value)


def _flash(kind: str, text: str) -> None:
    st.session_state[_FLASH] = (kind, text)


def _show_flash() -> None:
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        getattr(st, flash[0])(flash[1])


def _opened_version(kind: str, key: str, stored) -> int | None:
    """The version the form for this row was opened with (remembered across reruns)."""
    opened = st.session_state.setdefault(_OPENED, {})
    ident = f"{kind}:{key}"
    if ident not in opened:
        opened[ident] = _int(stored)
    return opened[ident]


def _set_opened(kind: str, key: str, version) -> None:
    st.session_state.setdefault(_OPENED, {})[f"{kind}:{key}"] = _int(version)


def _forget_opened(kind: str, key: str) -> None:
    st.session_state.setdefault(_OPENED, {}).pop(f"{kind}:{key}", None)


def _stale_message(layer: str, key: str) -> str:
    """'Changed by X at T — your save was refused, their change is kept', from the stored row."""
    spec = schema.LAYERS[layer]
    frame = get_store().read(layer)
    match = frame[frame[spec.key].astype(object) == key]
    if match.empty:
        return tr("edit.deleted_meanwhile", item=key)
    row = match.iloc[0]
    return tr("edit.stale", who=_text(row.get("updated_by")) or "?", at=_saved_at(row.get("updated_at"), "?"))


def _saved_at(value, missing: str) -> str:
    """When a row was last saved, as UTC date and time in the reader's convention (``missing`` when unknown)."""
    shown = utc_text([value])[0]
    return missing if shown == "—" else f"{shown} UTC"


def _save(action, layer: str, kind: str, key: str, success: str) -> bool:
    """Run a save; on a stale version reload the row and say who changed it. True when saved."""
    try:
        saved = action()
    except StaleVersionError:
        _forget_opened(kind, key)
        _flash("error", _stale_message(layer, key))
        st.rerun()
    except AimakError as exc:
        show_error(exc)
        return False
    if isinstance(saved, dict) and "version" in saved:
        _set_opened(kind, key, saved["version"])
    else:
        _forget_opened(kind, key)
    _flash("success", success)
    st.rerun()
    return True


def _save_changes(values: dict, stored: dict, keys: dict, update, layer: str, kind: str, key: str) -> None:
    """Save the fields of ``values`` that differ from ``stored`` (with the row's ``keys``: id and
    version) through ``update(row)``; say so when nothing changed."""
    changed = _changes(values, stored)
    if not changed:
        st.info(tr("edit.nothing_changed"))
        return
    row = {**keys, **changed}
    _save(lambda: update(row), layer, kind, key, tr("edit.saved", item=key))


def _sector_label(code: str) -> str:
    text = tr(f"sector.{code}")
    return code if text == f"sector.{code}" else text


def _sector_options(projects: pd.DataFrame, current: str | None) -> list[str]:
    codes = set(schema.SECTORS_HINT) | set(projects["sector"].dropna().astype(str))
    if current:
        codes.add(current)
    return sorted(codes, key=_sector_label)


def _in_unit(projects: pd.DataFrame, pcode: str) -> pd.Series:
    mask = pd.Series(False, index=projects.index)
    for col in _PLACE:
        mask |= projects[col].astype(object).eq(pcode).fillna(False).astype(bool)
    return mask


def _mine(projects: pd.DataFrame, user: auth.User) -> pd.Series:
    mask = pd.Series(False, index=projects.index)
    for code in user.units:
        mask |= _in_unit(projects, code)
    return mask


def _point_of(geom):
    if geom is None or geom.is_empty:
        return None
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    return float(p.x), float(p.y)


# -- the location map ------------------------------------------------------------------------

def _location_map(key: str, geom=None, picked: tuple[float, float] | None = None):
    """A map with the project (blue) and the last picked point (red); returns the clicked (lon, lat) or None.

    Circle markers, not ``folium.Icon``: that needs the Leaflet.awesome-markers plugin, which is
    not served offline (layers/assets.py), and the marker would not be drawn."""
    centre = _point_of(geom) if geom is not None else None
    fmap = new_map(relief_name=tr("map.base.relief"), plain_name=tr("map.base.plain"),
                   center=(centre[1], centre[0]) if centre else (41.25, 74.75), zoom=10 if centre else 6.75)
    if geom is not None and not geom.is_empty:
        if geom.geom_type == "Point":
            folium.CircleMarker([geom.y, geom.x], radius=8, color="#08519c", fill=True, fill_opacity=0.8,
                                tooltip=html.escape(tr("edit.map.current"))).add_to(fmap)
        else:
            folium.GeoJson(geom.__geo_interface__, tooltip=html.escape(tr("edit.map.current"))).add_to(fmap)
    if picked:
        folium.CircleMarker([picked[1], picked[0]], radius=8, color="#cb181d", fill=True, fill_opacity=0.8,
                            tooltip=html.escape(tr("edit.map.picked"))).add_to(fmap)
    result = st_folium(finish(fmap), height=380, use_container_width=True, key=key, returned_objects=["last_clicked"])
    clicked = (result or {}).get("last_clicked")
    if clicked and clicked.get("lat") is not None and clicked.get("lng") is not None:
        return round(float(clicked["lng"]), 6), round(float(clicked["lat"]), 6)
    return None


def _coordinate_inputs(prefix: str, clicked, default: tuple[float, float] | None):
    """Longitude/latitude inputs, filled from a map click when there is a new one."""
    lon_key, lat_key, seen_key = f"{prefix}_lon", f"{prefix}_lat", f"{prefix}_seen_click"
    if clicked and st.session_state.get(seen_key) != clicked:
        st.session_state[seen_key] = clicked
        st.session_state[lon_key], st.session_state[lat_key] = clicked
    if lon_key not in st.session_state:
        st.session_state[lon_key] = default[0] if default else None
        st.session_state[lat_key] = default[1] if default else None
    left, right = st.columns(2)
    lon = left.number_input(tr("edit.lon"), min_value=-180.0, max_value=180.0, format="%.6f", key=lon_key)
    lat = right.number_input(tr("edit.lat"), min_value=-90.0, max_value=90.0, format="%.6f", key=lat_key)
    return lon, lat


# -- project form ----------------------------------------------------------------------------

def _project_fields(prefix: str, projects: pd.DataFrame, row: dict | None) -> dict:
    row = row or {}
    sector_now = _text(row.get("sector")) or None
    sectors = _sector_options(projects, sector_now)
    a, b = st.columns([3, 1])
    values = {"title": a.text_input(tr("edit.f.title"), value=_text(row.get("title")), key=f"{prefix}_title")}
    values["status"] = b.text_input(tr("edit.f.status"), value=_text(row.get("status")), key=f"{prefix}_status")
    c1, c2, c3 = st.columns(3)
    sector_labels = {s: _sector_label(s) for s in sectors}
    values["sector"] = c1.selectbox(tr("edit.f.sector"), sectors, format_func=sector_labels.get, key=f"{prefix}_sector",
                                    index=sectors.index(sector_now) if sector_now in sectors else
                                    (sectors.index("other") if "other" in sectors else 0))
    values["year_start"] = c2.number_input(tr("edit.f.year_start"), min_value=1950, max_value=2100, step=1,
                                           value=_int(row.get("year_start")), key=f"{prefix}_ys")
    values["year_end"] = c3.number_input(tr("edit.f.year_end"), min_value=1950, max_value=2100, step=1,
                                         value=_int(row.get("year_end")), key=f"{prefix}_ye")
    d1, d2, d3 = st.columns(3)
    values["village"] = d1.text_input(tr("edit.f.village"), value=_text(row.get("village")), key=f"{prefix}_village")
    values["total_cost"] = d2.number_input(tr("edit.f.total_cost"), min_value=0.0, step=1000.0, format="%.0f",
                                           value=_float(row.get("total_cost")), key=f"{prefix}_cost")
    values["length_km"] = d3.number_input(tr("edit.f.length_km"), min_value=0.0, step=0.1, format="%.2f",
                                          value=_float(row.get("length_km")), key=f"{prefix}_len")
    values["source_ref"] = st.text_input(tr("edit.f.source_ref"), value=_text(row.get("source_ref")),
                                         key=f"{prefix}_src")
    return values


def _changes(values: dict, stored: dict) -> dict:
    out = {}
    for col, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None
        old = stored.get(col)
        if _missing(value) and _missing(old):
            continue
        if not _missing(value) and not _missing(old):
            try:
                if isinstance(value, (int, float)) and abs(float(value) - float(old)) < 1e-9:
                    continue
            except (TypeError, ValueError):
                pass
            if str(value) == str(old):
                continue
        out[col] = int(value) if col in ("year_start", "year_end") and value is not None else value
    return out


def _edit_project(store, user, projects: pd.DataFrame, pid: str) -> None:
    match = projects[projects["project_id"].astype(object) == pid]
    if match.empty:
        st.warning(tr("edit.deleted_meanwhile", item=pid))
        return
    stored = match.iloc[0].to_dict()
    version = _opened_version("project", pid, stored.get("version"))
    names = unit_name(load_layer("admin_units").set_index("pcode", drop=False), lang())
    place = " › ".join(names.get(stored[c], stored[c]) for c in _PLACE if not _missing(stored.get(c))) or "—"
    st.caption(tr("edit.meta", place=place, version=_text(version) or "—",
                  who=_text(stored.get("updated_by")) or "—", at=_saved_at(stored.get("updated_at"), "—")))
    if version is None:
        st.warning(tr("edit.no_version"))
    allowed = auth.can(user, auth.EDIT, [tuple(None if _missing(stored.get(c)) else str(stored[c]) for c in _PLACE)])
    if not allowed:
        st.warning(tr("edit.outside_units", units=", ".join(sorted(user.units)) or "—"))

    prefix = f"pf_{pid}_{version}"
    with st.form(f"{prefix}_form"):
        st.markdown(f"**{tr('edit.project')}**")
        values = _project_fields(prefix, projects, stored)
        submitted = st.form_submit_button(tr("edit.save"), type="primary")
    if submitted:
        _save_changes(values, stored, {"project_id": pid, "version": version},
                      lambda row: project_edit.update_project(store, user, row), "projects", "project", pid)

    st.markdown(f"#### {tr('edit.location')}")
    geom = stored.get("geometry")
    picked = st.session_state.get(f"mv_{pid}_seen_click")
    clicked = _location_map(f"move_map_{pid}", geom, picked)
    st.caption(tr("edit.map_help"))
    lon, lat = _coordinate_inputs(f"mv_{pid}", clicked, _point_of(geom))
    if st.button(tr("edit.move"), key=f"mv_{pid}_button"):
        if lon is None or lat is None:
            st.error(tr("edit.need_position"))
        else:
            _save(lambda: project_edit.move_project(store, user, pid, version, lon=lon, lat=lat),
                  "projects", "project", pid, tr("edit.moved", item=pid, lon=f"{lon:.5f}", lat=f"{lat:.5f}"))

    _funding_section(store, user, pid)
    _beneficiaries_section(store, user, pid)
    _delete_section(store, user, pid, version)


# -- funding and beneficiaries -----------------------------------------------------------------

def _funding_fields(prefix: str, row: dict) -> dict:
    types = [None, *schema.FUNDING_SOURCE_TYPES]
    currencies = list(schema.CURRENCIES)
    a, b = st.columns([2, 1])
    values = {"source_name": a.text_input(tr("edit.f.source_name"), value=_text(row.get("source_name")),
                                          key=f"{prefix}_name")}
    now_type = _text(row.get("source_type")) or None
    type_labels = {None: "—", **{t: tr(f"source_type.{t}") for t in schema.FUNDING_SOURCE_TYPES}}
    values["source_type"] = b.selectbox(tr("edit.f.source_type"), types, key=f"{prefix}_type",
                                        index=types.index(now_type) if now_type in types else 0,
                                        format_func=type_labels.get)
    c1, c2, c3 = st.columns(3)
    values["amount"] = c1.number_input(tr("edit.f.amount"), min_value=0.0, step=1000.0, format="%.0f",
                                       value=_float(row.get("amount")), key=f"{prefix}_amount")
    now_cur = _text(row.get("currency")) or "KGS"
    values["currency"] = c2.selectbox(tr("edit.f.currency"), currencies, key=f"{prefix}_cur",
                                      index=currencies.index(now_cur) if now_cur in currencies else 0)
    values["share_pct"] = c3.number_input(tr("edit.f.share_pct"), min_value=0.0, max_value=100.0, step=1.0,
                                          value=_float(row.get("share_pct")), key=f"{prefix}_share")
    values["note"] = st.text_input(tr("edit.f.note"), value=_text(row.get("note")), key=f"{prefix}_note")
    return values


def _funding_section(store, user, pid: str) -> None:
    st.markdown(f"#### {tr('edit.funding')}")
    funding = load_layer("funding")
    rows = funding[funding["project_id"].astype(object) == pid]
    if rows.empty:
        st.caption(tr("edit.funding_none"))
    for rec in rows.to_dict("records"):
        fid = str(rec["funding_id"])
        version = _opened_version("funding", fid, rec.get("version"))
        title = f"{_text(rec.get('source_name')) or '—'} · {num(rec.get('amount'))} {_text(rec.get('currency'))}"
        with st.expander(title):
            with st.form(f"ff_{fid}_{version}"):
                values = _funding_fields(f"ff_{fid}_{version}", rec)
                left, right = st.columns(2)
                save = left.form_submit_button(tr("edit.save"))
                delete = right.form_submit_button(tr("edit.funding_delete"))
            if save:
                _save_changes(values, rec, {"funding_id": fid, "version": version},
                              lambda row: project_edit.update_funding(store, user, row), "funding", "funding", fid)
            if delete:
                _save(lambda: project_edit.delete_funding(store, user, fid, version), "funding", "funding", fid,
                      tr("edit.deleted", item=fid))
    with st.expander(tr("edit.funding_add")):
        with st.form(f"fa_{pid}", clear_on_submit=True):
            values = _funding_fields(f"fa_{pid}", {})
            add = st.form_submit_button(tr("edit.funding_add"))
        if add:
            row = {"project_id": pid, **{k: (v.strip() or None) if isinstance(v, str) else v for k, v in values.items()}}
            _save(lambda: project_edit.add_funding(store, user, row), "funding", "funding", "new",
                  tr("edit.funding_added"))


_COUNTS = ("total", "households", "women", "men", "children", "students")


def _beneficiaries_section(store, user, pid: str) -> None:
    st.markdown(f"#### {tr('edit.beneficiaries')}")
    table = load_layer("beneficiaries")
    match = table[table["project_id"].astype(object) == pid]
    rec = match.iloc[0].to_dict() if len(match) else {}
    version = _opened_version("beneficiaries", pid, rec.get("version")) if rec else None
    prefix = f"bf_{pid}_{version}"
    with st.form(prefix):
        cols = st.columns(6)
        values = {}
        for col, name in zip(cols, _COUNTS):
            values[name] = col.number_input(tr(f"edit.f.b_{name}"), min_value=0, step=1, key=f"{prefix}_{name}",
                                            value=_int(rec.get(name)))
        values["note"] = st.text_input(tr("edit.f.note"), value=_text(rec.get("note")), key=f"{prefix}_note")
        save = st.form_submit_button(tr("edit.save"))
    if save:
        changed = _changes(values, rec) if rec else {k: v for k, v in values.items() if not _missing(v) and v != ""}
        changed = {k: (float(v) if k in _COUNTS and v is not None else v) for k, v in changed.items()}
        if not changed:
            st.info(tr("edit.nothing_changed"))
            return
        row = {"project_id": pid, **changed}
        if rec:
            row["version"] = version
        _save(lambda: project_edit.save_beneficiaries(store, user, row), "beneficiaries", "beneficiaries", pid,
              tr("edit.saved", item=pid))


def _delete_section(store, user, pid: str, version) -> None:
    st.markdown(f"#### {tr('edit.delete_title')}")
    key = "_edit_confirm_delete"
    if st.session_state.get(key) != pid:
        if st.button(tr("edit.delete"), key=f"del_{pid}"):
            st.session_state[key] = pid
            st.rerun()
        return
    st.warning(tr("edit.delete_confirm", item=pid))
    left, right = st.columns(2)
    if left.button(tr("edit.delete_yes"), key=f"del_yes_{pid}", type="primary"):
        st.session_state.pop(key, None)
        try:
            project_edit.delete_project(store, user, pid, version)
        except StaleVersionError:
            _forget_opened("project", pid)
            _flash("error", _stale_message("projects", pid))
            st.rerun()
        except AimakError as exc:
            show_error(exc)
            return
        st.session_state.pop("edit_pick", None)
        _flash("success", tr("edit.deleted", item=pid))
        st.rerun()
    if right.button(tr("edit.delete_no"), key=f"del_no_{pid}"):
        st.session_state.pop(key, None)
        st.rerun()


# -- adding ----------------------------------------------------------------------------------

def _add_project(store, user, projects: pd.DataFrame) -> None:
    st.caption(tr("edit.add_help"))
    picked = st.session_state.get("add_seen_click")
    clicked = _location_map("add_map", None, picked)
    with st.form("add_form"):
        pid = st.text_input(tr("edit.f.project_id"), key="add_pid", help=tr("edit.f.project_id_help"))
        values = _project_fields("add", projects, None)
        lon, lat = _coordinate_inputs("add", clicked, None)
        submitted = st.form_submit_button(tr("edit.add"), type="primary")
    if submitted:
        if lon is None or lat is None:
            st.error(tr("edit.need_position"))
            return
        row = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in values.items()}
        row = {k: v for k, v in row.items() if v is not None}
        if pid.strip():
            row["project_id"] = pid.strip()
        try:
            saved = project_edit.add_project(store, user, row, lon=lon, lat=lat)
        except AimakError as exc:
            show_error(exc)
            return
        for key in ("add_lon", "add_lat", "add_seen_click", "add_pid"):
            st.session_state.pop(key, None)
        st.session_state["edit_pick"] = saved["project_id"]
        st.session_state["_edit_go_edit"] = True
        _flash("success", tr("edit.added", item=saved["project_id"]))
        st.rerun()


# -- page ------------------------------------------------------------------------------------

def render() -> None:
    st.title(tr("page.edit"))
    store = get_store()
    user = current_user()
    _show_flash()
    if not auth.can(user, auth.EDIT):
        st.info(tr("edit.need_editor") if user is None else tr("edit.role_refused", role=role_label(user.role)))
        return
    if user.role == "editor":
        st.caption(tr("edit.editor_scope", units=", ".join(sorted(user.units))))
    projects = load_layer("projects")
    admin = load_layer("admin_units")
    if st.session_state.pop("_edit_go_edit", False):
        st.session_state["edit_mode"] = "edit"
    modes = {m: tr(f"edit.mode.{m}") for m in ("edit", "add")}
    mode = st.radio(tr("edit.mode"), list(modes), key="edit_mode", horizontal=True,
                    format_func=modes.get, label_visibility="collapsed")
    if mode == "add":
        _add_project(store, user, projects)
        return

    shown = projects
    unit = selected_unit(admin)
    if unit:
        names = unit_name(admin.set_index("pcode", drop=False), lang())
        shown = shown[_in_unit(shown, unit)]
        st.caption(tr("edit.unit_filter", unit=names.get(unit, unit)))
    if user.role == "editor" and st.checkbox(tr("edit.only_mine"), value=True, key="edit_only_mine"):
        shown = shown[_mine(shown, user)]
    search = st.text_input(tr("edit.search"), key="edit_search")
    if search.strip():
        needle = search.strip().lower()
        text = shown["project_id"].astype(str).str.lower() + " " + shown["title"].astype(str).str.lower()
        shown = shown[text.str.contains(needle, regex=False)]
    if shown.empty:
        st.info(tr("edit.none_found"))
        return
    ids = shown.sort_values("project_id")["project_id"].astype(str).tolist()
    titles = dict(zip(shown["project_id"].astype(str), shown["title"].astype(str)))
    if st.session_state.get("edit_pick") not in ids:
        st.session_state.pop("edit_pick", None)
    pid = st.selectbox(tr("edit.pick", n=num(len(ids))), ids, key="edit_pick",
                       format_func=lambda p: f"{p} — {titles.get(p, '')}"[:140])
    _edit_project(store, user, projects, pid)

