"""Disaster risk (issue 5): hazard zones on the map, what is exposed in each class and unit.

The page follows the selected unit (``ui.state.selected_unit``; ``?unit=PCODE``):
the map colours that unit's children by their hazard level (the worst class
present, ThinkHazard!'s rule) and the tables count what lies in each class inside
it. Figures come from :func:`geo.exposure.exposure_report` on the chosen layer of
``hazard_zones``, computed once per store revision and layer (``st.cache_data``).
Shipped indicative layers are labelled as such everywhere. Administrators import
official layers (vector or raster, any CRS), which replace the indicative layer of
their hazard type (:func:`geo.hazard_store.import_hazard_layer`), and delete them
after a confirmation step; deleting the last official layer of a type brings its
indicative layer back. Indicative layers cannot be deleted. The value → class rule
chosen at import is stored with the layer and shown, translated, under the map.
"""
from __future__ import annotations

import copy
import io
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import AimakError
from geo.exposure import NO_LOCATION, OUTSIDE
from geo.filters import PCODE_COLUMN
from geo.hazards import HAZARD_CLASSES, HAZARD_TYPES
from layers.hazard_style import HAZARD_COLOURS, NO_LEVEL_COLOUR, class_label, hazard_type_label
from ui.auth_ui import role_label, show_error
from ui.downloads import download_buttons
from ui.hazard_labels import layer_label, layer_table
from ui.common import get_store, lang, load_layer, num, tr
from ui.state import selected_unit, set_selected_unit

#: Classes counted as "at risk" in the projects list and the map markers.
AT_RISK = ("High", "Medium", "Low")
ROWS = (*HAZARD_CLASSES, OUTSIDE, NO_LOCATION)
VECTOR_TYPES = ["geojson", "json", "gpkg", "zip", "shp", "kml", "fgb"]
RASTER_TYPES = ["tif", "tiff"]


# --------------------------------------------------------------------------- cached data
@st.cache_data(show_spinner=False, max_entries=8)
def _layer_table(revision: str) -> pd.DataFrame:
    """One row per hazard layer in the store (official first)."""
    return layer_table(load_layer("hazard_zones"))


@st.cache_data(show_spinner=False, max_entries=8)
def _zones(revision: str, layer_name: str):
    zones = load_layer("hazard_zones")
    return zones[zones["layer_name"] == layer_name].reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=8)
def _exposure(revision: str, layer_name: str) -> dict[str, pd.DataFrame]:
    """The exposure report for one layer plus every project with its class (``exposed``)."""
    from geo.exposure import exposure_report, projects_in_zones

    zones = _zones(revision, layer_name)
    report = exposure_report(get_store(), zones, at_risk_classes=AT_RISK)
    exposed = projects_in_zones(load_layer("projects"), zones)
    report["exposed"] = pd.DataFrame(exposed.drop(columns=exposed.geometry.name))
    return report


@st.cache_resource(show_spinner=False, max_entries=4)
def _simplified_units(revision: str):
    from layers.map_view import prepare_units

    return prepare_units(load_layer("admin_units"))


# --------------------------------------------------------------------------- labels
def _people(value) -> str:
    """People formatted; unknown stays "unknown", never 0."""
    return tr("risk.unknown") if pd.isna(value) else num(value)


def _pct(value) -> str:
    return "—" if pd.isna(value) else f"{num(100 * float(value), 1)} %"


def _unit_names(admin: pd.DataFrame) -> pd.Series:
    from layers.boundaries import unit_name

    return pd.Series(unit_name(admin, lang()).to_numpy(), index=admin["pcode"].to_numpy())


def _rule_table(row: pd.Series, zones: pd.DataFrame) -> pd.DataFrame:
    """How values became classes in the shown layer (the legend of the rule)."""
    present = [c for c in HAZARD_CLASSES if (zones["hazard_class"] == c).any()]
    rules = {}
    if bool(row["indicative"]) and row["hazard_type"] == "landslide":
        from geo.indicative_hazard import SLOPE_CLASSES_DEG

        bounds = [SLOPE_CLASSES_DEG[c] for c in HAZARD_CLASSES if c in SLOPE_CLASSES_DEG]
        for i, cls in enumerate(c for c in HAZARD_CLASSES if c in SLOPE_CLASSES_DEG):
            lo = SLOPE_CLASSES_DEG[cls]
            rules[cls] = (tr("risk.rule.slope_min", lo=num(lo)) if i == 0
                          else tr("risk.rule.slope_range", lo=num(lo), hi=num(bounds[i - 1])))
    elif bool(row["indicative"]) and row["hazard_type"] == "flood":
        from geo.indicative_hazard import RIVER_BANDS_M

        previous = 0.0
        for cls in (c for c in HAZARD_CLASSES if c in RIVER_BANDS_M):
            rules[cls] = tr("risk.rule.river", lo=num(previous), hi=num(RIVER_BANDS_M[cls]))
            previous = RIVER_BANDS_M[cls]
    elif _stored_rule(row) is not None:
        rules = _mapping_rules(_stored_rule(row))
    else:  # stored before rules were kept with the layer: show the value ranges found per class
        values = pd.to_numeric(zones["value"], errors="coerce")
        for cls in present:
            known = values[zones["hazard_class"] == cls].dropna()
            rules[cls] = (tr("risk.rule.values", lo=num(known.min(), 2), hi=num(known.max(), 2)) if len(known)
                          else tr("risk.rule.as_given"))
    return pd.DataFrame({
        tr("risk.col.class"): [class_label(c, lang()) for c in present],
        tr("risk.col.rule"): [rules.get(c, tr("risk.rule.as_given")) for c in present],
        "_colour": [HAZARD_COLOURS[c] for c in present],
    })


def _stored_rule(row: pd.Series):
    """The value → class rule stored with a layer (``class_rule``), or None."""
    from geo.hazards import rule_mapping

    return rule_mapping(row.get("class_rule"))


def _bound(value: float) -> str:
    """A threshold in the page's number format with only the decimals it has (1, 0.25; at most 6)."""
    decimals = 0
    while decimals < 6 and round(value, decimals) != value:
        decimals += 1
    return num(value, decimals)


def _mapping_rules(mapping) -> dict[str, str]:
    """What values each class takes under a mapping, in the page's language."""
    rules: dict[str, str] = {}
    if mapping.kind == "thresholds":
        worse = None
        for cls, bound in mapping.thresholds:
            if mapping.higher_is_worse:
                rules[cls] = (tr("risk.rule.min", lo=_bound(bound)) if worse is None
                              else tr("risk.rule.range_up", lo=_bound(bound), hi=_bound(worse)))
            else:
                rules[cls] = (tr("risk.rule.max", hi=_bound(bound)) if worse is None
                              else tr("risk.rule.range_down", lo=_bound(worse), hi=_bound(bound)))
            worse = bound
    elif mapping.kind == "categories":
        for cls in HAZARD_CLASSES:
            keys = sorted(k for k, v in mapping.categories.items() if v == cls)
            if keys:
                rules[cls] = tr("risk.rule.categories", values=", ".join(keys))
    else:
        rules = {cls: tr("risk.rule.class_name", name=cls) for cls in HAZARD_CLASSES}
    return rules


def _styled_classes(frame: pd.DataFrame, class_column: str):
    """A table whose class cells are filled with the class colour."""
    colours = {class_label(c, lang()): HAZARD_COLOURS[c] for c in HAZARD_CLASSES}

    def paint(value):
        colour = colours.get(value)
        if not colour:
            return ""
        text = "#fff" if value in (class_label("High", lang()), class_label("Medium", lang())) else "#111"
        return f"background-color: {colour}; color: {text}"

    return frame.style.map(paint, subset=[class_column])


# --------------------------------------------------------------------------- map
@st.cache_resource(show_spinner=False, max_entries=16)
def _risk_map(revision: str, layer_name: str, selected: str | None, language: str, view: str):
    """The folium map: zones (simplified for the browser), unit hazard levels, projects at risk."""
    import geopandas as gpd

    from geo.i18n import t
    from layers.base_map import KYRGYZSTAN_BOUNDS, finish, new_map
    from layers.boundaries import boundary_layer
    from layers.hazard_style import at_risk_layer, hazard_layer, hazard_legend, hazard_level_layer
    from layers.map_view import visible_units

    admin = load_layer("admin_units")
    units = _simplified_units(revision)
    shown = gpd.GeoDataFrame(pd.concat(list(units.values()), ignore_index=True), geometry="geometry", crs=4326)
    zones = _zones(revision, layer_name)
    report = _exposure(revision, layer_name)
    indicative = bool(zones["indicative"].fillna(False).astype(bool).any())

    fmap = new_map(basemap="relief", relief_name=t("map.base.relief", language), plain_name=t("map.base.plain", language))
    children, unit, _ = visible_units(shown, selected)
    if unit is None:
        coloured = shown[shown["level"] == 2] if (shown["level"] == 2).any() else shown[shown["level"] == 1]
        bounds = None
        fmap.fit_bounds(KYRGYZSTAN_BOUNDS)
    else:
        coloured = children if len(children) else unit
        minx, miny, maxx, maxy = unit.total_bounds
        bounds = (minx, miny, maxx, maxy)
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    hazard_layer(zones, language, name=t("risk.map.zones", language), show=(view == "zones"),
                 bounds=bounds).add_to(fmap)
    levels = report["by_unit"].set_index("pcode")["hazard_level"] if len(report["by_unit"]) else pd.Series(dtype="string")
    hazard_level_layer(coloured, levels, language, t("risk.map.levels", language), show=(view == "levels"),
                       indicative=indicative).add_to(fmap)
    # outlines on top: the units shown can be clicked to select them, in either view
    if len(coloured) and (unit is None or len(children)):
        child_level = int(coloured["level"].iloc[0])
        boundary_layer(coloured, child_level, t(f"map.layer.level{child_level}", language), language,
                       t(f"level.{child_level}", language)).add_to(fmap)
    if unit is None:
        oblasts = shown[shown["level"] == 1]
        boundary_layer(oblasts, 1, t("map.layer.oblasts", language), language, t("level.1", language)).add_to(fmap)
    else:
        level = int(unit["level"].iloc[0])
        boundary_layer(unit, level, t(f"level.{level}", language), language, t(f"level.{level}", language),
                       selected=selected).add_to(fmap)

    at_risk = _in_unit(report["projects_at_risk"], report["exposed"], admin, selected)
    if len(at_risk):
        points = at_risk.assign(label=[
            f"{pid} · {title if pd.notna(title) else '—'} — {class_label(cls, language)}"
            for pid, title, cls in zip(at_risk["project_id"], at_risk["title"], at_risk["hazard_class"])
        ])
        at_risk_layer(points, language, t("risk.map.projects", language)).add_to(fmap)
    present = [c for c in HAZARD_CLASSES if (zones["hazard_class"] == c).any()]
    hazard_legend(language, classes=present, indicative=indicative, with_no_level=(view == "levels"),
                  with_markers=bool(len(at_risk)),
                  title=t("risk.legend.title", language) + ": " + hazard_type_label(zones["hazard_type"].iloc[0], language)
                  ).add_to(fmap)
    return finish(fmap)


def _in_unit(frame: pd.DataFrame, exposed: pd.DataFrame, admin: pd.DataFrame, selected: str | None) -> pd.DataFrame:
    """Rows of a project table whose project belongs to the selected unit (by the project's
    oblast, rayon or aiyl okmot P-code, as on the main map)."""
    if not selected or len(frame) == 0:
        return frame
    level = int(admin.loc[admin["pcode"] == selected, "level"].iloc[0])
    column = PCODE_COLUMN.get(level)
    if column is None or column not in exposed.columns:
        return frame.iloc[0:0]
    ids = exposed.loc[exposed[column].astype("string").eq(selected).fillna(False), "project_id"]
    return frame[frame["project_id"].isin(set(ids))]


# --------------------------------------------------------------------------- tables
def _class_table(report: dict, exposed: pd.DataFrame, selected: str | None, admin: pd.DataFrame) -> pd.DataFrame:
    """Raw figures per class for the country or the selected unit."""
    projects = exposed["exposure"].value_counts()
    table = pd.DataFrame({"hazard_class": list(ROWS)})
    table["projects"] = table["hazard_class"].map(projects).fillna(0).astype(int)
    if selected:
        rows = report["by_unit_class"]
        rows = rows[rows["pcode"] == selected].set_index("hazard_class")
        for col in ("settlements", "people", "settlements_population_unknown", "area_share"):
            table[col] = table["hazard_class"].map(rows[col]) if len(rows) else pd.NA
        table.loc[table["hazard_class"] == NO_LOCATION, ["settlements", "settlements_population_unknown"]] = 0
        table.loc[table["hazard_class"] == NO_LOCATION, "people"] = 0.0
    else:
        rows = report["by_class"].set_index("hazard_class")
        for col in ("settlements", "people", "settlements_population_unknown"):
            table[col] = table["hazard_class"].map(rows[col])
        units = report["by_unit"]
        top = units[units["level"] == 1] if "level" in units and (units["level"] == 1).any() else units
        if len(top):
            area = top["area_km2"].astype(float)
            shares = {cls: float((top["share_" + cls.lower().replace(" ", "_")].astype(float) * area).sum() / area.sum())
                      for cls in HAZARD_CLASSES}
            shares[OUTSIDE] = float((top["share_outside"].astype(float) * area).sum() / area.sum())
            table["area_share"] = table["hazard_class"].map(shares)
        else:
            table["area_share"] = pd.NA
    return table


def _show_class_table(table: pd.DataFrame) -> pd.DataFrame:
    shown = pd.DataFrame({
        tr("risk.col.class"): [class_label(c, lang()) for c in table["hazard_class"]],
        tr("risk.col.area_share"): [_pct(v) if c != NO_LOCATION else "—" for c, v in zip(table["hazard_class"], table["area_share"])],
        tr("risk.col.projects"): [num(v) for v in table["projects"]],
        tr("risk.col.settlements"): [num(v) for v in table["settlements"]],
        tr("risk.col.people"): [_people(v) for v in table["people"]],
        tr("risk.col.population_unknown"): [num(v) for v in table["settlements_population_unknown"]],
    })
    return shown


def _unit_table(report: dict, children: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Per child unit: hazard level, area shares, what lies in zones (raw values)."""
    by_unit = report["by_unit"].set_index("pcode")
    cells = report["by_unit_class"]
    cells = cells[cells["pcode"].isin(children["pcode"]) & cells["hazard_class"].isin(HAZARD_CLASSES)]
    grouped = cells.groupby("pcode").agg(
        projects=("projects", "sum"), settlements=("settlements", "sum"),
        people=("people", lambda s: s.sum(min_count=1)),
        unknown=("settlements_population_unknown", "sum"),
    )
    out = pd.DataFrame({"pcode": children["pcode"].to_numpy()})
    out["name"] = out["pcode"].map(names)
    for col in ("hazard_level", "share_high", "share_medium", "share_low", "share_very_low", "share_outside",
                "unit_population"):
        out[col] = out["pcode"].map(by_unit[col]) if col in by_unit.columns else pd.NA
    for col in ("projects", "settlements", "people", "unknown"):
        out[col] = out["pcode"].map(grouped[col]) if len(grouped) else 0
    rank = {c: i for i, c in enumerate(HAZARD_CLASSES)}
    out["_order"] = out["hazard_level"].map(rank).fillna(len(rank))
    return out.sort_values(["_order", "share_high", "name"], ascending=[True, False, True]).drop(columns="_order")


def _show_unit_table(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        tr("risk.col.unit"): table["name"].astype(str).to_numpy(),
        tr("risk.col.hazard_level"): [class_label(c, lang()) for c in table["hazard_level"]],
        **{f"{class_label(c, lang())}, %": [_pct(v) for v in table["share_" + c.lower().replace(" ", "_")]]
           for c in HAZARD_CLASSES},
        f"{class_label(OUTSIDE, lang())}, %": [_pct(v) for v in table["share_outside"]],
        tr("risk.col.projects_in_zones"): [num(v) for v in table["projects"]],
        tr("risk.col.settlements_in_zones"): [num(v) for v in table["settlements"]],
        tr("risk.col.people_in_zones"): [_people(v) for v in table["people"]],
        tr("risk.col.population_unknown"): [num(v) for v in table["unknown"]],
        tr("risk.col.unit_population"): [_people(v) for v in table["unit_population"]],
    })


def _share_chart(table: pd.DataFrame):
    """Stacked bars: share of each unit's area in each class (ThinkHazard! colours)."""
    import altair as alt

    rows = []
    for _, r in table.iterrows():
        for cls in HAZARD_CLASSES:
            share = r["share_" + cls.lower().replace(" ", "_")]
            if pd.notna(share) and float(share) > 0:
                rows.append({"unit": str(r["name"]), "class": class_label(cls, lang()), "share": 100 * float(share),
                             "order": HAZARD_CLASSES.index(cls)})
    if not rows:
        return None
    data = pd.DataFrame(rows)
    domain = [class_label(c, lang()) for c in HAZARD_CLASSES]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("share:Q", title=tr("risk.chart.share"), scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("unit:N", title=None, sort=list(dict.fromkeys(data["unit"]))),
            color=alt.Color("class:N", title=tr("risk.col.class"),
                            scale=alt.Scale(domain=domain, range=[HAZARD_COLOURS[c] for c in HAZARD_CLASSES])),
            order=alt.Order("order:Q"),
            tooltip=[alt.Tooltip("unit:N", title=tr("risk.col.unit")), alt.Tooltip("class:N", title=tr("risk.col.class")),
                     alt.Tooltip("share:Q", title=tr("risk.chart.share"), format=".1f")],
        )
        .properties(height=max(160, 22 * data["unit"].nunique()))
    )


def _projects_chart(table: pd.DataFrame):
    """Bars: projects per class."""
    import altair as alt

    data = pd.DataFrame({
        "class": [class_label(c, lang()) for c in table["hazard_class"]],
        "projects": table["projects"].astype(int).to_numpy(),
        "colour": [HAZARD_COLOURS.get(c, NO_LEVEL_COLOUR if c == OUTSIDE else "#bdbdbd") for c in table["hazard_class"]],
    })
    return (
        alt.Chart(data)
        .mark_bar(stroke="#555", strokeWidth=0.5)
        .encode(
            x=alt.X("class:N", title=None, sort=list(data["class"])),
            y=alt.Y("projects:Q", title=tr("risk.col.projects")),
            color=alt.Color("colour:N", scale=None, legend=None),
            tooltip=[alt.Tooltip("class:N", title=tr("risk.col.class")),
                     alt.Tooltip("projects:Q", title=tr("risk.col.projects"))],
        )
        .properties(height=220)
    )


def _sector_table(exposed: pd.DataFrame) -> pd.DataFrame:
    from geo.exposure import project_counts

    counts = project_counts(exposed)
    if len(counts) == 0:
        return pd.DataFrame()
    counts = counts.assign(sector=counts["sector"].fillna("other"))
    pivot = counts.pivot_table(index="sector", columns="hazard_class", values="projects", aggfunc="sum", fill_value=0)
    pivot = pivot.reindex(columns=[c for c in ROWS if c in pivot.columns])
    pivot = pivot.sort_values(list(pivot.columns), ascending=False)
    shown = pd.DataFrame({tr("risk.col.sector"): [tr(f"sector.{s}") for s in pivot.index]})
    for cls in pivot.columns:
        shown[class_label(cls, lang())] = [num(v) for v in pivot[cls]]
    return shown


def _funding_table(exposed: pd.DataFrame) -> pd.DataFrame:
    from geo.exposure import funding_by_class

    table = funding_by_class(exposed, load_layer("funding"))
    if len(table) == 0:
        return pd.DataFrame()
    return pd.DataFrame({
        tr("risk.col.class"): [class_label(c, lang()) for c in table["hazard_class"]],
        tr("risk.col.currency"): [c if pd.notna(c) else tr("risk.currency_unknown") for c in table["currency"]],
        tr("risk.col.amount"): [num(v) for v in table["amount"]],
        tr("risk.col.projects"): [num(v) for v in table["projects"]],
        tr("risk.col.funding_rows"): [num(v) for v in table["funding_rows"]],
        tr("risk.col.amount_unknown"): [num(v) for v in table["amount_unknown_rows"]],
    })


def _at_risk_table(at_risk: pd.DataFrame) -> pd.DataFrame:
    """The projects-at-risk list with translated headers (raw values, for display and download)."""
    def note(code):
        if pd.isna(code) or int(code) < 2:
            return ""
        return tr("risk.approximate", what=tr(f"precision.{int(code)}"))

    def text(series):
        return [("" if pd.isna(v) else str(v)) for v in series]

    return pd.DataFrame({
        tr("risk.col.project_id"): text(at_risk["project_id"]),
        tr("risk.col.title"): text(at_risk["title"]),
        tr("risk.col.sector"): [tr(f"sector.{s}") if pd.notna(s) else "" for s in at_risk["sector"]],
        tr("risk.col.class"): [class_label(c, lang()) for c in at_risk["hazard_class"]],
        tr("risk.col.status"): text(at_risk["status"]),
        tr("level.1"): text(at_risk["oblast_name"]) if "oblast_name" in at_risk else "",
        tr("level.2"): text(at_risk["rayon_name"]) if "rayon_name" in at_risk else "",
        tr("level.3"): text(at_risk["aiyl_okmot_name"]) if "aiyl_okmot_name" in at_risk else "",
        tr("risk.col.village"): text(at_risk["village"]) if "village" in at_risk else "",
        tr("risk.col.location_note"): [note(c) for c in at_risk["location_precision"]],
        tr("risk.col.lon"): at_risk["lon"].round(5).to_numpy(),
        tr("risk.col.lat"): at_risk["lat"].round(5).to_numpy(),
    })


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8-sig")  # BOM: Excel reads Cyrillic


def _xlsx_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


# --------------------------------------------------------------------------- place picker
def _place_picker(admin: pd.DataFrame, selected: str | None) -> None:
    names = _unit_names(admin)
    options: list[str | None] = [None]
    for oblast in admin[admin["level"] == 1].sort_values("name_en")["pcode"]:
        options.append(oblast)
        for rayon in admin[(admin["level"] == 2) & (admin["parent_pcode"] == oblast)].sort_values("name_en")["pcode"]:
            options.append(rayon)
            if selected and (selected == rayon or admin.loc[admin["pcode"] == selected, "parent_pcode"].eq(rayon).any()):
                options += admin[(admin["level"] == 3) & (admin["parent_pcode"] == rayon)].sort_values("name_en")["pcode"].tolist()
    level = admin.set_index("pcode")["level"]
    country = tr("country.name")  # texts fixed now: format_func may run outside the script run

    def label(code):
        if code is None:
            return country
        return "\u2003" * (int(level[code]) - 1) + str(names[code])

    current = options.index(selected) if selected in options else 0
    choice = st.selectbox(tr("risk.place"), options, index=current, format_func=label)
    if choice != selected:
        set_selected_unit(choice)


# --------------------------------------------------------------------------- import (admins)
def _admin_user():
    """The signed-in user if they may import hazard layers (``st.session_state['user']``)."""
    from geo import auth

    user = st.session_state.get("user")
    if user is None:
        return None
    if not isinstance(user, auth.User):
        try:
            user = auth.get_user(get_store(), str(getattr(user, "username", user)))
        except AimakError:
            return None
    return user if auth.can(user, auth.IMPORT_HAZARDS) else None


def _upload_path(upload) -> Path:
    """The upload saved once per file in a temporary folder (kept for the session)."""
    saved = st.session_state.get("_risk_upload")
    if saved and saved[0] == upload.file_id and Path(saved[1]).exists():
        return Path(saved[1])
    folder = Path(tempfile.mkdtemp(prefix="aimak-hazard-"))
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getbuffer())
    st.session_state["_risk_upload"] = (upload.file_id, str(path))
    return path


def _vector_columns(path: Path) -> list[str]:
    import pyogrio

    try:
        return [str(c) for c in pyogrio.read_info(path)["fields"]]
    except Exception:  # noqa: BLE001 — an unreadable file is reported by the import itself
        return []


def _sample_values(path: Path, column: str) -> pd.Series:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path, columns=[column], read_geometry=False)
    except Exception:  # noqa: BLE001
        return pd.Series(dtype=object)
    return frame[column] if column in frame.columns else pd.Series(dtype=object)


def _mapping_spec(values: pd.Series | None, is_raster: bool):
    """The class mapping the admin builds: thresholds, a value → class table, or class names."""
    modes = ["thresholds", "categories"] if is_raster else ["classes", "thresholds", "categories"]
    numeric = values is not None and pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    default = "thresholds" if (is_raster or numeric) else "classes"
    mode_labels = {m: tr(f"risk.import.mode.{m}") for m in modes}
    mode = st.radio(tr("risk.import.mapping"), modes, index=modes.index(default), key="risk_map_mode",
                    format_func=mode_labels.get, horizontal=True)
    if mode == "classes":
        return None
    if mode == "thresholds":
        st.caption(tr("risk.import.thresholds_help"))
        cols = st.columns(4)
        bounds = {}
        for col, cls in zip(cols, HAZARD_CLASSES):
            value = col.number_input(class_label(cls, lang()), value=None, key=f"risk_thr_{cls}", format="%g")
            if value is not None:
                bounds[cls] = float(value)
        higher = st.checkbox(tr("risk.import.higher_is_worse"), value=True, key="risk_higher")
        return {"thresholds": bounds, "higher_is_worse": higher} if bounds else {}
    distinct = []
    if values is not None:
        distinct = [str(v) for v in pd.Series(values.dropna().unique()).astype(str).tolist()[:60]]
    editor = pd.DataFrame({"value": distinct or [""], "class": [""] * max(1, len(distinct))})
    edited = st.data_editor(
        editor, key="risk_categories", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "value": st.column_config.TextColumn(tr("risk.import.value")),
            "class": st.column_config.SelectboxColumn(tr("risk.col.class"), options=list(HAZARD_CLASSES)),
        },
    )
    table = {str(v).strip(): c for v, c in zip(edited["value"], edited["class"])
             if isinstance(c, str) and c and pd.notna(v) and str(v).strip()}
    return {"categories": table} if table else {}


def _rule_preview(spec, values: pd.Series | None, path: Path, is_raster: bool, band: int) -> None:
    """The legend of the rule, with how many features (or cells) each class gets."""
    from geo.hazards import CLASS_RANK, classify_raster, make_mapping

    mapping = make_mapping(spec)
    rules = _mapping_rules(mapping)
    counts: dict[str, int] = {}
    if is_raster:
        ranks = classify_raster(path, mapping, band).ranks
        for cls, rank in CLASS_RANK.items():
            counts[cls] = int((ranks == rank).sum())
        counts["none"] = int((ranks == 0).sum())
    elif values is not None:
        classes = mapping.classify(values.reset_index(drop=True))
        for cls in HAZARD_CLASSES:
            counts[cls] = int((classes == cls).sum())
        counts["none"] = int(classes.isna().sum())
    shown = [c for c in HAZARD_CLASSES if rules.get(c)]
    legend = pd.DataFrame({
        tr("risk.col.class"): [class_label(c, lang()) for c in shown],
        tr("risk.col.rule"): [rules[c] for c in shown],
        tr("risk.import.cells" if is_raster else "risk.import.features"): [num(counts.get(c)) for c in shown],
    })
    st.markdown(f"**{tr('risk.import.legend')}**")
    st.dataframe(_styled_classes(legend, tr("risk.col.class")), hide_index=True, width="stretch")
    if counts.get("none"):
        st.caption(tr("risk.import.unclassified", n=num(counts["none"])))


def _import_form() -> None:
    from geo.settings import MAX_UPLOAD_MB

    user = _admin_user()
    with st.expander(tr("risk.import.title"), expanded=False):
        if user is None:
            st.info(tr("risk.import.admin_only"))
            return
        st.caption(tr("risk.import.help"))
        upload = st.file_uploader(tr("risk.import.file"), type=VECTOR_TYPES + RASTER_TYPES, key="risk_upload")
        if upload is None:
            return
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            st.error(tr("upload.too_large", size=num(upload.size / 1e6, 1), limit=num(MAX_UPLOAD_MB)))
            return
        from geo.hazards import is_raster_path

        path = _upload_path(upload)
        is_raster = is_raster_path(path)
        cols = st.columns(2)
        type_labels = {h: hazard_type_label(h, lang()) for h in HAZARD_TYPES}
        hazard_type = cols[0].selectbox(tr("risk.import.hazard_type"), list(HAZARD_TYPES), key="risk_type",
                                        format_func=type_labels.get)
        layer_name = cols[1].text_input(tr("risk.import.layer_name"), value=Path(upload.name).stem, key="risk_name")
        values, column, band = None, None, 1
        if is_raster:
            band = int(st.number_input(tr("risk.import.band"), min_value=1, value=1, step=1, key="risk_band"))
        else:
            columns = _vector_columns(path)
            if columns:
                column = st.selectbox(tr("risk.import.value_column"), columns, key="risk_column")
                values = _sample_values(path, column)
        spec = _mapping_spec(values, is_raster)
        if spec == {}:
            st.warning(tr("risk.import.need_mapping"))
            return
        try:
            _rule_preview(spec, values, path, is_raster, band)
        except AimakError as exc:
            show_error(exc)
            return
        cols = st.columns(3)
        source = cols[0].text_input(tr("risk.import.source"), key="risk_source")
        source_date = cols[1].text_input(tr("risk.import.date"), key="risk_date", placeholder="2009 / 2009-05-01")
        licence = cols[2].text_input(tr("risk.import.licence"), key="risk_licence")
        if not st.button(tr("risk.import.button"), type="primary", key="risk_import_button"):
            return
        _do_import(user, path, is_raster, hazard_type, layer_name, column, band, spec, source, source_date, licence)


def _do_import(user, path: Path, is_raster: bool, hazard_type: str, layer_name: str, column, band: int, spec,
               source: str, source_date: str, licence: str) -> None:
    from geo.hazard_store import import_hazard_layer

    store = get_store()
    progress = st.progress(0, text=tr("risk.import.reading"))
    try:
        kwargs = dict(hazard_type=hazard_type, mapping=spec, source=source.strip() or None,
                      source_date=source_date.strip() or None, licence=licence.strip() or None,
                      layer_name=layer_name.strip() or None)
        if is_raster:
            kwargs["band"] = band
        else:
            kwargs["value_column"] = column
        # reads, classifies and stores in one transaction (the rule is stored with the layer)
        summary = import_hazard_layer(store, user, path, **kwargs)
        progress.progress(100, text=tr("risk.import.done_short"))
    except AimakError as exc:
        progress.empty()
        show_error(exc)
        return
    name = summary["layer_name"]
    replaced = summary["replaced_indicative"]
    message = tr("risk.import.done", name=name, n=num(summary["zones"]))
    if replaced:
        message += " " + tr("risk.import.replaced")
    st.session_state["_risk_flash"] = message
    st.session_state["_risk_pending_layer"] = name  # the picker is already drawn: select it on the rerun
    st.rerun()


# --------------------------------------------------------------------------- delete (admins)
def _delete_form(layers: pd.DataFrame, shown: str | None) -> None:
    """Delete an imported layer, after a confirmation step (admins only; others see why not).

    Shipped indicative layers are never offered: they cannot be deleted
    (:mod:`geo.hazard_store`); deleting the last official layer of a type brings the
    indicative layer of that type back.
    """
    official = layers[~layers["indicative"].astype(bool)] if len(layers) else layers
    with st.expander(tr("risk.delete.title"), expanded=st.session_state.get("_risk_confirm_delete") is not None):
        user = _admin_user()
        if user is None:
            signed = st.session_state.get("user")
            role = getattr(signed, "role", None) or "viewer"
            st.info(tr("risk.delete.admin_only", role=role_label(role)))
            return
        st.caption(tr("risk.delete.indicative"))
        if len(official) == 0:
            st.info(tr("risk.delete.none"))
            return
        names = official["layer_name"].astype(str).tolist()
        counts = dict(zip(names, official["zones"]))
        types = dict(zip(names, official["hazard_type"].astype(str)))
        pending = st.session_state.get("_risk_confirm_delete")
        if pending not in names:
            pending = None
            st.session_state.pop("_risk_confirm_delete", None)
        default = names.index(shown) if shown in names else 0
        name = st.selectbox(tr("risk.delete.pick"), names, index=default, key="risk_delete_pick",
                            disabled=pending is not None)
        if pending is None:
            if st.button(tr("risk.delete.button"), key="risk_delete_button"):
                st.session_state["_risk_confirm_delete"] = name
                st.rerun()
            return
        message = tr("risk.delete.confirm", name=pending, n=num(counts[pending]))
        others = [n for n in names if n != pending and types[n] == types[pending]]
        from geo.hazard_store import INDICATIVE_TYPES

        if not others and types[pending] in INDICATIVE_TYPES:
            message += " " + tr("risk.delete.restores")
        st.warning(message)
        left, right = st.columns(2)
        if left.button(tr("risk.delete.yes"), key="risk_delete_yes", type="primary"):
            st.session_state.pop("_risk_confirm_delete", None)
            _do_delete(user, pending)
        if right.button(tr("risk.delete.no"), key="risk_delete_no"):
            st.session_state.pop("_risk_confirm_delete", None)
            st.rerun()


def _do_delete(user, name: str) -> None:
    from geo.hazard_store import delete_hazard_layer

    try:
        with st.spinner(tr("risk.delete.working")):
            summary = delete_hazard_layer(get_store(), user, name)
    except AimakError as exc:
        show_error(exc)
        return
    message = tr("risk.delete.done", name=name, n=num(summary["zones"]))
    if summary["restored"]:
        message += " " + tr("risk.delete.restored")
    st.session_state["_risk_flash"] = message
    st.rerun()


# --------------------------------------------------------------------------- page
def _layer_from_url(layers: pd.DataFrame) -> str | None:
    """The layer named in ``?hazard=`` (a layer name, or a hazard type: its first layer), if any."""
    wanted = st.query_params.get("hazard")
    if not wanted:
        return None
    if wanted in set(layers["layer_name"]):
        return wanted
    of_type = layers[layers["hazard_type"] == wanted]
    return str(of_type["layer_name"].iloc[0]) if len(of_type) else None


def render() -> None:
    store = get_store()
    revision = store.revision()
    admin = load_layer("admin_units")
    selected = selected_unit(admin)
    names = _unit_names(admin)

    st.title(tr("page.risk"))
    st.caption(tr("risk.intro"))
    flash = st.session_state.pop("_risk_flash", None)
    if flash:
        st.success(flash)

    layers = _layer_table(revision)
    with st.sidebar:
        st.markdown(f"### {tr('sidebar.place')}")
        _place_picker(admin, selected)
    if len(layers) == 0:
        st.info(tr("risk.no_layers"))
        _import_form()
        _delete_form(layers, None)
        return

    labels = {row["layer_name"]: layer_label(row) for _, row in layers.iterrows()}
    wanted = _layer_from_url(layers)
    pending = st.session_state.pop("_risk_pending_layer", None)
    if pending in labels:
        st.session_state["risk_layer"] = pending
    if wanted and wanted != st.session_state.get("_risk_url_layer"):
        st.session_state["risk_layer"] = st.session_state["_risk_url_layer"] = wanted
    if st.session_state.get("risk_layer") not in labels:
        st.session_state["risk_layer"] = layers["layer_name"].iloc[0]
    cols = st.columns([3, 2])
    layer_name = cols[0].selectbox(tr("risk.layer"), list(labels), key="risk_layer", format_func=labels.get)
    if st.query_params.get("hazard") != layer_name:  # the chosen layer goes in the URL, to share the view
        st.query_params["hazard"] = st.session_state["_risk_url_layer"] = layer_name
    views = {v: tr(f"risk.map.{v}") for v in ("zones", "levels")}
    view = cols[1].radio(tr("risk.map.show"), list(views), key="risk_view", horizontal=True, format_func=views.get)
    row = layers.set_index("layer_name").loc[layer_name]
    row = pd.Series({**row.to_dict(), "layer_name": layer_name})
    indicative = bool(row["indicative"])
    if indicative:
        from geo.build import SLOPE_BLOCK_CELLS

        key = f"risk.indicative_method.{row['hazard_type']}"
        method = tr(key, n=SLOPE_BLOCK_CELLS)
        st.warning(tr("risk.indicative_note") + ("" if method == key else " " + method))

    with st.spinner(tr("risk.computing")):
        report = _exposure(revision, layer_name)
        fmap = copy.deepcopy(_risk_map(revision, layer_name, selected, lang(), view))
    place = names[selected] if selected else tr("country.name")

    result = st_folium(fmap, height=600, use_container_width=True, key=f"risk_map_{selected}_{view}",
                       returned_objects=["last_active_drawing"])
    st.caption(tr("risk.map.caption"))
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{tr('risk.legend.rule')}**")
        rule = _rule_table(row, _zones(revision, layer_name))
        st.dataframe(_styled_classes(rule.drop(columns="_colour"), tr("risk.col.class")), hide_index=True,
                     width="stretch")
        if not indicative:
            st.caption(tr("risk.rule.stored") if _stored_rule(row) is not None else tr("risk.rule.inferred"))
    with right:
        st.markdown(f"**{tr('risk.provenance')}**")
        provenance = pd.DataFrame(
            {tr("risk.col.value"): [labels[layer_name], hazard_type_label(row["hazard_type"], lang()),
                                    "" if pd.isna(row["source"]) else str(row["source"]),
                                    tr("risk.unknown") if pd.isna(row["source_date"]) else str(row["source_date"]),
                                    tr("risk.unknown") if pd.isna(row["licence"]) else str(row["licence"]),
                                    num(row["zones"])]},
            index=[tr("risk.col.layer"), tr("risk.col.hazard_type"), tr("risk.import.source"),
                   tr("risk.import.date"), tr("risk.import.licence"), tr("risk.col.zones")],
        )
        st.table(provenance)  # a static table wraps the long source text (no HTML: data stays text)

    clicked = (result or {}).get("last_active_drawing") or {}
    pcode = (clicked.get("properties") or {}).get("pcode")
    if pcode and pcode != selected and pcode in set(admin["pcode"]):
        if st.session_state.get("_risk_last_click") != pcode:
            st.session_state["_risk_last_click"] = pcode
            set_selected_unit(pcode)

    # exposure in the selected unit (or the country)
    exposed = _in_unit(report["exposed"], report["exposed"], admin, selected)
    st.subheader(tr("risk.exposure_in", place=place))
    if indicative:
        st.caption(tr("risk.indicative_figures"))
    table = _class_table(report, exposed, selected, admin)
    at_risk = _in_unit(report["projects_at_risk"], report["exposed"], admin, selected)
    in_zones = table[table["hazard_class"].isin(HAZARD_CLASSES)]
    metrics = st.columns(3)
    metrics[0].metric(tr("risk.metric.projects"), num(len(at_risk)))
    metrics[1].metric(tr("risk.metric.settlements"), num(in_zones["settlements"].fillna(0).sum()))
    people = pd.to_numeric(in_zones["people"], errors="coerce")
    metrics[2].metric(tr("risk.metric.people"), _people(people.sum(min_count=1)))
    st.dataframe(_styled_classes(_show_class_table(table), tr("risk.col.class")), hide_index=True,
                 width="stretch")
    download_buttons(_show_class_table(table), "exposure_by_class", "dl_risk_classes")
    st.caption(tr("risk.note.people") + " " + tr("risk.note.rule"))

    children = admin[admin["parent_pcode"] == selected] if selected else admin[admin["level"] == 2]
    chart_cols = st.columns([3, 2])
    with chart_cols[1]:
        st.markdown(f"**{tr('risk.chart.projects')}**")
        st.altair_chart(_projects_chart(table), width="stretch")
    if len(children):
        units_table = _unit_table(report, children, names)
        with chart_cols[0]:
            child_level = tr(f"level.{int(children['level'].iloc[0])}")
            st.markdown(f"**{tr('risk.chart.units', level=child_level)}**")
            chart = _share_chart(units_table)
            if chart is not None:
                st.altair_chart(chart, width="stretch")
        st.subheader(tr("risk.by_unit"))
        st.dataframe(_styled_classes(_show_unit_table(units_table), tr("risk.col.hazard_level")), hide_index=True,
                     width="stretch")
        download_buttons(_show_unit_table(units_table), "exposure_by_unit", "dl_risk_units")

    st.subheader(tr("risk.by_sector"))
    sectors = _sector_table(exposed)
    if len(sectors):
        st.dataframe(sectors, hide_index=True, width="stretch")
        download_buttons(sectors, "exposure_by_sector", "dl_risk_sectors")
    else:
        st.caption(tr("risk.none"))

    st.subheader(tr("risk.funding"))
    funding = _funding_table(exposed)
    if len(funding):
        st.dataframe(_styled_classes(funding, tr("risk.col.class")), hide_index=True, width="stretch")
        download_buttons(funding, "exposure_funding", "dl_risk_funding")
        st.caption(tr("risk.note.currency"))
    else:
        st.caption(tr("risk.none"))

    st.subheader(tr("risk.at_risk", place=place))
    st.caption(tr("risk.at_risk_help"))
    listing = _at_risk_table(at_risk.reset_index(drop=True))
    if len(listing):
        st.dataframe(_styled_classes(listing, tr("risk.col.class")), hide_index=True, width="stretch")
    else:
        st.caption(tr("risk.none"))
    stem = f"projects_at_risk_{selected or 'KG'}"
    downloads = st.columns([1, 1, 3])
    downloads[0].download_button(tr("download.csv"), _csv_bytes(listing), file_name=f"{stem}.csv",
                                 mime="text/csv", key="risk_csv")
    downloads[1].download_button(tr("download.xlsx"), _xlsx_bytes(listing, "projects_at_risk"),
                                 file_name=f"{stem}.xlsx", key="risk_xlsx",
                                 mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    _import_form()
    _delete_form(layers, layer_name)
