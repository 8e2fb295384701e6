"""Checks on the shipped reference data in data/ (rebuilt by scripts/build_reference_data.py).

Areas are measured in an Albers equal-area projection centred on Kyrgyzstan, never in degrees.
"""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely

from geo import settings
from geo.schema import ADMIN_UNITS, COUNTRY, LAKES, RIVERS, SETTLEMENTS

EQUAL_AREA = "+proj=aea +lat_1=39 +lat_2=43 +lat_0=41 +lon_0=75 +datum=WGS84 +units=m +no_defs"
REFERENCE_DIR = Path("/work/shared/data/reference/registry")
ADM1_CODES = {"KG-B", "KG-C", "KG-GB", "KG-J", "KG-N", "KG-O", "KG-T", "KG-Y"}
#: Largest share of a rayon's area that must lie in its oblast. geoBoundaries' Jumgal polygon
#: reaches about 1,170 km² into what Natural Earth draws as Chüy (the Suusamyr side), so it
#: only gets 75 %; every other rayon is at 80 % or more.
MIN_SHARE = 0.80
KNOWN_COARSE = {"KG-N-JUMGAL": 0.72}
SHIPPED = [
    settings.COUNTRY_FILE, settings.OBLAST_FILE, settings.RAYON_FILE, settings.SETTLEMENT_FILE,
    settings.RIVER_FILE, settings.LAKE_FILE, settings.ELEVATION_FILE,
]


def read(path: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(path, engine="pyogrio")


@pytest.fixture(scope="module")
def country() -> gpd.GeoDataFrame:
    return read(settings.COUNTRY_FILE)


@pytest.fixture(scope="module")
def oblasts() -> gpd.GeoDataFrame:
    return read(settings.OBLAST_FILE)


@pytest.fixture(scope="module")
def rayons() -> gpd.GeoDataFrame:
    return read(settings.RAYON_FILE)


@pytest.fixture(scope="module")
def settlements() -> gpd.GeoDataFrame:
    return read(settings.SETTLEMENT_FILE)


def metric_geoms(frame: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(frame.to_crs(EQUAL_AREA).geometry.array, dtype=object)


def overlap_matrix(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> np.ndarray:
    """Intersection area (m²) of every row of ``a`` with every row of ``b``."""
    ga, gb = metric_geoms(a), metric_geoms(b)
    return shapely.area(shapely.intersection(ga[:, None], gb[None, :]))


# ----------------------------------------------------------------------------- files and schema
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_file_exists_and_is_listed_in_sources(path):
    assert path.exists(), f"{path} missing; run scripts/build_reference_data.py"
    sources = (settings.DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    assert path.name in sources


def test_seed_table_is_described_in_sources():
    sources = (settings.DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    assert "seed/projects.csv" in sources


def test_data_folder_stays_small():
    folders = ["boundaries", "places", "hydro", "elevation"]
    total = sum(f.stat().st_size for d in folders for f in (settings.DATA_DIR / d).glob("*") if f.is_file())
    assert total < 10 * 1024 * 1024


@pytest.mark.parametrize("path,layer", [
    (settings.COUNTRY_FILE, COUNTRY), (settings.OBLAST_FILE, ADMIN_UNITS),
    (settings.RAYON_FILE, ADMIN_UNITS), (settings.SETTLEMENT_FILE, SETTLEMENTS),
    (settings.RIVER_FILE, RIVERS), (settings.LAKE_FILE, LAKES),
], ids=lambda x: getattr(x, "name", None))
def test_columns_match_schema(path, layer):
    frame = read(path)
    assert list(frame.columns.drop("geometry")) == list(layer.columns)
    assert frame.crs.to_epsg() == 4326
    assert frame[layer.key].is_unique and frame[layer.key].notna().all()
    assert frame.geometry.is_valid.all() and not frame.geometry.is_empty.any()


# ----------------------------------------------------------------------------- boundaries
def test_country(country):
    assert len(country) == 1
    row = country.iloc[0]
    assert (row.iso_3166_1, row.name_en, row.name_ru, row.name_ky) == ("KG", "Kyrgyzstan", "Кыргызстан", "Кыргызстан")
    area_km2 = country.to_crs(EQUAL_AREA).area.iloc[0] / 1e6
    assert 195_000 < area_km2 < 202_000


def test_oblasts_codes_and_names(oblasts):
    assert set(oblasts.pcode) == ADM1_CODES and len(oblasts) == len(ADM1_CODES)
    assert (oblasts.level == 1).all() and (oblasts.parent_pcode == "KG").all()
    assert oblasts.population.isna().all()
    regions = oblasts[oblasts.pcode != "KG-GB"]
    assert regions.name_ru.str.endswith("область").all()
    assert regions.name_ky.str.endswith("облусу").all()
    assert oblasts.set_index("pcode").loc["KG-N", "name_ru"] == "Нарынская область"
    assert oblasts.set_index("pcode").loc["KG-N", "name_ky"] == "Нарын облусу"
    assert "Osh city" in oblasts.set_index("pcode").loc["KG-O", "note"]
    assert (oblasts.geometry.geom_type == "MultiPolygon").all()


def test_oblasts_tile_the_country(country, oblasts):
    """Gaps and overlaps between the level-1 units stay below 0.5 % of the country's area."""
    country_m = metric_geoms(country)[0]
    units = metric_geoms(oblasts)
    union = shapely.union_all(units)
    total = country_m.area
    gap = shapely.difference(country_m, union).area
    spill = shapely.difference(union, country_m).area
    overlap = shapely.area(units).sum() - union.area
    assert gap / total < 0.005, f"gap {gap / 1e6:.1f} km²"
    assert spill / total < 0.005, f"outside the country {spill / 1e6:.1f} km²"
    assert overlap / total < 0.005, f"overlap {overlap / 1e6:.1f} km²"


def test_bishkek_is_small_and_contains_the_capital(oblasts, settlements):
    bishkek = oblasts.set_index("pcode").loc[["KG-GB"]]
    area_km2 = bishkek.to_crs(EQUAL_AREA).area.iloc[0] / 1e6
    assert 80 < area_km2 < 200
    capital = settlements.set_index("settlement_id").loc["gn:1528675"]
    assert capital.oblast_pcode == "KG-GB"


def test_41_rayons_with_unique_pcodes(rayons, oblasts):
    assert len(rayons) == 41
    assert (rayons.level == 2).all()
    assert set(rayons.parent_pcode) <= set(oblasts.pcode)
    for pcode, parent in zip(rayons.pcode, rayons.parent_pcode):
        assert re.fullmatch(r"KG-[A-Z]{1,2}-[A-Z0-9]+(-[A-Z0-9]+)*", pcode), pcode
        assert pcode.startswith(parent + "-")
    assert "KG-N-KOCHKOR" in set(rayons.pcode)
    assert rayons.note.str.contains("geoBoundaries gbOpen; coarse").all()
    assert rayons.note.str.contains("shapeID ").all()


def test_every_rayon_lies_in_one_oblast(rayons, oblasts):
    inter = overlap_matrix(rayons, oblasts)
    share = inter.max(axis=1) / shapely.area(metric_geoms(rayons))
    best = oblasts.pcode.to_numpy()[inter.argmax(axis=1)]
    for pcode, parent, b, s in zip(rayons.pcode, rayons.parent_pcode, best, share):
        assert parent == b, f"{pcode}: parent {parent}, largest overlap {b}"
        assert s >= KNOWN_COARSE.get(pcode, MIN_SHARE), f"{pcode}: only {s:.0%} in {b}"


def test_rayons_stay_inside_the_country(country, rayons):
    country_m = metric_geoms(country)[0]
    geoms = metric_geoms(rayons)
    outside = shapely.area(shapely.difference(geoms, country_m)) / shapely.area(geoms)
    assert outside.max() < 0.001


def test_rayon_names(rayons):
    names = rayons.set_index("pcode")
    assert names.loc["KG-B-LEILEK", "name_ru"] == "Лейлекский район"
    assert names.loc["KG-N-KOCHKOR", "name_ru"] == "Кочкорский район"
    ru = rayons.name_ru.dropna()
    assert ru.str.endswith(" район").all()
    assert len(ru) >= 35
    ky = rayons.name_ky.dropna()
    assert ky.str.endswith("району").all()


# ----------------------------------------------------------------------------- settlements
def test_settlements_count_and_extent(settlements):
    assert 100 <= len(settlements) <= 130
    assert settlements.settlement_id.str.fullmatch(r"gn:\d+").all()
    assert (settlements.geometry.geom_type == "Point").all()
    minx, miny, maxx, maxy = settings.COUNTRY_BOUNDS
    assert settlements.geometry.x.between(minx, maxx).all()
    assert settlements.geometry.y.between(miny, maxy).all()


def test_settlement_population_is_never_zero(settlements):
    pop = settlements.population
    assert (pop.dropna() > 0).all()
    assert pop.notna().sum() >= 80


def test_settlement_names(settlements):
    cyrillic = re.compile(r"[\u0400-\u04ff]")
    assert settlements.name_ru.dropna().map(lambda s: bool(cyrillic.search(s))).all()
    assert not settlements.name_ru.dropna().str.contains("[ңөүҢӨҮ]").any()
    assert settlements.name_ky.dropna().str.contains("[\u0400-\u04ff]").all()
    by_id = settlements.set_index("settlement_id")
    assert by_id.loc["gn:1528121", "name_ru"] == "Каракол"
    assert by_id.loc["gn:1527004", "name_ru"] == "Балыкчы"


def test_settlements_join_to_units(settlements, oblasts, rayons):
    assert settlements.oblast_pcode.dropna().isin(oblasts.pcode).all()
    assert settlements.rayon_pcode.dropna().isin(rayons.pcode).all()
    assert settlements.oblast_pcode.notna().mean() > 0.95
    assert settlements.rayon_pcode.notna().mean() > 0.85
    parent = rayons.set_index("pcode").parent_pcode
    with_rayon = settlements.dropna(subset=["rayon_pcode"])
    assert (with_rayon.rayon_pcode.map(parent) == with_rayon.oblast_pcode).all()
    by_id = settlements.set_index("settlement_id")
    # Bishkek and Osh are cities of republican significance, outside every rayon
    assert by_id.loc[["gn:1528675", "gn:1527534"], "rayon_pcode"].isna().all()
    assert by_id.loc["gn:1528121", "oblast_pcode"] == "KG-Y"


def test_settlements_inside_their_oblast(settlements, oblasts):
    """A settlement's oblast polygon contains it or lies within 5 km of it."""
    pts = settlements.to_crs(EQUAL_AREA).set_index("settlement_id").geometry
    units = oblasts.to_crs(EQUAL_AREA).set_index("pcode").geometry
    known = settlements.dropna(subset=["oblast_pcode"])
    for sid, ob in zip(known.settlement_id, known.oblast_pcode):
        assert pts[sid].distance(units[ob]) <= 5000, sid


# ----------------------------------------------------------------------------- hydro
def test_rivers():
    rivers = read(settings.RIVER_FILE)
    assert 10 <= len(rivers) <= 60
    assert rivers.name.isna().all()
    measured = rivers.to_crs(EQUAL_AREA).length / 1000
    assert np.allclose(measured, rivers.length_km, rtol=0.01, atol=0.1)
    assert 1200 < rivers.length_km.sum() < 2500


def test_rivers_inside_country(country):
    rivers = read(settings.RIVER_FILE)
    country_m = metric_geoms(country)[0].buffer(100)
    assert shapely.within(metric_geoms(rivers), country_m).all()


def test_lakes():
    lakes = read(settings.LAKE_FILE).set_index("name_en")
    assert {"Issyk-Kul", "Toktogul Reservoir"} <= set(lakes.index)
    area = lakes.to_crs(EQUAL_AREA).area / 1e6
    assert 5_500 < area["Issyk-Kul"] < 7_000
    assert 300 < area["Toktogul Reservoir"] < 900
    assert lakes.name_note.str.contains("named by location").all()


# ----------------------------------------------------------------------------- elevation
def test_elevation_raster():
    with rasterio.open(settings.ELEVATION_FILE) as src:
        assert src.crs.to_epsg() == 4326
        assert src.dtypes[0] == "int16"
        assert src.nodata == -32768
        assert src.profile.get("tiled")
        assert src.compression.name.lower() == "deflate"
        data = src.read(1, masked=True)
        left, bottom, right, top = src.bounds
    minx, miny, maxx, maxy = settings.COUNTRY_BOUNDS
    assert minx <= left and right <= maxx and miny <= bottom and top <= maxy
    assert data.mask.any() and (~data.mask).sum() > 500_000
    assert 200 <= data.min() and data.max() <= 7500
    assert data.max() > 6500  # the Tian Shan peaks are in the grid


def test_elevation_outside_country_is_nodata():
    with rasterio.open(settings.ELEVATION_FILE) as src:
        tashkent = next(src.sample([(69.28, 41.31)]))[0]
        almaty = next(src.sample([(76.95, 43.24)]))[0]
        karakol = next(src.sample([(78.39, 42.49)]))[0]
    assert tashkent == -32768 and almaty == -32768
    assert 1500 < karakol < 2500


# ----------------------------------------------------------------------------- registry comparison
def _reference(name: str) -> gpd.GeoDataFrame:
    path = REFERENCE_DIR / name
    if not path.exists():
        pytest.skip(f"reference file {path} not available")
    return read(path)


def test_oblasts_match_registry_reference(oblasts):
    ref = _reference("kgz_adm1_naturalearth10m_polygonized.geojson").dissolve("iso_3166_2").reset_index()
    ours = oblasts.set_index("pcode").loc[ref.iso_3166_2].reset_index()
    inter = shapely.area(shapely.intersection(metric_geoms(ours), metric_geoms(ref)))
    union = shapely.area(shapely.union(metric_geoms(ours), metric_geoms(ref)))
    assert (inter / union > 0.97).all(), dict(zip(ref.iso_3166_2, np.round(inter / union, 3)))


def test_rayon_parents_match_registry_reference(rayons):
    ref = _reference("kgz_adm2_geoboundaries_gbopen.geojson")
    ours = dict(zip(rayons.note.str.extract(r"shapeID (\w+)")[0], rayons.parent_pcode))
    theirs = dict(zip(ref.shape_id, ref.oblast_iso))
    assert ours == theirs


def test_settlements_match_registry_reference(settlements):
    ref = _reference("kgz_places_geonames_cities500.geojson")
    assert set(settlements.settlement_id) == {f"gn:{i}" for i in ref.geonameid}
    ref_pop = {f"gn:{i}": p for i, p in zip(ref.geonameid, ref.population) if p and p > 0}
    ours = settlements.set_index("settlement_id").population.dropna().to_dict()
    assert ours == pytest.approx(ref_pop)
