"""Previewing, committing and undoing an import of project files.

:func:`preview_import` reads a file, maps its columns, checks every row and places
each project in its oblast, rayon and aiyl okmot; it writes nothing and returns an
:class:`ImportPreview` whose :class:`~geo.project_import.report.ImportReport` says,
row by row, what will be added, updated or skipped and why.

:func:`commit_import` writes the accepted rows of a preview: projects, their funding
rows and beneficiaries, all in **one** store transaction (all or nothing), after a
backup of the store (:meth:`GeoPackageStore.backup`, or for other back ends the
affected layers exported to a GeoPackage under ``var/backups/``). Rows that already
exist are updated with optimistic locking against the version seen in the preview.
Every audit row it writes carries the import's ``batch_id`` (an extra ``batch_id``
column of ``audit_log``), and one ``import`` audit row summarises the batch.

:func:`undo_import` reverts exactly one import: rows it added are removed and rows it
updated get their previous values back (version, time and editor included), unless
someone changed them since, in which case nothing is undone and the message says
which rows.

Every write checks the acting user's role with :func:`geo.auth.require`.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import auth, schema, settings
from geo.admin_join import assign_admin_pcodes
from geo.errors import (
    CRSUnresolvedError, Join, Number, PermissionDeniedError, Phrase, SchemaError, StaleVersionError, StoreError,
    UploadTooLargeError,
)
from geo.project_import import checks
from geo.project_import.columns import (
    columns_text, has_coordinates, normalise_sector, resolve_mapping, guess_mapping,
)
from geo.project_import.readers import (
    SourceTable, parse_coordinate, parse_geopoint, parse_geotrace, parse_wkt, problem_of, read_source,
)
from geo.project_import.report import ImportReport
from geo.settings import STORAGE_CRS

BATCH_COLUMN = "batch_id"
_HELPER = ("_row", "_action")
_LOCATION_COLUMNS = ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode", "oblast_name", "rayon_name",
                     "aiyl_okmot_name", "geometry_kind", "location_precision", "location_note", "geometry",
                     "source_document", "source_line")


# -- upload size -------------------------------------------------------------------------------

def check_upload_size(path: str | os.PathLike, display_name: str | None = None, limit_mb: float | None = None) -> None:
    """Raise :class:`UploadTooLargeError` when the file is larger than ``geo.settings.MAX_UPLOAD_MB``."""
    path = Path(path)
    limit = float(settings.MAX_UPLOAD_MB if limit_mb is None else limit_mb)
    size = path.stat().st_size if path.is_file() else 0
    if size > limit * 1024 * 1024:
        raise UploadTooLargeError(key="err.upload.too_large", name=display_name or path.name,
                                  size=Number(size / 1024 / 1024, 1), limit=f"{limit:g}")


# -- the preview ------------------------------------------------------------------------------

@dataclass
class ImportPreview:
    """What an import would do; nothing is written until :func:`commit_import`.

    ``projects`` has one row per row of the file (schema columns plus ``_row``, the
    position in the report, and ``_action``: add / update / skip); ``funding`` and
    ``beneficiaries`` likewise. ``base_versions`` holds, per layer, the stored version
    of every row to update, as seen now.
    """

    source: str
    format: str
    layer: str | None
    layers: list[str]
    columns: list[str]
    mapping: dict[str, str]
    crs: str
    report: ImportReport
    projects: gpd.GeoDataFrame
    funding: pd.DataFrame
    beneficiaries: pd.DataFrame
    base_versions: dict[str, dict[str, int]] = field(default_factory=dict)
    sha256: str = ""

    @property
    def summary(self) -> dict[str, int]:
        s = self.report.summary()
        for name, frame in (("funding", self.funding), ("beneficiaries", self.beneficiaries)):
            actions = frame["_action"] if len(frame) else pd.Series(dtype=object)
            s[f"{name}_to_add"] = int((actions == "add").sum())
            s[f"{name}_to_update"] = int((actions == "update").sum())
        return s

    def accepted(self) -> gpd.GeoDataFrame:
        """The project rows that a commit would write."""
        return self.projects[self.projects["_action"].isin(["add", "update"])]


@dataclass
class ImportResult:
    """What a commit wrote."""

    batch_id: str
    source: str
    added: list[str]
    updated: list[str]
    skipped: list[str]
    funding_added: int
    funding_updated: int
    beneficiaries_added: int
    beneficiaries_updated: int
    backup: str | None


def preview_import(store, path, mapping: dict | None = None, crs=None, layer: str | None = None, *,
                   user=None, display_name: str | None = None) -> ImportPreview:
    """Read and check a file; say per row what an import would do. Writes nothing.

    ``mapping`` overrides the guessed ``{field: column}`` (see
    :data:`geo.project_import.columns.FIELDS`); ``crs`` is the CRS of the coordinates
    when the file does not state it or states it wrongly (an EPSG code or text);
    ``layer`` chooses a GeoPackage/zip layer or an XLSX sheet; ``user`` (a
    :class:`geo.auth.User` or user name), when given, marks rows outside an editor's
    units as errors. ``display_name`` is the uploaded file's name, for messages.

    Raises an :class:`~geo.errors.InputError` when the file as a whole cannot be used
    (too large, unreadable, unsafe archive, no coordinates, unknown CRS).
    """
    path = Path(path)
    name = display_name or path.name
    check_upload_size(path, name)
    acting = auth.as_user(store, user) if user is not None else None
    if acting is not None:
        auth.require(acting, auth.IMPORT_PROJECTS)
    table = read_source(path, layer=layer, display_name=name, crs_given=crs is not None)
    report = ImportReport(source=name, labels=list(table.labels))
    for severity, problem, row, column, code in table.notes:
        report.add(severity, problem, row, column, code)
    columns = [str(c) for c in table.frame.columns]
    chosen = {f: c for f, c in table.preset_mapping.items() if c in columns}
    chosen.update(mapping or {})
    used = resolve_mapping(columns, chosen, table.frame)
    n = len(table.frame)

    geoms, crs_label, coord_columns = _locate(table, used, crs, report, name)
    geoms, notes = checks.check_locations(geoms, report, store=store, column=coord_columns)
    values = _values(table, used, report, name)

    frame = pd.DataFrame({
        "project_id": pd.array(values["project_id"], dtype="string"),
        "title": pd.array(values["title"], dtype="string"),
        "sector": pd.array(values["sector"], dtype="string"),
        "status": pd.array(values["status"], dtype="string"),
        "year_start": pd.array(values["year_start"], dtype="Int64"),
        "year_end": pd.array(values["year_end"], dtype="Int64"),
        "village": pd.array(values["village"], dtype="string"),
        "length_km": pd.array(values["length_km"], dtype="Float64"),
        "total_cost": pd.array(values["total_cost"], dtype="Float64"),
        "source_ref": pd.array(values["source_ref"], dtype="string"),
    })
    if any(v is not None for v in values["total_cost_currency"]):
        frame["total_cost_currency"] = pd.array(values["total_cost_currency"], dtype="string")
    frame["geometry_kind"] = pd.array([checks.geometry_kind(g) if g is not None else None for g in geoms], dtype="string")
    frame["location_precision"] = pd.array([1 if g is not None else None for g in geoms], dtype="Int64")
    frame["location_note"] = pd.array(["; ".join(x) if x else None for x in notes], dtype="string")
    frame["source_document"] = name
    frame["source_line"] = pd.array(table.lines, dtype="Int64")
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms.values, crs=STORAGE_CRS), crs=STORAGE_CRS)
    gdf = _place(gdf, store, report, values)
    for i in range(n):
        if geoms.iloc[i] is None and report.status(i) != "error":
            report.error(Phrase("err.import.no_location"), i, coord_columns, code="no_location")

    # add / update / skip
    stored = store.read("projects")
    stored_version = dict(zip(stored["project_id"].astype(object), stored["version"].astype(object))) if len(stored) else {}
    statuses = report.statuses()
    actions = []
    for i, pid in enumerate(gdf["project_id"].astype(object)):
        if statuses[i] == "error" or pid is None or pd.isna(pid):
            actions.append("skip")
        else:
            actions.append("update" if pid in stored_version else "add")
    if acting is not None and acting.role != "admin":
        old_units = {r["project_id"]: u for r, u in zip(stored.to_dict("records"), auth.row_units(stored))} if len(stored) else {}
        new_units = auth.row_units(gdf)
        for i, action in enumerate(actions):
            if action == "skip":
                continue
            entries = [new_units[i]] + ([old_units[gdf["project_id"].iloc[i]]] if action == "update" else [])
            if not auth.can(acting, auth.IMPORT_PROJECTS, entries):
                report.error(Phrase("err.import.outside_user_units", units=", ".join(sorted(acting.units))), i, None,
                             code="outside_user_units")
                actions[i] = "skip"
    gdf["_row"] = np.arange(n)
    gdf["_action"] = actions
    report.keys = [None if pd.isna(v) else str(v) for v in gdf["project_id"]]
    report.actions = actions
    base_versions = {"projects": {str(pid): int(stored_version[pid]) for pid, a in zip(gdf["project_id"], actions) if a == "update"}}

    funding = _funding(table, used, values, gdf, report, store, base_versions)
    beneficiaries = _beneficiaries(values, gdf, store, base_versions, used)
    unused = [c for c in columns if c not in used.values()]
    if unused:
        report.info(Phrase("err.import.unused_columns", columns=columns_text(unused)), code="unused_columns")
    return ImportPreview(
        source=name, format=table.format, layer=table.layer, layers=table.layers, columns=columns, mapping=used,
        crs=crs_label, report=report, projects=gdf, funding=funding, beneficiaries=beneficiaries,
        base_versions=base_versions, sha256=table.sha256,
    )


def _first_coords(geoms) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        c = shapely.get_coordinates(g)
        if len(c):
            xs.append(c[0][0])
            ys.append(c[0][1])
    return np.asarray(xs, float), np.asarray(ys, float)


def _locate(table: SourceTable, used: dict, crs, report: ImportReport, name: str):
    """Geometries in EPSG:4326 (None where missing), the CRS label, and the coordinate column label per row."""
    n = len(table.frame)
    if table.geometry is not None:
        column = "geometry" if table.format not in ("kml", "kmz", "iati") else (
            "coordinates" if table.format != "iati" else "location/point/pos")
        if table.crs_fixed:
            if crs is not None:
                report.warning(Phrase("err.import.crs_ignored", crs=str(crs), name=name), code="crs_ignored")
            return gpd.GeoSeries(table.geometry.values, crs=STORAGE_CRS), checks.crs_label(4326), column
        xs, ys = _first_coords(table.geometry.values)
        declared = None if table.crs_problem else table.crs
        if table.crs_problem and crs is None and checks.looks_like_degrees(xs, ys):
            choice = checks.choose_crs(xs, ys, declared=None, source=name, report=None)
            report.warning(Phrase("err.import.crs_missing_assumed_wgs84", name=name), code="crs_missing_assumed_wgs84")
        else:
            choice = checks.choose_crs(xs, ys, given=crs, declared=declared, source=name, report=report,
                                       stated_problem=table.crs_problem)
        geoms = checks.geometries_to_storage(gpd.GeoSeries(table.geometry.values), choice)
        return geoms, choice.label, column

    if not has_coordinates(used):
        raise SchemaError(key="err.import.no_coordinate_columns", name=name, columns=columns_text(table.frame.columns))
    raw: list = [None] * n
    sources: list[str | None] = [None] * n
    srids: set[int] = set()
    frame = table.frame
    order = [f for f in ("wkt", "geoshape", "geotrace") if f in used]
    if "lat" in used and "lon" in used:
        order.append("latlon")
    if "geopoint" in used:
        order.append("geopoint")
    for i in range(n):
        for source in order:
            if source == "latlon":
                lat_v, lon_v = frame.at[i, used["lat"]], frame.at[i, used["lon"]]
                if _empty(lat_v) and _empty(lon_v):
                    continue
                label = f"{used['lat']}/{used['lon']}"
                sources[i] = label
                try:
                    lat = parse_coordinate(lat_v)
                except ValueError as exc:
                    report.error(Phrase("err.import.coordinate_unreadable_lat", problem=problem_of(exc)), i, used["lat"],
                                 code="coordinate_unreadable")
                    break
                try:
                    lon = parse_coordinate(lon_v)
                except ValueError as exc:
                    report.error(Phrase("err.import.coordinate_unreadable_lon", problem=problem_of(exc)), i, used["lon"],
                                 code="coordinate_unreadable")
                    break
                if lat is None or lon is None:
                    missing = used["lat"] if lat is None else used["lon"]
                    report.error(Phrase("err.import.coordinate_half_empty"), i, missing, code="coordinate_half_empty")
                    break
                raw[i] = shapely.Point(lon, lat)
                break
            column = used[source]
            value = frame.at[i, column]
            if _empty(value):
                continue
            sources[i] = column
            try:
                if source == "wkt":
                    geom, srid = parse_wkt(value)
                    if srid:
                        srids.add(srid)
                    raw[i] = geom
                elif source == "geopoint":
                    raw[i] = parse_geopoint(value)
                else:
                    raw[i] = parse_geotrace(value, closed=(source == "geoshape"))
            except ValueError as exc:
                report.error(Phrase("err.parse.sentence", problem=problem_of(exc)), i, column, code=f"{source}_unreadable")
            break
    xs, ys = _first_coords(raw)
    declared = None
    if len(srids) == 1:
        from pyproj import CRS

        declared = CRS.from_epsg(next(iter(srids)))
    elif len(srids) > 1:
        raise CRSUnresolvedError(key="err.import.mixed_srids", name=name, srids=", ".join(map(str, sorted(srids))))
    choice = checks.choose_crs(xs, ys, given=crs, declared=declared, source=name, report=report)
    geoms = checks.geometries_to_storage(gpd.GeoSeries(raw), choice)
    labels = [s for s in sources if s]
    column = max(set(labels), key=labels.count) if labels else None
    return geoms, choice.label, column


def _empty(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


_CURRENCY_CODES = {"kgs": "KGS", "som": "KGS", "сом": "KGS", "сомов": "KGS", "с": "KGS", "usd": "USD", "$": "USD",
                   "us$": "USD", "долл": "USD", "доллар": "USD", "доллары": "USD", "dollar": "USD", "eur": "EUR",
                   "€": "EUR", "евро": "EUR", "euro": "EUR"}


def _currency(value) -> tuple[str | None, bool]:
    """(ISO code, recognised) from a currency cell."""
    if _empty(value):
        return None, True
    text = str(value).strip().lower().rstrip(".")
    code = _CURRENCY_CODES.get(text) or (text.upper() if text.upper() in schema.CURRENCIES else None)
    return code, code is not None


def _values(table: SourceTable, used: dict, report: ImportReport, name: str) -> dict[str, list]:
    """Parsed, checked values per field (one list per field, one value per row)."""
    frame = table.frame
    n = len(frame)
    out: dict[str, list] = {}

    def cells(field_name):
        col = used.get(field_name)
        return (col, list(frame[col])) if col is not None else (None, [None] * n)

    # IDs
    col, raw = cells("project_id")
    if col is not None:
        out["project_id"] = checks.check_ids(raw, report, col)
    else:
        prefix = "imp-" + (table.sha256 or hashlib.sha256(name.encode()).hexdigest())[:8]
        out["project_id"] = [f"{prefix}-{line}" for line in table.lines]
        report.warning(Phrase("err.import.ids_generated", name=name, example=out["project_id"][0]), code="ids_generated")

    # text
    for field_name in ("title", "status", "village", "source_ref", "sector", "funding_source", "funding_source_type",
                       "oblast_name", "rayon_name", "aiyl_okmot_name"):
        col, raw = cells(field_name)
        texts = []
        for i, v in enumerate(raw):
            text = None if _empty(v) else " ".join(str(v).split()) if field_name != "funding_source" else str(v).strip()
            if text is not None and checks.has_markup(text):
                report.warning(Phrase("err.import.markup"), i, col, code="markup")
            texts.append(text)
        out[field_name] = texts
    if used.get("title") is None:
        report.warning(Phrase("err.import.no_title_column", name=name), code="no_title_column")
    else:
        for i, t in enumerate(out["title"]):
            if t is None:
                report.warning(Phrase("err.import.title_empty"), i, used["title"], code="title_empty")
    sectors = []
    for i, s in enumerate(out["sector"]):
        if s is None:
            sectors.append(None)
            continue
        code, known = normalise_sector(s)
        if not known:
            report.info(Phrase("err.import.sector_unknown", sector=s), i, used.get("sector"), code="sector_unknown")
        sectors.append(code)
    out["sector"] = sectors

    # years
    starts, ends = [None] * n, [None] * n
    for field_name, target in (("year", None), ("year_start", "start"), ("year_end", "end"),
                               ("date_start", "start"), ("date_end", "end")):
        col, raw = cells(field_name)
        if col is None:
            continue
        for i, v in enumerate(raw):
            if _empty(v):
                continue
            if field_name.startswith("date"):
                d, problem = checks.parse_date(v)
                s, e = None, None
                if d is not None:
                    s, _, problem = checks.parse_years(d)
            else:
                s, e, problem = checks.parse_years(v)
            if problem:
                report.error(Phrase("err.parse.sentence", problem=problem), i, col, code="date_invalid")
                continue
            if target in (None, "start") and s is not None and starts[i] is None:
                starts[i] = s
            if target is None and e is not None and ends[i] is None:
                ends[i] = e
            if target == "end" and s is not None and ends[i] is None:
                ends[i] = s
    for i in range(n):
        if starts[i] is not None and ends[i] is not None and ends[i] < starts[i]:
            report.error(Phrase("err.import.years_reversed", end=str(ends[i]), start=str(starts[i])), i,
                         used.get("year_end") or used.get("date_end") or used.get("year"), code="years_reversed")
    out["year_start"], out["year_end"] = starts, ends

    # currency
    col, raw = cells("currency")
    currencies = []
    for i, v in enumerate(raw):
        code, known = _currency(v)
        if not known:
            report.warning(Phrase("err.import.currency_unknown", value=str(v), known=", ".join(schema.CURRENCIES)),
                           i, col, code="currency_unknown")
        currencies.append(code)
    out["currency"] = currencies

    # numbers
    kinds = {"total_cost": "money", "funding_amount": "money", "length_km": "decimal", "beneficiaries_total": "count",
             "households": "count", "women": "count", "men": "count", "children": "count", "students": "count"}
    number_currency: list[str | None] = [None] * n
    for field_name, kind in kinds.items():
        col, raw = cells(field_name)
        numbers = []
        for i, v in enumerate(raw):
            parsed = checks.parse_number(v, kind)
            if parsed.problem:
                report.error(Phrase("err.parse.sentence", problem=parsed.problem), i, col, code="number_invalid")
                numbers.append(None)
                continue
            if parsed.value is not None and field_name == "length_km" and parsed.value < 0:
                report.error(Phrase("err.import.length_negative", value=str(v)), i, col, code="number_invalid")
                numbers.append(None)
                continue
            if parsed.note:
                report.warning(Phrase("err.parse.sentence", problem=parsed.note), i, col, code="number_note")
            if parsed.currency and field_name == "total_cost":
                number_currency[i] = parsed.currency
                if currencies[i] and currencies[i] != parsed.currency:
                    report.error(Phrase("err.import.currency_conflict", amount_currency=parsed.currency,
                                        column_currency=currencies[i]), i, col, code="currency_conflict")
            numbers.append(parsed.value)
        out[field_name] = numbers
    out["total_cost_currency"] = [
        (currencies[i] or number_currency[i]) if out["total_cost"][i] is not None else None for i in range(n)
    ]
    return out


def _place(gdf: gpd.GeoDataFrame, store, report: ImportReport, values: dict) -> gpd.GeoDataFrame:
    """oblast/rayon/aiyl okmot P-codes and names by spatial join with the store's admin_units."""
    admin = store.read("admin_units")
    for col in ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode", "oblast_name", "rayon_name", "aiyl_okmot_name"):
        gdf[col] = pd.array([None] * len(gdf), dtype="string")
    located = gdf.geometry.notna() & ~gdf.geometry.is_empty
    if len(admin) == 0:
        if located.any():
            report.warning(Phrase("err.import.no_admin_units"), code="no_admin_units")
    elif located.any():
        placed = assign_admin_pcodes(gdf[located], admin)
        for col in ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode"):
            gdf.loc[located, col] = placed[col].to_numpy()
        names = {}
        for _, unit in admin.iterrows():
            label = next((unit[c] for c in ("name_en", "name_ru", "name_ky") if c in unit.index and not pd.isna(unit[c])), None)
            names[str(unit["pcode"])] = None if label is None else str(label)
        for code_col, name_col in (("oblast_pcode", "oblast_name"), ("rayon_pcode", "rayon_name"),
                                   ("aiyl_okmot_pcode", "aiyl_okmot_name")):
            gdf[name_col] = pd.array([names.get(str(p)) if not pd.isna(p) else None for p in gdf[code_col]], dtype="string")
        levels = set(pd.to_numeric(admin["level"], errors="coerce").dropna().astype(int))
        for i in np.flatnonzero(located.to_numpy()):
            if pd.isna(gdf["oblast_pcode"].iloc[i]) and 1 in levels:
                report.warning(Phrase("err.import.no_oblast"), i, None, code="no_oblast")
    # Names written in the file are kept where the map gives none.
    for col in ("oblast_name", "rayon_name", "aiyl_okmot_name"):
        written = values.get(col) or [None] * len(gdf)
        gdf[col] = pd.array([g if not pd.isna(g) else w for g, w in zip(gdf[col].astype(object), written)], dtype="string")
    return gdf


_SOURCE_TYPES = (
    ("republican budget", ("республик", "republic", "министерств", "ministry", "государств", "state budget", "мчс",
                           "мамлекет")),
    ("local budget", ("местн", "local budget", "local government", "айыл окмот", "аил окмот", "aiyl okmot", "ао ",
                      "мэри", "жергиликтүү", "local")),
    ("community contribution", ("насел", "сообществ", "community", "жител", "инициатив", "parents", "родител",
                                "initiative", "калк", "ашар", "ashar")),
    ("private", ("частн", "private", "спонсор", "бизнес", "sponsor", "жеке")),
    ("donor grant", ("грант", "grant", "donor", "донор", "проон", "undp", "giz", "usaid", "world bank", "всемирн",
                     "aris", "арис", "jica", "adb", "абр", "wfp", "мпп", "unicef", "юнисеф", "фонд", "fund", "eu ",
                     "helvetas", "swiss", "швейцар")),
)


def guess_source_type(name: str | None) -> str | None:
    """The funding source type (geo.schema.FUNDING_SOURCE_TYPES) its name suggests, or None."""
    if not name:
        return None
    text = " " + str(name).lower() + " "
    for kind, words in _SOURCE_TYPES:
        if any(w in text for w in words):
            return kind
    return None


def _funding_parts(cell: str, amount, currency) -> list[dict]:
    """'Local budget:250000:KGS;Parents:50000:KGS' or 'UNDP; Local budget' → funding dicts."""
    parts = [p.strip() for p in re.split(r"[;\n]", cell) if p.strip()]
    out = []
    for part in parts:
        pieces = part.split(":")
        entry = {"source_name": pieces[0].strip() or None, "amount": None, "currency": currency, "problem": None}
        if len(pieces) >= 2 and pieces[1].strip():
            parsed = checks.parse_number(pieces[1], "money")
            if parsed.problem:
                entry["problem"] = parsed.problem
            entry["amount"] = parsed.value
            entry["currency"] = parsed.currency or entry["currency"]
        if len(pieces) >= 3 and pieces[2].strip():
            code, _ = _currency(pieces[2])
            entry["currency"] = code or entry["currency"]
        out.append(entry)
    if len(out) == 1 and out[0]["amount"] is None:
        out[0]["amount"] = amount
    return out


def _funding(table: SourceTable, used: dict, values: dict, gdf: gpd.GeoDataFrame, report: ImportReport,
             store, base_versions: dict) -> pd.DataFrame:
    rows: list[dict] = []
    if table.funding is not None and len(table.funding):
        for rec in table.funding.to_dict("records"):
            rows.append({**rec, "share_pct": None})
    if used.get("funding_source") or used.get("funding_amount"):
        for i in range(len(gdf)):
            cell = values["funding_source"][i]
            amount = values["funding_amount"][i]
            currency = values["currency"][i] or values["total_cost_currency"][i]
            if cell is None and amount is None:
                continue
            entries = _funding_parts(cell, amount, currency) if cell else [
                {"source_name": None, "amount": amount, "currency": currency, "problem": None}]
            for e in entries:
                problem = e.pop("problem")
                if problem:
                    report.error(Phrase("err.import.funding_amount_invalid", cell=str(cell), problem=problem), i,
                                 used.get("funding_source"), code="funding_amount_invalid")
                stated_type = values["funding_source_type"][i]
                rows.append({"_row": i, **e, "source_type": stated_type or guess_source_type(e["source_name"]),
                             "note": None, "share_pct": None})
    for sheet, child in table.children.items():
        child_cols = [c for c in child.columns if c not in ("_row", "_line")]
        child_map = guess_mapping(child_cols, child)
        if not (child_map.get("funding_source") or child_map.get("funding_amount") or child_map.get("total_cost")):
            report.info(Phrase("err.import.kobo_repeat_unused", sheet=str(sheet), count=len(child)),
                        code="kobo_repeat_unused")
            continue
        amount_col = child_map.get("funding_amount") or child_map.get("total_cost")
        for rec in child.to_dict("records"):
            i = int(rec["_row"])
            parsed = checks.parse_number(rec.get(amount_col), "money") if amount_col else checks.ParsedNumber(None)
            if parsed.problem:
                report.error(Phrase("err.import.repeat_row_problem", sheet=str(sheet), line=str(rec["_line"]),
                                    problem=parsed.problem), i, amount_col, code="funding_amount_invalid")
            cur_col = child_map.get("currency")
            code = _currency(rec.get(cur_col))[0] if cur_col else None
            name = rec.get(child_map["funding_source"]) if child_map.get("funding_source") else None
            name = None if _empty(name) else str(name).strip()
            stype_col = child_map.get("funding_source_type")
            stype = None if not stype_col or _empty(rec.get(stype_col)) else str(rec.get(stype_col)).strip()
            rows.append({"_row": i, "source_name": name, "source_type": stype or guess_source_type(name),
                         "amount": None if parsed.problem else parsed.value, "currency": code or parsed.currency,
                         "note": f"from sheet '{sheet}' row {rec['_line']}", "share_pct": None})
    cols = ["_row", "funding_id", "project_id", "source_name", "source_type", "amount", "currency", "share_pct",
            "note", "_action"]
    if not rows:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(rows)
    statuses = report.statuses()
    project_ids = gdf["project_id"].astype(object).tolist()
    actions = gdf["_action"].tolist()
    frame["project_id"] = [project_ids[int(r)] for r in frame["_row"]]
    frame["funding_id"] = [f"{pid}-F{k + 1}" for pid, k in zip(frame["project_id"], frame.groupby("_row").cumcount())]
    stored = store.read("funding")
    stored_version = dict(zip(stored["funding_id"].astype(object), stored["version"].astype(object))) if len(stored) else {}
    frame["_action"] = [
        "skip" if actions[int(r)] == "skip" or statuses[int(r)] == "error" else
        ("update" if fid in stored_version else "add")
        for r, fid in zip(frame["_row"], frame["funding_id"])
    ]
    base_versions["funding"] = {fid: int(stored_version[fid]) for fid, a in zip(frame["funding_id"], frame["_action"])
                                if a == "update"}
    frame["amount"] = pd.array(frame["amount"], dtype="Float64")
    return frame[cols]


_BENEFICIARY_FIELDS = {"beneficiaries_total": "total", "households": "households", "women": "women", "men": "men",
                       "children": "children", "students": "students"}


def _beneficiaries(values: dict, gdf: gpd.GeoDataFrame, store, base_versions: dict, used: dict) -> pd.DataFrame:
    cols = ["_row", "project_id", *_BENEFICIARY_FIELDS.values(), "_action"]
    if not any(used.get(f) for f in _BENEFICIARY_FIELDS):
        base_versions["beneficiaries"] = {}
        return pd.DataFrame(columns=cols)
    stored = store.read("beneficiaries")
    stored_version = dict(zip(stored["project_id"].astype(object), stored["version"].astype(object))) if len(stored) else {}
    rows = []
    for i in range(len(gdf)):
        counts = {target: values[f][i] for f, target in _BENEFICIARY_FIELDS.items()}
        if all(v is None for v in counts.values()):
            continue
        pid = gdf["project_id"].iloc[i]
        action = gdf["_action"].iloc[i]
        if action != "skip":
            action = "update" if pid in stored_version else "add"
        rows.append({"_row": i, "project_id": pid, **counts, "_action": action})
    base_versions["beneficiaries"] = {r["project_id"]: int(stored_version[r["project_id"]]) for r in rows
                                      if r["_action"] == "update"}
    frame = pd.DataFrame(rows, columns=cols)
    for target in _BENEFICIARY_FIELDS.values():
        frame[target] = pd.array(frame[target], dtype="Float64")
    return frame


# -- backups ---------------------------------------------------------------------------------

def _writable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if col == "geometry":
            continue
        dtype = str(out[col].dtype)
        if dtype.startswith("string") or dtype in ("str", "boolean"):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        elif dtype in ("Int64", "Float64"):
            out[col] = out[col].astype(float)
    return out


def backup_store(store, layers: list[str], label: str = "import") -> str | None:
    """Back up the store before a write; return the backup's path (None for a store not yet written).

    A GeoPackage store is copied whole (:meth:`GeoPackageStore.backup`); other back
    ends get the given layers exported to ``var/backups/<time>-<label>.gpkg``.
    """
    backup = getattr(store, "backup", None)
    if callable(backup):
        path = getattr(store, "path", None)
        if path is not None and not Path(path).exists():
            return None
        return str(backup())
    import pyogrio

    folder = settings.PROJECT_ROOT / "var" / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')}-{label}.gpkg"
    for name in layers:
        frame = store.read(name)
        spec = schema.LAYERS[name]
        data = _writable(frame)
        if spec.geometry is None:
            data = pd.DataFrame(data)
        pyogrio.write_dataframe(data, target, layer=name, driver="GPKG",
                                geometry_type=None if spec.geometry is None else "Unknown")
    return str(target)


# -- commit ----------------------------------------------------------------------------------

def new_batch_id() -> str:
    """An import batch id: UTC time and a random suffix ('imp-20240131T101500Z-3fa2c1')."""
    return f"imp-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in _HELPER if c in frame.columns])


def _merge_updates(layer: str, rows: pd.DataFrame, current: pd.DataFrame, versions: dict[str, int],
                   always: tuple[str, ...] = ()) -> pd.DataFrame:
    """Full stored rows with the import's non-empty values (and the ``always`` columns) laid over them."""
    key = schema.LAYERS[layer].key
    merged = []
    index = {k: i for i, k in enumerate(current[key].astype(object))}
    for rec in rows.to_dict("records"):
        k = rec[key]
        if k not in index:
            raise StaleVersionError(key="err.import.deleted_since_preview", layer=layer, key_value=str(k))
        base = current.iloc[index[k]].to_dict()
        for col, value in rec.items():
            if col in always or not _missing(value):
                base[col] = value
        base["version"] = versions[str(k)]
        merged.append(base)
    frame = pd.DataFrame(merged)
    if schema.LAYERS[layer].geometry is not None:
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)
    return frame


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not hasattr(value, "geom_type") else False
    except (TypeError, ValueError):
        return False


def _write(tx, layer: str, rows: pd.DataFrame, versions: dict[str, int], always: tuple[str, ...] = ()) -> tuple[list, list]:
    key = schema.LAYERS[layer].key
    if len(rows) == 0:
        return [], []
    current = tx.read(layer)
    adds = _clean(rows[rows["_action"] == "add"])
    updates = _clean(rows[rows["_action"] == "update"])
    if len(adds):
        clash = set(adds[key].astype(object)) & set(current[key].astype(object))
        if clash:
            raise StaleVersionError(key="err.import.added_since_preview", layer=layer,
                                    keys=str(sorted(map(str, clash))[:5]))
        if isinstance(rows, gpd.GeoDataFrame):
            adds = gpd.GeoDataFrame(adds, geometry="geometry", crs=STORAGE_CRS)
        tx.append(layer, adds)
    if len(updates):
        tx.update(layer, _merge_updates(layer, updates, current, versions, always))
    return list(adds[key].astype(str)), list(updates[key].astype(str))


def commit_import(store, preview: ImportPreview, user, *, skip_errors: bool = False) -> ImportResult:
    """Write a preview's accepted rows in one transaction, after a backup; return what was written.

    Refused (nothing written) when the user may not import these rows, when the
    preview has errors and ``skip_errors`` is False, when nothing is left to import,
    or when a row to update was changed after the preview (:class:`StaleVersionError`).
    With ``skip_errors`` rows with errors are left out and the others imported.
    """
    acting = auth.as_user(store, user)
    auth.require(acting, auth.IMPORT_PROJECTS)
    report = preview.report
    file_errors = [m for m in report.errors if m.row is None]
    if file_errors:
        raise SchemaError(key="err.import.not_started", source=preview.source, problem=file_errors[0])
    if report.has_errors and not skip_errors:
        errors = report.errors
        shown = Join(errors[:3] + (["…"] if len(errors) > 3 else []), " ")
        raise SchemaError(key="err.import.rows_have_errors", source=preview.source, count=len(report.error_rows()),
                          shown=shown)
    accepted = preview.accepted()
    if len(accepted) == 0:
        raise SchemaError(key="err.import.nothing_to_import", source=preview.source)
    stored = store.read("projects")
    updates = accepted[accepted["_action"] == "update"]
    entries = auth.row_units(accepted)
    if len(updates) and len(stored):
        old = stored[stored["project_id"].isin(updates["project_id"])]
        entries += auth.row_units(old)
    auth.require(acting, auth.IMPORT_PROJECTS, entries)

    layers = ["projects", "funding", "beneficiaries", schema.AUDIT_LOG.name]
    before_columns = {name: set(store.read(name).columns) for name in layers[:3]}
    backup = backup_store(store, layers)
    batch = new_batch_id()
    funding = preview.funding[preview.funding["_action"].isin(["add", "update"])] if len(preview.funding) else preview.funding
    beneficiaries = preview.beneficiaries[preview.beneficiaries["_action"].isin(["add", "update"])] \
        if len(preview.beneficiaries) else preview.beneficiaries
    with store.transaction(acting.username) as tx:
        added, updated = _write(tx, "projects", accepted, preview.base_versions.get("projects", {}), _LOCATION_COLUMNS)
        f_added, f_updated = _write(tx, "funding", funding, preview.base_versions.get("funding", {}))
        b_added, b_updated = _write(tx, "beneficiaries", beneficiaries, preview.base_versions.get("beneficiaries", {}))
        new_columns = {
            name: sorted(set(tx.read(name).columns) - before_columns[name])
            for name in ("projects", "funding", "beneficiaries")
        }
        for entry in getattr(tx, "_audit", []):
            entry[BATCH_COLUMN] = batch
        summary = {
            "file": preview.source, "sha256": preview.sha256, "format": preview.format, "layer": preview.layer,
            "crs": preview.crs, "added": added, "updated": updated, "funding_added": f_added,
            "funding_updated": f_updated, "beneficiaries_added": b_added, "beneficiaries_updated": b_updated,
            "skipped": [report.labels[i] for i in preview.projects.loc[preview.projects["_action"] == "skip", "_row"]],
            "backup": backup, "new_columns": {k: v for k, v in new_columns.items() if v},
        }
        tx.append(schema.AUDIT_LOG.name, pd.DataFrame([{
            "audit_id": uuid.uuid4().hex, "at": _now(), "user": acting.username, "action": "import",
            "layer": "projects", "row_key": batch, "old_values": "",
            "new_values": json.dumps(summary, ensure_ascii=False, default=str), BATCH_COLUMN: batch,
        }]))
    return ImportResult(
        batch_id=batch, source=preview.source, added=added, updated=updated, skipped=summary["skipped"],
        funding_added=len(f_added), funding_updated=len(f_updated), beneficiaries_added=len(b_added),
        beneficiaries_updated=len(b_updated), backup=backup,
    )


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


# -- undo ------------------------------------------------------------------------------------

def list_imports(store) -> pd.DataFrame:
    """One row per import: batch_id, at, user, file, added, updated, undone."""
    log = store.read(schema.AUDIT_LOG.name)
    cols = ["batch_id", "at", "user", "file", "added", "updated", "undone"]
    if BATCH_COLUMN not in log.columns or len(log) == 0:
        return pd.DataFrame(columns=cols)
    imports = log[log["action"] == "import"]
    undone = set(log.loc[log["action"] == "undo_import", "row_key"].astype(str))
    rows = []
    for rec in imports.to_dict("records"):
        info = json.loads(rec["new_values"] or "{}")
        rows.append({"batch_id": rec["row_key"], "at": rec["at"], "user": rec["user"], "file": info.get("file"),
                     "added": len(info.get("added", [])), "updated": len(info.get("updated", [])),
                     "undone": rec["row_key"] in undone})
    return pd.DataFrame(rows, columns=cols)


def _restore_row(values: dict, columns, spatial: bool) -> dict:
    row = {c: values.get(c) for c in columns if c != "geometry"}
    if spatial:
        wkt = values.get("geometry")
        row["geometry"] = shapely.from_wkt(wkt) if wkt else None
    return row


def undo_import(store, batch_id: str, user) -> dict:
    """Revert one import exactly: remove the rows it added, give the rows it updated their previous values.

    Refused, with nothing changed, when the batch is unknown or already undone, when
    the user may not change the rows concerned, or when any of them was changed
    after the import (:class:`StaleVersionError` naming them). Returns a summary.
    """
    acting = auth.as_user(store, user)
    auth.require(acting, auth.IMPORT_PROJECTS)
    log = store.read(schema.AUDIT_LOG.name)
    if BATCH_COLUMN not in log.columns:
        raise StoreError(key="err.import.no_such_batch", batch=batch_id)
    mine = log[log[BATCH_COLUMN] == batch_id]
    head = mine[mine["action"] == "import"]
    if head.empty:
        raise StoreError(key="err.import.no_such_batch", batch=batch_id)
    if ((log["action"] == "undo_import") & (log["row_key"] == batch_id)).any():
        raise StoreError(key="err.import.already_undone", batch=batch_id)
    info = json.loads(head.iloc[0]["new_values"] or "{}")
    changes = mine[mine["action"].isin(["insert", "update"])]
    frames: dict[str, pd.DataFrame] = {}
    conflicts: list[str] = []
    units: list[tuple] = []
    plans: dict[str, tuple[set, dict]] = {}
    for layer, group in changes.groupby("layer", sort=False):
        spec = schema.LAYERS[layer]
        current = store.read(layer)
        key_index = {str(k): i for i, k in enumerate(current[spec.key].astype(object))}
        remove: set[str] = set()
        restore: dict[str, dict] = {}
        # The last change per key wins the check; the first one's old values are restored.
        for key, rows in group.groupby("row_key", sort=False):
            first, last = rows.iloc[0], rows.iloc[-1]
            after = json.loads(last["new_values"] or "{}")
            if key not in key_index:
                conflicts.append(Phrase("err.import.undo_deleted", layer=layer, key_value=str(key)))
                continue
            now = current.iloc[key_index[key]]
            if spec.versioned and int(now["version"]) != int(after.get("version") or -1):
                conflicts.append(Phrase("err.import.undo_changed", layer=layer, key_value=str(key), user=str(now["updated_by"]),
                                        at=str(now["updated_at"])))
                continue
            if layer == "projects":
                units.extend(auth.row_units(current.iloc[[key_index[key]]]))
            if first["action"] == "insert":
                remove.add(key)
            else:
                old = json.loads(first["old_values"] or "{}")
                restore[key] = old
                if layer == "projects":
                    units.append(tuple(old.get(c) for c in ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode")))
        frames[layer] = current
        plans[layer] = (remove, restore)
    if conflicts:
        raise StaleVersionError(key="err.import.undo_conflicts", batch=batch_id,
                                conflicts=Join(conflicts[:5] + (["…"] if len(conflicts) > 5 else []), "; "))
    auth.require(acting, auth.IMPORT_PROJECTS, units)
    backup = backup_store(store, list(plans) + [schema.AUDIT_LOG.name], label="undo")
    new_columns = info.get("new_columns") or {}
    undo_rows = []
    with store.transaction(acting.username) as tx:
        for layer, (remove, restore) in plans.items():
            spec = schema.LAYERS[layer]
            current = frames[layer]
            keys = current[spec.key].astype(object).astype(str)
            keep = current[~keys.isin(remove) & ~keys.isin(restore.keys())]
            spatial = spec.geometry is not None
            restored = pd.DataFrame([_restore_row(v, current.columns, spatial) for v in restore.values()],
                                    columns=list(current.columns))
            if len(restored):
                if spatial:
                    restored = gpd.GeoDataFrame(restored, geometry="geometry", crs=STORAGE_CRS)
                frame = pd.concat([keep, restored], ignore_index=True)
            else:
                frame = keep.reset_index(drop=True)
            if spatial:
                frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)
            drop = [c for c in new_columns.get(layer, []) if c in frame.columns and frame[c].isna().all()]
            frame = frame.drop(columns=drop)
            tx.replace(layer, frame)
            for key in sorted(remove):
                undo_rows.append({"action": "undo_insert", "layer": layer, "row_key": key})
            for key in sorted(restore):
                undo_rows.append({"action": "undo_update", "layer": layer, "row_key": key,
                                  "new_values": json.dumps(restore[key], ensure_ascii=False, default=str)})
        for entry in getattr(tx, "_audit", []):
            entry[BATCH_COLUMN] = f"undo:{batch_id}"
        at = _now()
        records = [{"audit_id": uuid.uuid4().hex, "at": at, "user": acting.username, "old_values": "",
                    "new_values": "", BATCH_COLUMN: f"undo:{batch_id}", **r} for r in undo_rows]
        records.append({"audit_id": uuid.uuid4().hex, "at": at, "user": acting.username, "action": "undo_import",
                        "layer": "projects", "row_key": batch_id, "old_values": "",
                        "new_values": json.dumps({"backup": backup, "removed": sum(len(p[0]) for p in plans.values()),
                                                  "restored": sum(len(p[1]) for p in plans.values())}),
                        BATCH_COLUMN: f"undo:{batch_id}"})
        tx.append(schema.AUDIT_LOG.name, pd.DataFrame(records))
    return {"batch_id": batch_id, "removed": {layer: sorted(p[0]) for layer, p in plans.items()},
            "restored": {layer: sorted(p[1]) for layer, p in plans.items()}, "backup": backup}


# -- command line ----------------------------------------------------------------------------

def import_projects(store, path, *, layer: str | None = None, crs=None, user=None, commit: bool = False,
                    skip_errors: bool = False, mapping: dict | None = None) -> tuple[dict, str]:
    """What ``python -m geo import-projects FILE [--layer L] [--crs EPSG] [--user U] [--commit]`` does.

    Previews the file (always) and, with ``commit``, writes it as ``user`` (a user name
    of the store's accounts). Returns (a JSON-able summary, the report as text). Raises
    the same errors as :func:`preview_import` and :func:`commit_import`.
    """
    preview = preview_import(store, path, mapping=mapping, crs=crs, layer=layer, user=user)
    summary: dict = {"file": preview.source, "format": preview.format, "layer": preview.layer,
                     "crs": preview.crs, "mapping": preview.mapping, **preview.summary, "committed": False}
    if commit:
        if user is None:
            raise PermissionDeniedError(key="err.import.need_user")
        result = commit_import(store, preview, user, skip_errors=skip_errors)
        summary.update({"committed": True, "batch_id": result.batch_id, "added": result.added,
                        "updated": result.updated, "skipped": result.skipped, "backup": result.backup})
    return summary, preview.report.to_text()
