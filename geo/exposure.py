"""Exposure to hazard zones (InaSAFE-style): what sits in each hazard class, per admin unit.

All functions take and return (Geo)DataFrames and are vectorised (shapely STRtree
queries and array operations; no Python loop over features), except
:func:`raster_zonal_centre`, the per-polygon baseline kept for comparison.

Conventions
-----------
* ``zones`` is a ``hazard_zones`` frame (:mod:`geo.schema`); pass **one** hazard
  layer (filter by ``layer_name`` first). Zones without a class are ignored.
* Where zones overlap, a place takes the **worst** class (High > Medium > Low >
  Very low). A point on a zone's edge counts as inside it.
* Inputs may be in any CRS; predicates are evaluated in the zones' CRS, areas in
  :data:`geo.crs.KYRGYZSTAN_EQUAL_AREA` (m²), lengths in a metric CRS chosen by
  :func:`geo.crs.metric_crs_for` (metres).
* Unknown stays unknown: a settlement without population adds to
  ``settlements_population_unknown``, never to ``people`` as 0. Funding is summed
  per currency; currencies are never added together.
* Tables label places that are in no zone ``"Outside zones"`` and projects without
  a geometry ``"No location"``.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import hazards
from geo.crs import KYRGYZSTAN_EQUAL_AREA, metric_crs_for
from geo.errors import InputError
from geo.hazards import (
    CLASS_COLOURS,
    CLASS_RANK,
    HAZARD_CLASSES,
    HAZARD_TYPES,
    RANK_CLASS,
    make_mapping,
    read_hazard_layer,
    zones_from_frame,
)
from geo.schema import PRECISION_CODES
from geo.settings import STORAGE_CRS

OUTSIDE = "Outside zones"
NO_LOCATION = "No location"
#: Order of rows in every table by class.
ROW_ORDER: tuple[str, ...] = (*HAZARD_CLASSES, OUTSIDE, NO_LOCATION)
_SHARE_COLUMNS = {cls: "share_" + cls.lower().replace(" ", "_") for cls in HAZARD_CLASSES}


# --------------------------------------------------------------------------- helpers
def _geometry_array(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any = None) -> np.ndarray:
    """Geometries as an object array (None where missing or empty), in ``crs`` if given."""
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if crs is not None and series.crs is not None and len(series) and not series.crs.equals(crs):
        series = series.to_crs(crs)
    values = np.asarray(series.values, dtype=object)
    values = np.where(pd.isna(values), None, values)
    empty = shapely.is_empty(values)
    values[empty] = None
    invalid = ~shapely.is_valid(values) & ~shapely.is_missing(values)
    if invalid.any():
        values[invalid] = shapely.make_valid(values[invalid])
    return values


def _classified_zones(zones: gpd.GeoDataFrame, crs: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Valid zone geometries that have a class, and their ranks (int8)."""
    if zones.crs is None:
        raise InputError(key="err.hazard.zones_no_crs")
    ranks = zones["hazard_class"].map(lambda c: CLASS_RANK.get(c, 0) if isinstance(c, str) else 0)
    ranks = ranks.to_numpy(dtype=np.int8)
    geoms = _geometry_array(zones, crs)
    keep = (ranks > 0) & ~shapely.is_missing(geoms)
    return geoms[keep], ranks[keep]


def worst_rank(geometries: gpd.GeoSeries | gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> np.ndarray:
    """Worst class rank (4 High … 1 Very low, 0 in no zone, -1 no geometry) per geometry.

    The tree indexes the geometries and each zone queries it once, so every
    (possibly very detailed) zone polygon is prepared once rather than tested
    unprepared per point. Points: a bounding-box query, then
    :func:`shapely.intersects_xy` of the prepared zone against the candidates'
    coordinates (no predicate call per point geometry); lines and areas: an
    ``intersects`` query. A point on a zone's edge counts as inside. The maximum
    rank per geometry is taken with :func:`numpy.maximum.at`.
    """
    geoms = _geometry_array(geometries, zones.crs)
    zone_geoms, zone_ranks = _classified_zones(zones)
    out = np.zeros(len(geoms), dtype=np.int8)
    missing = shapely.is_missing(geoms)
    if len(zone_geoms) and len(geoms):
        shapely.prepare(zone_geoms)
        is_point = (shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)
        points = np.flatnonzero(is_point)
        if len(points):
            point_geoms = geoms[points]
            px, py = shapely.get_x(point_geoms), shapely.get_y(point_geoms)
            hit_zone, hit = shapely.STRtree(point_geoms).query(zone_geoms)
            inside = shapely.intersects_xy(zone_geoms[hit_zone], px[hit], py[hit])
            np.maximum.at(out, points[hit[inside]], zone_ranks[hit_zone[inside]])
        others = np.flatnonzero(~is_point & ~missing)
        if len(others):
            tree = shapely.STRtree(geoms[others])
            hit_zone, hit = tree.query(zone_geoms, predicate="intersects")
            np.maximum.at(out, others[hit], zone_ranks[hit_zone])
    out[missing] = -1
    return out


def _labels(ranks: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """(hazard_class, exposure row label) for ranks from :func:`worst_rank`."""
    # index 0 → rank -1 (no geometry), 1 → rank 0 (outside), 2.. → ranks 1..4
    classes = np.array([None, None] + [RANK_CLASS[r] for r in (1, 2, 3, 4)], dtype=object)
    labels = np.array([NO_LOCATION, OUTSIDE] + [RANK_CLASS[r] for r in (1, 2, 3, 4)], dtype=object)
    index = ranks.astype(np.int64) + 1
    return (pd.Series(pd.array(classes[index], dtype="string")),
            pd.Series(pd.array(labels[index], dtype="string")))


def _order(frame: pd.DataFrame, column: str = "hazard_class", extra: Iterable[str] = ()) -> pd.DataFrame:
    key = frame[column].map({name: i for i, name in enumerate(ROW_ORDER)}).fillna(len(ROW_ORDER))
    return (frame.assign(_order=key).sort_values(["_order", *extra], kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def _all_rows(labels: Iterable[str] = ROW_ORDER) -> pd.DataFrame:
    return pd.DataFrame({"hazard_class": pd.Series(list(labels), dtype="string")})


# --------------------------------------------------------------------------- points / any geometry
def assign_worst_class(frame: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``frame`` with ``hazard_class`` (worst class touched, empty if none),
    ``hazard_rank`` (4 … 1, 0 none, -1 no geometry) and ``exposure`` (the class, or
    ``"Outside zones"`` / ``"No location"``)."""
    ranks = worst_rank(frame, zones)
    hazard_class, label = _labels(ranks)
    out = frame.copy()
    out["hazard_class"] = hazard_class.to_numpy()
    out["hazard_rank"] = pd.array(ranks, dtype="Int64")
    out["exposure"] = label.to_numpy()
    return out


def projects_in_zones(projects: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each project with the worst hazard class at its location (points, lines or areas).

    See :func:`assign_worst_class` for the added columns. Projects without a
    geometry get ``exposure`` "No location".
    """
    return assign_worst_class(projects, zones)


def project_counts(exposed: pd.DataFrame, by_sector: bool = True) -> pd.DataFrame:
    """Number of projects per class (and sector) from :func:`projects_in_zones`.

    Columns ``hazard_class`` (class, "Outside zones" or "No location"), ``sector``
    (when ``by_sector``; empty sector stays empty) and ``projects``. Every class
    appears, with 0 where no project is in it.
    """
    if not by_sector:
        counts = exposed.groupby("exposure", dropna=False).size().rename("projects")
        table = _all_rows().merge(counts, left_on="hazard_class", right_index=True, how="left")
        table["projects"] = table["projects"].fillna(0).astype("Int64")
        return table
    frame = pd.DataFrame({"hazard_class": exposed["exposure"].astype("string"),
                          "sector": exposed.get("sector", pd.Series(pd.NA, index=exposed.index)).astype("string")})
    table = frame.groupby(["hazard_class", "sector"], dropna=False).size().rename("projects").reset_index()
    table["projects"] = table["projects"].astype("Int64")
    return _order(table, extra=["sector"])


def funding_by_class(exposed: pd.DataFrame, funding: pd.DataFrame) -> pd.DataFrame:
    """Funding amounts per class and currency (currencies are never added together).

    ``funding`` needs ``project_id``, ``amount`` and ``currency``. Columns:
    ``hazard_class``, ``currency`` (empty when not stated), ``amount`` (sum of known
    amounts; empty when none is known), ``funding_rows``, ``amount_unknown_rows``,
    ``projects``.
    """
    columns = ["hazard_class", "currency", "amount", "funding_rows", "amount_unknown_rows", "projects"]
    if len(funding) == 0 or len(exposed) == 0:
        return pd.DataFrame(columns=columns)
    left = pd.DataFrame({"project_id": exposed["project_id"].astype("string"),
                         "hazard_class": exposed["exposure"].astype("string")})
    right = pd.DataFrame({
        "project_id": funding["project_id"].astype("string"),
        "currency": funding["currency"].astype("string"),
        "amount": pd.to_numeric(funding["amount"], errors="coerce").astype("Float64"),
    })
    joined = right.merge(left, on="project_id", how="inner")
    if len(joined) == 0:
        return pd.DataFrame(columns=columns)
    table = joined.groupby(["hazard_class", "currency"], dropna=False).agg(
        amount=("amount", lambda s: s.sum(min_count=1)),
        funding_rows=("project_id", "size"),
        amount_unknown_rows=("amount", lambda s: int(s.isna().sum())),
        projects=("project_id", "nunique"),
    ).reset_index()
    table["amount"] = table["amount"].astype("Float64")
    for col in ("funding_rows", "amount_unknown_rows", "projects"):
        table[col] = table[col].astype("Int64")
    return _order(table[columns], extra=["currency"])


def settlements_in_zones(settlements: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each settlement with the worst class at its point (see :func:`assign_worst_class`)."""
    return assign_worst_class(settlements, zones)


def settlements_by_class(exposed: pd.DataFrame) -> pd.DataFrame:
    """Settlements and people per class from :func:`settlements_in_zones`.

    ``people`` sums the known settlement populations; settlements whose population
    is not known are counted in ``settlements_population_unknown``. ``people`` is
    empty (unknown) for a class whose settlements all lack a population, and 0 for
    a class with no settlement.
    """
    population = pd.to_numeric(exposed.get("population", pd.Series(pd.NA, index=exposed.index)),
                               errors="coerce").astype("Float64")
    frame = pd.DataFrame({"hazard_class": exposed["exposure"].astype("string"), "population": population})
    grouped = frame.groupby("hazard_class").agg(
        settlements=("population", "size"),
        people=("population", lambda s: s.sum(min_count=1)),
        settlements_population_unknown=("population", lambda s: int(s.isna().sum())),
    )
    table = _all_rows().merge(grouped, left_on="hazard_class", right_index=True, how="left")
    table["settlements"] = table["settlements"].fillna(0).astype("Int64")
    table["settlements_population_unknown"] = table["settlements_population_unknown"].fillna(0).astype("Int64")
    people = table["people"].astype("Float64")
    table["people"] = people.mask(table["settlements"] == 0, 0.0)
    return table


def settlements_exposure(settlements: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Settlements and people per hazard class (see :func:`settlements_by_class`)."""
    return settlements_by_class(settlements_in_zones(settlements, zones))


# --------------------------------------------------------------------------- areas
def flatten_zones(zones: gpd.GeoDataFrame, crs: Any = None) -> gpd.GeoDataFrame:
    """One geometry per class present, each without the area of worse classes.

    Overlapping zones are resolved to the worst class, so the class geometries do
    not overlap and areas and lengths per class add up. Computed in ``crs`` (default
    the zones' CRS); columns ``hazard_class``, ``hazard_rank``, ``geometry``.
    """
    target = crs if crs is not None else zones.crs
    geoms, ranks = _classified_zones(zones, target)
    rows, worse = [], None
    for rank in sorted(set(ranks.tolist()), reverse=True):
        union = shapely.union_all(geoms[ranks == rank])
        own = union if worse is None else shapely.difference(union, worse)
        worse = union if worse is None else shapely.union(worse, union)
        if not own.is_empty:
            rows.append({"hazard_class": RANK_CLASS[rank], "hazard_rank": rank, "geometry": own})
    return gpd.GeoDataFrame(rows, columns=["hazard_class", "hazard_rank", "geometry"], geometry="geometry",
                            crs=target)


def unit_class_areas(admin_units: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, key: str = "pcode") -> pd.DataFrame:
    """Area of each unit in each class, in the Kyrgyzstan equal-area CRS.

    Long table: ``key``, ``hazard_class``, ``area_m2``, ``share`` (of the unit's
    area), with only the classes a unit touches.
    """
    units = _geometry_array(admin_units, KYRGYZSTAN_EQUAL_AREA)
    flat = flatten_zones(zones, KYRGYZSTAN_EQUAL_AREA)
    unit_area = shapely.area(units)
    if len(flat) == 0:
        return pd.DataFrame(columns=[key, "hazard_class", "area_m2", "share"])
    flat_geoms = np.asarray(flat.geometry.values, dtype=object)
    tree = shapely.STRtree(flat_geoms)
    ui, zi = tree.query(units, predicate="intersects")
    area = shapely.area(shapely.intersection(units[ui], flat_geoms[zi]))
    keys = admin_units[key].to_numpy()
    table = pd.DataFrame({
        key: keys[ui], "hazard_class": flat["hazard_class"].to_numpy()[zi], "area_m2": area,
        "share": np.divide(area, unit_area[ui], out=np.zeros_like(area), where=unit_area[ui] > 0),
    })
    return table[table["area_m2"] > 0].reset_index(drop=True)


def unit_hazard_level(admin_units: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, key: str = "pcode",
                      min_share: float = 0.0) -> pd.DataFrame:
    """Each unit's hazard level and the share of its area in each class.

    The level is the worst class covering more than ``min_share`` of the unit
    (ThinkHazard!'s rule with ``min_share=0``: any area counts; raise it to ignore
    slivers where boundaries of different sources disagree). Units in no zone have
    an empty level. Areas in the Kyrgyzstan equal-area CRS. Columns: ``key``,
    ``level``, ``name_en`` (when present), ``unit_population`` (the unit's
    population where known), ``area_km2``, ``hazard_level``, ``share_high``,
    ``share_medium``, ``share_low``, ``share_very_low``, ``share_outside`` (the
    shares add up to 1).
    """
    units = _geometry_array(admin_units, KYRGYZSTAN_EQUAL_AREA)
    out = pd.DataFrame({key: admin_units[key].to_numpy()})
    for col in ("level", "name_en"):
        if col in admin_units.columns:
            out[col] = admin_units[col].to_numpy()
    if "population" in admin_units.columns:
        out["unit_population"] = pd.to_numeric(admin_units["population"], errors="coerce").astype("Float64").to_numpy()
    out["area_km2"] = shapely.area(units) / 1e6
    long = unit_class_areas(admin_units, zones, key)
    shares = long.pivot_table(index=key, columns="hazard_class", values="share", aggfunc="sum")
    for cls, col in _SHARE_COLUMNS.items():
        out[col] = out[key].map(shares[cls]).fillna(0.0).to_numpy() if cls in shares.columns else 0.0
    share_cols = list(_SHARE_COLUMNS.values())
    outside = np.clip(1.0 - out[share_cols].sum(axis=1), 0.0, 1.0)
    out["share_outside"] = outside.where(outside > 1e-9, 0.0)  # rounding noise of the overlay
    level = pd.Series(pd.NA, index=out.index, dtype="string")
    for cls in reversed(HAZARD_CLASSES):  # least severe first; worse overwrite
        level = level.mask(out[_SHARE_COLUMNS[cls]] > min_share, cls)
    out.insert(out.columns.get_loc("area_km2") + 1, "hazard_level", level)
    return out


# --------------------------------------------------------------------------- lines
def line_length_by_class(lines: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, key: str | None = None,
                         crs: Any = None) -> pd.DataFrame:
    """Metres of each line in each class (and outside all zones), in a metric CRS.

    ``crs`` defaults to :func:`geo.crs.metric_crs_for` the lines (a UTM zone for a
    local set, the Kyrgyzstan equal-area projection for a country-wide one). Long
    table with one row per line and class (``key``, ``hazard_class``, ``length_m``),
    all four classes and "Outside zones" included (0 where the line does not enter
    a class). Lines without geometry are left out.
    """
    key = key or next((c for c in ("canal_id", "project_id", "line_id") if c in lines.columns), None)
    ids = lines[key].to_numpy() if key else np.arange(len(lines))
    key = key or "line"
    if len(lines) == 0:
        return pd.DataFrame(columns=[key, "hazard_class", "length_m"])
    metric = crs or metric_crs_for(lines)
    geoms = _geometry_array(lines, metric)
    present = ~shapely.is_missing(geoms)
    geoms, ids = geoms[present], ids[present]
    total = shapely.length(geoms)
    flat = flatten_zones(zones.to_crs(metric))
    lengths = np.zeros((len(geoms), len(HAZARD_CLASSES)))
    if len(flat):
        flat_geoms = np.asarray(flat.geometry.values, dtype=object)
        col = np.array([HAZARD_CLASSES.index(c) for c in flat["hazard_class"]])
        li, zi = shapely.STRtree(flat_geoms).query(geoms, predicate="intersects")
        np.add.at(lengths, (li, col[zi]), shapely.length(shapely.intersection(geoms[li], flat_geoms[zi])))
    outside = np.clip(total - lengths.sum(axis=1), 0.0, None)
    matrix = np.column_stack([lengths, outside])
    labels = [*HAZARD_CLASSES, OUTSIDE]
    return pd.DataFrame({
        key: np.repeat(ids, len(labels)),
        "hazard_class": pd.Series(np.tile(labels, len(ids)), dtype="string"),
        "length_m": matrix.ravel(),
    })


# --------------------------------------------------------------------------- rasters
def _raster_polygons(polygons: gpd.GeoDataFrame, raster_crs: Any, key: str | None) -> tuple[gpd.GeoDataFrame, str]:
    if polygons.crs is None:
        raise InputError(key="err.hazard.polygons_no_crs")
    key = key or "_row"
    frame = gpd.GeoDataFrame(
        {key: polygons[key].to_numpy() if key in polygons.columns else np.arange(len(polygons))},
        geometry=polygons.geometry.values, crs=polygons.crs,
    ).to_crs(raster_crs.to_wkt())
    frame["geometry"] = _geometry_array(frame)
    return frame, key


def raster_zonal(raster_path: str | Path, polygons: gpd.GeoDataFrame,
                 stats: Iterable[str] = ("mean", "max", "coverage"), *, weights_path: str | Path | None = None,
                 key: str | None = None, band: int = 1) -> pd.DataFrame:
    """Zonal statistics with exact partial-cell coverage (exactextract).

    Each cell counts by the fraction of it the polygon covers. The polygons are
    reprojected to the raster's CRS. Statistics:

    * ``mean`` — coverage-weighted mean of valid cells; ``max``/``min``/``sum`` and any
      other exactextract operation name (``median``, ``majority``, ``frac``, …) are
      passed through;
    * ``cells`` — covered valid cells (sum of coverage fractions);
    * ``coverage`` — share of the polygon's area covered by valid (non-nodata) cells.

    With ``weights_path`` (e.g. a population grid aligned to the raster) two more
    columns: ``weighted_mean`` (weighted by coverage × weight) and ``weight_sum``
    (the weight, e.g. people, inside the polygon). For a raster in EPSG:4326 the
    coverage is measured in degree space, so cells in the north of a rayon weigh
    about as much as those in the south (< 2 % apart within a rayon).
    """
    import rasterio
    from exactextract import exact_extract

    from exactextract.raster import RasterioRasterSource

    stats = list(stats)
    with rasterio.open(raster_path) as src:
        raster_crs, transform = src.crs, src.transform
        if not 1 <= band <= src.count:
            raise InputError(key="err.hazard.no_band", name=Path(raster_path).name, band=int(band), count=int(src.count))
    if raster_crs is None:
        raise InputError(key="err.hazard.raster_no_crs", name=Path(raster_path).name)
    frame, key = _raster_polygons(polygons, raster_crs, key)
    ops = []
    for stat in stats:
        op = {"coverage": "count", "cells": "count"}.get(stat, stat)
        if op not in ops:
            ops.append(op)
    out = pd.DataFrame({key: frame[key].to_numpy()})
    usable = ~shapely.is_missing(frame.geometry.values)
    result = pd.DataFrame(index=range(len(frame)))
    if usable.any():
        part = frame[usable].reset_index(drop=True)
        with rasterio.open(raster_path) as src:
            values = exact_extract(RasterioRasterSource(src, band), part, ops, output="pandas")
            if weights_path is not None:
                with rasterio.open(weights_path) as wsrc:
                    weighted = exact_extract(RasterioRasterSource(src, band), part, ["weighted_mean"],
                                             weights=RasterioRasterSource(wsrc, 1), output="pandas")
                    totals = exact_extract(RasterioRasterSource(wsrc, 1), part, ["sum"], output="pandas")
        values.index = np.flatnonzero(usable)
        result = values.reindex(range(len(frame)))
        if weights_path is not None:
            weighted.index = totals.index = np.flatnonzero(usable)
            result["weighted_mean"] = weighted["weighted_mean"].reindex(range(len(frame)))
            result["weight_sum"] = totals["sum"].reindex(range(len(frame)))
    cell_area = abs(transform.a * transform.e)
    for stat in stats:
        if stat == "coverage":
            area_cells = shapely.area(frame.geometry.values) / cell_area
            counted = result["count"].to_numpy(dtype=float) if "count" in result else np.full(len(frame), np.nan)
            out["coverage"] = np.divide(counted, area_cells, out=np.full(len(frame), np.nan), where=area_cells > 0)
        elif stat == "cells":
            out["cells"] = result["count"].to_numpy() if "count" in result else np.nan
        else:
            out[stat] = result[stat].to_numpy() if stat in result else np.nan
    if weights_path is not None:
        for col in ("weighted_mean", "weight_sum"):
            out[col] = result[col].to_numpy() if col in result else np.nan
    return out


def raster_zonal_centre(raster_path: str | Path, polygons: gpd.GeoDataFrame,
                        stats: Iterable[str] = ("mean", "max", "cells"), *, key: str | None = None,
                        band: int = 1) -> pd.DataFrame:
    """Zonal statistics the rasterstats way, for comparison: a cell counts wholly if
    its centre is inside the polygon (:func:`rasterio.features.geometry_mask`,
    ``all_touched=False``), not at all otherwise. Reads one window per polygon (a
    Python loop over polygons, as rasterstats does). Statistics ``mean``, ``max``,
    ``min``, ``sum``, ``cells`` (number of cells counted)."""
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.windows import Window

    stats = list(stats)
    rows = []
    with rasterio.open(raster_path) as src:
        frame, key = _raster_polygons(polygons, src.crs, key)
        t = src.transform
        for ident, geom in zip(frame[key].to_numpy(), frame.geometry.values):
            row = {key: ident}
            values = np.array([], dtype=float)
            if geom is not None:
                minx, miny, maxx, maxy = geom.bounds
                c0 = max(int(np.floor((minx - t.c) / t.a)), 0)
                c1 = min(int(np.ceil((maxx - t.c) / t.a)), src.width)
                r0 = max(int(np.floor((maxy - t.f) / t.e)), 0)
                r1 = min(int(np.ceil((miny - t.f) / t.e)), src.height)
                if c1 > c0 and r1 > r0:
                    window = Window(c0, r0, c1 - c0, r1 - r0)
                    data = src.read(band, window=window, masked=True)
                    inside = geometry_mask([geom], out_shape=data.shape, transform=src.window_transform(window),
                                           all_touched=False, invert=True)
                    values = data.data[inside & ~np.ma.getmaskarray(data)].astype(float)
            for stat in stats:
                if stat == "cells":
                    row["cells"] = int(values.size)
                elif values.size == 0:
                    row[stat] = np.nan
                else:
                    row[stat] = float({"mean": np.mean, "max": np.max, "min": np.min, "sum": np.sum}[stat](values))
            rows.append(row)
    return pd.DataFrame(rows, columns=[key, *stats])


# --------------------------------------------------------------------------- report
_LAYERS = ("projects", "settlements", "admin_units", "funding", "canals")


def _frames(data: Any) -> dict[str, pd.DataFrame]:
    """The layers a report needs, from a store or a dict of frames (missing → empty)."""
    from geo.store.base import conform, layer_spec

    frames: dict[str, pd.DataFrame] = {}
    for name in _LAYERS:
        if isinstance(data, Mapping):
            frame = data.get(name)
            frame = conform(frame if frame is not None else pd.DataFrame(), name)
        else:
            frame = data.read(name)
        if layer_spec(name).geometry is not None and not isinstance(frame, gpd.GeoDataFrame):
            frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)
        frames[name] = frame
    return frames


def _guess_hazard_type(path: Path) -> str:
    name = path.stem.lower()
    aliases = {"sel": "mudflow", "debris": "mudflow", "seism": "earthquake", "pga": "earthquake",
               "glof": "glacial_lake_outburst", "snow": "avalanche"}
    for kind in HAZARD_TYPES:
        if kind.split("_")[0] in name:
            return kind
    for alias, kind in aliases.items():
        if re.search(rf"(^|[^a-z]){alias}", name):
            return kind
    return "unspecified"


def load_hazard(hazard: Any, *, data: Any = None, mapping: Any = None, layer_name: str | None = None,
                **import_kwargs) -> gpd.GeoDataFrame:
    """A hazard layer as a hazard_zones frame (EPSG:4326), from

    * a path to a vector or raster file (imported with :func:`geo.hazards.read_hazard_layer`;
      ``hazard_type`` defaults to a guess from the file name, else "unspecified"),
    * a GeoDataFrame (already hazard_zones when it has ``hazard_class`` and no
      mapping is given; else converted with :func:`geo.hazards.zones_from_frame`),
    * the ``layer_name`` of a layer in the store's ``hazard_zones``.
    """
    from geo.store.base import conform

    import_kwargs = {k: v for k, v in import_kwargs.items() if v is not None}
    if isinstance(hazard, gpd.GeoDataFrame):
        if "hazard_class" in hazard.columns and mapping is None:
            zones = conform(hazard, "hazard_zones")
        else:
            import_kwargs.setdefault("hazard_type", "unspecified")
            zones = zones_from_frame(hazard, mapping=mapping, layer_name=layer_name, **import_kwargs)
    elif isinstance(hazard, (str, Path)) and Path(hazard).exists():
        path = Path(hazard)
        import_kwargs.setdefault("hazard_type", _guess_hazard_type(path))
        zones = read_hazard_layer(path, mapping=mapping, layer_name=layer_name, **import_kwargs)
    elif isinstance(hazard, str) and data is not None:
        stored = data.get("hazard_zones") if isinstance(data, Mapping) else data.read("hazard_zones")
        stored = stored if stored is not None else pd.DataFrame(columns=["layer_name"])
        zones = stored[stored["layer_name"] == hazard] if len(stored) else stored
        if len(zones) == 0:
            raise InputError(key="err.hazard.not_file_or_layer", name=str(hazard))
        zones = conform(zones, "hazard_zones")
    else:
        raise InputError(key="err.hazard.not_found", name=str(hazard))
    if layer_name is not None and isinstance(hazard, gpd.GeoDataFrame) and "hazard_class" in hazard.columns:
        zones = zones[zones["layer_name"] == layer_name].reset_index(drop=True)
    layers = zones["layer_name"].dropna().unique()
    if len(layers) > 1:
        raise InputError(key="err.hazard.several_layers", names=", ".join(map(str, layers)))
    return zones


def _unit_membership(geoms: np.ndarray, units: gpd.GeoDataFrame, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(feature index, unit key) pairs for features intersecting units."""
    unit_geoms = _geometry_array(units, STORAGE_CRS)
    if len(geoms) == 0 or len(unit_geoms) == 0:
        return np.array([], dtype=int), units[key].to_numpy()[:0]
    ui, fi = shapely.STRtree(geoms).query(unit_geoms, predicate="intersects")
    return fi, units[key].to_numpy()[ui]


def _location_note(precision: pd.Series) -> pd.Series:
    codes = pd.to_numeric(precision, errors="coerce")
    note = codes.map(lambda c: f"approximate: {PRECISION_CODES[int(c)]}" if pd.notna(c) and int(c) >= 2
                     and int(c) in PRECISION_CODES else pd.NA)
    return pd.Series(note.to_numpy(dtype=object), dtype="string", index=precision.index)


def exposure_report(data: Any, hazard: Any, *, mapping: Any = None, unit_levels: Iterable[int] | None = None,
                    min_share: float = 0.0, layer_name: str | None = None,
                    at_risk_classes: Iterable[str] = ("High", "Medium", "Low"),
                    **import_kwargs) -> dict[str, pd.DataFrame]:
    """Exposure of projects, settlements, people, funding, lines and units to one hazard layer.

    ``data`` is a store (anything with ``read(name)``) or a dict of frames
    (``projects``, ``settlements``, ``admin_units``, ``funding``, ``canals``; missing
    ones count as empty). ``hazard`` is what :func:`load_hazard` accepts. Returns
    tidy tables, each a DataFrame ready for JSON or CSV:

    * ``layer`` — the hazard layer's name, type, provenance, indicative flag, zones;
    * ``legend`` — class, colour and the rule that maps values to it;
    * ``by_class`` — projects, settlements, people, settlements with unknown
      population, line length (m) per class;
    * ``projects_by_sector`` — projects per class and sector;
    * ``funding_by_class`` — amounts per class and currency;
    * ``by_unit`` — per admin unit: hazard level (worst class), area shares;
    * ``by_unit_class`` — per unit and class: area share, projects, settlements, people;
    * ``projects_at_risk`` — projects in ``at_risk_classes`` (default High, Medium,
      Low), worst first, with a note where the location is approximate;
    * ``lines_by_class`` — metres of each canal and line project in each class.
    """
    frames = _frames(data)
    zones = load_hazard(hazard, data=data, mapping=mapping, layer_name=layer_name, **import_kwargs)
    projects = projects_in_zones(frames["projects"], zones)
    settlements = settlements_in_zones(frames["settlements"], zones)
    units = frames["admin_units"]
    if unit_levels is not None:
        units = units[units["level"].isin(list(unit_levels))]
    units = units[~shapely.is_missing(_geometry_array(units))].reset_index(drop=True)

    # lines: canals and line projects
    line_tables = []
    canals = frames["canals"]
    if len(canals):
        table = line_length_by_class(canals, zones, key="canal_id", crs=KYRGYZSTAN_EQUAL_AREA)
        line_tables.append(table.rename(columns={"canal_id": "line_id"}).assign(layer="canals"))
    geom_types = shapely.get_type_id(_geometry_array(frames["projects"]))
    is_line = np.isin(geom_types, [shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING])
    if is_line.any():
        table = line_length_by_class(frames["projects"][is_line], zones, key="project_id", crs=KYRGYZSTAN_EQUAL_AREA)
        line_tables.append(table.rename(columns={"project_id": "line_id"}).assign(layer="projects"))
    lines = (pd.concat(line_tables, ignore_index=True)[["layer", "line_id", "hazard_class", "length_m"]]
             if line_tables else pd.DataFrame(columns=["layer", "line_id", "hazard_class", "length_m"]))

    # by class
    by_class = project_counts(projects, by_sector=False)
    by_class = by_class.merge(settlements_by_class(settlements), on="hazard_class", how="left")
    if len(lines):
        length = lines.groupby("hazard_class")["length_m"].sum()
        by_class["line_length_m"] = by_class["hazard_class"].map(length).astype("Float64")
    else:
        by_class["line_length_m"] = pd.array([0.0] * (len(by_class) - 1) + [pd.NA], dtype="Float64")
    for col in ("settlements", "settlements_population_unknown"):
        by_class[col] = by_class[col].astype("Int64")

    # by unit
    by_unit = unit_hazard_level(units, zones, key="pcode", min_share=min_share) if len(units) else pd.DataFrame()
    by_unit_class = _by_unit_class(units, zones, projects, settlements)

    # projects at risk
    wanted = {CLASS_RANK[c] for c in (hazards.normalise_class(x) for x in at_risk_classes) if c}
    at_risk = projects[projects["hazard_rank"].isin(wanted)].copy()
    at_risk = at_risk.sort_values(["hazard_rank", "project_id"], ascending=[False, True])
    points = shapely.point_on_surface(_geometry_array(at_risk))
    cols = [c for c in ("project_id", "title", "sector", "status", "hazard_class", "oblast_name", "rayon_name",
                        "aiyl_okmot_name", "village", "location_precision") if c in at_risk.columns]
    projects_at_risk = pd.DataFrame(at_risk[cols]).reset_index(drop=True)
    projects_at_risk["location_note"] = _location_note(projects_at_risk["location_precision"]).to_numpy() \
        if "location_precision" in projects_at_risk else pd.NA
    projects_at_risk["lon"] = shapely.get_x(points) if len(points) else []
    projects_at_risk["lat"] = shapely.get_y(points) if len(points) else []

    layer = _layer_table(zones)
    legend = _legend(zones, mapping)
    return {
        "layer": layer,
        "legend": legend,
        "by_class": by_class,
        "projects_by_sector": project_counts(projects),
        "funding_by_class": funding_by_class(projects, frames["funding"]),
        "by_unit": by_unit,
        "by_unit_class": by_unit_class,
        "projects_at_risk": projects_at_risk,
        "lines_by_class": lines,
    }


def _by_unit_class(units: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, projects: gpd.GeoDataFrame,
                   settlements: gpd.GeoDataFrame) -> pd.DataFrame:
    columns = ["pcode", "hazard_class", "area_share", "projects", "settlements", "people",
               "settlements_population_unknown"]
    if len(units) == 0:
        return pd.DataFrame(columns=columns)
    grid = pd.MultiIndex.from_product([units["pcode"].astype(str), [*HAZARD_CLASSES, OUTSIDE]],
                                      names=["pcode", "hazard_class"])
    table = pd.DataFrame(index=grid)
    areas = unit_class_areas(units, zones, "pcode")
    if len(areas):
        share = areas.assign(pcode=areas["pcode"].astype(str)).groupby(["pcode", "hazard_class"])["share"].sum()
        table["area_share"] = share.reindex(grid).fillna(0.0).to_numpy()
    else:
        table["area_share"] = 0.0
    inside = table["area_share"].groupby(level="pcode").transform("sum")
    is_out = table.index.get_level_values("hazard_class") == OUTSIDE
    outside = np.clip(1.0 - inside[is_out].to_numpy(), 0.0, 1.0)
    table.loc[is_out, "area_share"] = np.where(outside > 1e-9, outside, 0.0)

    fi, unit_key = _unit_membership(_geometry_array(projects), units, "pcode")
    p = pd.DataFrame({"pcode": unit_key.astype(str), "hazard_class": projects["exposure"].to_numpy()[fi]})
    table["projects"] = p.groupby(["pcode", "hazard_class"]).size().reindex(grid).fillna(0).astype("Int64").to_numpy()

    fi, unit_key = _unit_membership(_geometry_array(settlements), units, "pcode")
    population = pd.to_numeric(settlements.get("population", pd.Series(pd.NA, index=settlements.index)),
                               errors="coerce").astype("Float64").to_numpy()[fi] if len(fi) else []
    s = pd.DataFrame({"pcode": unit_key.astype(str), "hazard_class": settlements["exposure"].to_numpy()[fi],
                      "population": pd.array(population, dtype="Float64")})
    grouped = s.groupby(["pcode", "hazard_class"]).agg(
        settlements=("population", "size"),
        people=("population", lambda v: v.sum(min_count=1)),
        settlements_population_unknown=("population", lambda v: int(v.isna().sum())),
    ).reindex(grid)
    table["settlements"] = grouped["settlements"].fillna(0).astype("Int64").to_numpy()
    people = grouped["people"].astype("Float64")
    table["people"] = people.mask(grouped["settlements"].fillna(0) == 0, 0.0).to_numpy()
    table["settlements_population_unknown"] = grouped["settlements_population_unknown"].fillna(0).astype("Int64").to_numpy()
    return table.reset_index()[columns]


def _layer_table(zones: gpd.GeoDataFrame) -> pd.DataFrame:
    if len(zones) == 0:
        return pd.DataFrame(columns=["layer_name", "hazard_type", "source", "source_date", "licence",
                                     "indicative", "zones"])
    first = zones.iloc[0]
    indicative = bool(zones["indicative"].fillna(False).astype(bool).any())
    row = {
        "layer_name": first["layer_name"], "hazard_type": first["hazard_type"], "source": first["source"],
        "source_date": first["source_date"], "licence": first["licence"], "indicative": indicative,
        "zones": len(zones), "zones_without_class": int(zones["hazard_class"].isna().sum()),
    }
    if indicative:
        from geo.indicative_hazard import INDICATIVE_NOTE
        row["note"] = INDICATIVE_NOTE
    return pd.DataFrame([row])


def _legend(zones: gpd.GeoDataFrame, mapping: Any) -> pd.DataFrame:
    """The rule per class: the mapping given now, else the one stored with the layer
    (``class_rule``), else "as given in the layer" for the classes present."""
    if mapping is not None:
        return make_mapping(mapping).legend()
    stored = zones["class_rule"].dropna() if "class_rule" in zones.columns else pd.Series(dtype="string")
    rule = hazards.rule_mapping(stored.iloc[0]) if len(stored) else None
    if rule is not None and rule.kind != "classes":
        return rule.legend()
    present = [c for c in HAZARD_CLASSES if (zones["hazard_class"] == c).any()]
    return pd.DataFrame({"hazard_class": present, "rank": [CLASS_RANK[c] for c in present],
                         "colour": [CLASS_COLOURS[c] for c in present], "rule": ["as given in the layer"] * len(present)})


# --------------------------------------------------------------------------- output
def report_to_json(report: dict[str, pd.DataFrame]) -> str:
    """The report as one JSON object: ``{"layer": {...}, "tables": {name: [rows]}}`` (unknown → null)."""
    tables = {name: json.loads(frame.to_json(orient="records", force_ascii=False, double_precision=10))
              for name, frame in report.items() if name != "layer"}
    layer = json.loads(report["layer"].to_json(orient="records", force_ascii=False))
    return json.dumps({"layer": layer[0] if layer else {}, "tables": tables}, ensure_ascii=False, indent=1)


def report_to_csv(report: dict[str, pd.DataFrame], table: str | None = None) -> str:
    """CSV text: one named table as it is, or (default) every summary figure in one
    long table with columns ``table``, ``pcode``, ``layer``, ``line_id``,
    ``hazard_class``, ``sector``, ``currency``, ``measure``, ``value``."""
    if table is not None:
        if table not in report:
            raise InputError(key="err.hazard.no_table", name=str(table), tables=", ".join(report))
        return report[table].to_csv(index=False)
    id_columns = ["pcode", "layer", "line_id", "hazard_class", "sector", "currency"]
    parts = []
    for name in ("by_class", "projects_by_sector", "funding_by_class", "by_unit_class", "lines_by_class"):
        frame = report.get(name)
        if frame is None or len(frame) == 0:
            continue
        ids = [c for c in id_columns if c in frame.columns]
        measures = [c for c in frame.columns if c not in ids]
        long = frame.melt(id_vars=ids, value_vars=measures, var_name="measure", value_name="value")
        parts.append(long.assign(table=name))
    if report.get("by_unit") is not None and len(report["by_unit"]):
        unit = report["by_unit"]
        measures = [c for c in unit.columns if c.startswith("share_") or c in ("area_km2", "hazard_level")]
        long = unit.melt(id_vars=["pcode"], value_vars=measures, var_name="measure", value_name="value")
        parts.append(long.assign(table="by_unit"))
    if not parts:
        return ",".join(["table", *id_columns, "measure", "value"]) + "\n"
    out = pd.concat(parts, ignore_index=True)
    for col in id_columns:
        if col not in out.columns:
            out[col] = pd.NA
    return out[["table", *id_columns, "measure", "value"]].to_csv(index=False)


def run_exposure_command(hazard_path: str | Path, store: Any = None, out_format: str = "json", mapping: Any = None,
                         *, hazard_type: str | None = None, value_column: str | None = None,
                         source: str | None = None, source_date: str | None = None, licence: str | None = None,
                         table: str | None = None, unit_levels: Iterable[int] | None = None) -> str:
    """What ``python -m geo exposure --hazard FILE [--format json|csv]`` prints.

    ``store`` is a store, a GeoPackage path, a dict of frames, or None for the
    configured store. ``mapping`` is a mapping, JSON text or JSON file
    (:func:`geo.hazards.make_mapping`). ``table`` picks one table for CSV output.
    """
    if out_format not in ("json", "csv"):
        raise InputError(key="err.hazard.unknown_format", name=str(out_format))
    if store is None or isinstance(store, (str, Path)):
        from geo.store import open_store

        store = open_store(str(store) if store is not None else None)
    report = exposure_report(store, hazard_path, mapping=mapping, unit_levels=unit_levels, hazard_type=hazard_type,
                             value_column=value_column, source=source, source_date=source_date, licence=licence)
    return report_to_json(report) if out_format == "json" else report_to_csv(report, table)
