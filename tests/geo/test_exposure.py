"""Exposure: small fixtures whose answers are worked out by hand."""
from __future__ import annotations

import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point, box

from geo import exposure, hazards
from geo.errors import InputError

UTM43 = "EPSG:32643"
X0, Y0 = 449_000.0, 4_739_000.0            # south-west corner of the 2 km square (74.4 E, 42.8 N)
MUDFLOW = Path("/work/shared/data/reference/github/kgz_mudflow_recurrence_zones_moes2009.geojson")


def zone_frame(geoms, classes, crs=UTM43) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"hazard_class": classes}, geometry=list(geoms), crs=crs)
    return hazards.zones_from_frame(frame, hazard_type="flood", source="hand-made test zones", layer_name="test")


@pytest.fixture
def square_zone() -> gpd.GeoDataFrame:
    """A 2 km × 2 km High zone drawn in UTM 43N, stored in EPSG:4326."""
    return zone_frame([box(X0, Y0, X0 + 2000, Y0 + 2000)], ["High"])


def utm_points(xy, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=[Point(x, y) for x, y in xy], crs=UTM43).to_crs(4326)


# --------------------------------------------------------------------------- points
def test_points_just_inside_and_just_outside_the_square(square_zone):
    inside = [(X0 + 10, Y0 + 1000), (X0 + 1990, Y0 + 1000), (X0 + 1000, Y0 + 10), (X0 + 1000, Y0 + 1990)]
    outside = [(X0 - 10, Y0 + 1000), (X0 + 2010, Y0 + 1000), (X0 + 1000, Y0 - 10), (X0 + 1000, Y0 + 2010)]
    projects = utm_points(inside + outside, project_id=[f"p{i}" for i in range(8)], sector=["school"] * 8)
    got = exposure.projects_in_zones(projects, square_zone)
    assert got["hazard_class"].tolist()[:4] == ["High"] * 4
    assert got["hazard_class"].isna().tolist()[4:] == [True] * 4
    assert got["exposure"].tolist() == ["High"] * 4 + ["Outside zones"] * 4
    assert got["hazard_rank"].tolist() == [4] * 4 + [0] * 4


def test_a_point_on_the_zone_edge_counts_as_inside():
    zones = zone_frame([box(74.0, 42.0, 74.1, 42.1), box(74.1, 42.0, 74.2, 42.1)], ["Low", "High"], crs=4326)
    points = gpd.GeoDataFrame({"project_id": ["edge", "shared"]},
                              geometry=[Point(74.05, 42.0), Point(74.1, 42.05)], crs=4326)
    got = exposure.projects_in_zones(points, zones)
    assert got["exposure"].tolist() == ["Low", "High"]   # on the shared edge the worse class applies


def test_points_lines_areas_and_empty_geometries_in_one_frame():
    """Points take the fast coordinate path, the rest the geometry query; both give the worst class."""
    zones = zone_frame([box(74.0, 42.0, 74.1, 42.1), box(74.1, 42.0, 74.2, 42.1)], ["Low", "High"], crs=4326)
    frame = gpd.GeoDataFrame(
        {"project_id": ["pt_low", "line_both", "area_low", "none", "empty_pt", "pt_out", "line_out"]},
        geometry=[Point(74.05, 42.05), LineString([(74.05, 42.05), (74.15, 42.05)]),
                  box(74.02, 42.02, 74.03, 42.03), None, Point(), Point(75.0, 42.5),
                  LineString([(75, 42), (75.1, 42.1)])],
        crs=4326,
    )
    ranks = exposure.worst_rank(frame, zones)
    assert ranks.tolist() == [2, 4, 2, -1, -1, 0, 0]      # Low = 2, High = 4; empty = no location


def test_worst_class_wins_where_zones_overlap_and_missing_geometry_has_no_location():
    zones = zone_frame([box(X0, Y0, X0 + 2000, Y0 + 2000), box(X0 + 1000, Y0, X0 + 3000, Y0 + 2000)],
                       ["Low", "High"])
    projects = utm_points([(X0 + 500, Y0 + 500), (X0 + 1500, Y0 + 500), (X0 + 2500, Y0 + 500)],
                          project_id=["a", "b", "c"], sector=["road", "road", "school"])
    projects = pd.concat([projects, gpd.GeoDataFrame({"project_id": ["d"], "sector": ["school"]},
                                                     geometry=[None], crs=4326)], ignore_index=True)
    got = exposure.projects_in_zones(gpd.GeoDataFrame(projects, crs=4326), zones)
    assert got["exposure"].tolist() == ["Low", "High", "High", "No location"]
    counts = exposure.project_counts(got)
    as_dict = {(r.hazard_class, r.sector): r.projects for r in counts.itertuples()}
    assert as_dict == {("High", "road"): 1, ("High", "school"): 1, ("Low", "road"): 1, ("No location", "school"): 1}
    assert counts["hazard_class"].tolist() == ["High", "High", "Low", "No location"]
    totals = exposure.project_counts(got, by_sector=False).set_index("hazard_class")["projects"]
    assert totals.to_dict() == {"High": 2, "Medium": 0, "Low": 1, "Very low": 0, "Outside zones": 0, "No location": 1}


def test_funding_is_summed_per_currency_never_across(square_zone):
    projects = utm_points([(X0 + 100, Y0 + 100), (X0 + 200, Y0 + 200), (X0 - 500, Y0)],
                          project_id=["a", "b", "c"], sector=["school"] * 3)
    exposed = exposure.projects_in_zones(projects, square_zone)
    funding = pd.DataFrame({
        "project_id": ["a", "a", "b", "b", "c"],
        "amount": [1000.0, 50.0, 2000.0, None, 7.0],
        "currency": ["KGS", "USD", "KGS", "USD", "EUR"],
    })
    table = exposure.funding_by_class(exposed, funding)
    rows = {(r.hazard_class, r.currency): r for r in table.itertuples()}
    assert rows[("High", "KGS")].amount == 3000.0
    assert rows[("High", "USD")].amount == 50.0
    assert rows[("High", "USD")].amount_unknown_rows == 1
    assert rows[("High", "KGS")].projects == 2
    assert rows[("Outside zones", "EUR")].amount == 7.0
    assert len(table) == 3  # no row adds KGS and USD


# --------------------------------------------------------------------------- settlements
def test_missing_population_stays_unknown(square_zone):
    settlements = utm_points(
        [(X0 + 100, Y0 + 100), (X0 + 300, Y0 + 300), (X0 + 500, Y0 + 500), (X0 - 900, Y0), (X0 + 5000, Y0)],
        settlement_id=["s1", "s2", "s3", "s4", "s5"],
        population=pd.array([1000.0, None, 500.0, None, None], dtype="Float64"),
    )
    table = exposure.settlements_exposure(settlements, square_zone).set_index("hazard_class")
    assert table.loc["High", "settlements"] == 3
    assert table.loc["High", "people"] == 1500.0
    assert table.loc["High", "settlements_population_unknown"] == 1
    assert table.loc["Outside zones", "settlements"] == 2
    assert pd.isna(table.loc["Outside zones", "people"])           # both unknown: not 0
    assert table.loc["Outside zones", "settlements_population_unknown"] == 2
    assert table.loc["Medium", "people"] == 0 and table.loc["Medium", "settlements"] == 0


# --------------------------------------------------------------------------- units
def test_unit_level_is_the_worst_class_and_shares_add_up():
    units = gpd.GeoDataFrame(
        {"pcode": ["U1", "U2", "U3"], "level": [3, 3, 3], "population": [12000.0, None, 300.0]},
        geometry=[box(X0, Y0, X0 + 10_000, Y0 + 10_000),            # fully covered, small High corner
                  box(X0 + 20_000, Y0, X0 + 30_000, Y0 + 10_000),   # in no zone
                  box(X0 + 40_000, Y0, X0 + 50_000, Y0 + 10_000)],  # half Medium
        crs=UTM43,
    ).to_crs(4326)
    zones = zone_frame(
        [box(X0 - 1000, Y0 - 1000, X0 + 11_000, Y0 + 11_000),        # Low over all of U1
         box(X0, Y0, X0 + 2000, Y0 + 2000),                          # High 4 km² inside U1 (overlaps Low)
         box(X0 + 40_000, Y0, X0 + 45_000, Y0 + 10_000)],            # Medium, west half of U3
        ["Low", "High", "Medium"],
    )
    table = exposure.unit_hazard_level(units, zones).set_index("pcode")
    assert table["hazard_level"].tolist()[:1] == ["High"]
    assert pd.isna(table.loc["U2", "hazard_level"])
    assert table.loc["U3", "hazard_level"] == "Medium"
    # U1: 4 km² of 100 km² High, the rest Low; overlapping zones are not counted twice
    assert table.loc["U1", "share_high"] == pytest.approx(0.04, abs=1e-4)
    assert table.loc["U1", "share_low"] == pytest.approx(0.96, abs=1e-4)
    classes = ["share_high", "share_medium", "share_low", "share_very_low"]
    assert table.loc["U1", classes].sum() == pytest.approx(1.0, abs=1e-9)
    assert table.loc["U1", "share_outside"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["U2", "share_outside"] == 1.0
    assert table.loc["U3", "share_medium"] == pytest.approx(0.5, abs=1e-3)
    assert table.loc["U1", "area_km2"] == pytest.approx(100, rel=2e-3)   # equal-area km²
    assert pd.isna(table.loc["U2", "unit_population"])
    # a higher min_share ignores the small High corner
    strict = exposure.unit_hazard_level(units, zones, min_share=0.05).set_index("pcode")
    assert strict.loc["U1", "hazard_level"] == "Low"


def test_flatten_zones_removes_worse_areas():
    zones = zone_frame([box(X0, Y0, X0 + 2000, Y0 + 2000), box(X0, Y0, X0 + 1000, Y0 + 2000)], ["Low", "High"])
    flat = exposure.flatten_zones(zones, UTM43)
    areas = dict(zip(flat["hazard_class"], flat.area))
    assert areas["High"] == pytest.approx(2e6, rel=1e-6)
    assert areas["Low"] == pytest.approx(2e6, rel=1e-6)


# --------------------------------------------------------------------------- lines
def test_pipe_crossing_the_zone_edge_is_split_by_length(square_zone):
    pipe = gpd.GeoDataFrame({"project_id": ["pipe"]}, geometry=[LineString([(X0 - 500, Y0 + 1000),
                                                                            (X0 + 1500, Y0 + 1000)])],
                            crs=UTM43).to_crs(4326)
    table = exposure.line_length_by_class(pipe, square_zone)
    lengths = dict(zip(table["hazard_class"], table["length_m"]))
    assert lengths["High"] == pytest.approx(1500, abs=1)
    assert lengths["Outside zones"] == pytest.approx(500, abs=1)
    assert lengths["Low"] == 0 and lengths["Medium"] == 0 and lengths["Very low"] == 0
    # with a Low zone behind it the outside part becomes Low, the High part stays High
    zones = pd.concat([square_zone, zone_frame([box(X0 - 3000, Y0, X0 + 3000, Y0 + 2000)], ["Low"])],
                      ignore_index=True)
    table = exposure.line_length_by_class(pipe, gpd.GeoDataFrame(zones, crs=4326))
    lengths = dict(zip(table["hazard_class"], table["length_m"]))
    assert lengths["High"] == pytest.approx(1500, abs=1) and lengths["Low"] == pytest.approx(500, abs=1)
    assert lengths["Outside zones"] == pytest.approx(0, abs=1e-6)


# --------------------------------------------------------------------------- rasters
@pytest.fixture
def value_raster(tmp_path) -> Path:
    """2 × 2 cells of 100 m in UTM 43N: [[10, 20], [30, 40]]."""
    path = tmp_path / "values.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32", crs=UTM43,
                       transform=from_origin(500_000, 4_700_000, 100, 100), nodata=-9999) as dst:
        dst.write(np.array([[10, 20], [30, 40]], dtype="float32"), 1)
    return path


def test_partial_cell_coverage_weights_the_mean(value_raster, tmp_path):
    polygons = gpd.GeoDataFrame(
        {"pcode": ["half", "one-and-a-bit", "half-outside"]},
        geometry=[box(500_000, 4_699_950, 500_100, 4_700_000),      # exactly half of cell 10
                  box(500_000, 4_699_910, 500_140, 4_699_990),      # 0.8 of cell 10 + 0.32 of cell 20
                  box(499_900, 4_699_900, 500_100, 4_700_000)],     # cell 10 + 100 m × 100 m off the grid
        crs=UTM43,
    ).to_crs(4326)                                                   # given in lon/lat, measured on the grid
    exact = exposure.raster_zonal(value_raster, polygons, ("mean", "max", "coverage", "cells"), key="pcode")
    exact = exact.set_index("pcode")
    assert exact.loc["half", "mean"] == pytest.approx(10.0)
    assert exact.loc["half", "cells"] == pytest.approx(0.5, abs=1e-6)
    assert exact.loc["one-and-a-bit", "mean"] == pytest.approx((10 * 0.8 + 20 * 0.32) / 1.12, abs=1e-6)
    assert exact.loc["one-and-a-bit", "max"] == 20
    assert exact.loc["one-and-a-bit", "coverage"] == pytest.approx(1.0, abs=1e-6)
    assert exact.loc["half-outside", "coverage"] == pytest.approx(0.5, abs=1e-6)
    # the centre-of-cell method drops the partly covered cell 20 (its centre is outside)
    centre = exposure.raster_zonal_centre(value_raster, polygons, ("mean", "max", "cells"), key="pcode")
    centre = centre.set_index("pcode")
    assert centre.loc["one-and-a-bit", "mean"] == 10 and centre.loc["one-and-a-bit", "cells"] == 1
    assert centre.loc["half-outside", "cells"] == 1 and centre.loc["half-outside", "mean"] == 10
    # (an exact half cell has its centre on the polygon's edge: undefined for that method)


def test_population_weighted_zonal_mean(value_raster, tmp_path):
    weights = tmp_path / "people.tif"
    with rasterio.open(weights, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32", crs=UTM43,
                       transform=from_origin(500_000, 4_700_000, 100, 100), nodata=-1) as dst:
        dst.write(np.array([[100, 300], [0, 0]], dtype="float32"), 1)
    polygon = gpd.GeoDataFrame({"pcode": ["p"]}, geometry=[box(500_000, 4_699_900, 500_150, 4_700_000)], crs=UTM43)
    got = exposure.raster_zonal(value_raster, polygon, ("mean",), weights_path=weights, key="pcode").iloc[0]
    assert got["mean"] == pytest.approx((10 + 20 * 0.5) / 1.5)
    # (10·1·100 + 20·0.5·300) / (1·100 + 0.5·300) = 4000 / 250
    assert got["weighted_mean"] == pytest.approx(16.0)
    assert got["weight_sum"] == pytest.approx(250.0)


# --------------------------------------------------------------------------- report and command
def _frames(square_zone):
    projects = utm_points([(X0 + 100, Y0 + 100), (X0 - 500, Y0)], project_id=["a", "b"], title=["in", "out"],
                          sector=["school", "road"], location_precision=[1, 3])
    settlements = utm_points([(X0 + 300, Y0 + 300)], settlement_id=["s1"], population=[250.0])
    units = gpd.GeoDataFrame({"pcode": ["KG-T-1"], "level": [2], "name_en": ["Test"]},
                             geometry=[box(X0 - 1000, Y0 - 1000, X0 + 3000, Y0 + 3000)], crs=UTM43).to_crs(4326)
    canal = gpd.GeoDataFrame({"canal_id": ["c1"], "name": ["canal"]},
                             geometry=[LineString([(X0 - 500, Y0 + 1000), (X0 + 1500, Y0 + 1000)])],
                             crs=UTM43).to_crs(4326)
    funding = pd.DataFrame({"funding_id": ["f1"], "project_id": ["a"], "amount": [500.0], "currency": ["KGS"]})
    return {"projects": projects, "settlements": settlements, "admin_units": units, "canals": canal,
            "funding": funding}


def test_exposure_report_tables(square_zone):
    report = exposure.exposure_report(_frames(square_zone), square_zone)
    by_class = report["by_class"].set_index("hazard_class")
    assert by_class.loc["High", "projects"] == 1 and by_class.loc["Outside zones", "projects"] == 1
    assert by_class.loc["High", "people"] == 250
    # the canal is split like the pipe (lengths in the equal-area CRS, within 0.1 %)
    assert by_class.loc["High", "line_length_m"] == pytest.approx(1500, rel=1e-3)
    assert report["projects_at_risk"]["project_id"].tolist() == ["a"]
    assert report["projects_at_risk"]["lon"].iloc[0] == pytest.approx(74.38, abs=0.02)
    unit = report["by_unit"].iloc[0]
    assert unit["hazard_level"] == "High" and unit["share_high"] == pytest.approx(4 / 16, abs=1e-3)
    per_unit = report["by_unit_class"].set_index("hazard_class")
    assert per_unit.loc["High", "projects"] == 1 and per_unit.loc["Outside zones", "projects"] == 1
    assert per_unit["area_share"].sum() == pytest.approx(1.0)
    assert report["funding_by_class"]["amount"].tolist() == [500.0]
    assert report["layer"]["source"].iloc[0] == "hand-made test zones"


def test_run_exposure_command_reads_a_file_and_writes_json_and_csv(square_zone, tmp_path):
    raw = gpd.GeoDataFrame({"depth": [2.0]}, geometry=[box(X0, Y0, X0 + 2000, Y0 + 2000)], crs=UTM43)
    path = tmp_path / "flood_depth.gpkg"
    raw.to_file(path, engine="pyogrio")
    text = exposure.run_exposure_command(path, _frames(square_zone), "json", mapping='{"High": 1, "Low": 0}',
                                         source="test", licence="CC0")
    out = json.loads(text)
    assert out["layer"]["hazard_type"] == "flood" and out["layer"]["licence"] == "CC0"
    by_class = {row["hazard_class"]: row for row in out["tables"]["by_class"]}
    assert by_class["High"]["projects"] == 1 and by_class["No location"]["line_length_m"] is None
    csv = pd.read_csv(io.StringIO(exposure.run_exposure_command(path, _frames(square_zone), "csv",
                                                                 mapping={"High": 1, "Low": 0})))
    row = csv[(csv["table"] == "by_class") & (csv["hazard_class"] == "High") & (csv["measure"] == "projects")]
    assert row["value"].astype(float).tolist() == [1.0]
    one = pd.read_csv(io.StringIO(exposure.run_exposure_command(path, _frames(square_zone), "csv",
                                                                 mapping={"High": 1, "Low": 0},
                                                                 table="projects_at_risk")))
    assert one["project_id"].tolist() == ["a"]
    with pytest.raises(InputError):
        exposure.run_exposure_command(path, _frames(square_zone), "xml", mapping={"High": 1})


# --------------------------------------------------------------------------- real layer (test-only)
@pytest.mark.skipif(not MUDFLOW.exists(), reason="test-only mudflow reference layer not present")
def test_real_mudflow_layer_with_synthetic_points():
    mapping = {"High": 10, "Medium": 5, "Low": 2, "Very low": 0}
    zones = hazards.read_hazard_vector(MUDFLOW, hazard_type="mudflow", value_column="mudflow", mapping=mapping,
                                       source="MoES 2009 via WFP PRISM (test only)")
    assert len(zones) == 221
    # one synthetic point inside each of a few zones, one far outside the country
    picks = zones.iloc[::40]
    points = shapely.point_on_surface(picks.geometry.values)
    projects = gpd.GeoDataFrame({"project_id": [f"syn-{i}" for i in range(len(points))] + ["syn-out"],
                                 "sector": "synthetic"},
                                geometry=list(points) + [Point(60.0, 45.0)], crs=4326)
    got = exposure.projects_in_zones(projects, zones)
    assert got["hazard_class"].tolist()[:-1] == picks["hazard_class"].tolist()
    assert got["exposure"].iloc[-1] == "Outside zones"
    report = exposure.exposure_report({"projects": projects}, zones)
    assert report["by_class"]["projects"].sum() == len(projects)


def test_very_low_is_not_at_risk_and_an_empty_store_gives_zero_counts(square_zone):
    zones = zone_frame([box(X0, Y0, X0 + 2000, Y0 + 2000)], ["Very low"])
    projects = utm_points([(X0 + 100, Y0 + 100)], project_id=["a"], sector=["road"])
    report = exposure.exposure_report({"projects": projects}, zones)
    assert report["by_class"].set_index("hazard_class").loc["Very low", "projects"] == 1
    assert report["projects_at_risk"].empty
    empty = exposure.exposure_report({}, square_zone)
    assert empty["by_class"]["projects"].sum() == 0 and empty["by_class"]["settlements"].sum() == 0
    assert empty["projects_at_risk"].empty and empty["by_unit"].empty
    json.loads(exposure.report_to_json(empty))
