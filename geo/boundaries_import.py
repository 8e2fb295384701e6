"""One-step import of official OCHA COD-AB boundaries of Kyrgyzstan into ``admin_units``.

Aiyl okmot (level 3) boundaries are not shipped with the app; people import the
COD-AB file themselves (``python -m geo import-boundaries FILE`` or the import page).
Levels 1 and 2 can be imported the same way and then replace the shipped, coarser
Natural Earth / geoBoundaries units.

COD-AB fields (upper or lower case): ``ADM{n}_PCODE`` (e.g. ``KG04220000000``),
``ADM{n}_EN/_RU/_KY``, the parent ``ADM{n-1}_PCODE``, optional ``ADM{n}ALT1EN``…,
``ADM{n}TYP_EN``, ``date``, ``validOn``. The level is that of the finest
``ADM{n}_PCODE`` field present. Any format of :mod:`geo.io.vector` is read (GeoJSON,
GeoPackage, zipped shapefile, zipped file geodatabase, …) and reprojected to EPSG:4326.

:func:`import_boundaries` replaces all units of that level in one store transaction,
keeps the other levels, and re-assigns the admin P-codes of settlements and projects
by location (:mod:`geo.admin_join`). If anything fails nothing in the store changes.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree
from shapely.geometry import box

from geo import schema
from geo.admin_join import LEVEL_COLUMNS, SNAP_DISTANCE_M, assign_admin_pcodes
from geo.crs import KYRGYZSTAN_EQUAL_AREA
from geo.errors import Number, OutsideCountryError, Phrase, SchemaError
from geo.io.archives import ZipLimits
from geo.io.vector import LayerInfo, read_vector
from geo.settings import COUNTRY_BOUNDS, STORAGE_CRS
from geo.store.base import Store, conform, now_utc

COUNTRY_PCODE = "KG"
LICENCE = "CC BY-IGO"
LEVEL_NAMES = {1: "oblast", 2: "rayon", 3: "aiyl okmot"}

#: Finest admin level a project's location supports, by ``location_precision``:
#: 4 (rayon) and 5 (oblast) projects only have a placeholder point, 6 (national) none.
PRECISION_MAX_LEVEL = {1: 3, 2: 3, 3: 3, 4: 2, 5: 1, 6: 0}

_GEOMETRY_NAMES = {0: "points", 1: "lines", 2: "rings", 4: "points", 5: "lines", 7: "geometry collections"}


# -- reading -------------------------------------------------------------------------

def _fields(columns) -> dict[str, str]:
    """Lower-case field name → the file's spelling."""
    return {str(c).lower(): str(c) for c in columns if c != "geometry"}


def codab_level(columns) -> int | None:
    """The admin level of a COD-AB layer from its fields (3, 2, 1), or None."""
    names = _fields(columns)
    for level in (3, 2, 1):
        if f"adm{level}_pcode" in names:
            return level
    return None


def _choose_codab_layer(layers: list[LayerInfo]) -> str | None:
    """Among polygon layers with COD-AB fields, the one of the finest level (if only one is)."""
    candidates = []
    for info in layers:
        geom = (info.geometry_type or "").lower()
        if "polygon" not in geom:
            continue
        level = codab_level(info.fields)
        if level is not None:
            candidates.append((level, info.name))
    if not candidates:
        return None
    finest = max(level for level, _ in candidates)
    names = [name for level, name in candidates if level == finest]
    return names[0] if len(names) == 1 else None


def _text(frame: pd.DataFrame, fields: dict[str, str], name: str) -> pd.Series:
    column = fields.get(name.lower())
    if column is None:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = frame[column].astype("string").str.strip()
    return values.mask(values == "")


def _dates(frame: pd.DataFrame, fields: dict[str, str]) -> pd.Series:
    """``date`` (else ``validOn``) as YYYY-MM-DD text, NA where absent."""
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    for field in ("date", "validon"):
        column = fields.get(field)
        if column is None:
            continue
        raw = frame[column]
        parsed = pd.to_datetime(raw, errors="coerce", utc=True)
        text = pd.Series(parsed.dt.strftime("%Y-%m-%d"), index=frame.index, dtype="string")
        text = text.fillna(raw.astype("string").str.strip().mask(lambda s: s == ""))
        out = out.fillna(text)
    return out


def _examples(values, limit: int = 5) -> str:
    """Up to ``limit`` values joined by commas, then "and N more" (a :class:`Phrase`, translatable)."""
    values = [str(v) for v in values]
    shown = ", ".join(values[:limit])
    return Phrase("err.boundaries.examples_more", examples=shown, more=len(values) - limit) \
        if len(values) > limit else shown


def _level_name(level: int) -> Phrase:
    """The name of an admin level ("oblast", "rayon", "aiyl okmot") in the message's language."""
    return Phrase(f"err.boundaries.level_name.{level}")


def _polygonal(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2D MultiPolygons, invalid ones repaired with make_valid; also a mask of the repaired ones.

    make_valid may return a collection with lines or points beside the polygons; only
    the polygon parts are kept (a repaired feature without any becomes None).
    """
    geoms = shapely.force_2d(geoms)
    invalid = ~shapely.is_valid(geoms)
    out = geoms.copy()
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        parts, owner = shapely.get_parts(fixed, return_index=True)      # collection members
        parts, sub = shapely.get_parts(parts, return_index=True)        # multi-parts to singles
        owner = owner[sub]
        keep = shapely.get_type_id(parts) == 3
        repaired = np.full(len(fixed), None, dtype=object)
        if keep.any():
            shapely.multipolygons(parts[keep], indices=owner[keep], out=repaired)
        out[invalid] = repaired
    single = shapely.get_type_id(out) == 3
    if single.any():
        out[single] = shapely.multipolygons(out[single], indices=np.arange(int(single.sum())))
    return out, invalid


def read_codab(path: str | os.PathLike, layer: str | None = None, *, display_name: str | None = None,
               limits: ZipLimits | None = None) -> tuple[int, gpd.GeoDataFrame]:
    """Read an OCHA COD-AB file as ``admin_units`` rows: ``(level, frame)`` in EPSG:4326.

    ``pcode`` = ``ADM{n}_PCODE``, ``level`` = n, ``parent_pcode`` = ``ADM{n-1}_PCODE``
    (``KG`` for level 1), ``name_en/ru/ky`` = ``ADM{n}_EN/RU/KY``, ``population``
    empty, ``source`` = "OCHA COD-AB (CC BY-IGO), file …, date …", ``note`` says the
    level, type, alternative names and whether the geometry was repaired.

    A file with several layers (e.g. the COD-AB GeoPackage or geodatabase with all
    levels) gives its finest polygon level unless ``layer`` names one.

    Raises :class:`~geo.errors.SchemaError` (no ``ADM{n}_PCODE`` field, missing or
    duplicate P-codes, missing or non-polygon geometry),
    :class:`~geo.errors.OutsideCountryError` (features outside Kyrgyzstan) and the
    errors of :func:`geo.io.vector.read_vector` (unreadable file, unknown CRS, unsafe zip).
    ``frame.attrs`` holds ``warnings`` (list of text: :class:`~geo.errors.Phrase` for this module's own,
    so ``w.text(lang)`` gives them in Kyrgyz or Russian), ``repaired`` (count),
    ``source_layer``, ``source_crs``, ``reprojected`` and ``layers``.
    """
    name = display_name or Path(path).name
    frame = read_vector(path, layer, choose_layer=_choose_codab_layer, display_name=name, limits=limits)
    attrs = dict(frame.attrs)
    warnings = list(attrs.get("warnings", []))
    where = name if len(attrs.get("layers", [])) <= 1 else \
        Phrase("err.boundaries.where_layer", name=name, layer=str(attrs["source_layer"]))
    if len(attrs.get("layers", [])) > 1:
        warnings.append(Phrase("err.boundaries.warn_layers", name=name, count=len(attrs["layers"]),
                               layers=", ".join(map(str, attrs["layers"])), layer=str(attrs["source_layer"])))
    fields = _fields(frame.columns)
    level = codab_level(frame.columns)
    if level is None:
        hint = Phrase("err.boundaries.only_adm0") if "adm0_pcode" in fields else ""
        raise SchemaError(key="err.boundaries.not_codab", where=where, hint=hint,
                          fields=_examples(list(fields.values()), 12) or "—")
    pcode_field = fields[f"adm{level}_pcode"]
    pcodes = _text(frame, fields, f"adm{level}_pcode")
    names_en = _text(frame, fields, f"adm{level}_en")
    label = names_en.fillna("row " + pd.Series(np.arange(1, len(frame) + 1), index=frame.index).astype("string"))

    missing = pcodes.isna()
    if missing.any():
        raise SchemaError(key="err.boundaries.no_pcode", where=where, count=int(missing.sum()), total=len(frame),
                          field=str(pcode_field), examples=_examples(label[missing]))
    dup = pcodes.duplicated(keep=False)
    if dup.any():
        raise SchemaError(key="err.boundaries.duplicate_pcodes", where=where, field=str(pcode_field),
                          examples=_examples(sorted(set(pcodes[dup]))))
    foreign = ~pcodes.str.upper().str.startswith(COUNTRY_PCODE)
    if foreign.any():
        warnings.append(Phrase("err.boundaries.warn_foreign_pcodes", count=int(foreign.sum()),
                               examples=_examples(pcodes[foreign])))

    geoms = np.asarray(frame.geometry.values, dtype=object)
    absent = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if absent.any():
        raise SchemaError(key="err.boundaries.no_geometry", where=where, count=int(absent.sum()),
                          examples=_examples(pcodes[absent]))
    kinds = shapely.get_type_id(geoms)
    not_poly = ~np.isin(kinds, [3, 6])
    if not_poly.any():
        found = sorted({_GEOMETRY_NAMES.get(int(k), "other geometries") for k in kinds[not_poly]})
        raise SchemaError(key="err.boundaries.not_polygons", where=where, count=int(not_poly.sum()),
                          kinds=", ".join(found), examples=_examples(pcodes[not_poly]))
    geoms, repaired = _polygonal(geoms)
    lost = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if lost.any():
        raise SchemaError(key="err.boundaries.unrepairable", where=where, examples=_examples(pcodes[lost]))
    if repaired.any():
        warnings.append(Phrase("err.boundaries.warn_repaired", count=int(repaired.sum()),
                               examples=_examples(pcodes[repaired])))

    lon_min, lat_min, lon_max, lat_max = COUNTRY_BOUNDS
    country = box(lon_min, lat_min, lon_max, lat_max)
    outside = ~shapely.intersects(geoms, country)
    if outside.any():
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        swapped = shapely.intersects(country, box(ymin, xmin, ymax, xmax))
        hint = Phrase("err.boundaries.hint_swapped" if swapped else "err.boundaries.hint_check_crs")
        raise OutsideCountryError(
            key="err.boundaries.outside", where=where, count=int(outside.sum()), total=len(frame),
            examples=_examples(pcodes[outside]), xmin=Number(xmin, 2), xmax=Number(xmax, 2), ymin=Number(ymin, 2),
            ymax=Number(ymax, 2), lon_min=Number(lon_min, 2), lon_max=Number(lon_max, 2), lat_min=Number(lat_min, 2),
            lat_max=Number(lat_max, 2), hint=hint)

    if level > 1:
        parents = _text(frame, fields, f"adm{level - 1}_pcode")
        if parents.isna().all():
            warnings.append(Phrase("err.boundaries.warn_no_parent_field", where=where, parent=str(level - 1)))
    else:
        parents = pd.Series(COUNTRY_PCODE, index=frame.index, dtype="string")
    names = {lang: _text(frame, fields, f"adm{level}_{lang}") for lang in ("en", "ru", "ky")}
    for lang, values in names.items():
        if values.isna().all():
            warnings.append(Phrase("err.boundaries.warn_no_names", where=where, field=f"ADM{level}_{lang.upper()}"))

    dates = _dates(frame, fields)
    source = (f"OCHA COD-AB ({LICENCE}), file {name}" + (", date " + dates).fillna("")).astype("string")
    note = pd.Series(f"Level {level} ({LEVEL_NAMES[level]}) from OCHA COD-AB", index=frame.index, dtype="string")
    kind = _text(frame, fields, f"adm{level}typ_en")
    note = note + ("; type " + kind).fillna("")
    alt = [_text(frame, fields, f"adm{level}alt{i}{lang}") for i in (1, 2) for lang in ("en", "ru", "ky")]
    alt_joined = pd.concat(alt, axis=1).apply(lambda row: "; ".join(v for v in row.dropna().unique()), axis=1) \
        if len(frame) else pd.Series([], dtype="string")
    alt_joined = pd.Series(alt_joined, index=frame.index, dtype="string").mask(lambda s: s == "")
    note = note + ("; also called " + alt_joined).fillna("")
    note = note.mask(pd.Series(repaired, index=frame.index),
                     note + "; invalid geometry repaired with make_valid on import")
    own_note = _text(frame, fields, "note")
    note = note + ("; file note: " + own_note).fillna("")

    units = gpd.GeoDataFrame({
        "pcode": pcodes.to_numpy(),
        "level": pd.array([level] * len(frame), dtype="Int64"),
        "parent_pcode": parents.to_numpy(),
        "name_en": names["en"].to_numpy(), "name_ru": names["ru"].to_numpy(), "name_ky": names["ky"].to_numpy(),
        "population": pd.array([pd.NA] * len(frame), dtype="Float64"),
        "source": source.to_numpy(), "note": note.to_numpy(),
    }, geometry=gpd.GeoSeries(geoms, crs=STORAGE_CRS), crs=STORAGE_CRS)
    units = conform(units, schema.ADMIN_UNITS.name)
    units.attrs = {**attrs, "warnings": warnings, "repaired": int(repaired.sum()), "level": level}
    return level, units


# -- importing into the store ----------------------------------------------------------------

def level_loaded(admin_units: pd.DataFrame, level: int) -> bool:
    """Whether ``admin_units`` holds any unit of ``level``."""
    if len(admin_units) == 0:
        return False
    return bool((pd.to_numeric(admin_units["level"], errors="coerce") == level).any())


def has_level(store: Store, level: int) -> bool:
    """Whether the store holds admin units of ``level`` (3: aiyl okmotus were imported)."""
    return level_loaded(store.read(schema.ADMIN_UNITS.name), level)


def _relink_children(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, level: int) -> tuple[gpd.GeoDataFrame, int]:
    """Children whose ``parent_pcode`` is not among the new ``parents`` get one by location."""
    if len(children) == 0:
        return children, 0
    dangling = ~children["parent_pcode"].isin(set(parents["pcode"])).fillna(False).to_numpy(dtype=bool)
    if not dangling.any():
        return children, 0
    probe = gpd.GeoDataFrame(geometry=children.geometry[dangling], crs=STORAGE_CRS)
    placed = assign_admin_pcodes(probe, parents, max_level=level, consistent=False)[LEVEL_COLUMNS[level]]
    out = children.copy()
    rows = out.index[dangling]
    out.loc[rows, "parent_pcode"] = placed.to_numpy()
    stamp = date.today().isoformat()
    added = f"parent_pcode set by location after the level-{level} import on {stamp}"
    out.loc[rows, "note"] = (out.loc[rows, "note"].astype("string") + "; " + added).fillna(added)
    return out, int(dangling.sum())


def _crosswalk(old_units: gpd.GeoDataFrame, new_units: gpd.GeoDataFrame) -> dict[str, str]:
    """Old pcode of each replaced unit → the new unit that overlaps it most (by area in the
    Kyrgyzstan equal-area CRS); old units overlapping none are left out."""
    if len(old_units) == 0 or len(new_units) == 0:
        return {}
    old_m = np.asarray(old_units.geometry.to_crs(KYRGYZSTAN_EQUAL_AREA).values, dtype=object)
    new_m = np.asarray(new_units.geometry.to_crs(KYRGYZSTAN_EQUAL_AREA).values, dtype=object)
    i, j = STRtree(new_m).query(old_m, predicate="intersects")
    if len(i) == 0:
        return {}
    overlap = pd.DataFrame({
        "old": old_units["pcode"].astype(object).to_numpy()[i],
        "new": new_units["pcode"].astype(object).to_numpy()[j],
        "area": shapely.area(shapely.intersection(old_m[i], new_m[j])),
    })
    overlap = overlap[overlap["area"] > 0].sort_values(["old", "area"], ascending=[True, False])
    best = overlap.drop_duplicates("old")
    return dict(zip(best["old"], best["new"]))


def _reassign(frame: gpd.GeoDataFrame, admin: gpd.GeoDataFrame, level: int, crosswalk: dict[str, str],
              old_codes: set[str], max_level: np.ndarray | None = None
              ) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """New admin pcodes for settlements or projects.

    By location (:func:`assign_admin_pcodes`) for levels down to ``max_level`` where the
    row has a geometry. Elsewhere the old value is kept, except that a code of a replaced
    unit (``old_codes``) that is not imported again is mapped through ``crosswalk``
    (NA if none). Also returns masks of the rows mapped through the crosswalk and of the
    rows that had a unit of the imported level before and have none now.
    """
    limit = np.full(len(frame), 3) if max_level is None else max_level
    placed = assign_admin_pcodes(frame, admin, max_level=limit)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = frame.copy()
    mapped = np.zeros(len(frame), dtype=bool)
    for lvl, column in LEVEL_COLUMNS.items():
        old = frame[column].astype("string")
        keep = old.astype(object).to_numpy()
        use_new = located & (limit >= lvl)
        if lvl == level:
            stale = (old.isin(old_codes) & ~old.isin(set(admin["pcode"].dropna()))).fillna(False).to_numpy(dtype=bool, copy=True)
            stale &= ~use_new
            keep = keep.copy()
            keep[stale] = [crosswalk.get(v, pd.NA) for v in keep[stale]]
            mapped |= stale
        out[column] = pd.array(np.where(use_new, placed[column].astype(object), keep), dtype="string")
    column = LEVEL_COLUMNS[level]
    lost = (frame[column].notna() & out[column].isna()).to_numpy(dtype=bool)
    return out, mapped, lost


def _changed(before: pd.DataFrame, after: pd.DataFrame) -> np.ndarray:
    columns = list(LEVEL_COLUMNS.values())
    a = before[columns].astype("string").fillna("\x00").to_numpy()
    b = after[columns].astype("string").fillna("\x00").to_numpy()
    return (a != b).any(axis=1)


def import_boundaries(store: Store, path: str | os.PathLike, user="admin", *, layer: str | None = None,
                      display_name: str | None = None, limits: ZipLimits | None = None) -> dict:
    """Import an OCHA COD-AB boundary file, replacing all admin units of its level.

    In one store transaction: the ``admin_units`` of the file's level are replaced by
    the file's units (other levels are kept; units of the next finer level whose
    parent is gone are re-linked by location); ``oblast_pcode``, ``rayon_pcode`` and
    ``aiyl_okmot_pcode`` of settlements and projects are re-assigned by location
    (:func:`geo.admin_join.assign_admin_pcodes`, parents consistent with children).
    Projects are only placed down to the level their ``location_precision`` supports
    (:data:`PRECISION_MAX_LEVEL`); projects without geometry keep their codes, mapped
    to the new unit when they named a replaced one. Changed projects get a new
    version and an audit entry. On any error nothing in the store changes.

    ``user`` is a :class:`geo.auth.User` (checked: only admins may import boundaries)
    or, from the command line, a plain name acting as a trusted local admin.

    Returns a summary: ``level``, ``level_name``, ``file``, ``layer``, ``count``
    (units imported), ``replaced`` (units of that level before), ``repaired``,
    ``source_crs``, ``reprojected``, ``relinked_children``, ``settlements_updated``,
    ``projects_updated``, ``source`` and ``warnings`` (list of text; this module's own are
    :class:`~geo.errors.Phrase`, translatable with ``w.text(lang)``).
    """
    from geo import auth

    if isinstance(user, auth.User):  # the app passes the signed-in account; the CLI a trusted local name
        auth.require(user, auth.IMPORT_BOUNDARIES)
        user = user.username
    name = display_name or Path(path).name
    level, units = read_codab(path, layer, display_name=name, limits=limits)
    warnings = list(units.attrs.get("warnings", []))
    admin_name = schema.ADMIN_UNITS.name
    with store.transaction(user) as tx:
        current = tx.read(admin_name)
        levels = pd.to_numeric(current["level"], errors="coerce")
        old_units = current[levels == level]
        others = current[levels != level]
        clash = set(units["pcode"]) & set(others["pcode"].dropna())
        if clash:
            raise SchemaError(key="err.boundaries.pcode_clash", name=name, examples=_examples(sorted(clash)))
        other_levels = pd.to_numeric(others["level"], errors="coerce")
        finer = others[other_levels == level + 1]
        rest = others[other_levels != level + 1]
        finer, relinked = _relink_children(finer, units, level)
        if relinked:
            warnings.append(Phrase("err.boundaries.warn_relinked", count=relinked, finer=str(level + 1),
                                   level=str(level)))
        if level > 1:
            coarser = set(others.loc[other_levels == level - 1, "pcode"].dropna())
            unknown = units["parent_pcode"].isna() | ~units["parent_pcode"].isin(coarser).fillna(False)
            if coarser and unknown.any():
                located = assign_admin_pcodes(
                    gpd.GeoDataFrame(geometry=units.geometry, crs=STORAGE_CRS),
                    others[other_levels == level - 1], max_level=level - 1, consistent=False,
                )[LEVEL_COLUMNS[level - 1]]
                fill = units["parent_pcode"].isna()
                units.loc[fill, "parent_pcode"] = located[fill].to_numpy()
                still = int((~units["parent_pcode"].isin(coarser).fillna(False)).sum())
                if still:
                    warnings.append(Phrase("err.boundaries.warn_unknown_parents", count=still, parent=str(level - 1),
                                           parent_name=_level_name(level - 1)))
        frames = [f for f in (rest, finer, units) if len(f)]
        admin = pd.concat(frames, ignore_index=True) if frames else units
        admin = gpd.GeoDataFrame(admin, geometry="geometry", crs=STORAGE_CRS)
        tx.replace(admin_name, admin)
        admin = tx.read(admin_name)
        crosswalk = _crosswalk(old_units, units)
        old_codes = set(old_units["pcode"].dropna())
        what = _level_name(level)

        settlements_updated = 0
        settlements = tx.read(schema.SETTLEMENTS.name)
        if len(settlements):
            new, _, lost = _reassign(settlements, admin, level, crosswalk, old_codes)
            changed = _changed(settlements, new)
            settlements_updated = int(changed.sum())
            if lost.any():
                warnings.append(Phrase(
                    "err.boundaries.warn_settlements_lost", count=int(lost.sum()), what=what,
                    km=Number(SNAP_DISTANCE_M / 1000, 0 if float(SNAP_DISTANCE_M / 1000).is_integer() else 1),
                    column=LEVEL_COLUMNS[level], examples=_examples(settlements.loc[lost, "settlement_id"])))
            if settlements_updated:
                tx.replace(schema.SETTLEMENTS.name, new)

        projects_updated = 0
        projects = tx.read(schema.PROJECTS.name)
        if len(projects):
            precision = pd.to_numeric(projects["location_precision"], errors="coerce")
            limit = precision.map(PRECISION_MAX_LEVEL).fillna(3).astype(int).to_numpy()
            new, mapped, lost = _reassign(projects, admin, level, crosswalk, old_codes, max_level=limit)
            if mapped.any():
                column = LEVEL_COLUMNS[level]
                remark = pd.Series(
                    [f"{column} {a} mapped to {b if isinstance(b, str) else 'none'} by boundary overlap "
                     f"on the COD-AB level-{level} import" for a, b in
                     zip(projects.loc[mapped, column], new.loc[mapped, column].astype(object))],
                    index=new.index[mapped], dtype="string",
                )
                previous = new.loc[mapped, "location_note"].astype("string")
                new.loc[mapped, "location_note"] = (previous + "; " + remark).fillna(remark)
                warnings.append(Phrase("err.boundaries.warn_projects_mapped", count=int(mapped.sum()), what=what))
            if lost.any():
                warnings.append(Phrase("err.boundaries.warn_projects_lost", count=int(lost.sum()), what=what,
                                       column=LEVEL_COLUMNS[level],
                                       examples=_examples(projects.loc[lost, "project_id"])))
            changed = _changed(projects, new)
            projects_updated = int(changed.sum())
            if projects_updated:
                rows = new[changed]
                if rows["version"].notna().all():
                    tx.update(schema.PROJECTS.name, rows)
                else:  # rows stored without a version (bulk-loaded): bump and replace the layer
                    new = new.copy()
                    version = pd.to_numeric(new["version"], errors="coerce").astype("Int64")
                    new["version"] = version.where(~changed, version.fillna(0) + 1)
                    new.loc[changed, "updated_at"] = now_utc()
                    new.loc[changed, "updated_by"] = user
                    tx.replace(schema.PROJECTS.name, new)
    missing_names = units["name_en"].isna().sum()
    if missing_names:
        warnings.append(Phrase("err.boundaries.warn_no_english_name", count=int(missing_names)))
    return {
        "level": level,
        "level_name": LEVEL_NAMES[level],
        "file": name,
        "layer": units.attrs.get("source_layer"),
        "count": int(len(units)),
        "replaced": int(len(old_units)),
        "repaired": int(units.attrs.get("repaired", 0)),
        "source_crs": units.attrs.get("source_crs"),
        "reprojected": bool(units.attrs.get("reprojected", False)),
        "relinked_children": relinked,
        "settlements_updated": settlements_updated,
        "projects_updated": projects_updated,
        "source": str(units["source"].iloc[0]) if len(units) else "",
        "warnings": warnings,
    }
