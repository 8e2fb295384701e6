"""Coverage gaps: distances in metres (checked against geodesic distances), precision, edge cases."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point, box

from geo.coverage import coverage_gaps, gaps_long
from geo.errors import CRSUnresolvedError, SchemaError

GEOD = Geod(ellps="WGS84")


def _geodesic_m(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def _settlements(points, ids=None):
    ids = ids or [f"s{i}" for i in range(len(points))]
    return gpd.GeoDataFrame({"settlement_id": ids}, geometry=[None if p is None else Point(p) for p in points], crs=4326)


def _projects(rows):
    return gpd.GeoDataFrame(
        {"project_id": [r[0] for r in rows], "sector": [r[1] for r in rows], "location_precision": [r[2] for r in rows]},
        geometry=[r[3] for r in rows],
        crs=4326,
    )


def test_distance_is_metres_not_degrees():
    s = _settlements([(75.0, 42.0)])
    p = _projects([("p", "school", 1, Point(75.0, 42.03))])
    out = coverage_gaps(s, p, sectors=("school",))
    expected = _geodesic_m(75.0, 42.0, 75.0, 42.03)  # about 3.3 km
    assert out["school_distance_m"][0] == pytest.approx(expected, rel=0.005)
    assert not out["school_gap"][0]
    assert not pd.Series(out["metric_crs"]).str.contains("4326").any()


def test_threshold_decides_the_gap():
    s = _settlements([(75.0, 42.0)])
    p = _projects([("p", "water_supply", 2, Point(75.0, 42.03))])
    assert not coverage_gaps(s, p, sectors=("water_supply",), max_distance_m=5000)["water_supply_gap"][0]
    assert coverage_gaps(s, p, sectors=("water_supply",), max_distance_m=2000)["water_supply_gap"][0]


def test_each_sector_separately_and_missing_sector_is_a_gap():
    s = _settlements([(75.0, 42.0), (75.5, 42.0)])
    p = _projects([("sc", "school", 1, Point(75.0, 42.01)), ("w", "water_supply", 1, Point(75.5, 42.01))])
    out = coverage_gaps(s, p).set_index("settlement_id")
    assert out.loc["s0", "school_nearest_project"] == "sc" and not out.loc["s0", "school_gap"]
    assert out.loc["s0", "water_supply_gap"]  # 0.5° of longitude away: about 41 km
    assert pd.isna(out.loc["s0", "health_distance_m"]) and out.loc["s0", "health_gap"]  # no health project at all
    assert out.loc["s0", "gap_count"] == 2 and out.loc["s1", "gap_count"] == 2


def test_low_precision_projects_do_not_count_but_are_flagged():
    s = _settlements([(75.0, 42.0)])
    rayon = box(74.5, 41.5, 75.5, 42.5)  # a project known only at rayon level (code 4)
    p = _projects([("r", "health", 4, rayon), ("u", "health", None, Point(75.0, 42.001))])
    out = coverage_gaps(s, p, sectors=("health",))
    assert out["health_gap"][0] and out["health_imprecise_within"][0]
    assert pd.isna(out["health_distance_m"][0])
    loose = coverage_gaps(s, p, sectors=("health",), max_precision=4)
    assert loose["health_distance_m"][0] == 0.0  # inside the polygon
    assert not loose["health_gap"][0]


def test_settlement_without_geometry_has_no_answer():
    s = _settlements([(75.0, 42.0), None])
    p = _projects([("p", "school", 1, Point(75.0, 42.0))])
    out = coverage_gaps(s, p, sectors=("school",))
    assert pd.isna(out["school_gap"][1]) and pd.isna(out["school_distance_m"][1]) and pd.isna(out["gap_count"][1])
    assert out["school_distance_m"][0] == 0.0


def test_inputs_in_other_crs_and_output_in_settlements_crs():
    s = _settlements([(75.0, 42.0)])
    p = _projects([("p", "school", 1, Point(75.02, 42.0))]).to_crs(32643)
    out = coverage_gaps(s, p, sectors=("school",))
    assert out.crs.to_epsg() == 4326
    assert out["school_distance_m"][0] == pytest.approx(_geodesic_m(75.0, 42.0, 75.02, 42.0), rel=0.005)


def test_matches_brute_force_nearest_over_the_country():
    rng = np.random.default_rng(7)
    n, m = 400, 60
    s = _settlements(list(zip(rng.uniform(69.5, 80, n), rng.uniform(39.5, 43, n))))
    plon, plat = rng.uniform(69.5, 80, m), rng.uniform(39.5, 43, m)
    p = _projects([(f"p{i}", "school", 1, Point(x, y)) for i, (x, y) in enumerate(zip(plon, plat))])
    out = coverage_gaps(s, p, sectors=("school",), max_distance_m=30_000)
    slon = np.array([g.x for g in s.geometry])
    slat = np.array([g.y for g in s.geometry])
    d = GEOD.inv(np.repeat(slon, m), np.repeat(slat, m), np.tile(plon, n), np.tile(plat, n))[2].reshape(n, m)
    nearest = d.min(axis=1)
    got = out["school_distance_m"].to_numpy(dtype=float)
    # Country-wide equal-area projection: within 1 % of the geodesic distance.
    assert np.allclose(got, nearest, rtol=0.01)
    clear = np.abs(nearest - 30_000) > 500  # leave out the borderline cases
    assert (out["school_gap"].to_numpy(dtype=bool)[clear] == (nearest > 30_000)[clear]).all()


def test_bad_inputs_are_refused():
    s = _settlements([(75.0, 42.0)])
    p = _projects([("p", "school", 1, Point(75.0, 42.0))])
    with pytest.raises(SchemaError):
        coverage_gaps(s, p, max_distance_m=-1)
    with pytest.raises(CRSUnresolvedError):
        coverage_gaps(s.set_crs(None, allow_override=True), p)


def test_gaps_long_has_one_row_per_settlement_and_sector():
    s = _settlements([(75.0, 42.0), (75.1, 42.0)])
    p = _projects([("p", "school", 1, Point(75.0, 42.0))])
    long = gaps_long(coverage_gaps(s, p))
    assert len(long) == 2 * 3
    assert set(long["sector"]) == {"water_supply", "school", "health"}
