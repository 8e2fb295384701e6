"""Hazard layer import: CRS handling, classification mappings, rasters, provenance."""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin
from shapely.geometry import Point, box

from geo import hazards
from geo.errors import CRSUnresolvedError, NotGeodataError, OutsideCountryError, SchemaError

UTM43 = "EPSG:32643"
X0, Y0 = 449_000.0, 4_739_000.0           # near Bishkek (74.4 E, 42.8 N), UTM zone 43N
TO_LONLAT = Transformer.from_crs(UTM43, "EPSG:4326", always_xy=True)
MUDFLOW = Path("/work/shared/data/reference/github/kgz_mudflow_recurrence_zones_moes2009.geojson")


# --------------------------------------------------------------------------- mappings
def test_thresholds_higher_is_worse():
    mapping = hazards.make_mapping({"High": 10, "Medium": 5, "Low": 2, "Very low": 0})
    assert mapping.kind == "thresholds" and mapping.higher_is_worse
    got = mapping.classify(pd.Series([30, 10, 9.99, 5, 2, 1.5, 0, -1, np.nan]))
    assert got.tolist()[:7] == ["High", "High", "Medium", "Medium", "Low", "Very low", "Very low"]
    assert got.isna().tolist()[7:] == [True, True]  # below every bound, and unknown


def test_thresholds_lower_is_worse_for_return_periods():
    # return period in years: 2-year events are worse than 100-year ones
    mapping = hazards.make_mapping({"High": 10, "Medium": 50, "Low": 100, "Very low": 1000})
    assert not mapping.higher_is_worse
    got = mapping.classify(pd.Series([2, 10, 11, 50, 100, 500, 5000]))
    assert got.tolist()[:6] == ["High", "High", "Medium", "Medium", "Low", "Very low"]
    assert pd.isna(got.iloc[6])


def test_categories_and_class_names():
    mapping = hazards.make_mapping({"1": "very_low", 2: "LOW", "3.0": "medium", "zone A": "High"})
    assert mapping.kind == "categories"
    got = mapping.classify(pd.Series([1, 2.0, "3", "Zone A", 4, None], dtype=object))
    assert got.tolist()[:4] == ["Very low", "Low", "Medium", "High"]
    assert got.isna().tolist()[4:] == [True, True]
    same = hazards.classify_values(pd.Series(["high", "Very Low", "bogus"]))
    assert same.tolist()[:2] == ["High", "Very low"] and pd.isna(same.iloc[2])


def test_mapping_from_json_text_and_file(tmp_path):
    spec = {"thresholds": {"High": 0.4, "Medium": 0.2}, "higher_is_worse": True}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(spec))
    for given in (json.dumps(spec), str(path)):
        mapping = hazards.make_mapping(given)
        assert mapping.classify(pd.Series([0.5, 0.3, 0.1])).tolist()[:2] == ["High", "Medium"]
    assert hazards.make_mapping(mapping.to_dict()) == mapping


@pytest.mark.parametrize("bad", [
    {"High": 5, "Medium": 10, "Low": 2},          # not monotonic
    {"Severe": 5},                                 # not a class
    {"a": "Extreme"},                              # not a class
    {},
    "not json",
])
def test_bad_mappings_say_what_is_wrong(bad):
    with pytest.raises(SchemaError):
        hazards.make_mapping(bad)


def test_legend_rules():
    legend = hazards.make_mapping({"High": 10, "Medium": 5, "Low": 2}).legend()
    assert legend["hazard_class"].tolist() == ["High", "Medium", "Low"]
    assert legend["rule"].tolist() == [">= 10", ">= 5 and < 10", ">= 2 and < 5"]
    assert legend["colour"].str.startswith("#").all()


# --------------------------------------------------------------------------- vectors
def _utm_zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"depth_m": [2.5, 0.7, 0.1], "name": ["a", "b", "c"]},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 2000), box(X0 + 5000, Y0, X0 + 6000, Y0 + 1000),
                  box(X0 + 8000, Y0, X0 + 9000, Y0 + 1000)],
        crs=UTM43,
    )


def test_vector_in_utm_comes_back_in_4326_at_the_right_place(tmp_path):
    path = tmp_path / "flood_utm.gpkg"
    _utm_zones().to_file(path, engine="pyogrio")
    zones = hazards.read_hazard_vector(
        path, hazard_type="flood", value_column="depth_m", mapping={"High": 1.5, "Medium": 0.5, "Low": 0},
        source="Test agency flood study", source_date="2024-05-01", licence="CC BY 4.0",
    )
    assert zones.crs.to_epsg() == 4326
    assert list(zones.columns[:9]) == ["zone_id", "hazard_type", "hazard_class", "value", "layer_name", "source",
                                       "source_date", "licence", "indicative"]
    assert zones["hazard_class"].tolist() == ["High", "Medium", "Low"]
    assert zones["value"].tolist() == [2.5, 0.7, 0.1]
    assert set(zones.geom_type) == {"MultiPolygon"}
    # the 2 km square's corners land where pyproj puts them
    for x, y in [(X0, Y0), (X0 + 2000, Y0 + 2000)]:
        lon, lat = TO_LONLAT.transform(x, y)
        assert shapely.distance(zones.geometry.iloc[0].boundary, Point(lon, lat)) < 1e-9
    lon, lat = TO_LONLAT.transform(X0 + 1000, Y0 + 1000)
    assert 74 < lon < 75 and 42.5 < lat < 43
    assert zones.geometry.iloc[0].contains(Point(lon, lat))
    # provenance is kept, the layer is not indicative
    assert (zones["source"] == "Test agency flood study").all()
    assert (zones["source_date"] == "2024-05-01").all() and (zones["licence"] == "CC BY 4.0").all()
    assert not zones["indicative"].any()
    # area survives the round trip (2 km × 2 km = 4 km²)
    assert zones.to_crs(UTM43).area.iloc[0] == pytest.approx(4e6, rel=1e-6)


def test_vector_with_class_names_needs_no_mapping_and_unknown_licence_stays_empty(tmp_path):
    frame = _utm_zones().assign(hazard_class=["high", "Low", "none"])
    path = tmp_path / "zones.gpkg"
    frame.to_file(path, engine="pyogrio")
    zones = hazards.read_hazard_vector(path, hazard_type="landslide", source="survey")
    assert zones["hazard_class"].tolist()[:2] == ["High", "Low"]
    assert pd.isna(zones["hazard_class"].iloc[2])
    assert zones["licence"].isna().all() and zones["source_date"].isna().all()


def test_numeric_column_without_mapping_is_refused(tmp_path):
    path = tmp_path / "z.gpkg"
    _utm_zones().to_file(path, engine="pyogrio")
    with pytest.raises(SchemaError, match="thresholds"):
        hazards.read_hazard_vector(path, hazard_type="flood", value_column="depth_m")


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_missing_crs_and_wrong_place_are_reported(tmp_path):
    no_crs = tmp_path / "nocrs.geojson"
    no_crs.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"hazard_class": "High"},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}))
    # GeoJSON without "crs" is WGS 84 by definition; at 0°,0° it is outside the country
    with pytest.raises(OutsideCountryError):
        hazards.read_hazard_vector(no_crs, hazard_type="flood")
    shp = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame({"class": ["High"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)]).to_file(shp, engine="pyogrio")
    with pytest.raises(CRSUnresolvedError):
        hazards.read_hazard_vector(shp, hazard_type="flood")
    junk = tmp_path / "junk.geojson"
    junk.write_text("this is not geojson")
    with pytest.raises(NotGeodataError):
        hazards.read_hazard_vector(junk, hazard_type="flood")


def test_invalid_polygon_is_repaired_and_points_are_not_zones(tmp_path):
    bowtie = shapely.from_wkt(f"POLYGON(({X0} {Y0}, {X0+1000} {Y0+1000}, {X0+1000} {Y0}, {X0} {Y0+1000}, {X0} {Y0}))")
    frame = gpd.GeoDataFrame({"hazard_class": ["High"]}, geometry=[bowtie], crs=UTM43)
    zones = hazards.zones_from_frame(frame, hazard_type="landslide", source="test")
    assert zones.geometry.is_valid.all()
    assert zones.to_crs(UTM43).area.iloc[0] == pytest.approx(500_000, rel=1e-6)
    points = gpd.GeoDataFrame({"hazard_class": ["High"]}, geometry=[Point(X0, Y0)], crs=UTM43)
    with pytest.raises(NotGeodataError):
        hazards.zones_from_frame(points, hazard_type="landslide", source="test")


# --------------------------------------------------------------------------- rasters
def _write_raster(path: Path, data: np.ndarray, crs: str, transform, nodata=-9999.0) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype="float32", crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(data.astype("float32"), 1)
    return path


def test_projected_raster_classifies_and_vectorises_correctly(tmp_path):
    # 3 × 3 cells of 100 m in UTM 43N: PGA in g
    data = np.array([[0.50, 0.45, 0.10],
                     [0.30, 0.25, 0.05],
                     [-9999, 0.02, 0.12]])
    path = _write_raster(tmp_path / "pga.tif", data, UTM43, from_origin(X0, Y0 + 300, 100, 100))
    mapping = {"High": 0.4, "Medium": 0.2, "Low": 0.1, "Very low": 0.0}
    classified = hazards.classify_raster(path, mapping)
    assert classified.ranks.tolist() == [[4, 4, 2], [3, 3, 1], [0, 1, 2]]
    zones = hazards.read_hazard_raster(path, hazard_type="earthquake", mapping=mapping, source="test PGA",
                                       licence="CC0")
    assert zones.crs.to_epsg() == 4326
    assert zones["hazard_class"].tolist() == ["High", "Medium", "Low", "Very low"]
    areas = dict(zip(zones["hazard_class"], zones.to_crs(UTM43).area))
    assert areas["High"] == pytest.approx(20_000, rel=1e-6)      # 2 cells of 100 m × 100 m
    assert areas["Medium"] == pytest.approx(20_000, rel=1e-6)
    assert areas["Low"] == pytest.approx(20_000, rel=1e-6)       # 2 separate cells in one MultiPolygon
    assert areas["Very low"] == pytest.approx(20_000, rel=1e-6)  # the nodata cell is in no class
    # the centre of the top-left cell is in High, that of the nodata cell in nothing
    lon, lat = TO_LONLAT.transform(X0 + 50, Y0 + 250)
    assert zones.loc[zones.contains(Point(lon, lat)), "hazard_class"].tolist() == ["High"]
    lon, lat = TO_LONLAT.transform(X0 + 50, Y0 + 50)
    assert not zones.contains(Point(lon, lat)).any()
    assert zones["value"].isna().all() and (zones["licence"] == "CC0").all()


def test_class_raster_can_be_written_for_zonal_statistics(tmp_path):
    data = np.array([[5.0, 1.0], [0.5, -9999]])
    src = _write_raster(tmp_path / "depth.tif", data, UTM43, from_origin(X0, Y0 + 200, 100, 100))
    out = hazards.write_class_raster(src, {"High": 2, "Medium": 1, "Low": 0.25}, tmp_path / "classes.tif")
    with rasterio.open(out) as ds:
        assert ds.read(1).tolist() == [[4, 3], [2, 0]] and ds.nodata == 0 and ds.crs.to_epsg() == 32643


def test_raster_without_crs_is_refused(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32",
                       transform=from_origin(0, 2, 1, 1)) as dst:
        dst.write(np.ones((2, 2), dtype="float32"), 1)
    with pytest.raises(CRSUnresolvedError):
        hazards.read_hazard_raster(path, hazard_type="flood", mapping={"High": 1})


def test_read_hazard_layer_dispatches_on_suffix(tmp_path):
    data = np.array([[1.0, 3.0]])
    tif = _write_raster(tmp_path / "x.tif", data, UTM43, from_origin(X0, Y0 + 100, 100, 100))
    assert hazards.read_hazard_layer(tif, hazard_type="flood", mapping={"High": 2, "Low": 0},
                                     source="s")["hazard_class"].tolist() == ["High", "Low"]


# --------------------------------------------------------------------------- layers
def test_official_import_replaces_indicative_layer_of_its_type():
    geom = [box(74.0, 42.0, 74.1, 42.1)]
    indicative = hazards.zones_from_frame(
        gpd.GeoDataFrame({"hazard_class": ["High", "Low"]}, geometry=geom * 2, crs=4326),
        hazard_type="flood", layer_name="river band (indicative)", source="derived", indicative=True)
    slope = hazards.zones_from_frame(
        gpd.GeoDataFrame({"hazard_class": ["Low"]}, geometry=geom, crs=4326),
        hazard_type="landslide", layer_name="slope (indicative)", source="derived", indicative=True)
    current = pd.concat([indicative, slope], ignore_index=True)
    official = hazards.zones_from_frame(
        gpd.GeoDataFrame({"hazard_class": ["Medium"]}, geometry=geom, crs=4326),
        hazard_type="flood", layer_name="MoES flood 2024", source="MoES")
    merged = hazards.replace_indicative(gpd.GeoDataFrame(current, geometry="geometry", crs=4326), official)
    assert sorted(merged["layer_name"].unique()) == ["MoES flood 2024", "slope (indicative)"]
    table = hazards.hazard_layers(merged)
    assert dict(zip(table["layer_name"], table["zones"])) == {"MoES flood 2024": 1, "slope (indicative)": 1}


# --------------------------------------------------------------------------- real layer (test-only)
@pytest.mark.skipif(not MUDFLOW.exists(), reason="test-only mudflow reference layer not present")
def test_real_mudflow_layer_imports_with_provenance():
    mapping = {"High": 10, "Medium": 5, "Low": 2, "Very low": 0}
    zones = hazards.read_hazard_vector(MUDFLOW, hazard_type="mudflow", value_column="mudflow", mapping=mapping,
                                       source="MoES mudflow recurrence via WFP PRISM", source_date="2009")
    assert len(zones) == 221
    assert zones["hazard_class"].notna().all()
    expected = hazards.classify_values(zones["value"].astype(float), mapping)
    assert (zones["hazard_class"] == expected).all()
    assert zones.geometry.is_valid.all()
    minx, miny, maxx, maxy = zones.total_bounds
    assert 69 < minx < 70.5 and 79.5 < maxx < 81 and 39 < miny < 40 and 42.5 < maxy < 43.5


# --------------------------------------------------------------------------- the stored value → class rule
def test_every_import_path_stores_the_rule_it_used(tmp_path):
    path = tmp_path / "z.gpkg"
    _utm_zones().assign(code=["3", "1", "9"]).to_file(path, engine="pyogrio")
    thresholds = {"High": 1.5, "Medium": 0.5, "Low": 0}
    by_threshold = hazards.read_hazard_vector(path, hazard_type="flood", value_column="depth_m", mapping=thresholds)
    by_category = hazards.read_hazard_vector(path, hazard_type="flood", value_column="code",
                                             mapping={"3": "High", "1": "Low"})
    by_name = hazards.zones_from_frame(_utm_zones().assign(hazard_class=["High", "Low", "Low"]), hazard_type="flood")
    tif = _write_raster(tmp_path / "pga.tif", np.array([[0.5, 0.1]]), UTM43, from_origin(X0, Y0 + 100, 100, 100))
    by_raster = hazards.read_hazard_raster(tif, hazard_type="earthquake", mapping={"High": 0.4, "Low": 0.05})
    for zones in (by_threshold, by_category, by_name, by_raster):
        assert zones["class_rule"].nunique() == 1 and zones["class_rule"].notna().all()
    assert json.loads(by_threshold["class_rule"].iloc[0]) == {
        "thresholds": {"High": 1.5, "Medium": 0.5, "Low": 0.0}, "higher_is_worse": True}
    assert json.loads(by_category["class_rule"].iloc[0]) == {"categories": {"3": "High", "1": "Low"}}
    assert json.loads(by_name["class_rule"].iloc[0]) == {"classes": True}
    assert json.loads(by_raster["class_rule"].iloc[0]) == {"thresholds": {"High": 0.4, "Low": 0.05},
                                                           "higher_is_worse": True}
    # read back, the stored rule gives the classes the import gave
    back = hazards.rule_mapping(by_threshold["class_rule"].iloc[0])
    assert back.classify(pd.Series([2.5, 0.7, 0.1])).tolist() == by_threshold["hazard_class"].tolist()
    assert hazards.rule_mapping(by_category["class_rule"].iloc[0]).classify(pd.Series(["3", "1", "9"])).tolist()[:2] \
        == ["High", "Low"]
    # a lower-is-worse rule keeps its direction
    periods = hazards.rule_text({"High": 10, "Medium": 50})
    assert hazards.rule_mapping(periods).higher_is_worse is False


@pytest.mark.parametrize("empty", [None, pd.NA, float("nan"), "", "   ", "not a rule", '{"Severe": 3}'])
def test_an_empty_or_unreadable_stored_rule_is_none(empty):
    assert hazards.rule_mapping(empty) is None


def test_layer_table_carries_the_rule():
    frame = gpd.GeoDataFrame({"v": [1.0, 3.0]}, geometry=[box(74.0, 42.0, 74.1, 42.1), box(74.2, 42.0, 74.3, 42.1)],
                             crs=4326)
    zones = hazards.zones_from_frame(frame, hazard_type="flood", mapping={"High": 2}, layer_name="L")
    table = hazards.hazard_layers(zones)
    assert table["zones"].tolist() == [2]
    assert json.loads(table["class_rule"].iloc[0]) == {"thresholds": {"High": 2.0}, "higher_is_worse": True}


# --------------------------------------------------------------------------- translated errors
def test_errors_carry_catalogue_keys_and_translate(tmp_path):
    with pytest.raises(OutsideCountryError) as info:
        hazards.zones_from_frame(gpd.GeoDataFrame({"hazard_class": ["High"]}, geometry=[box(10, 50, 10.1, 50.1)],
                                                  crs=4326), hazard_type="flood")
    assert info.value.key == "err.hazard.outside"
    assert "10.000–10.100 E, 50.000–50.100 N, outside Kyrgyzstan" in str(info.value)
    assert "за пределами Кыргызстана" in info.value.text("ru") and "10.000" in info.value.text("ru")
    assert "Кыргызстандын сыртында" in info.value.text("ky")

    with pytest.raises(SchemaError) as info:
        hazards.make_mapping({"x": 1, "y": "z"})
    assert info.value.key == "err.hazard.mapping_unknown"
    for lang in ("en", "ru", "ky"):   # the JSON examples survive formatting in every language
        assert hazards.EXAMPLE_THRESHOLDS in info.value.text(lang) and "{thresholds}" not in info.value.text(lang)

    path = tmp_path / "z.gpkg"
    _utm_zones().to_file(path, engine="pyogrio")
    with pytest.raises(SchemaError) as info:
        hazards.read_hazard_vector(path, hazard_type="flood", value_column="nope")
    assert info.value.key == "err.hazard.no_column"
    assert str(info.value) == "The layer has no column 'nope'. Its columns: depth_m, name."
    assert info.value.text("ru") == "В слое нет столбца «nope». Его столбцы: depth_m, name."


def test_every_hazard_error_key_is_in_all_three_catalogues():
    import re

    from geo import i18n

    root = Path(__file__).resolve().parents[2]
    used = set()
    for name in ("geo/hazards.py", "geo/exposure.py", "geo/indicative_hazard.py", "geo/hazard_store.py"):
        used |= set(re.findall(r'"(err\.hazard\.[a-z_]+)"', (root / name).read_text(encoding="utf-8")))
    assert len(used) > 40
    for lang in ("en", "ru", "ky"):
        assert sorted(k for k in used if k not in i18n.catalogue(lang)) == [], lang
    # translations, not English copies
    same = [k for k in used if i18n.catalogue("ru")[k] == i18n.catalogue("en")[k]
            or i18n.catalogue("ky")[k] == i18n.catalogue("en")[k]]
    assert same == []
