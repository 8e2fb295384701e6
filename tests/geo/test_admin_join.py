"""Point-in-polygon assignment of oblast, rayon and aiyl okmot P-codes."""
from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from geo.admin_join import assign_admin_pcodes  # noqa: E402
from tests.fixtures import codab as fx  # noqa: E402

COLUMNS = ["oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode"]


def _units(levels=(1, 2, 3)) -> gpd.GeoDataFrame:
    """TEST-ONLY SYNTHETIC admin units: the fixture oblast, its two rayons and eight aiyl aimaks."""
    rows = []
    if 1 in levels:
        rows.append({"pcode": fx.ADM1_PCODE, "level": 1, "parent_pcode": "KG", "geometry": box(*fx.BOX)})
    if 2 in levels:
        for geom, code in zip(fx.level2_frame().geometry, fx.ADM2_PCODES):
            rows.append({"pcode": code, "level": 2, "parent_pcode": fx.ADM1_PCODE, "geometry": geom})
    if 3 in levels:
        for i in range(8):
            rows.append({"pcode": fx.level3_pcode(i), "level": 3,
                         "parent_pcode": fx.ADM2_PCODES[fx.rayon_of_cell(i)], "geometry": fx.cell(i)})
    if not rows:
        return gpd.GeoDataFrame({"pcode": [], "level": [], "parent_pcode": []},
                                geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _points(geoms, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": range(len(geoms)), **cols}, geometry=list(geoms), crs="EPSG:4326")


def _codes(frame, i):
    return tuple(None if pd.isna(v) else v for v in frame.loc[i, COLUMNS])


def test_points_inside_get_all_three_levels():
    pts = _points([Point(*fx.cell_centre(i)) for i in range(8)])
    out = assign_admin_pcodes(pts, _units())
    for i in range(8):
        assert _codes(out, i) == (fx.ADM1_PCODE, fx.ADM2_PCODES[fx.rayon_of_cell(i)], fx.level3_pcode(i))
    assert str(out["aiyl_okmot_pcode"].dtype) == "string"


def test_returns_a_copy_and_overwrites_old_values():
    pts = _points([Point(*fx.cell_centre(0))], oblast_pcode=["OLD"], rayon_pcode=["OLD"], aiyl_okmot_pcode=["OLD"])
    out = assign_admin_pcodes(pts, _units())
    assert pts.loc[0, "oblast_pcode"] == "OLD"
    assert _codes(out, 0) == (fx.ADM1_PCODE, fx.ADM2_PCODES[0], fx.level3_pcode(0))
    assert out is not pts


def test_levels_not_loaded_give_na():
    pts = _points([Point(*fx.cell_centre(2))])
    out = assign_admin_pcodes(pts, _units(levels=(1, 2)))
    assert _codes(out, 0) == (fx.ADM1_PCODE, fx.ADM2_PCODES[1], None)
    empty = _units(levels=())
    assert _codes(assign_admin_pcodes(pts, empty), 0) == (None, None, None)


def test_just_outside_snaps_within_2_km_but_not_beyond():
    lat = fx.BOX[1] + 0.1
    # 0.01° of longitude at 41.9° N is about 0.83 km; 0.05° about 4.1 km
    near, far = Point(fx.BOX[0] - 0.01, lat), Point(fx.BOX[0] - 0.05, lat)
    out = assign_admin_pcodes(_points([near, far]), _units())
    assert _codes(out, 0) == (fx.ADM1_PCODE, fx.ADM2_PCODES[0], fx.level3_pcode(0))
    assert _codes(out, 1) == (None, None, None)
    # the tolerance is in metres: 5 km catches the far point too
    wide = assign_admin_pcodes(_points([far]), _units(), snap_m=5000)
    assert _codes(wide, 0) == (fx.ADM1_PCODE, fx.ADM2_PCODES[0], fx.level3_pcode(0))


def test_snap_distance_is_metres_not_degrees():
    """North of the box 0.015° of latitude is ~1.67 km (snaps); 0.025° is ~2.8 km (does not)."""
    x = fx.cell_centre(4)[0]
    pts = _points([Point(x, fx.BOX[3] + 0.015), Point(x, fx.BOX[3] + 0.025)])
    out = assign_admin_pcodes(pts, _units(levels=(3,)))
    assert out.loc[0, "aiyl_okmot_pcode"] == fx.level3_pcode(4)
    assert pd.isna(out.loc[1, "aiyl_okmot_pcode"])


def test_lines_and_polygons_use_a_point_inside():
    line = LineString([(75.05, 41.85), (75.10, 41.90), (75.20, 41.95)])  # all in cell 0
    poly = fx.cell(6).buffer(-0.05)
    out = assign_admin_pcodes(_points([line, poly]), _units())
    assert out.loc[0, "aiyl_okmot_pcode"] == fx.level3_pcode(0)
    assert out.loc[1, "aiyl_okmot_pcode"] == fx.level3_pcode(6)


def test_missing_and_empty_geometry_give_na():
    pts = gpd.GeoDataFrame({"id": [0, 1, 2]}, geometry=[None, Point(), Point(*fx.cell_centre(1))], crs="EPSG:4326")
    out = assign_admin_pcodes(pts, _units())
    assert _codes(out, 0) == (None, None, None)
    assert _codes(out, 1) == (None, None, None)
    assert out.loc[2, "aiyl_okmot_pcode"] == fx.level3_pcode(1)


def test_points_in_other_crs_are_reprojected():
    pts = _points([Point(*fx.cell_centre(5))]).to_crs(32643)
    out = assign_admin_pcodes(pts, _units())
    assert out.loc[0, "aiyl_okmot_pcode"] == fx.level3_pcode(5)
    assert out.crs.to_epsg() == 32643  # the frame itself is returned in its own CRS


def test_max_level_per_row():
    pts = _points([Point(*fx.cell_centre(0))] * 4)
    out = assign_admin_pcodes(pts, _units(), max_level=[3, 2, 1, 0])
    assert _codes(out, 0) == (fx.ADM1_PCODE, fx.ADM2_PCODES[0], fx.level3_pcode(0))
    assert _codes(out, 1) == (fx.ADM1_PCODE, fx.ADM2_PCODES[0], None)
    assert _codes(out, 2) == (fx.ADM1_PCODE, None, None)
    assert _codes(out, 3) == (None, None, None)
    with pytest.raises(ValueError):
        assign_admin_pcodes(pts, _units(), max_level=[3, 2])


def test_parents_follow_the_finer_unit_when_boundaries_disagree():
    """A coarse rayon polygon that strays over the border would put the point in the wrong rayon;
    with consistent=True the rayon is the parent of the aiyl aimak found."""
    units = _units()
    west = units["pcode"] == fx.ADM2_PCODES[0]
    east = units["pcode"] == fx.ADM2_PCODES[1]
    mid = fx.BOX[0] + 2 * fx.DX
    units.loc[west, "geometry"] = box(fx.BOX[0], fx.BOX[1], mid + 0.1, fx.BOX[3])  # overlaps the east
    units.loc[east, "geometry"] = box(mid + 0.1, fx.BOX[1], fx.BOX[2], fx.BOX[3])
    pt = _points([Point(mid + 0.05, 42.0)])  # in cell 2 (east rayon) but in the west rayon's polygon
    assert assign_admin_pcodes(pt, units).loc[0, "rayon_pcode"] == fx.ADM2_PCODES[1]
    assert assign_admin_pcodes(pt, units, consistent=False).loc[0, "rayon_pcode"] == fx.ADM2_PCODES[0]


def test_unknown_parent_falls_back_to_location():
    units = _units()
    level3 = units["level"] == 3
    units.loc[level3, "parent_pcode"] = "KG-N-KOCHKOR"  # e.g. shipped rayons use other codes
    out = assign_admin_pcodes(_points([Point(*fx.cell_centre(3))]), units)
    assert _codes(out, 0) == (fx.ADM1_PCODE, fx.ADM2_PCODES[1], fx.level3_pcode(3))


def test_overlapping_units_give_a_stable_answer():
    units = _units(levels=(3,))
    extra = gpd.GeoDataFrame([{"pcode": "KG00000000000", "level": 3, "parent_pcode": None,
                               "geometry": fx.cell(0)}], geometry="geometry", crs="EPSG:4326")
    both = pd.concat([units, extra], ignore_index=True)
    pts = _points([Point(*fx.cell_centre(0))])
    assert assign_admin_pcodes(pts, both).loc[0, "aiyl_okmot_pcode"] == "KG00000000000"
    assert assign_admin_pcodes(pts, both.iloc[::-1]).loc[0, "aiyl_okmot_pcode"] == "KG00000000000"


def test_many_points_vectorised():
    import numpy as np

    rng = np.random.default_rng(1)
    xs = rng.uniform(fx.BOX[0] + 1e-6, fx.BOX[2] - 1e-6, 5000)
    ys = rng.uniform(fx.BOX[1] + 1e-6, fx.BOX[3] - 1e-6, 5000)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs="EPSG:4326")
    out = assign_admin_pcodes(pts, _units())
    col = np.minimum(((xs - fx.BOX[0]) / fx.DX).astype(int), 3)
    row = np.minimum(((ys - fx.BOX[1]) / fx.DY).astype(int), 1)
    expected = [fx.level3_pcode(i) for i in row * 4 + col]
    on_edge = (np.isclose((xs - fx.BOX[0]) / fx.DX % 1, 0) | np.isclose((ys - fx.BOX[1]) / fx.DY % 1, 0))
    assert (out["aiyl_okmot_pcode"].to_numpy()[~on_edge] == np.array(expected, dtype=object)[~on_edge]).all()
    assert out["oblast_pcode"].eq(fx.ADM1_PCODE).all()
