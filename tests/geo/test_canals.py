"""The canal model (geo/canals.py) and the shipped Voruh–Shurab case (geo/canal_case.py)."""
from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import canals, schema
from geo.canal_case import CASE_FILE, install_voruh_shurab, locate_places, normalise_name, voruh_shurab_frames

CANAL = "voruh-shurab"

# Test-only, synthetic positions: a square "Batken rayon" and settlements inside it.
# Only their names matter to the case; the positions are not those of the real places.
AK_TATYR = Point(70.50, 39.95)
SAMARKANDYK = Point(70.55, 40.00)


@pytest.fixture
def admin_units():
    return gpd.GeoDataFrame(
        {"pcode": ["KG-B", "KG-B-BATKEN", "KG-B-LEILEK"], "level": [1, 2, 2], "parent_pcode": ["KG", "KG-B", "KG-B"],
         "name_en": ["Batken", "Batken", "Leilek"]},
        geometry=[box(69.3, 39.5, 72.0, 40.5), box(70.3, 39.8, 71.1, 40.2), box(69.3, 39.5, 70.3, 40.3)],
        crs=4326,
    )


@pytest.fixture
def settlements():
    return gpd.GeoDataFrame(
        {"settlement_id": ["gn:1", "gn:2", "gn:3", "gn:4", "gn:5"],
         "name_en": ["Ak-Tatyr", "Samarkandyk", "Batken", "Kara-Bak", "Ak-Tatyr"],
         "name_ru": ["Ак-Татыр", "Самаркандык", "Баткен", "Кара-Бак", "Ак-Татыр"],
         "alt_names": [None, "Samarkandek|Самаркандек", None, None, None]},
        # gn:5 is a namesake far away in the north: it must not be used
        geometry=[AK_TATYR, SAMARKANDYK, Point(70.82, 40.06), Point(70.82, 40.16), Point(74.0, 42.5)],
        crs=4326,
    )


@pytest.fixture
def case(settlements, admin_units):
    return voruh_shurab_frames(settlements, admin_units)


def _count(outlets, **where):
    mask = pd.Series(True, index=outlets.index)
    for col, value in where.items():
        mask &= outlets[col] == value
    return int(outlets.loc[mask, "count"].sum())


def test_layers_are_registered_with_keys_and_versions():
    for name in canals.CANAL_LAYERS:
        assert name in schema.LAYERS
    assert schema.LAYERS["flow_measurements"].geometry == "Point"
    assert schema.LAYERS["canal_agreements"].versioned
    assert schema.LAYERS["canal_disputes"].versioned
    assert "flow_lps_min" in schema.LAYERS["flow_measurements"].columns
    assert "flow_lps_max" in schema.LAYERS["flow_measurements"].columns


def test_status_transitions_are_the_documented_ones():
    allowed = {(a, b) for a, targets in canals.ALLOWED_TRANSITIONS.items() for b in targets}
    assert allowed == {("found", "unauthorised"), ("unauthorised", "closed"), ("found", "agreed"),
                       ("unauthorised", "agreed")}


def test_case_reproduces_outlet_numbers(case):
    outlets = case["canal_outlets"]
    counts = canals.outlet_counts(outlets, CANAL)
    assert counts["found"] == 110
    assert counts["closed"] == 91
    assert counts["agreed"] == 19
    assert {v: _count(outlets, village=v, status="agreed") for v in ("Uch-Dobo", "Ak-Tatir", "Jany-Bak", "Jamoau Voruh")} == {
        "Uch-Dobo": 4, "Ak-Tatir": 4, "Jany-Bak": 7, "Jamoau Voruh": 4}
    assert _count(outlets, country="KG", status="agreed") == 15
    assert _count(outlets, country="TJ", status="agreed") == 4
    # the 110 found and 91 closed are canal-level aggregates, not split by village
    found = outlets[outlets["status"] == "found"]
    assert len(found) == 1 and found["village"].isna().all() and found.geometry.isna().all()


def test_case_reproduces_capacity_and_lengths(case):
    canal = case["canals"].iloc[0]
    assert canal["canal_id"] == CANAL
    assert canal["design_capacity_lps"] == 210
    assert canal["length_km"] == 32
    sections = case["canal_sections"].set_index("country")["length_km"]
    assert sections["KG"] == 12 and sections["TJ"] == 20
    assert sections.sum() == canal["length_km"]
    villages = case["canal_sections"].set_index("country")["villages"].str.split("|")
    assert villages["KG"] == ["Kapchigai", "Uch-Dobo", "Ak-Tatir", "Jany-Bak", "Samarkandyk"]
    assert villages["TJ"] == ["Voruh", "Hodja Ailo", "Lyakkan", "Karabog", "Charbog"]


def test_case_agreements_protocol_and_data_quality_notes(case):
    agreements = case["canal_agreements"].set_index("agreement_id")
    main = agreements.loc["voruh-shurab:agreement-2001-12-09"]
    assert main["date"] == "2001-12-09"
    assert len(main["parties"].split("|")) == 4
    assert "FTI" in main["parties"] and "Ittifok" in main["parties"]
    assert "5-8 October 2002" in main["note"]
    extra = agreements.loc["voruh-shurab:additional-2002-10-08"]
    assert extra["date"] == "2002-10-08" and "Andigen Suu" in extra["terms"] and "Shurab" in extra["terms"]
    protocol = agreements.loc["voruh-shurab:protocol-1965"]
    assert protocol["date"] == "1965" and "14.4 ha" in protocol["terms"] and "13.9" in protocol["note"]
    facts = case["canal_facts"].set_index("fact_id")["value"]
    assert facts["voruh-shurab:land-ha-stated"] == 14.4
    # kept as written: the parts do not add up to the stated total
    assert facts["voruh-shurab:land-ha-irrigated"] + facts["voruh-shurab:land-ha-dry"] == pytest.approx(13.9)
    allocation = case["outlet_allocations"].iloc[0]
    assert (allocation["count"], allocation["count_unit"], allocation["flow_lps"], allocation["country"]) == (5, "shafts", 10, "KG")
    assert facts["voruh-shurab:observation-commission"] == 15
    assert facts["voruh-shurab:stakeholder-meetings"] == 14
    assert facts["voruh-shurab:cross-state-negotiations"] == 3
    assert facts["voruh-shurab:andigen-suu-wuas"] == 3


def test_case_dispute_and_timeline(case):
    dispute = case["canal_disputes"].iloc[0]
    assert dispute["date_start"] == "2000" and dispute["status"] == "settled"
    assert "FTI" in dispute["mediator"] and "Ittifok" in dispute["mediator"]
    events = canals.timeline(case["canal_dispute_events"], dispute["dispute_id"])
    assert list(events["sequence"]) == sorted(events["sequence"])
    kudayarov = events[events["date_precision"] == "range"].iloc[0]
    assert (kudayarov["date"], kudayarov["date_end"]) == ("2002-10-05", "2002-10-08")
    assert "conflicts" in kudayarov["note"]
    dated = events.dropna(subset=["date"])
    assert list(dated["date"]) == sorted(dated["date"])


def test_shurab_measurement_keeps_the_range(case):
    m = case["flow_measurements"].iloc[0]
    assert (m["flow_lps_min"], m["flow_lps_max"]) == (10, 15)
    assert pd.isna(m["flow_lps"])
    assert m["canal_position"] == "tail" and m["season"] == "summer" and pd.isna(m["date"])


def test_every_record_cites_the_source(case):
    for name, frame in case.items():
        refs = frame["source_ref"]
        assert refs.notna().all(), name
        assert refs.str.match(r"^001:\d+").all(), name


def test_case_file_holds_no_coordinates():
    text = CASE_FILE.read_text(encoding="utf-8")
    data = json.loads(text)
    assert not re.search(r'"(lon|lat|longitude|latitude|coordinates|geometry|x|y)"\s*:', text)
    assert "canal" in data and data["outlets"]


def test_positions_come_only_from_the_gazetteer(case, settlements):
    outlets = case["canal_outlets"].set_index("outlet_id")
    ak = outlets.loc["voruh-shurab:agreed:ak-tatir"]
    assert ak.geometry.equals(AK_TATYR) and ak["location_precision"] == 2
    uch = outlets.loc["voruh-shurab:agreed:uch-dobo"]
    assert uch.geometry is None and uch["location_precision"] == 4 and "not in the settlement gazetteer" in uch["note"]
    canal = case["canals"].iloc[0]
    assert canal["location_precision"] == 4
    assert canal["note"].startswith("schematic: only the villages Ak-Tatir and Samarkandyk could be located")
    known = {(p.x, p.y) for p in settlements.geometry}
    assert set(canal.geometry.coords) <= known
    assert list(canal.geometry.coords) == [(AK_TATYR.x, AK_TATYR.y), (SAMARKANDYK.x, SAMARKANDYK.y)]


def test_no_line_when_fewer_than_two_villages_are_located(settlements, admin_units):
    one = voruh_shurab_frames(settlements[settlements["name_en"] != "Samarkandyk"], admin_units)
    canal = one["canals"].iloc[0]
    assert canal.geometry is None and canal["note"].startswith("No line: only Ak-Tatir could be located")
    none = voruh_shurab_frames(settlements.iloc[0:0], admin_units)
    assert none["canals"].geometry.isna().all()
    assert none["canal_outlets"].geometry.isna().all()
    # the documented numbers do not depend on the gazetteer
    assert canals.outlet_counts(none["canal_outlets"]).to_dict() == canals.outlet_counts(one["canal_outlets"]).to_dict()


def test_namesakes_far_away_or_ambiguous_are_not_used(settlements, admin_units):
    places = [{"name": "Ak-Tatir", "aliases": ["Ak-Tatir", "Ak-Tatyr"]}, {"name": "Karabog", "aliases": ["Karabog"]}]
    found = locate_places(places, settlements, admin_units).set_index("name")
    assert found.loc["Ak-Tatir", "settlement_id"] == "gn:1"  # not gn:5 in the north
    assert found.loc["Karabog", "status"] == "not found"  # Kara-Bak is another village
    twin = pd.concat([settlements, settlements.iloc[[0]].assign(settlement_id="gn:9", geometry=[Point(70.6, 39.9)])])
    found = locate_places(places, gpd.GeoDataFrame(twin, crs=4326), admin_units).set_index("name")
    assert found.loc["Ak-Tatir", "status"] == "ambiguous" and found.loc["Ak-Tatir", "geometry"] is None
    assert locate_places(places, settlements, admin_units.iloc[0:0])["status"].eq("no admin area").all()


def test_normalise_name():
    assert normalise_name("Ak-Tatyr") == normalise_name("ak tatyr") == "aktatyr"
    assert normalise_name("Üch-Döbö") == "uchdobo"
    assert normalise_name(None) == ""


def test_case_round_trips_through_the_store_and_install_is_idempotent(gpkg_store, case, settlements, admin_units):
    with gpkg_store.transaction("build") as tx:
        tx.replace("settlements", settlements)
        tx.replace("admin_units", admin_units)
    added = install_voruh_shurab(gpkg_store, user="build")
    assert added["canal_outlets"] == 6 and added["canal_dispute_events"] == 14
    stored = gpkg_store.read("canal_outlets")
    assert canals.outlet_counts(stored, CANAL).to_dict() == canals.outlet_counts(case["canal_outlets"], CANAL).to_dict()
    assert (stored["version"] == 1).all() and (stored["updated_by"] == "build").all()
    assert gpkg_store.read("canals")["design_capacity_lps"].iloc[0] == 210
    before = {name: gpkg_store.checksum(name) for name in canals.CANAL_LAYERS}
    assert sum(install_voruh_shurab(gpkg_store).values()) == 0
    assert {name: gpkg_store.checksum(name) for name in canals.CANAL_LAYERS} == before
