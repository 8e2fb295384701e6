"""Adding, editing, moving and deleting projects, their funding rows and beneficiaries.

Every function takes the store, the acting :class:`geo.auth.User` (or a user name)
and the row as the form shows it. Edits carry the ``version`` the form was opened
with: if someone saved the row since, the store refuses the save with
:class:`~geo.errors.StaleVersionError` and keeps their change (optimistic locking,
:meth:`geo.store.base.Transaction.update`). Each write is one transaction and is
written to ``audit_log`` (who, when, old and new values).

Permissions are checked here with :func:`geo.auth.require` (action ``edit``): an
editor may only touch projects inside their assigned units, both where the project
was and where it goes; funding and beneficiaries follow their project.

Locations are given as longitude/latitude in degrees (EPSG:4326), e.g. from a click
on the map, or as a shapely geometry. They must lie in Kyrgyzstan (checked against
the country boundary, see :func:`geo.project_import.checks.check_locations`); the
oblast, rayon and aiyl okmot are then set by spatial join and cannot be typed in.
"""
from __future__ import annotations

import math
import uuid
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo import auth, schema
from geo.admin_join import assign_admin_pcodes
from geo.errors import InputError, Join, OutsideCountryError, Phrase, SchemaError, StoreError
from geo.project_import import checks
from geo.project_import.report import ImportReport
from geo.settings import STORAGE_CRS

#: Columns the app sets; forms cannot write them.
DERIVED = ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode", "oblast_name", "rayon_name", "aiyl_okmot_name",
           "geometry_kind", "updated_at", "updated_by")
_PLACE_COLUMNS = ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode", "oblast_name", "rayon_name", "aiyl_okmot_name")


# -- helpers ---------------------------------------------------------------------------------

def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _find(frame: pd.DataFrame, layer: str, key: str) -> pd.Series:
    spec = schema.LAYERS[layer]
    match = frame[frame[spec.key].astype(object) == key]
    if match.empty:
        raise StoreError(key="err.edit.no_row", layer=layer, key_value=str(key))
    return match.iloc[0]


def _version(row: Mapping, what: str | Phrase) -> int:
    value = row.get("version")
    if _missing(value):
        raise SchemaError(key="err.edit.no_version", what=what)
    return int(value)


def _units_of(row) -> tuple:
    return tuple(None if _missing(row.get(c)) else str(row.get(c)) for c in ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode"))


def _check_columns(row: Mapping, layer: str, allowed_derived: tuple[str, ...] = ()) -> None:
    spec = schema.LAYERS[layer]
    known = set(spec.columns) | {"geometry"} | set(spec.extra)
    unknown = [c for c in row if c not in known and not c.startswith("_") and c != "total_cost_currency"]
    if unknown:
        raise SchemaError(key="err.edit.unknown_fields", layer=layer, fields=", ".join(unknown))
    derived = [c for c in row if c in DERIVED and c not in allowed_derived and not _missing(row[c])]
    if derived:
        raise SchemaError(key="err.edit.derived", columns=", ".join(derived))


def _number(row: Mapping, column: str, kind: str, problems: list[str]) -> None:
    if column not in row or _missing(row[column]):
        return
    parsed = checks.parse_number(row[column], kind)
    if parsed.problem or parsed.value is None:
        problems.append(Phrase("err.edit.column_problem", column=column,
                               problem=parsed.problem or Phrase("err.parse.not_a_number", value=str(row[column]))))


def _normalise_project(values: dict) -> dict:
    """Numbers and years as written in a form ("1 150 000 сом", "2019 г.") as numbers."""
    for col in ("year_start", "year_end"):
        if col in values and not _missing(values[col]):
            values[col] = checks.parse_years(values[col])[0]
    values = _numbers(values, ("total_cost",), "money")
    values = _numbers(values, ("length_km",), "decimal")
    if not _missing(values.get("total_cost_currency")):
        values["total_cost_currency"] = str(values["total_cost_currency"]).upper()
    return values


def validate_project(row: Mapping, *, new: bool) -> None:
    """Raise :class:`SchemaError` listing every problem of a project form."""
    problems: list[str] = []
    if new or "title" in row:
        if _missing(row.get("title")):
            problems.append(Phrase("err.edit.title_empty"))
    if new and _missing(row.get("project_id")):
        problems.append(Phrase("err.edit.id_empty"))
    years = {}
    for col in ("year_start", "year_end"):
        if col in row and not _missing(row[col]):
            start, end, problem = checks.parse_years(row[col])
            if problem or end is not None:
                problems.append(Phrase("err.edit.column_problem", column=col, problem=problem) if problem
                                else Phrase("err.edit.one_year", column=col))
            else:
                years[col] = start
    if len(years) == 2 and years["year_end"] < years["year_start"]:
        problems.append(Phrase("err.edit.years_reversed", end=str(years["year_end"]), start=str(years["year_start"])))
    _number(row, "total_cost", "money", problems)
    _number(row, "length_km", "money", problems)
    if "location_precision" in row and not _missing(row["location_precision"]):
        if int(row["location_precision"]) not in schema.PRECISION_CODES:
            problems.append(Phrase("err.edit.must_be_one_of", column="location_precision",
                                   allowed=str(sorted(schema.PRECISION_CODES))))
    if "total_cost_currency" in row and not _missing(row["total_cost_currency"]):
        if str(row["total_cost_currency"]).upper() not in schema.CURRENCIES:
            problems.append(Phrase("err.edit.must_be_one_of", column="total_cost_currency", allowed=", ".join(schema.CURRENCIES)))
    if problems:
        raise SchemaError(key="err.edit.project_not_saved", problems=Join(problems, "; "))


def check_location(store, geometry: BaseGeometry | None = None, lon: float | None = None,
                   lat: float | None = None) -> tuple[BaseGeometry, list[str]]:
    """A location in EPSG:4326 checked against Kyrgyzstan: (geometry, warnings).

    Raises :class:`OutsideCountryError` for coordinates out of range, swapped or
    outside the country, and :class:`InputError` for an empty or unrepairable shape.
    Invalid shapes are repaired (make_valid) with a warning.
    """
    if geometry is None:
        if lon is None or lat is None:
            raise InputError(key="err.edit.need_lon_lat")
        try:
            lon_f, lat_f = float(lon), float(lat)
        except (TypeError, ValueError):
            raise InputError(key="err.edit.lon_lat_not_numbers", lon=repr(lon), lat=repr(lat)) from None
        geometry = Point(lon_f, lat_f)
    report = ImportReport(source="form", labels=["the location"])
    fixed, _notes = checks.check_locations(gpd.GeoSeries([geometry], crs=STORAGE_CRS), report, store=store)
    codes = {m.code for m in report.messages}
    if "latlon_swapped" in codes:
        x, y = geometry.representative_point().x, geometry.representative_point().y
        raise OutsideCountryError(key="err.edit.lon_lat_swapped", x=f"{x:g}", y=f"{y:g}")
    errors = [m for m in report.messages if m.severity == "error"]
    if errors:
        cls = OutsideCountryError if errors[0].code in ("outside_country", "coords_out_of_range") else InputError
        raise cls(key="err.edit.location_refused", problem=_phrase(errors[0]))
    if fixed.iloc[0] is None:
        raise InputError(key="err.edit.location_empty")
    return fixed.iloc[0], [_phrase(m) for m in report.messages if m.severity == "warning"]


def _phrase(message) -> str:
    """A report message's problem as a translatable :class:`Phrase` (plain text when it has no key)."""
    return Phrase(message.key, **message.fields) if message.key else message.problem


def _placement(store, geometry: BaseGeometry) -> dict:
    admin = store.read("admin_units")
    out = {c: None for c in _PLACE_COLUMNS}
    if len(admin) == 0:
        return out
    placed = assign_admin_pcodes(gpd.GeoDataFrame(geometry=[geometry], crs=STORAGE_CRS), admin).iloc[0]
    names = {}
    for _, unit in admin.iterrows():
        names[str(unit["pcode"])] = next((str(unit[c]) for c in ("name_en", "name_ru", "name_ky")
                                          if c in unit.index and not pd.isna(unit[c])), None)
    for code_col, name_col in (("oblast_pcode", "oblast_name"), ("rayon_pcode", "rayon_name"),
                               ("aiyl_okmot_pcode", "aiyl_okmot_name")):
        code = placed[code_col]
        out[code_col] = None if pd.isna(code) else str(code)
        out[name_col] = None if pd.isna(code) else names.get(str(code))
    return out


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=STORAGE_CRS)


def _stored(store, layer: str, key: str) -> dict:
    return _find(store.read(layer), layer, key).to_dict()


# -- projects --------------------------------------------------------------------------------

def add_project(store, user, row: Mapping, *, lon: float | None = None, lat: float | None = None,
                geometry: BaseGeometry | None = None, precision: int = 1) -> dict:
    """Add a project at lon/lat (degrees) or a drawn geometry; returns the stored row (version 1).

    ``row`` holds the form's fields (``project_id`` is made up when empty).
    ``precision`` is the AidData location precision of the location given (1 exact).
    """
    acting = auth.as_user(store, user)
    auth.require(acting, auth.EDIT)
    values = dict(row)
    if _missing(values.get("project_id")):
        values["project_id"] = "p-" + uuid.uuid4().hex[:10]
    _check_columns(values, "projects")
    values.pop("version", None)
    validate_project(values, new=True)
    values = _normalise_project(values)
    geom, _warnings = check_location(store, geometry=geometry if geometry is not None else values.pop("geometry", None),
                                     lon=lon, lat=lat)
    values.pop("geometry", None)
    place = _placement(store, geom)
    auth.require(acting, auth.EDIT, [_units_of(place)])
    values.update(place)
    values["geometry_kind"] = checks.geometry_kind(geom)
    values.setdefault("location_precision", precision)
    values["geometry"] = geom
    with store.transaction(acting.username) as tx:
        if (tx.read("projects")["project_id"].astype(object) == values["project_id"]).any():
            raise SchemaError(key="err.edit.id_exists", project_id=str(values["project_id"]))
        tx.append("projects", _gdf([values]))
    return _stored(store, "projects", values["project_id"])


def update_project(store, user, row: Mapping) -> dict:
    """Save a project form: ``row`` has ``project_id``, the ``version`` it was opened with and the changed fields.

    Fields not in ``row`` keep their stored values. A ``geometry`` in ``row`` moves
    the project (see :func:`move_project`). Returns the stored row.
    """
    acting = auth.as_user(store, user)
    auth.require(acting, auth.EDIT)
    values = dict(row)
    pid = values.get("project_id")
    if _missing(pid):
        raise SchemaError(key="err.edit.no_project_id")
    version = _version(values, Phrase("err.edit.what_project", key_value=str(pid)))
    stored = _stored(store, "projects", pid)
    for col in DERIVED:  # a form may send back what it was given; changing it is refused
        if col in values:
            same = (_missing(values[col]) and _missing(stored.get(col))) or values[col] == stored.get(col)
            if not same:
                raise SchemaError(key="err.edit.derived_one", column=col)
            values.pop(col)
    _check_columns(values, "projects")
    validate_project({**{c: stored.get(c) for c in ("year_start", "year_end")}, **values}, new=False)
    values = _normalise_project(values)
    entries = [_units_of(stored)]
    merged = {**stored, **{k: v for k, v in values.items() if not k.startswith("_")}}
    if "geometry" in values:
        geom, _warnings = check_location(store, geometry=values["geometry"])
        place = _placement(store, geom)
        merged.update(place)
        merged["geometry"] = geom
        merged["geometry_kind"] = checks.geometry_kind(geom)
    entries.append(_units_of(merged))
    auth.require(acting, auth.EDIT, entries)
    merged["version"] = version
    with store.transaction(acting.username) as tx:
        tx.update("projects", _gdf([merged]))
    return _stored(store, "projects", pid)


def move_project(store, user, project_id: str, version: int, lon: float, lat: float, *,
                 precision: int = 1, note: str | None = None) -> dict:
    """Move a project to lon/lat (degrees, e.g. a click on the map); re-places it in its units.

    ``precision`` (default 1, exact) and ``note`` (``location_note``) describe the new location.
    """
    geom, _warnings = check_location(store, lon=lon, lat=lat)
    row = {"project_id": project_id, "version": version, "geometry": geom, "location_precision": precision}
    if note is not None:
        row["location_note"] = note
    return update_project(store, user, row)


def delete_project(store, user, project_id: str, version: int) -> None:
    """Delete a project with its funding rows and beneficiaries (refused if it changed since ``version``)."""
    acting = auth.as_user(store, user)
    auth.require(acting, auth.EDIT)
    stored = _stored(store, "projects", project_id)
    auth.require(acting, auth.EDIT, [_units_of(stored)])
    with store.transaction(acting.username) as tx:
        tx.delete("projects", [project_id], expected_versions={project_id: int(version)})
        funding = tx.read("funding")
        linked = funding.loc[funding["project_id"].astype(object) == project_id, "funding_id"].astype(object).tolist()
        if linked:
            tx.delete("funding", linked)
        beneficiaries = tx.read("beneficiaries")
        if (beneficiaries["project_id"].astype(object) == project_id).any():
            tx.delete("beneficiaries", [project_id])


# -- funding ---------------------------------------------------------------------------------

def _validate_funding(row: Mapping) -> None:
    problems: list[str] = []
    _number(row, "amount", "money", problems)
    if "share_pct" in row and not _missing(row["share_pct"]):
        parsed = checks.parse_number(row["share_pct"], "decimal")
        if parsed.problem or parsed.value is None or not 0 <= parsed.value <= 100:
            problems.append(Phrase("err.edit.share_pct"))
    if "currency" in row and not _missing(row["currency"]) and str(row["currency"]).upper() not in schema.CURRENCIES:
        problems.append(Phrase("err.edit.must_be_one_of", column="currency", allowed=", ".join(schema.CURRENCIES)))
    if problems:
        raise SchemaError(key="err.edit.funding_not_saved", problems=Join(problems, "; "))


def _project_units(store, project_id) -> tuple:
    if _missing(project_id):
        raise SchemaError(key="err.edit.row_no_project_id")
    return _units_of(_stored(store, "projects", project_id))


def _numbers(row: dict, columns: tuple[str, ...], kind: str) -> dict:
    for col in columns:
        if col in row and not _missing(row[col]):
            row[col] = checks.parse_number(row[col], kind).value
    return row


def add_funding(store, user, row: Mapping) -> dict:
    """Add a funding row to a project; returns the stored row."""
    acting = auth.as_user(store, user)
    values = dict(row)
    values.pop("version", None)
    _check_columns(values, "funding")
    _validate_funding(values)
    auth.require(acting, auth.EDIT, [_project_units(store, values.get("project_id"))])
    if _missing(values.get("funding_id")):
        values["funding_id"] = f"{values['project_id']}-F{uuid.uuid4().hex[:6]}"
    if not _missing(values.get("currency")):
        values["currency"] = str(values["currency"]).upper()
    values = _numbers(values, ("amount",), "money")
    values = _numbers(values, ("share_pct",), "decimal")
    with store.transaction(acting.username) as tx:
        tx.append("funding", pd.DataFrame([values]))
    return _stored(store, "funding", values["funding_id"])


def update_funding(store, user, row: Mapping) -> dict:
    """Save a funding row (with the ``version`` it was opened with); returns the stored row."""
    acting = auth.as_user(store, user)
    values = dict(row)
    fid = values.get("funding_id")
    version = _version(values, Phrase("err.edit.what_funding", key_value=str(fid)))
    _check_columns(values, "funding")
    _validate_funding(values)
    stored = _stored(store, "funding", fid)
    entries = [_project_units(store, stored["project_id"])]
    if "project_id" in values and values["project_id"] != stored["project_id"]:
        entries.append(_project_units(store, values["project_id"]))
    auth.require(acting, auth.EDIT, entries)
    merged = {**stored, **values, "version": version}
    if not _missing(merged.get("currency")):
        merged["currency"] = str(merged["currency"]).upper()
    merged = _numbers(merged, ("amount",), "money")
    merged = _numbers(merged, ("share_pct",), "decimal")
    with store.transaction(acting.username) as tx:
        tx.update("funding", pd.DataFrame([merged]))
    return _stored(store, "funding", fid)


def delete_funding(store, user, funding_id: str, version: int) -> None:
    """Delete a funding row (refused if it changed since ``version``)."""
    acting = auth.as_user(store, user)
    stored = _stored(store, "funding", funding_id)
    auth.require(acting, auth.EDIT, [_project_units(store, stored["project_id"])])
    with store.transaction(acting.username) as tx:
        tx.delete("funding", [funding_id], expected_versions={funding_id: int(version)})


# -- beneficiaries ---------------------------------------------------------------------------

_COUNTS = ("total", "households", "women", "men", "children", "students")


def save_beneficiaries(store, user, row: Mapping) -> dict:
    """Add (no ``version``) or update (with the ``version`` opened) a project's beneficiaries."""
    acting = auth.as_user(store, user)
    values = dict(row)
    _check_columns(values, "beneficiaries")
    problems: list[str] = []
    for col in _COUNTS:
        _number(values, col, "count", problems)
    if problems:
        raise SchemaError(key="err.edit.beneficiaries_not_saved", problems=Join(problems, "; "))
    pid = values.get("project_id")
    auth.require(acting, auth.EDIT, [_project_units(store, pid)])
    values = _numbers(values, _COUNTS, "count")
    existing = store.read("beneficiaries")
    exists = (existing["project_id"].astype(object) == pid).any()
    with store.transaction(acting.username) as tx:
        if _missing(values.get("version")):
            if exists:
                raise SchemaError(key="err.edit.beneficiaries_exist", project_id=str(pid))
            values.pop("version", None)
            tx.append("beneficiaries", pd.DataFrame([values]))
        else:
            stored = _find(existing, "beneficiaries", pid).to_dict()
            tx.update("beneficiaries", pd.DataFrame([{**stored, **values, "version": int(values["version"])}]))
    return _stored(store, "beneficiaries", pid)


def delete_beneficiaries(store, user, project_id: str, version: int) -> None:
    """Delete a project's beneficiaries (refused if they changed since ``version``)."""
    acting = auth.as_user(store, user)
    auth.require(acting, auth.EDIT, [_project_units(store, project_id)])
    with store.transaction(acting.username) as tx:
        tx.delete("beneficiaries", [project_id], expected_versions={project_id: int(version)})
