"""Shipped indicative hazard layers, derived from the shipped elevation grid and rivers.

These are **not official hazard maps**: every row carries ``indicative=True`` and a
``layer_name`` and ``source`` that say "indicative, derived from elevation and rivers —
not an official hazard map". Imported official layers replace them
(:func:`geo.hazards.replace_indicative`); they cannot be deleted, and deleting the last
official layer of their type brings them back (:mod:`geo.hazard_store`). Each row's
``class_rule`` holds the rule that made its class (:func:`default_rule`).

* Slope classes (``hazard_type`` ``landslide``): slope in degrees from the elevation
  grid, with cell sizes in metres. For a grid in EPSG:4326 the cell width and height
  are computed per row on the WGS 84 ellipsoid (east–west
  ``N(φ)·cos φ·Δλ``, north–south ``M(φ)·Δφ``); for a projected grid the cell size is
  taken in the CRS's linear unit converted to metres. Steep ground is a proxy for
  landslide and mudflow source areas only; the 15″ grid (about 460 m × 350 m)
  smooths slopes, so real slopes are steeper than computed.
* River bands (``hazard_type`` ``flood``): rings along the shipped main rivers,
  buffered in a metric CRS (:func:`geo.crs.metric_crs_for`). ``value`` is the outer
  distance of the ring in metres. GSHHG rivers are coarse (hundreds of metres off
  in places), so the band marks "near a main river", not a flood plain.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.crs import metric_crs_for
from geo.errors import CRSUnresolvedError, InputError
from geo.hazards import (
    CLASS_RANK,
    ClassMapping,
    ClassifiedRaster,
    make_mapping,
    rule_text,
    vectorise_classes,
)

#: The label every indicative row carries (layer_name and source), and the UI shows.
INDICATIVE_NOTE = "indicative, derived from elevation and rivers — not an official hazard map"

SLOPE_LAYER_NAME = f"Slope classes ({INDICATIVE_NOTE})"
RIVER_LAYER_NAME = f"Main-river band ({INDICATIVE_NOTE})"

#: Slope thresholds in degrees (lower bound of each class).
SLOPE_CLASSES_DEG: dict[str, float] = {"High": 25.0, "Medium": 15.0, "Low": 5.0, "Very low": 0.0}
#: River band outer distances in metres (a class covers the ring out to its distance).
RIVER_BANDS_M: dict[str, float] = {"High": 250.0, "Medium": 500.0, "Low": 1000.0}

# WGS 84 ellipsoid
_A = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)


def cell_size_m(transform: Any, crs: Any, height: int) -> tuple[np.ndarray, np.ndarray]:
    """East–west and north–south cell size in metres for each row of a north-up grid.

    Returns two float arrays of length ``height``. Geographic grids use the WGS 84
    radii of curvature at each row's centre latitude; projected grids use the pixel
    size times the CRS's unit-to-metre factor.
    """
    from pyproj import CRS

    if transform.b != 0 or transform.d != 0:
        raise InputError(key="err.hazard.grid_rotated")
    if crs is None:
        raise CRSUnresolvedError(key="err.hazard.grid_no_crs")
    pcrs = CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    if pcrs.is_geographic:
        rows = np.arange(height) + 0.5
        lat = np.radians(transform.f + rows * transform.e)
        sin2 = np.sin(lat) ** 2
        n = _A / np.sqrt(1 - _E2 * sin2)                     # prime-vertical radius
        m = _A * (1 - _E2) / (1 - _E2 * sin2) ** 1.5         # meridional radius
        dx = n * np.cos(lat) * np.radians(abs(transform.a))
        dy = m * np.radians(abs(transform.e))
        return dx, dy
    factor = pcrs.axis_info[0].unit_conversion_factor if pcrs.axis_info else 1.0
    return (np.full(height, abs(transform.a) * factor), np.full(height, abs(transform.e) * factor))


def slope_degrees(dem_path: str | Path = settings.ELEVATION_FILE, band: int = 1) -> tuple[np.ndarray, Any, Any]:
    """Slope in degrees per cell of an elevation grid (metres), with its transform and CRS.

    Central differences inside the grid, one-sided at its edges; cells next to
    nodata are NaN.
    """
    import rasterio

    dem_path = Path(dem_path)
    if not dem_path.exists():
        raise InputError(key="err.hazard.grid_missing", path=str(dem_path))
    with rasterio.open(dem_path) as src:
        z = src.read(band, masked=True).astype("float64").filled(np.nan)
        transform, crs = src.transform, src.crs
    if z.shape[0] < 2 or z.shape[1] < 2:
        raise InputError(key="err.hazard.grid_too_small")
    dx, dy = cell_size_m(transform, crs, z.shape[0])
    dz_row, dz_col = np.gradient(z)          # change per cell along rows (y) and columns (x)
    gx = dz_col / dx[:, None]
    gy = dz_row / dy[:, None]
    slope = np.degrees(np.arctan(np.hypot(gx, gy)))
    return slope.astype("float32"), transform, crs


def default_rule(hazard_type: str) -> ClassMapping | None:
    """The value → class rule of a shipped indicative layer: slope thresholds in degrees
    (landslide, higher is worse) or river-band outer distances in metres (flood, lower
    is worse: a ring's ``value`` is its outer distance); None for other types."""
    if hazard_type == "landslide":
        return make_mapping({"thresholds": SLOPE_CLASSES_DEG, "higher_is_worse": True})
    if hazard_type == "flood":
        return make_mapping({"thresholds": RIVER_BANDS_M, "higher_is_worse": False})
    return None


def _indicative_frame(polygons: gpd.GeoDataFrame, values: pd.Series, hazard_type: str, layer_name: str,
                      source: str, source_date: Any, licence: str, rule: ClassMapping | None = None) -> gpd.GeoDataFrame:
    """hazard_zones rows (EPSG:4326) of an indicative layer; ``class_rule`` holds ``rule``
    (default: :func:`default_rule` of the hazard type)."""
    from geo.store.base import conform

    frame = gpd.GeoDataFrame(
        {"hazard_class": polygons["hazard_class"].astype("string").to_numpy(), "value": values.to_numpy()},
        geometry=polygons.geometry.values, crs=polygons.crs,
    ).to_crs(settings.STORAGE_CRS)
    frame = frame[~frame.geometry.is_empty & frame.geometry.notna()].reset_index(drop=True)
    prefix = "indicative-slope" if hazard_type == "landslide" else "indicative-river"
    frame.insert(0, "zone_id", [f"{prefix}:{i + 1}" for i in range(len(frame))])
    frame["hazard_type"] = hazard_type
    frame["layer_name"] = layer_name
    frame["source"] = source
    frame["source_date"] = source_date
    frame["licence"] = licence
    frame["indicative"] = True
    rule = rule if rule is not None else default_rule(hazard_type)
    frame["class_rule"] = rule_text(rule) if rule is not None else pd.NA
    return conform(frame, "hazard_zones")


def _clip(frame: gpd.GeoDataFrame, clip_to: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if clip_to is None or len(clip_to) == 0:
        return frame
    area = shapely.union_all(clip_to.to_crs(frame.crs).geometry.values)
    shapely.prepare(area)
    frame = frame.copy()
    frame["geometry"] = shapely.intersection(frame.geometry.values, area)
    return frame[~frame.geometry.is_empty].reset_index(drop=True)


def slope_zones(
    dem_path: str | Path = settings.ELEVATION_FILE,
    classes: dict[str, float] | None = None,
    clip_to: gpd.GeoDataFrame | None = None,
    sieve_cells: int = 4,
) -> gpd.GeoDataFrame:
    """Indicative slope classes (``hazard_type`` landslide) as hazard_zones rows (EPSG:4326).

    ``classes`` are lower bounds in degrees (default :data:`SLOPE_CLASSES_DEG`);
    ``sieve_cells`` merges patches smaller than that many cells into their neighbours;
    ``clip_to`` (e.g. the country polygon) trims the result.
    """
    mapping: ClassMapping = make_mapping({"thresholds": classes or SLOPE_CLASSES_DEG, "higher_is_worse": True})
    slope, transform, crs = slope_degrees(dem_path)
    ranks = mapping.ranks(slope.ravel()).reshape(slope.shape).astype(np.uint8)
    area = None
    if clip_to is not None and len(clip_to):
        area = shapely.union_all(clip_to.to_crs(crs.to_wkt()).geometry.values)
    polygons = vectorise_classes(ClassifiedRaster(ranks, transform, crs), sieve_cells=sieve_cells, clip_to=area)
    source = (
        f"Slope derived by Aimak Atlas from the GEBCO_2023 elevation grid ({Path(dem_path).name}); "
        f"{INDICATIVE_NOTE}"
    )
    return _indicative_frame(polygons, pd.Series(np.nan, index=polygons.index, dtype="Float64"), "landslide",
                             SLOPE_LAYER_NAME, source, "2023", "GEBCO Grid: public domain", rule=mapping)


def river_band_zones(
    rivers: str | Path | gpd.GeoDataFrame = settings.RIVER_FILE,
    bands_m: dict[str, float] | None = None,
    clip_to: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Indicative rings along rivers (``hazard_type`` flood) as hazard_zones rows (EPSG:4326).

    ``bands_m`` gives each class's outer distance from the river in metres (default
    :data:`RIVER_BANDS_M`: High ≤ 250 m, Medium 250–500 m, Low 500–1000 m). Buffers
    are taken in a metric CRS; ``value`` holds the outer distance.
    """
    if isinstance(rivers, gpd.GeoDataFrame):
        lines, name = rivers, "rivers"
    else:
        path = Path(rivers)
        if not path.exists():
            raise InputError(key="err.hazard.rivers_missing", path=str(path))
        lines, name = gpd.read_file(path, engine="pyogrio"), path.name
    if lines.crs is None:
        raise CRSUnresolvedError(key="err.hazard.rivers_no_crs")
    bands = {c: float(d) for c, d in (bands_m or RIVER_BANDS_M).items()}
    order = sorted(bands, key=lambda c: -CLASS_RANK[c])      # worst (nearest) first
    distances = [bands[c] for c in order]
    if any(b <= a for a, b in zip(distances, distances[1:])):
        raise InputError(key="err.hazard.bands_order")
    metric = lines.to_crs(metric_crs_for(lines))
    network = shapely.union_all(metric.geometry.values)
    buffers = shapely.buffer(np.full(len(distances), network, dtype=object), distances)
    rings = buffers.copy()
    rings[1:] = shapely.difference(buffers[1:], buffers[:-1])
    polygons = gpd.GeoDataFrame({"hazard_class": order}, geometry=rings, crs=metric.crs)
    polygons = _clip(polygons, clip_to)
    values = pd.Series([bands[c] for c in polygons["hazard_class"]], dtype="Float64")
    source = f"Bands along the GSHHG/WDBII main rivers ({name}) buffered by Aimak Atlas; {INDICATIVE_NOTE}"
    rule = make_mapping({"thresholds": bands, "higher_is_worse": False})
    return _indicative_frame(polygons, values, "flood", RIVER_LAYER_NAME, source, pd.NA, "GSHHG: LGPL-3", rule=rule)


def indicative_layers(
    dem_path: str | Path = settings.ELEVATION_FILE,
    rivers_path: str | Path = settings.RIVER_FILE,
    country_path: str | Path | None = settings.COUNTRY_FILE,
) -> gpd.GeoDataFrame:
    """Both indicative layers in one hazard_zones frame, clipped to the country when its file exists."""
    clip_to = None
    if country_path is not None and Path(country_path).exists():
        clip_to = gpd.read_file(country_path, engine="pyogrio")
    frames = [slope_zones(dem_path, clip_to=clip_to), river_band_zones(rivers_path, clip_to=clip_to)]
    joined = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=settings.STORAGE_CRS)


__all__ = [
    "INDICATIVE_NOTE", "SLOPE_LAYER_NAME", "RIVER_LAYER_NAME", "SLOPE_CLASSES_DEG", "RIVER_BANDS_M",
    "cell_size_m", "slope_degrees", "slope_zones", "river_band_zones", "indicative_layers", "default_rule",
]
