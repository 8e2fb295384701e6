"""Terrain derived from the shipped elevation grid: hillshade for an offline background."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geo.settings import ELEVATION_FILE

WEB_MERCATOR = "EPSG:3857"


def elevation_in_web_mercator(path: Path = ELEVATION_FILE, max_width: int = 1600) -> tuple[np.ndarray, tuple[float, float, float, float], float]:
    """The elevation grid reprojected to EPSG:3857 (so an image overlay lines up in Leaflet).

    Returns (elevation in metres as float32 with NaN for no data, bounds in degrees as
    (south, west, north, east), cell size in metres along x at the grid's centre).
    """
    with rasterio.open(path) as src:
        transform, width, height = calculate_default_transform(src.crs, WEB_MERCATOR, src.width, src.height, *src.bounds)
        scale = max(1.0, width / max_width)
        width, height = int(width / scale), int(height / scale)
        transform = transform * transform.scale(scale, scale)
        out = np.full((height, width), np.nan, dtype="float32")
        reproject(
            rasterio.band(src, 1), out, dst_transform=transform, dst_crs=WEB_MERCATOR,
            resampling=Resampling.bilinear, src_nodata=src.nodata, dst_nodata=np.nan,
        )
        west, north = transform * (0, 0)
        east, south = transform * (width, height)
    from pyproj import Transformer

    to_deg = Transformer.from_crs(WEB_MERCATOR, "EPSG:4326", always_xy=True)
    lon_w, lat_s = to_deg.transform(west, south)
    lon_e, lat_n = to_deg.transform(east, north)
    # Web Mercator metres are stretched by 1/cos(lat); true ground size of a cell:
    ground = transform.a * np.cos(np.radians((lat_s + lat_n) / 2))
    return out, (lat_s, lon_w, lat_n, lon_e), float(ground)


def hillshade(elevation: np.ndarray, cell_m: float, azimuth_deg: float = 315.0, altitude_deg: float = 45.0,
              z_factor: float = 1.0) -> np.ndarray:
    """Hillshade (0–1) of an elevation grid in metres with square cells of ``cell_m`` metres.

    NaN cells stay NaN. Standard Horn-style gradient with numpy.
    """
    filled = np.where(np.isnan(elevation), np.nanmean(elevation), elevation) * z_factor
    dz_dy, dz_dx = np.gradient(filled, cell_m)
    slope = np.arctan(np.hypot(dz_dx, dz_dy))
    aspect = np.arctan2(-dz_dx, dz_dy)
    azimuth = np.radians(360.0 - azimuth_deg + 90.0)
    altitude = np.radians(altitude_deg)
    shade = np.sin(altitude) * np.cos(slope) + np.cos(altitude) * np.sin(slope) * np.cos(azimuth - aspect)
    shade = np.clip(shade, 0, 1)
    shade[np.isnan(elevation)] = np.nan
    return shade


def hillshade_rgba(path: Path = ELEVATION_FILE, max_width: int = 1600) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A grey hillshade tinted by elevation as an RGBA uint8 image plus its bounds (S, W, N, E)."""
    elevation, bounds, cell = elevation_in_web_mercator(path, max_width)
    shade = hillshade(elevation, cell)
    valid = ~np.isnan(elevation)
    # Tint: low green-beige → high white, shaded.
    norm = np.clip((np.nan_to_num(elevation, nan=0) - 500) / 4500, 0, 1)
    base = np.stack([
        200 + 45 * norm, 215 + 30 * norm, 180 + 70 * norm,
    ], axis=-1)
    lit = base * (0.45 + 0.55 * np.nan_to_num(shade, nan=1))[..., None]
    rgba = np.zeros(elevation.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = np.clip(lit, 0, 255).astype(np.uint8)
    rgba[..., 3] = np.where(valid, 255, 0)
    return rgba, bounds
