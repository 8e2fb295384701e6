"""Editing canals (geo/canal_edits.py): outlets, status changes, agreements, measurements."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import canal_edits as ce
from geo.canal_case import install_voruh_shurab
from geo.errors import InputError, OutsideCountryError, StaleVersionError

CANAL = "voruh-shurab"
ISFARA = (70.63, 40.12)          # inside the Isfara box, outside the test "Kyrgyzstan"
INSIDE = (74.5, 41.5)            # inside the test "Kyrgyzstan"
TASHKENT = (69.28, 41.31)        # inside Kyrgyzstan's bounding box, outside the country
DUSHANBE = (68.78, 38.56)        # outside everything


@pytest.fixture
def country():
    """Test-only, synthetic "Kyrgyzstan": a box that leaves Tashkent outside."""
    return gpd.GeoDataFrame({"iso_3166_1": ["KG"]}, geometry=[box(70.8, 39.3, 80.2, 43.2)], crs=4326)


@pytest.fixture
def store(any_store, country):
    admin = gpd.GeoDataFrame({"pcode": ["KG-B-BATKEN"], "level": [2], "name_en": ["Batken"]},
                             geometry=[box(70.3, 39.8, 71.1, 40.2)], crs=4326)
    with any_store.transaction("build") as tx:
        tx.replace("country", country)
        tx.replace("admin_units", admin)
    install_voruh_shurab(any_store, user="build")
    return any_store


def _outlet(store, outlet_id):
    outlets = store.read("canal_outlets")
    return outlets[outlets["outlet_id"] == outlet_id].iloc[0]


def _new(store, status="found", user="aida"):
    return ce.record_outlet(store, user, CANAL, *INSIDE, status=status, village="Ak-Tatir", country="KG")


# -- recording outlets ---------------------------------------------------------------
def test_record_outlet_stores_who_and_when(store):
    outlet_id = _new(store, user="aida")
    row = _outlet(store, outlet_id)
    assert (row["status"], row["count"], row["location_precision"], row["version"]) == ("found", 1, 1, 1)
    assert row["updated_by"] == "aida"
    assert datetime.fromisoformat(row["updated_at"]).tzinfo is not None
    assert row.geometry.equals(Point(*INSIDE))
    audit = store.read("audit_log")
    mine = audit[(audit["row_key"] == outlet_id)]
    assert list(mine["action"]) == ["insert"] and list(mine["user"]) == ["aida"]
    assert json.loads(mine["new_values"].iloc[0])["status"] == "found"


def test_record_outlet_in_the_isfara_area_of_tajikistan(store):
    outlet_id = ce.record_outlet(store, "aida", CANAL, *ISFARA, status="unauthorised", country="TJ")
    assert _outlet(store, outlet_id)["status"] == "unauthorised"


@pytest.mark.parametrize("lonlat", [TASHKENT, DUSHANBE, (float("nan"), 40.0)])
def test_record_outlet_outside_the_region_is_refused(store, lonlat):
    before = store.checksum("canal_outlets")
    with pytest.raises(InputError):
        ce.record_outlet(store, "aida", CANAL, *lonlat)
    assert store.checksum("canal_outlets") == before


def test_swapped_coordinates_get_a_hint(store):
    with pytest.raises(OutsideCountryError, match="swapped"):
        ce.record_outlet(store, "aida", CANAL, INSIDE[1], INSIDE[0])


def test_new_outlet_cannot_start_agreed_or_closed_and_needs_a_known_canal_and_user(store):
    for status in ("agreed", "closed"):
        with pytest.raises(InputError, match="first"):
            ce.record_outlet(store, "aida", CANAL, *INSIDE, status=status)
    with pytest.raises(InputError, match="no canal"):
        ce.record_outlet(store, "aida", "no-such-canal", *INSIDE)
    with pytest.raises(InputError, match="Sign in"):
        ce.record_outlet(store, " ", CANAL, *INSIDE)
    with pytest.raises(InputError, match="Country"):
        ce.record_outlet(store, "aida", CANAL, *INSIDE, country="UZ")


def test_region_without_a_country_layer_uses_the_bounding_box():
    assert ce.in_canal_region([TASHKENT[0], DUSHANBE[0], ISFARA[0]], [TASHKENT[1], DUSHANBE[1], ISFARA[1]]).tolist() == [
        True, False, True]


def test_region_with_the_country_polygon(country):
    lon, lat = zip(INSIDE, TASHKENT, ISFARA, DUSHANBE, (70.78, 39.5))  # last: 1.7 km outside the polygon
    assert ce.in_canal_region(lon, lat, country).tolist() == [True, False, True, False, True]


# -- status changes ------------------------------------------------------------------
ALL = ("found", "unauthorised", "agreed", "closed")
ALLOWED = {("found", "unauthorised"), ("unauthorised", "closed"), ("found", "agreed"), ("unauthorised", "agreed")}
# how to bring a new outlet to each starting status
PATH = {"found": [], "unauthorised": ["unauthorised"], "agreed": ["agreed"], "closed": ["unauthorised", "closed"]}


def _bring_to(store, status):
    initial = "unauthorised" if status in ("unauthorised", "closed") else "found"
    outlet_id = _new(store, status=initial)
    steps = PATH[status][1:] if initial == "unauthorised" else PATH[status]
    for step in steps:
        ce.change_outlet_status(store, "aida", outlet_id, step, int(_outlet(store, outlet_id)["version"]))
    assert _outlet(store, outlet_id)["status"] == status
    return outlet_id


@pytest.mark.parametrize("old,new", [(a, b) for a in ALL for b in ALL])
def test_status_change(store, old, new):
    outlet_id = _bring_to(store, old)
    version = int(_outlet(store, outlet_id)["version"])
    if (old, new) in ALLOWED:
        row = ce.change_outlet_status(store, "bek", outlet_id, new, version, note="checked on site")
        stored = _outlet(store, outlet_id)
        assert stored["status"] == new == row["status"]
        assert stored["version"] == version + 1 and stored["updated_by"] == "bek"
        assert stored["note"].endswith(f"{new} by bek: checked on site")
        audit = store.read("audit_log")
        last = audit[(audit["row_key"] == outlet_id) & (audit["action"] == "update")].iloc[-1]
        assert last["user"] == "bek"
        assert json.loads(last["old_values"])["status"] == old and json.loads(last["new_values"])["status"] == new
    else:
        before = store.checksum("canal_outlets")
        with pytest.raises(InputError, match=f"'{old}'"):
            ce.change_outlet_status(store, "bek", outlet_id, new, version)
        assert store.checksum("canal_outlets") == before


def test_found_to_closed_explains_the_way(store):
    outlet_id = _new(store)
    with pytest.raises(InputError, match="unauthorised' first"):
        ce.close_outlet(store, "bek", outlet_id, 1)


def test_shipped_aggregates_follow_the_same_rules(store):
    with pytest.raises(InputError, match="cannot be changed"):
        ce.mark_unauthorised(store, "bek", "voruh-shurab:closed", 1)
    row = ce.mark_unauthorised(store, "bek", "voruh-shurab:found", 1)
    assert row["count"] == 110 and row["status"] == "unauthorised"


def test_stale_version_is_refused_and_the_other_change_kept(store):
    outlet_id = _new(store)
    seen_by_both = int(_outlet(store, outlet_id)["version"])
    ce.mark_unauthorised(store, "aida", outlet_id, seen_by_both, note="no permit")
    before = store.checksum("canal_outlets"), store.checksum("audit_log")
    with pytest.raises(StaleVersionError, match="aida"):
        ce.agree_outlet(store, "bek", outlet_id, seen_by_both)
    kept = _outlet(store, outlet_id)
    assert (kept["status"], kept["updated_by"], kept["version"]) == ("unauthorised", "aida", seen_by_both + 1)
    assert (store.checksum("canal_outlets"), store.checksum("audit_log")) == before


def test_agree_outlet_under_an_agreement_links_it(store):
    outlet_id = _new(store)
    row = ce.agree_outlet(store, "bek", outlet_id, 1, agreement_id="voruh-shurab:agreement-2001-12-09",
                          allowed_flow_lps="2,5")
    assert row["status"] == "agreed" and row["allowed_flow_lps"] == 2.5
    links = store.read("outlet_allocations")
    link = links[links["outlet_id"] == outlet_id].iloc[0]
    assert link["agreement_id"] == "voruh-shurab:agreement-2001-12-09" and link["flow_lps"] == 2.5
    assert link["updated_by"] == "bek"


def test_agree_outlet_with_unknown_agreement_changes_nothing(store):
    outlet_id = _new(store)
    before = store.checksum("canal_outlets"), store.checksum("outlet_allocations")
    with pytest.raises(InputError, match="no agreement"):
        ce.agree_outlet(store, "bek", outlet_id, 1, agreement_id="nope")
    with pytest.raises(InputError, match="only be given when an outlet is agreed"):
        ce.change_outlet_status(store, "bek", outlet_id, "unauthorised", 1, allowed_flow_lps=3)
    assert (store.checksum("canal_outlets"), store.checksum("outlet_allocations")) == before


def test_unknown_outlet_is_refused(store):
    with pytest.raises(InputError, match="no outlet"):
        ce.close_outlet(store, "bek", "missing", 1)


# -- agreements and measurements -----------------------------------------------------
def test_record_agreement(store):
    agreement_id = ce.record_agreement(store, "bek", CANAL, "2003-05", ["Batken rayon", "Isfara rayon"],
                                       "2 more outlets for Samarkandyk")
    row = store.read("canal_agreements").set_index("agreement_id").loc[agreement_id]
    assert (row["date"], row["date_precision"], row["parties"]) == ("2003-05", "month", "Batken rayon|Isfara rayon")
    assert row["updated_by"] == "bek" and row["version"] == 1
    with pytest.raises(InputError, match="parties"):
        ce.record_agreement(store, "bek", CANAL, "2003", [], "x")


def test_record_single_measurement_with_position(store):
    measurement_id = ce.record_measurement(store, "aida", CANAL, date="2024-07-15", flow_lps=12.5, lon=ISFARA[0],
                                           lat=ISFARA[1], village="Shurab", country="TJ", canal_position="tail")
    row = store.read("flow_measurements").set_index("measurement_id").loc[measurement_id]
    assert (row["flow_lps"], row["flow_lps_min"], row["flow_lps_max"]) == (12.5, 12.5, 12.5)
    assert row["date_precision"] == "day" and row["location_precision"] == 1 and row["updated_by"] == "aida"
    audit = store.read("audit_log")
    assert audit[audit["row_key"] == measurement_id]["user"].tolist() == ["aida"]


def test_record_range_measurement_without_position(store):
    measurement_id = ce.record_measurement(store, "aida", CANAL, date="2024", flow_lps_min=10, flow_lps_max=15)
    row = store.read("flow_measurements").set_index("measurement_id").loc[measurement_id]
    assert pd.isna(row["flow_lps"]) and (row["flow_lps_min"], row["flow_lps_max"]) == (10, 15)
    assert row.geometry is None and pd.isna(row["location_precision"])


@pytest.mark.parametrize("kwargs,message", [
    ({"flow_lps": -1}, "zero or more"),
    ({"flow_lps_min": 15, "flow_lps_max": 10}, "above the highest"),
    ({"flow_lps_min": 10}, "both"),
    ({}, "Give the measured flow"),
    ({"flow_lps": 20, "flow_lps_min": 10, "flow_lps_max": 15}, "outside the range"),
    ({"flow_lps": "lots"}, "must be a number"),
    ({"flow_lps": 5, "date": (date.today() + timedelta(days=2)).isoformat()}, "future"),
    ({"flow_lps": 5, "date": "15.07.2024"}, "not a date"),
    ({"flow_lps": 5, "lon": DUSHANBE[0], "lat": DUSHANBE[1]}, "outside"),
    ({"flow_lps": 5, "lon": 70.6}, "both longitude and latitude"),
    ({"flow_lps": 5, "canal_position": "middle"}, "Position"),
])
def test_bad_measurements_are_refused(store, kwargs, message):
    kwargs = {"date": "2024-07-15", **kwargs}
    before = store.checksum("flow_measurements")
    with pytest.raises(InputError, match=message):
        ce.record_measurement(store, "aida", CANAL, **kwargs)
    assert store.checksum("flow_measurements") == before


# -- typed coordinates ---------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("40.06, 70.82", (70.82, 40.06)),
    ("70.82 40.06", (70.82, 40.06)),
    ("40,06; 70,82", (70.82, 40.06)),
    ("40°03'36\"N 70°49'12\"E", (70.82, 40.06)),
    ("70°49'12\"E 40°03'36\"N", (70.82, 40.06)),
    ("40°03′36″ С 70°49′12″ В", (70.82, 40.06)),
])
def test_parse_coordinates(text, expected):
    lon, lat = ce.parse_coordinates(text)
    assert lon == pytest.approx(expected[0], abs=1e-6) and lat == pytest.approx(expected[1], abs=1e-6)


@pytest.mark.parametrize("text", ["", "40.06", "north of Batken", "1 2 3"])
def test_parse_coordinates_refuses_other_text(text):
    with pytest.raises(InputError):
        ce.parse_coordinates(text)


# -- refusals in the reader's language -------------------------------------------------
def test_found_to_closed_is_explained_in_russian_and_kyrgyz(store):
    outlet_id = _new(store)
    with pytest.raises(InputError) as info:
        ce.close_outlet(store, "bek", outlet_id, 1)
    assert info.value.key == "err.canal.transition"
    assert str(info.value) == ("An outlet cannot go from 'found' to 'closed': "
                               "mark it 'unauthorised' first, then close it.")
    assert info.value.text("ru") == ("Статус водовыпуска нельзя сменить с «выявлен» на «закрыт»: "
                                     "сначала отметьте его как «самовольный», затем закройте.")
    ky = info.value.text("ky")
    assert "«табылган»" in ky and "«жабылган»" in ky and "«уруксатсыз»" in ky and "found" not in ky


def test_allowed_next_statuses_are_listed_in_the_readers_language(store):
    outlet_id = _new(store, status="unauthorised")
    with pytest.raises(InputError) as info:
        ce.change_outlet_status(store, "bek", outlet_id, "found", 1)
    assert "it can only become 'closed' or 'agreed'" in str(info.value)
    assert "«закрыт» или «согласован»" in info.value.text("ru")
    assert "«жабылган» же «макулдашылган»" in info.value.text("ky")


def test_flow_problems_name_the_field_and_number_in_russian(store):
    with pytest.raises(InputError) as info:
        ce.record_measurement(store, "aida", CANAL, date="2024-07-15", flow_lps=20.5, flow_lps_min=10, flow_lps_max=15)
    assert str(info.value) == "The flow 20.5 l/s lies outside the range 10–15 l/s."
    assert info.value.text("ru") == "Расход 20,5 л/с лежит вне диапазона 10–15 л/с."
    with pytest.raises(InputError) as info:
        ce.record_measurement(store, "aida", CANAL, date="2024-07-15", flow_lps_min=-1, flow_lps_max=3)
    assert info.value.text("ru").startswith("Наименьший расход должен быть не меньше нуля")
    assert info.value.text("ky").startswith("Эң аз агым секундасына нөл же андан көп")


def test_bad_date_and_position_are_refused_in_kyrgyz(store):
    with pytest.raises(InputError) as info:
        ce.record_agreement(store, "aida", CANAL, "15.07.2024", ["A", "B"], "terms")
    assert info.value.text("ky") == "'15.07.2024' — күн эмес; аны ЖЖЖЖ-АА-КК (же ЖЖЖЖ-АА, ЖЖЖЖ) түрүндө жазыңыз."
    with pytest.raises(OutsideCountryError) as info:
        ce.check_position(DUSHANBE[1], DUSHANBE[0])
    assert "lies outside Kyrgyzstan" in str(info.value)
    ru = info.value.text("ru")
    assert ru.startswith("Точка (долгота 38,56000, широта 68,78000) лежит за пределами Кыргызстана")
    assert "перепутаны" not in ru
