"""Placing projects with AidData precision codes (geo/placement.py)."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPoint, Point, box

from geo import settings
from geo.crs import KYRGYZSTAN_EQUAL_AREA
from geo.placement import place_projects, precision_counts
from geo.seed_projects import parse_projects, read_seed_csv

# -- a synthetic map -----------------------------------------------------------------------------
# Test-only, synthetic geometry: boxes for oblasts, rayons and aiyl okmots, points for
# settlements. Names are real spellings; the positions are not those of the real places.

NARYN = box(74, 41, 76, 42)
KOCHKOR = box(74, 41.5, 75, 42)
NARYN_RAYON = box(75, 41, 76, 42)
YSYK_KOL = box(76, 41.5, 79, 43)
TONG = box(76, 41.5, 77, 42.2)
CHUY = box(73, 42, 76, 43)
TOKMOK_UNIT = box(75.2, 42.8, 75.4, 42.9)
BATKEN = box(69.5, 39.5, 72, 40.5)
BATKEN_RAYON = box(70.3, 39.8, 71.1, 40.2)
KARA_SUU_AO = box(74.2, 41.6, 74.6, 41.9)

MANTYSH_NOWHERE = "Mantysh"  # deliberately absent from the synthetic gazetteer


@pytest.fixture
def admin_units():
    return gpd.GeoDataFrame(
        {"pcode": ["KG-N", "KG-Y", "KG-C", "KG-B", "KG-N-KOCHKOR", "KG-N-NARYN", "KG-Y-TONG", "KG-C-TOKMOK",
                   "KG-B-BATKEN"],
         "level": [1, 1, 1, 1, 2, 2, 2, 2, 2],
         "parent_pcode": ["KG", "KG", "KG", "KG", "KG-N", "KG-N", "KG-Y", "KG-C", "KG-B"],
         "name_en": ["Naryn", "Ysyk-Köl", "Chüy", "Batken", "Kochkor", "Naryn", "Tong", "Tokmok", "Batken"],
         "name_ru": [None, None, None, None, "Кочкорский район", "Нарынский район", "Тонский район", None,
                     "Баткенский район"]},
        geometry=[NARYN, YSYK_KOL, CHUY, BATKEN, KOCHKOR, NARYN_RAYON, TONG, TOKMOK_UNIT, BATKEN_RAYON],
        crs=4326,
    )


@pytest.fixture
def with_level3(admin_units):
    ao = gpd.GeoDataFrame({"pcode": ["KG04999999001"], "level": [3], "parent_pcode": ["KG04999999000"],
                           "name_en": ["Kara-Suu"], "name_ru": ["Кара-Суу"]}, geometry=[KARA_SUU_AO], crs=4326)
    return gpd.GeoDataFrame(pd.concat([admin_units, ao], ignore_index=True), geometry="geometry", crs=4326)


@pytest.fixture
def settlements():
    return gpd.GeoDataFrame(
        {"settlement_id": ["gn:1", "gn:2", "gn:3", "gn:4", "gn:5", "gn:6", "gn:7"],
         "name_en": ["Tokmok", "Naryn", "Kyzyl-Dobo", "Kyzyl-Tuu", "Kyzyl-Tuu", "Ak-Tatyr", "Kyzyl-Dobo"],
         "alt_names": ["Tokmak|Токмок", "Нарын", None, "Kyzyltuu", None, None, None],
         "population": [71443, 41178, 900, 1703, 800, None, 500]},
        geometry=[Point(75.3, 42.85), Point(75.5, 41.4), Point(74.3, 41.7), Point(76.5, 41.9), Point(78.5, 42.8),
                  Point(70.5, 39.95), Point(78.0, 42.5)],
        crs=4326,
    )


def row(**cells) -> dict:
    base = {"project_id": "T1", "oblast_name": None, "rayon_name": None, "aiyl_okmot_name": None, "village": None}
    base.update(cells)
    return base


def place(rows, admin_units, settlements) -> gpd.GeoDataFrame:
    return place_projects(pd.DataFrame(rows), admin_units, settlements)


def one(admin_units, settlements, **cells) -> pd.Series:
    return place([row(**cells)], admin_units, settlements).iloc[0]


# -- the order of attempts -----------------------------------------------------------------------

def test_village_in_the_gazetteer_is_placed_at_the_settlement(admin_units, settlements):
    p = one(admin_units, settlements, oblast_name="Naryn", rayon_name="Kochkor", aiyl_okmot_name="Kara-Suu AA",
            village="Kyzyl-Dobo")
    assert p["location_precision"] == 2
    assert p.geometry.equals(Point(74.3, 41.7))
    assert p["settlement_id"] == "gn:3"
    assert (p["oblast_pcode"], p["rayon_pcode"]) == ("KG-N", "KG-N-KOCHKOR")
    assert "Kyzyl-Dobo" in p["location_note"]


def test_village_not_in_the_gazetteer_lands_at_its_rayon(admin_units, settlements):
    p = one(admin_units, settlements, oblast_name="Naryn", rayon_name="Kochkor", aiyl_okmot_name="Kara-Suu AA",
            village=MANTYSH_NOWHERE)
    assert p["location_precision"] == 4
    assert p.geometry.equals(KOCHKOR.representative_point())
    assert (p["oblast_pcode"], p["rayon_pcode"]) == ("KG-N", "KG-N-KOCHKOR")
    assert pd.isna(p["settlement_id"])
    note = p["location_note"]
    assert note.startswith("placed at the centre of Kochkor rayon") and "Mantysh not in the gazetteer" in note
    assert "aiyl okmot boundaries not imported" in note


def test_settlement_of_that_name_outside_the_named_oblast_is_not_used(admin_units, settlements):
    # gn:7 "Kyzyl-Dobo" lies in Ysyk-Köl; the row names Naryn oblast and Naryn rayon
    p = one(admin_units, settlements, oblast_name="Naryn", rayon_name="Naryn", village="Kyzyl-Dobo")
    assert p["location_precision"] == 4 and p["rayon_pcode"] == "KG-N-NARYN"
    assert "only outside the named rayon" in p["location_note"]


def test_aiyl_okmot_used_only_when_level3_is_imported(with_level3, settlements):
    p = one(with_level3, settlements, oblast_name="Naryn", rayon_name="Kochkor", aiyl_okmot_name="Kara-Suu AA",
            village=MANTYSH_NOWHERE)
    assert p["location_precision"] == 3
    assert p["aiyl_okmot_pcode"] == "KG04999999001"
    assert KARA_SUU_AO.contains(p.geometry)
    assert "Kara-Suu AA aiyl okmot" in p["location_note"]


def test_settlement_rows_get_their_aiyl_okmot_when_level3_exists(with_level3, settlements):
    p = one(with_level3, settlements, oblast_name="Naryn", rayon_name="Kochkor", village="Kyzyl-Dobo")
    assert p["location_precision"] == 2 and p["aiyl_okmot_pcode"] == "KG04999999001"


def test_oblast_only(admin_units, settlements):
    for spelling in ("Issyk-Kul", "Ysyk-Köl", "Issyk Kul"):
        p = one(admin_units, settlements, oblast_name=spelling)
        assert p["location_precision"] == 5 and p["oblast_pcode"] == "KG-Y"
        assert p.geometry.equals(YSYK_KOL.representative_point())
        assert pd.isna(p["rayon_pcode"])


def test_national_row(admin_units, settlements):
    p = one(admin_units, settlements)
    assert p["location_precision"] == 6
    country = admin_units[admin_units["level"] == 1].union_all()
    assert country.contains(p.geometry)
    assert "national" in p["location_note"]


def test_village_without_rayon_falls_back_to_the_oblast(admin_units, settlements):
    p = one(admin_units, settlements, oblast_name="Naryn", village="Ak-Kuduk")
    assert p["location_precision"] == 5 and "rayon not given" in p["location_note"]


def test_city_rows(admin_units, settlements):
    p = one(admin_units, settlements, oblast_name="Chui", aiyl_okmot_name="Tokmok city (municipality)",
            village="Tokmok city")
    assert p["location_precision"] == 2 and p["settlement_id"] == "gn:1"
    assert p["rayon_pcode"] == "KG-C-TOKMOK"  # the city's own level-2 unit
    naryn = one(admin_units, settlements, oblast_name="Naryn", aiyl_okmot_name="Naryn city (municipality)",
                village="Naryn city")
    assert naryn["location_precision"] == 2 and naryn["settlement_id"] == "gn:2"
    assert pd.isna(naryn["rayon_pcode"])  # Naryn city is not part of Naryn rayon


def test_city_without_oblast_matches_by_name(admin_units, settlements):
    p = one(admin_units, settlements, village="Tokmok city")
    assert p["location_precision"] == 2 and p["oblast_pcode"] == "KG-C"
    assert "matched by name only" in p["location_note"]


def test_several_villages(admin_units, settlements):
    both = one(admin_units, settlements, oblast_name="Naryn", village="Kyzyl-Dobo; Naryn")
    assert both["location_precision"] == 2
    assert isinstance(both.geometry, MultiPoint)
    assert [g.coords[0] for g in both.geometry.geoms] == [(74.3, 41.7), (75.5, 41.4)]
    assert both["settlement_id"] == "gn:3;gn:2"
    assert both["oblast_pcode"] == "KG-N" and pd.isna(both["rayon_pcode"])  # two different rayons
    partly = one(admin_units, settlements, oblast_name="Naryn", rayon_name="Kochkor",
                 village=f"Kyzyl-Dobo; {MANTYSH_NOWHERE}")
    assert partly["location_precision"] == 4 and "only Kyzyl-Dobo of the listed villages found" in partly["location_note"]


def test_same_name_far_apart_is_ambiguous(admin_units, settlements):
    # two "Kyzyl-Tuu" in Ysyk-Köl about 200 km apart; no rayon named
    p = one(admin_units, settlements, oblast_name="Issyk-Kul", village="Kyzyl-Tuu")
    assert p["location_precision"] == 5 and "cannot tell which" in p["location_note"]
    in_tong = one(admin_units, settlements, oblast_name="Issyk-Kul", rayon_name="Ton", village="Kyzyltuu")
    assert in_tong["location_precision"] == 2 and in_tong["settlement_id"] == "gn:4"


def test_rows_reaching_outside_kyrgyzstan(admin_units, settlements):
    canal = one(admin_units, settlements, oblast_name="Batken; Sogdii (Tajikistan)", rayon_name="Batken; Isfara (TJ)",
                village="KG: Ak-Tatir, Uch-Dobo; TJ: Voruh")
    assert canal["location_precision"] == 4 and canal["rayon_pcode"] == "KG-B-BATKEN"
    assert "outside Kyrgyzstan" in canal["location_note"] and "Uch-Dobo not in the gazetteer" in canal["location_note"]
    tajik = one(admin_units, settlements, oblast_name="Sogdii (Tajikistan)", rayon_name="Isfara (TJ)",
                village="Jamoau Voruh")
    assert tajik["location_precision"] == 6 and "only places outside Kyrgyzstan" in tajik["location_note"]


def test_several_oblasts(admin_units, settlements):
    p = one(admin_units, settlements, oblast_name="Naryn; Issyk-Kul")
    assert p["location_precision"] == 5 and isinstance(p.geometry, MultiPoint)
    assert pd.isna(p["oblast_pcode"])


def test_frame_shape_is_kept(admin_units, settlements):
    frame = pd.DataFrame([row(project_id="A", oblast_name="Naryn"), row(project_id="B")], index=[10, 20])
    frame["title"] = ["x", "y"]
    out = place_projects(frame, admin_units, settlements)
    assert list(out.index) == [10, 20] and list(out["title"]) == ["x", "y"]
    assert out.crs.to_epsg() == 4326
    assert str(out["location_precision"].dtype) == "Int64"
    assert precision_counts(out).tolist() == [0, 0, 0, 0, 1, 1]


# -- the 174 seed rows on the shipped data ------------------------------------------------------------

LON_MIN, LAT_MIN, LON_MAX, LAT_MAX = settings.COUNTRY_BOUNDS


@pytest.fixture(scope="module")
def shipped():
    paths = (settings.OBLAST_FILE, settings.RAYON_FILE, settings.SETTLEMENT_FILE)
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"shipped reference data not built yet (missing {', '.join(missing)}); "
                    "run scripts/build_reference_data.py")
    read = lambda p: gpd.read_file(p, engine="pyogrio")  # noqa: E731
    admin = gpd.GeoDataFrame(pd.concat([read(settings.OBLAST_FILE), read(settings.RAYON_FILE)], ignore_index=True),
                             geometry="geometry", crs=4326)
    settlements = read(settings.SETTLEMENT_FILE)
    placed = place_projects(parse_projects(read_seed_csv(settings.SEED_PROJECTS_FILE)), admin, settlements)
    return placed, admin, settlements


def test_every_seed_row_is_placed_in_kyrgyzstan(shipped):
    placed, admin, _ = shipped
    assert len(placed) == 174
    assert placed["location_precision"].between(1, 6).all()
    bounds = placed.geometry.bounds
    assert (bounds["minx"] >= LON_MIN).all() and (bounds["maxx"] <= LON_MAX).all()
    assert (bounds["miny"] >= LAT_MIN).all() and (bounds["maxy"] <= LAT_MAX).all()
    country = admin[admin["level"] == 1].to_crs(KYRGYZSTAN_EQUAL_AREA).union_all()
    distance = placed.geometry.to_crs(KYRGYZSTAN_EQUAL_AREA).distance(country)
    assert (distance <= 10_000).all(), placed.loc[distance > 10_000, "project_id"].tolist()
    assert placed["location_note"].str.len().gt(0).all()


def test_seed_precision_is_consistent(shipped):
    placed, admin, settlements = shipped
    points = settlements.set_index("settlement_id").geometry
    for _, p in placed.iterrows():
        code = p["location_precision"]
        if code == 2:
            ids = p["settlement_id"].split(";")
            expected = [points[i] for i in ids]
            got = list(p.geometry.geoms) if isinstance(p.geometry, MultiPoint) else [p.geometry]
            assert all(g.equals(e) for g, e in zip(got, expected)), p["project_id"]
        else:
            assert pd.isna(p["settlement_id"]), p["project_id"]
        if code == 4:
            rayon = admin.set_index("pcode").geometry[p["rayon_pcode"]]
            assert rayon.contains(p.geometry), p["project_id"]
        if code == 5 and pd.notna(p["oblast_pcode"]):
            assert pd.isna(p["rayon_pcode"])


def test_seed_documented_cases(shipped):
    placed, admin, settlements = shipped
    p = placed.set_index("project_id")
    for pid in ("P071", "P072", "P073", "P074", "P077"):  # Tokmok city
        assert p.loc[pid, "location_precision"] == 2 and p.loc[pid, "oblast_pcode"] == "KG-C", pid
        assert settlements.set_index("settlement_id").loc[p.loc[pid, "settlement_id"], "name_en"] == "Tokmok"
    assert p.loc["P020", "location_precision"] == 5 and p.loc["P020", "oblast_pcode"] == "KG-Y"  # Issyk-Kul oblast
    for pid in ("P035", "P036", "P092"):  # national rows
        assert p.loc[pid, "location_precision"] == 6
    # Kara-Suu AA rows are in Kochkor rayon, whether or not their village is in the gazetteer
    kochkor = p.loc[[f"P{n:03d}" for n in range(6, 17)]]
    assert (kochkor["rayon_pcode"] == "KG-N-KOCHKOR").all() and kochkor["location_precision"].isin([2, 4]).all()
    # the Voruh–Shurab canal rows are placed on the Kyrgyz side, in Batken rayon
    for pid in ("P160", "P161", "P166"):
        assert p.loc[pid, "location_precision"] == 4 and p.loc[pid, "rayon_pcode"] == "KG-B-BATKEN", pid
        assert "outside Kyrgyzstan" in p.loc[pid, "location_note"]


def test_seed_village_not_in_gazetteer_goes_to_rayon(shipped):
    """Every single-village row whose village no settlement name matches lands at its named rayon."""
    from geo.gazetteer import Gazetteer, split_places

    placed, admin, settlements = shipped
    gaz = Gazetteer(admin, settlements)
    checked = 0
    for _, p in placed.iterrows():
        villages = split_places(p["village"] if isinstance(p["village"], str) else "").names
        rayons = split_places(p["rayon_name"] if isinstance(p["rayon_name"], str) else "")
        if len(villages) != 1 or len(rayons.names) != 1 or rayons.foreign:
            continue
        if gaz.settlement(villages[0]).found:
            continue
        assert p["location_precision"] == 4, p["project_id"]
        assert "not in the gazetteer" in p["location_note"], p["project_id"]
        checked += 1
    assert checked > 10
