"""Flow balance per village and per country (geo/canal_balance.py)."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo import canal_balance as cb
from geo.canal_case import voruh_shurab_frames
from geo.store.base import conform

CANAL = "c1"


@pytest.fixture
def outlets():
    rows = [
        # outlet_id, status, village, country, count, allowed_flow_lps
        ("o1", "agreed", "Alpha", "KG", 3, 6.0),
        ("o2", "agreed", "Alpha", "KG", 1, None),
        ("o3", "unauthorised", "Alpha", "KG", 2, None),
        ("o4", "closed", "Beta", "KG", 5, None),
        ("o5", "agreed", "Gamma", "TJ", 4, 8.0),
        ("o6", "found", None, None, 20, None),      # canal-level aggregate
        ("o7", "closed", None, None, 7, None),      # canal-level aggregate
        ("x1", "agreed", "Alpha", "KG", 100, 99.0),  # another canal: ignored
    ]
    frame = pd.DataFrame(rows, columns=["outlet_id", "status", "village", "country", "count", "allowed_flow_lps"])
    frame["canal_id"] = [CANAL] * 7 + ["other"]
    return conform(frame, "canal_outlets")


@pytest.fixture
def allocations():
    frame = pd.DataFrame([
        # tied to outlet o1: its flow is already the outlet's allowed flow, not added again
        {"allocation_id": "a1", "canal_id": CANAL, "outlet_id": "o1", "village": "Alpha", "country": "KG", "flow_lps": 6.0},
        {"allocation_id": "a2", "canal_id": CANAL, "outlet_id": None, "village": None, "country": "KG", "flow_lps": 10.0},
        {"allocation_id": "a3", "canal_id": CANAL, "outlet_id": None, "village": "Beta", "country": "KG", "flow_lps": 1.5},
    ])
    return conform(frame, "outlet_allocations")


@pytest.fixture
def measurements():
    frame = pd.DataFrame([
        {"measurement_id": "m1", "canal_id": CANAL, "village": "Gamma", "country": "TJ", "canal_position": "tail",
         "date": "2024-07-01", "flow_lps": None, "flow_lps_min": 10.0, "flow_lps_max": 15.0},
        {"measurement_id": "m2", "canal_id": CANAL, "village": "Gamma", "country": "TJ", "canal_position": "tail",
         "date": "2024-08-01", "flow_lps": 9.0, "flow_lps_min": 9.0, "flow_lps_max": 9.0},
        {"measurement_id": "m3", "canal_id": CANAL, "village": "Alpha", "country": "KG", "canal_position": "along",
         "date": "2024-07-01", "flow_lps": 40.0, "flow_lps_min": None, "flow_lps_max": None},
    ])
    return conform(frame, "flow_measurements")


@pytest.fixture
def canal():
    return conform(pd.DataFrame([{"canal_id": CANAL, "design_capacity_lps": 200.0}]), "canals")


def test_village_balance(outlets, allocations, measurements):
    table = cb.village_balance(outlets, allocations, measurements, CANAL)
    village = table[table["scope"] == "village"].set_index("village")
    assert list(village.index) == ["Alpha", "Beta", "Gamma"]
    alpha, beta, gamma = village.loc["Alpha"], village.loc["Beta"], village.loc["Gamma"]
    assert (alpha["outlets_agreed"], alpha["outlets_unauthorised"]) == (4, 2)
    assert pd.isna(alpha["outlets_found"]) and pd.isna(alpha["outlets_closed"])  # unknown, not 0
    assert alpha["allocated_lps"] == 6.0
    assert (alpha["measured_lps_min"], alpha["measured_lps_max"]) == (40.0, 40.0)
    assert beta["outlets_closed"] == 5 and beta["allocated_lps"] == 1.5 and pd.isna(beta["measured_lps_min"])
    assert gamma["country"] == "TJ" and gamma["outlets_agreed"] == 4 and gamma["allocated_lps"] == 8.0
    assert (gamma["measured_lps_min"], gamma["measured_lps_max"], gamma["measurements"]) == (9.0, 15.0, 2)
    assert gamma["last_measured"] == "2024-08-01"
    whole = table[table["scope"] == "canal"]
    assert len(whole) == 1 and table.index[-1] == whole.index[0]
    assert (whole["outlets_found"].iloc[0], whole["outlets_closed"].iloc[0]) == (20, 7)
    assert pd.isna(whole["village"].iloc[0]) and pd.isna(whole["allocated_lps"].iloc[0])


def test_country_balance(outlets, allocations, measurements):
    table = cb.country_balance(outlets, allocations, measurements, CANAL)
    per = table[table["scope"] == "country"].set_index("country")
    kg, tj = per.loc["KG"], per.loc["TJ"]
    assert (kg["outlets_agreed"], kg["outlets_unauthorised"], kg["outlets_closed"]) == (4, 2, 5)
    assert kg["allocated_lps"] == 6.0 + 10.0 + 1.5
    assert pd.isna(kg["tail_lps_min"])  # the 40 l/s in Alpha was not taken at the tail
    assert tj["outlets_agreed"] == 4 and tj["allocated_lps"] == 8.0
    assert (tj["tail_lps_min"], tj["tail_lps_max"], tj["tail_measurements"]) == (9.0, 15.0, 2)
    whole = table[table["scope"] == "canal"].iloc[0]
    assert (whole["outlets_found"], whole["outlets_closed"]) == (20, 7)
    # every outlet of the canal is counted once, in some row
    status_cols = list(cb.STATUS_COLUMNS.values())
    assert int(table[status_cols].sum().sum()) == 4 + 2 + 5 + 4 + 20 + 7


def test_canal_summary(canal, outlets, allocations, measurements):
    s = cb.canal_summary(canal, outlets, allocations, measurements, CANAL)
    assert s["design_capacity_lps"] == 200 and s["allocated_lps"] == 6.0 + 10.0 + 1.5 + 8.0
    assert (s["tail_lps_min"], s["tail_lps_max"]) == (9.0, 15.0)
    assert (s["tail_share_pct_min"], s["tail_share_pct_max"]) == (4.5, 7.5)
    assert (s["not_at_tail_lps_min"], s["not_at_tail_lps_max"]) == (185.0, 191.0)
    assert (s["outlets_agreed"], s["outlets_found"], s["outlets_closed"]) == (8, 20, 12)


def test_balance_with_nothing_known_stays_empty(canal):
    empty = conform(pd.DataFrame(columns=["outlet_id"]), "canal_outlets")
    none_alloc = conform(pd.DataFrame(columns=["allocation_id"]), "outlet_allocations")
    none_meas = conform(pd.DataFrame(columns=["measurement_id"]), "flow_measurements")
    assert cb.village_balance(empty, none_alloc, none_meas, CANAL).empty
    s = cb.canal_summary(canal, empty, none_alloc, none_meas, CANAL)
    assert s["design_capacity_lps"] == 200
    assert pd.isna(s["allocated_lps"]) and pd.isna(s["tail_lps_min"]) and pd.isna(s["tail_share_pct_min"])


def test_shipped_case_balance():
    admin = gpd.GeoDataFrame({"pcode": ["KG-B"], "level": [1]}, geometry=[box(69.3, 39.5, 72, 40.5)], crs=4326)
    settlements = gpd.GeoDataFrame({"settlement_id": []}, geometry=[], crs=4326)
    f = voruh_shurab_frames(settlements, admin)
    args = (f["canal_outlets"], f["outlet_allocations"], f["flow_measurements"], "voruh-shurab")
    s = cb.canal_summary(f["canals"], *args)
    assert s["design_capacity_lps"] == 210 and (s["tail_lps_min"], s["tail_lps_max"]) == (10, 15)
    assert (s["tail_share_pct_min"], s["tail_share_pct_max"]) == (4.8, 7.1)
    assert (s["not_at_tail_lps_min"], s["not_at_tail_lps_max"]) == (195, 200)
    assert (s["outlets_found"], s["outlets_agreed"], s["outlets_closed"]) == (110, 19, 91)
    assert s["allocated_lps"] == 10  # the 1965 protocol's 10 l/s to Kyrgyzstan is the only known allocation
    countries = cb.country_balance(*args).set_index("country", drop=False)
    assert countries.loc["KG", "outlets_agreed"] == 15 and countries.loc["TJ", "outlets_agreed"] == 4
    assert (countries.loc["TJ", "tail_lps_min"], countries.loc["TJ", "tail_lps_max"]) == (10, 15)
    avf = cb.agreed_vs_found(f["canal_outlets"], "voruh-shurab")
    villages = avf[avf["scope"] == "village"].set_index("village")
    assert villages["outlets_agreed"].to_dict() == {"Ak-Tatir": 4, "Jamoau Voruh": 4, "Jany-Bak": 7, "Uch-Dobo": 4}
    assert villages["outlets_found"].isna().all()  # the 110 are not broken down by village
    assert avf[avf["scope"] == "canal"]["outlets_found"].iloc[0] == 110
