"""Coverage gaps: settlements far from any water-supply, school or health project.

Distances are measured in metres in a metric CRS chosen by
:func:`geo.crs.metric_crs_for` for the settlements and projects together (a UTM
zone when they fit in one, else the Kyrgyzstan equal-area projection, error well
under 1 % inside the country); never in degrees. Inputs may be in any CRS (the
store keeps EPSG:4326); the result is returned in the settlements' CRS.

Project positions carry a location precision code (``location_precision``,
AidData method, see :data:`geo.schema.PRECISION_CODES`): 1 exact, 2 near a
settlement, 3 aiyl okmot, 4 rayon, 5 oblast, 6 national. A project placed only
at its rayon or oblast (≥ 4) says nothing about which village it serves, so by
default only codes ≤ ``max_precision`` (2) count as coverage. The others, and
projects with no code, are not ignored silently: a settlement flagged as a gap
also says whether an imprecisely placed project of that sector lies within the
distance (``<sector>_imprecise_within``), so a planner can check it by hand.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import STRtree

from geo.crs import metric_crs_for
from geo.errors import CRSUnresolvedError, Phrase, SchemaError

__all__ = ["COVERAGE_SECTORS", "coverage_gaps", "gaps_long"]

#: Sectors whose absence marks a gap by default.
COVERAGE_SECTORS = ("water_supply", "school", "health")


def _nearest(points: gpd.GeoSeries, targets: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Distance (metres in the frames' CRS) and positional index of the nearest target per point.

    Points with missing or empty geometry, or no targets at all, get NaN and -1.
    """
    n = len(points)
    dist = np.full(n, np.nan)
    idx = np.full(n, -1, dtype="int64")
    geoms = targets.geometry.to_numpy()
    valid_t = ~(pd.isna(geoms)) & ~targets.geometry.is_empty.to_numpy()
    if n == 0 or not valid_t.any():
        return dist, idx
    tree_pos = np.flatnonzero(valid_t)
    tree = STRtree(geoms[valid_t])
    pts = points.to_numpy()
    valid_p = ~(pd.isna(pts)) & ~points.is_empty.to_numpy()
    if not valid_p.any():
        return dist, idx
    (src, hit), d = tree.query_nearest(pts[valid_p], return_distance=True, all_matches=False)
    rows = np.flatnonzero(valid_p)[src]
    dist[rows] = d
    idx[rows] = tree_pos[hit]
    return dist, idx


def coverage_gaps(
    settlements: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    sectors: tuple[str, ...] | list[str] = COVERAGE_SECTORS,
    max_distance_m: float = 5000,
    max_precision: int = 2,
) -> gpd.GeoDataFrame:
    """Settlements farther than ``max_distance_m`` from any project of each sector.

    Parameters
    ----------
    settlements
        Settlement points (``settlement_id`` …) with a CRS.
    projects
        Projects with a CRS, ``sector``, ``project_id`` and
        ``location_precision``; points, lines or polygons (distance is to the
        nearest part of the geometry, 0 inside a polygon).
    sectors
        Sectors to test (default water supply, school, health).
    max_distance_m
        Distance in metres beyond which a settlement counts as a gap.
    max_precision
        Largest location precision code that counts as coverage (default 2:
        exact or near a settlement). Projects with a larger or no code count
        only towards ``<sector>_imprecise_within``.

    Returns
    -------
    GeoDataFrame
        The settlements (their CRS and columns) plus, for each sector:
        ``<sector>_distance_m`` (metres to the nearest precisely placed project;
        NA when there is none at all, or no settlement geometry),
        ``<sector>_nearest_project`` (its ``project_id``), ``<sector>_gap``
        (True when farther than ``max_distance_m`` or no such project exists; NA
        for a settlement without geometry) and ``<sector>_imprecise_within``
        (an imprecisely placed project of the sector lies within the distance).
        Also ``gap_count`` (number of sectors with a gap) and ``metric_crs``
        (the CRS the distances were measured in). Vectorised with STRtree.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> s = gpd.GeoDataFrame({"settlement_id": ["a"]}, geometry=[Point(74.0, 42.0)], crs=4326)
    >>> p = gpd.GeoDataFrame({"project_id": ["p"], "sector": ["school"], "location_precision": [1]},
    ...                      geometry=[Point(74.0, 42.1)], crs=4326)
    >>> out = coverage_gaps(s, p, sectors=("school",), max_distance_m=5000)
    >>> round(float(out["school_distance_m"][0]) / 1000), bool(out["school_gap"][0])
    (11, True)
    """
    if settlements.crs is None or projects.crs is None:
        raise CRSUnresolvedError(key="err.coverage.no_crs")
    try:
        limit = float(max_distance_m)
    except (TypeError, ValueError):
        raise SchemaError(key="err.coverage.distance_not_number") from None
    if not np.isfinite(limit) or limit < 0:
        raise SchemaError(key="err.coverage.distance_negative")
    for col in ("sector", "project_id"):
        if col not in projects.columns:
            raise SchemaError(key="err.table.needs_column", table=Phrase("err.table.projects"), column=col)

    both = pd.concat(
        [settlements.geometry.to_crs(4326), projects.geometry.to_crs(4326)], ignore_index=True
    )
    both = gpd.GeoSeries(both[~(both.isna() | both.is_empty)], crs=4326)
    crs = metric_crs_for(gpd.GeoDataFrame(geometry=both, crs=4326)) if len(both) else metric_crs_for(settlements)
    pts = settlements.geometry.to_crs(crs)
    proj = projects.to_crs(crs)
    precision = pd.to_numeric(proj.get("location_precision", pd.Series(np.nan, index=proj.index)), errors="coerce")
    precise = (precision <= max_precision).fillna(False).to_numpy(dtype=bool)
    sector = proj["sector"].astype("string").fillna("").to_numpy()
    pid = proj["project_id"].astype("string").to_numpy()
    no_geom = (pts.isna() | pts.is_empty).to_numpy()

    out = settlements.copy()
    gaps = np.zeros(len(out), dtype="int64")
    for name in sectors:  # loop over a handful of sectors, not over features
        of_sector = sector == name
        good = proj[of_sector & precise]
        rough = proj[of_sector & ~precise]
        dist, idx = _nearest(pts, good)
        rdist, _ = _nearest(pts, rough)
        nearest = np.where(idx >= 0, pid[of_sector & precise][np.clip(idx, 0, None)] if len(good) else None, None)
        gap = ~(dist <= limit)
        out[f"{name}_distance_m"] = pd.array(dist, dtype="Float64")
        out[f"{name}_nearest_project"] = pd.array(nearest, dtype="string")
        out[f"{name}_gap"] = pd.array(np.where(no_geom, None, gap), dtype="boolean")
        out[f"{name}_imprecise_within"] = pd.array(np.where(no_geom, None, rdist <= limit), dtype="boolean")
        gaps += (gap & ~no_geom).astype("int64")
    out["gap_count"] = pd.array(np.where(no_geom, None, gaps), dtype="Int64")
    epsg = crs.to_epsg()
    out["metric_crs"] = f"EPSG:{epsg}" if epsg else "Kyrgyzstan Albers equal-area (metres)"
    return out


def gaps_long(result: gpd.GeoDataFrame, sectors: tuple[str, ...] | list[str] = COVERAGE_SECTORS) -> pd.DataFrame:
    """The output of :func:`coverage_gaps` as one row per settlement and sector (no geometry).

    Columns: ``settlement_id`` (and names if present), ``sector``, ``distance_m``,
    ``nearest_project``, ``gap``, ``imprecise_within``.
    """
    ids = [c for c in ("settlement_id", "name_en", "name_ru", "name_ky", "aiyl_okmot_pcode", "rayon_pcode", "oblast_pcode") if c in result.columns]
    parts = []
    for name in sectors:
        part = pd.DataFrame(result[ids]).copy()
        part["sector"] = name
        part["distance_m"] = result[f"{name}_distance_m"]
        part["nearest_project"] = result[f"{name}_nearest_project"]
        part["gap"] = result[f"{name}_gap"]
        part["imprecise_within"] = result[f"{name}_imprecise_within"]
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*ids, "sector", "distance_m", "nearest_project", "gap", "imprecise_within"])
    return pd.concat(parts, ignore_index=True)
