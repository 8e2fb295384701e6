"""Indicative slope classes and river bands: metres, not degrees; always labelled indicative."""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from pyproj import Geod, Transformer
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point

from geo import indicative_hazard as ih
from geo import settings
from geo.errors import InputError

UTM43 = "EPSG:32643"
X0, Y0 = 449_000.0, 4_739_000.0
TO_LONLAT = Transformer.from_crs(UTM43, "EPSG:4326", always_xy=True)
GEOD = Geod(ellps="WGS84")


def _write(path: Path, z: np.ndarray, crs: str, transform) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=z.shape[1], height=z.shape[0], count=1, dtype="float32",
                       crs=crs, transform=transform, nodata=-32768) as dst:
        dst.write(z.astype("float32"), 1)
    return path


def _geographic_dem(tmp_path: Path, degrees: float, direction: str, n: int = 20, res: float = 0.01,
                    lat_top: float = 42.2, lon_left: float = 74.0) -> Path:
    """A DEM in EPSG:4326 tilted by ``degrees`` east–west or north–south, built from
    geodesic distances (pyproj.Geod), independent of the code under test."""
    rows, cols = np.mgrid[0:n, 0:n]
    lat = lat_top - (rows + 0.5) * res
    lon = lon_left + (cols + 0.5) * res
    if direction == "east":
        # distance along each parallel from the first column
        _, _, dist = GEOD.inv(np.full(lon.shape, lon_left + 0.5 * res), lat, lon, lat)
    else:
        _, _, dist = GEOD.inv(lon, np.full(lat.shape, lat_top - 0.5 * res), lon, lat)
    z = 1000 + math.tan(math.radians(degrees)) * dist
    return _write(tmp_path / f"dem_{direction}.tif", z, "EPSG:4326", from_origin(lon_left, lat_top, res, res))


@pytest.mark.parametrize("direction", ["east", "north"])
def test_slope_in_a_geographic_grid_is_measured_in_metres(tmp_path, direction):
    dem = _geographic_dem(tmp_path, 30.0, direction)
    slope, _, _ = ih.slope_degrees(dem)
    # ignoring cos(latitude) would give about 23°, degrees as metres nearly 90°
    assert np.nanmin(slope) == pytest.approx(30.0, abs=0.05)
    assert np.nanmax(slope) == pytest.approx(30.0, abs=0.05)


def test_cell_size_per_row_follows_latitude():
    transform = from_origin(74.0, 43.0, 0.01, 0.01)
    dx, dy = ih.cell_size_m(transform, rasterio.crs.CRS.from_epsg(4326), 2)
    _, _, expected_dx = GEOD.inv(74.0, 42.995, 74.01, 42.995)
    _, _, expected_dy = GEOD.inv(74.0, 43.0, 74.0, 42.99)
    assert dx[0] == pytest.approx(expected_dx, rel=1e-4)
    assert dy[0] == pytest.approx(expected_dy, rel=1e-4)
    assert dx[1] > dx[0]  # further south, a degree of longitude is wider


def test_slope_in_a_projected_grid(tmp_path):
    cols = np.arange(10)[None, :] * np.ones((10, 1))
    z = 0.5 * 100 * cols                      # rises 0.5 m per metre eastwards
    dem = _write(tmp_path / "utm.tif", z, UTM43, from_origin(X0, Y0 + 1000, 100, 100))
    slope, _, _ = ih.slope_degrees(dem)
    assert np.allclose(slope, math.degrees(math.atan(0.5)), atol=1e-4)


def test_slope_zones_are_indicative_and_in_the_right_place(tmp_path):
    res, n = 0.005, 40
    rows, cols = np.mgrid[0:n, 0:n]
    lat = 42.2 - (rows + 0.5) * res
    lon = 74.0 + (cols + 0.5) * res
    _, _, dist = GEOD.inv(np.full(lon.shape, 74.0), lat, lon, lat)
    # flat on the western half, 35° slope on the eastern half
    z = np.where(cols < n // 2, 1000.0, 1000.0 + math.tan(math.radians(35)) * (dist - dist[:, [n // 2]]))
    z = np.where(cols < n // 2, 1000.0, z)
    dem = _write(tmp_path / "dem.tif", z, "EPSG:4326", from_origin(74.0, 42.2, res, res))
    zones = ih.slope_zones(dem, sieve_cells=0)
    assert zones.crs.to_epsg() == 4326
    assert zones["indicative"].all()
    assert (zones["hazard_type"] == "landslide").all()
    assert zones["layer_name"].str.contains(ih.INDICATIVE_NOTE, regex=False).all()
    assert zones["source"].str.contains(ih.INDICATIVE_NOTE, regex=False).all()
    assert "not an official hazard map" in ih.INDICATIVE_NOTE
    west = Point(74.0 + 5.5 * res, 42.2 - 20.5 * res)
    east = Point(74.0 + 30.5 * res, 42.2 - 20.5 * res)
    assert zones.loc[zones.contains(west), "hazard_class"].tolist() == ["Very low"]
    assert zones.loc[zones.contains(east), "hazard_class"].tolist() == ["High"]


def test_river_band_distances_are_metres(tmp_path):
    line = LineString([(X0, Y0), (X0 + 10_000, Y0)])
    rivers = gpd.GeoDataFrame({"river_id": ["r1"]}, geometry=[line], crs=UTM43).to_crs(4326)
    zones = ih.river_band_zones(rivers)
    assert zones["hazard_class"].tolist() == ["High", "Medium", "Low"]
    assert zones["value"].tolist() == [250.0, 500.0, 1000.0]
    assert zones["indicative"].all() and (zones["hazard_type"] == "flood").all()
    assert zones["layer_name"].str.contains(ih.INDICATIVE_NOTE, regex=False).all()
    for offset, expected in [(200, "High"), (400, "Medium"), (800, "Low"), (1200, None)]:
        lon, lat = TO_LONLAT.transform(X0 + 5000, Y0 + offset)
        got = zones.loc[zones.contains(Point(lon, lat)), "hazard_class"].tolist()
        assert got == ([expected] if expected else [])
    high_area = zones.to_crs(UTM43).area.iloc[0]
    assert high_area == pytest.approx(2 * 250 * 10_000 + math.pi * 250**2, rel=2e-3)
    # rings do not overlap: Medium is only the 250–500 m ring
    medium_area = zones.to_crs(UTM43).area.iloc[1]
    assert medium_area == pytest.approx(2 * 250 * 10_000 + math.pi * (500**2 - 250**2), rel=2e-3)


def test_river_band_distances_must_grow():
    rivers = gpd.GeoDataFrame(geometry=[LineString([(74.0, 42.0), (74.1, 42.0)])], crs=4326)
    with pytest.raises(InputError):
        ih.river_band_zones(rivers, bands_m={"High": 500, "Medium": 200})


def test_missing_shipped_files_raise_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="missing"):
        ih.slope_degrees(tmp_path / "absent.tif")
    with pytest.raises(InputError, match="missing"):
        ih.river_band_zones(tmp_path / "absent.geojson")


@pytest.mark.skipif(not (settings.ELEVATION_FILE.exists() and settings.RIVER_FILE.exists()),
                    reason="shipped elevation grid or rivers not built yet")
def test_shipped_indicative_layers():
    zones = ih.indicative_layers()
    assert zones["indicative"].all()
    assert set(zones["hazard_type"]) == {"landslide", "flood"}
    assert set(zones["hazard_class"]) <= {"High", "Medium", "Low", "Very low"}
    assert zones.geometry.is_valid.all()
    minx, miny, maxx, maxy = zones.total_bounds
    assert 69 <= minx and maxx <= 81 and 39 <= miny and maxy <= 43.6


def test_indicative_layers_store_their_rule():
    import json

    rivers = gpd.GeoDataFrame(geometry=[LineString([(74.0, 42.0), (74.1, 42.0)])], crs=4326)
    zones = ih.river_band_zones(rivers, bands_m={"High": 100, "Medium": 300})
    assert json.loads(zones["class_rule"].iloc[0]) == {"thresholds": {"High": 100.0, "Medium": 300.0},
                                                       "higher_is_worse": False}
    # each ring's value (its outer distance, m) falls in its own class under the stored rule
    from geo.hazards import rule_mapping

    assert rule_mapping(zones["class_rule"].iloc[0]).classify(zones["value"]).tolist() == \
        zones["hazard_class"].tolist()
    assert ih.default_rule("landslide").to_dict() == {"thresholds": ih.SLOPE_CLASSES_DEG, "higher_is_worse": True}
    assert ih.default_rule("mudflow") is None
