"""Which oblast, rayon and aiyl okmot a feature lies in (point-in-polygon over ``admin_units``).

Everything is vectorised (shapely STRtree); coordinates are tested in EPSG:4326 and
distances for the "just outside" tolerance are measured in metres in a metric CRS
from :mod:`geo.crs`.
"""
from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from geo.crs import metric_crs_for
from geo.settings import STORAGE_CRS

#: Column of each admin level in settlements and projects.
LEVEL_COLUMNS: dict[int, str] = {1: "oblast_pcode", 2: "rayon_pcode", 3: "aiyl_okmot_pcode"}

#: Points at most this far outside every unit of a level (metres) still get the nearest unit
#: (boundary files are generalised; villages on a river border fall just outside).
SNAP_DISTANCE_M = 2000.0


def representative_points(geometry: gpd.GeoSeries) -> np.ndarray:
    """A point inside each geometry (the point itself for points); None where missing or empty."""
    values = np.asarray(geometry.values, dtype=object)
    out = np.full(len(values), None, dtype=object)
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    if present.any():
        geoms = values[present]
        is_point = shapely.get_type_id(geoms) == 0
        out[present] = np.where(is_point, geoms, shapely.point_on_surface(geoms))
    return out


def _locate(points: np.ndarray, units: gpd.GeoDataFrame, snap_m: float) -> np.ndarray:
    """The pcode of the unit containing each point (object array, None where none).

    Points inside several (overlapping) units get the lowest pcode, so the answer is
    stable. Points outside every unit get the nearest one within ``snap_m`` metres.
    """
    result = np.full(len(points), None, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(points))
    if len(units) == 0 or len(present) == 0:
        return result
    pcodes = units["pcode"].astype(object).to_numpy()
    polygons = np.asarray(units.geometry.values, dtype=object)
    tree = STRtree(polygons)
    pt_idx, unit_idx = tree.query(points[present], predicate="within")
    if len(pt_idx):
        hits = pd.DataFrame({"pt": present[pt_idx], "pcode": pcodes[unit_idx]})
        hits = hits.sort_values(["pt", "pcode"]).drop_duplicates("pt", keep="first")
        result[hits["pt"].to_numpy()] = hits["pcode"].to_numpy()
    missing = present[pd.isna(result[present])]
    if len(missing) and snap_m > 0:
        outside = gpd.GeoSeries(points[missing], crs=STORAGE_CRS)
        metric = metric_crs_for(gpd.GeoDataFrame(geometry=outside))
        outside_m = outside.to_crs(metric).values
        units_m = gpd.GeoSeries(polygons, crs=STORAGE_CRS).to_crs(metric).values
        (src, dst), _ = STRtree(units_m).query_nearest(
            outside_m, max_distance=snap_m, return_distance=True, all_matches=False
        )
        result[missing[src]] = pcodes[dst]
    return result


def _max_levels(max_level: int | Sequence | pd.Series | np.ndarray | None, n: int) -> np.ndarray:
    if max_level is None:
        return np.full(n, 3)
    if np.isscalar(max_level):
        return np.full(n, int(max_level))
    values = pd.to_numeric(pd.Series(list(max_level) if not isinstance(max_level, pd.Series) else max_level.to_numpy()),
                           errors="coerce")
    if len(values) != n:
        raise ValueError(f"max_level has {len(values)} values for {n} features")
    return values.fillna(3).astype(int).to_numpy()


def assign_admin_pcodes(points: gpd.GeoDataFrame, admin_units: gpd.GeoDataFrame, *,
                        max_level: int | Sequence | pd.Series | np.ndarray | None = None,
                        snap_m: float = SNAP_DISTANCE_M, consistent: bool = True) -> gpd.GeoDataFrame:
    """A copy of ``points`` with ``oblast_pcode``, ``rayon_pcode`` and ``aiyl_okmot_pcode`` set.

    Each feature is placed by a point inside it (the point itself, or
    ``point_on_surface`` for lines and polygons) in EPSG:4326 against the
    ``admin_units`` of levels 1, 2 and 3. A point outside every unit of a level but
    within ``snap_m`` metres (default 2 km, measured in a metric CRS from
    :func:`geo.crs.metric_crs_for`) of one gets the nearest. A level with no units
    loaded, a point far from every unit, and a feature without geometry give NA.

    ``max_level`` (a number, or one per row) stops at a coarser level: e.g. 2 for a
    project located only to its rayon, whose point is a placeholder, so that it is not
    given an aiyl okmot it may not be in; levels finer than it are set to NA.

    With ``consistent`` (default), a coarser pcode is taken from the finer unit's
    ``parent_pcode`` whenever that parent is a unit of the coarser level, so the three
    columns always name nested units; where it is not (e.g. shipped rayons with other
    codes than imported aiyl okmotus), the coarser level's own point-in-polygon answer
    is used.
    """
    out = points.copy()
    if out.crs is None:
        raise ValueError("points have no CRS")
    geometry = out.geometry
    if geometry.crs.to_string() != STORAGE_CRS:
        geometry = geometry.to_crs(STORAGE_CRS)
    pts = representative_points(geometry)
    units = admin_units
    if units.crs is not None and units.crs.to_string() != STORAGE_CRS:
        units = units.to_crs(STORAGE_CRS)
    levels = pd.to_numeric(units["level"], errors="coerce")
    keep = (levels.notna() & units["pcode"].notna() & units.geometry.notna() & ~units.geometry.is_empty).to_numpy(dtype=bool)
    usable, levels = units[keep], levels[keep]
    limit = _max_levels(max_level, len(out))

    found: dict[int, np.ndarray] = {}
    for level in (1, 2, 3):
        found[level] = _locate(pts, usable[levels == level], snap_m)

    if consistent and len(usable):
        parent_of = dict(zip(usable["pcode"].astype(str), usable["parent_pcode"].astype(object)))
        level_of = dict(zip(usable["pcode"].astype(str), levels.astype(int)))
        chosen: dict[int, np.ndarray] = {3: np.where(limit >= 3, found[3], None)}
        for level in (2, 1):
            finer = chosen[level + 1]
            parents = np.array([None] * len(finer), dtype=object)
            has = ~pd.isna(finer)
            if has.any():
                mapped = pd.Series(finer[has]).map(parent_of)
                ok = mapped.map(level_of).eq(level).to_numpy() & mapped.notna().to_numpy()
                parents[np.flatnonzero(has)[ok]] = mapped.to_numpy()[ok]
            value = np.where(pd.isna(parents), found[level], parents)
            chosen[level] = np.where(limit >= level, value, None)
    else:
        chosen = {level: np.where(limit >= level, found[level], None) for level in (1, 2, 3)}

    for level, column in LEVEL_COLUMNS.items():
        out[column] = pd.array(chosen[level], dtype="string")
    return out
