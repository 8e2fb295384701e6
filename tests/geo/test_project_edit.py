"""Editing projects, funding and beneficiaries with optimistic locking and roles (TEST-ONLY SYNTHETIC data)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from geo import auth  # noqa: E402
from geo import project_edit as pe  # noqa: E402
from geo.errors import (  # noqa: E402
    InputError, OutsideCountryError, PermissionDeniedError, SchemaError, StaleVersionError,
)
from tests.fixtures import bad_inputs as fx  # noqa: E402

ADMIN = auth.User("admin1", "admin")
EDITOR_A = auth.User("editor_a", "editor", frozenset({"KG-A"}))
EDITOR_AO_E = auth.User("editor_e", "editor", frozenset({"KG-A-R1-E"}))
VIEWER = auth.User("viewer1", "viewer")


@pytest.fixture
def store(tmp_path):
    store = fx.make_store(tmp_path / "aimak.gpkg")
    pe.add_project(store, ADMIN, {"project_id": "T-1", "title": "Test water pipe", "sector": "water_supply",
                                  "total_cost": "1 150 000 сом", "year_start": "2019"}, lon=74.25, lat=41.5)
    pe.add_project(store, ADMIN, {"project_id": "T-3", "title": "Test dam"}, lon=75.5, lat=41.5)
    return store


def _project(store, pid):
    frame = store.read("projects")
    return frame[frame["project_id"] == pid].iloc[0].to_dict()


def test_add_places_the_project_and_starts_at_version_1(store):
    row = _project(store, "T-1")
    assert (row["oblast_pcode"], row["rayon_pcode"], row["aiyl_okmot_pcode"]) == ("KG-A", "KG-A-R1", "KG-A-R1-W")
    assert (row["oblast_name"], row["aiyl_okmot_name"]) == ("Alpha", "West AO")
    assert row["version"] == 1 and row["updated_by"] == "admin1"
    assert row["total_cost"] == 1150000 and row["year_start"] == 2019
    assert row["geometry_kind"] == "point" and row["location_precision"] == 1
    log = store.read("audit_log")
    assert ((log["action"] == "insert") & (log["row_key"] == "T-1")).sum() == 1


def test_two_sessions_edit_the_same_project_the_second_save_is_refused(store):
    opened_by_a = _project(store, "T-1")
    opened_by_b = _project(store, "T-1")
    pe.update_project(store, ADMIN, {"project_id": "T-1", "version": opened_by_a["version"], "title": "Title by A"})
    before = {name: store.checksum(name) for name in ("projects", "audit_log")}
    with pytest.raises(StaleVersionError, match="changed by admin1") as info:
        pe.update_project(store, EDITOR_A, {"project_id": "T-1", "version": opened_by_b["version"],
                                            "title": "Title by B", "status": "done"})
    assert "Your save was refused and their change is kept" in str(info.value)
    after = _project(store, "T-1")
    assert after["title"] == "Title by A" and after["version"] == 2
    assert {name: store.checksum(name) for name in ("projects", "audit_log")} == before
    # B reloads and saves again: now it works, and A's change is the old value in the audit log.
    saved = pe.update_project(store, EDITOR_A, {"project_id": "T-1", "version": after["version"], "status": "done"})
    assert saved["version"] == 3 and saved["title"] == "Title by A" and saved["status"] == "done"
    log = store.read("audit_log")
    last = log[(log["action"] == "update") & (log["row_key"] == "T-1")].iloc[-1]
    assert json.loads(last["old_values"])["title"] == "Title by A"
    assert last["user"] == "editor_a"


def test_update_keeps_fields_not_sent_and_refuses_derived_ones(store):
    row = _project(store, "T-1")
    saved = pe.update_project(store, ADMIN, {"project_id": "T-1", "version": row["version"], "status": "ongoing"})
    assert saved["total_cost"] == 1150000 and saved["sector"] == "water_supply"
    # The form may send the stored derived values back unchanged ...
    saved = pe.update_project(store, ADMIN, {**_project(store, "T-1"), "status": "done"})
    assert saved["status"] == "done"
    # ... but not change them.
    with pytest.raises(SchemaError, match="oblast_pcode is set by the app"):
        pe.update_project(store, ADMIN, {"project_id": "T-1", "version": saved["version"], "oblast_pcode": "KG-B"})


def test_validation_messages(store):
    row = _project(store, "T-1")
    with pytest.raises(SchemaError, match="year_end: 2018 is before year_start 2019"):
        pe.update_project(store, ADMIN, {"project_id": "T-1", "version": row["version"], "year_end": 2018})
    with pytest.raises(SchemaError, match="cannot be below zero"):
        pe.update_project(store, ADMIN, {"project_id": "T-1", "version": row["version"], "total_cost": "-5"})
    with pytest.raises(SchemaError, match="the project name is empty"):
        pe.add_project(store, ADMIN, {"title": " "}, lon=74.3, lat=41.5)
    with pytest.raises(SchemaError, match="Unknown field"):
        pe.update_project(store, ADMIN, {"project_id": "T-1", "version": row["version"], "colour": "red"})
    with pytest.raises(SchemaError, match="already exists"):
        pe.add_project(store, ADMIN, {"project_id": "T-1", "title": "Again"}, lon=74.3, lat=41.5)


def test_html_in_text_is_stored_literally(store):
    row = _project(store, "T-1")
    saved = pe.update_project(store, ADMIN, {"project_id": "T-1", "version": row["version"],
                                             "title": "<script>alert(1)</script> well"})
    assert saved["title"] == "<script>alert(1)</script> well"


def test_move_project_replaces_it_in_its_units(store):
    row = _project(store, "T-1")
    moved = pe.move_project(store, ADMIN, "T-1", row["version"], lon=75.4, lat=41.6)
    assert (moved["oblast_pcode"], moved["rayon_pcode"]) == ("KG-B", "KG-B-R1")
    assert moved["aiyl_okmot_pcode"] is None or moved["aiyl_okmot_pcode"] != moved["aiyl_okmot_pcode"]
    assert (moved["geometry"].x, moved["geometry"].y) == (75.4, 41.6)
    assert moved["version"] == 2


def test_move_checks_the_location(store):
    row = _project(store, "T-1")
    before = store.checksum("projects")
    with pytest.raises(OutsideCountryError, match="outside Kyrgyzstan"):
        pe.move_project(store, ADMIN, "T-1", row["version"], *fx.ALMATY)
    with pytest.raises(OutsideCountryError, match="look swapped"):
        pe.move_project(store, ADMIN, "T-1", row["version"], lon=41.5, lat=74.25)
    with pytest.raises(OutsideCountryError, match="out of range"):
        pe.move_project(store, ADMIN, "T-1", row["version"], lon=74.25, lat=200)
    with pytest.raises(InputError, match="must be numbers"):
        pe.move_project(store, ADMIN, "T-1", row["version"], lon="east", lat=41.5)
    with pytest.raises(StaleVersionError):
        pe.move_project(store, ADMIN, "T-1", row["version"] + 5, lon=74.3, lat=41.5)
    assert store.checksum("projects") == before


def test_drawn_line_geometry(store):
    from shapely.geometry import LineString

    row = pe.add_project(store, ADMIN, {"project_id": "T-4", "title": "Test canal"},
                         geometry=LineString([(74.6, 41.4), (74.7, 41.45)]))
    assert row["geometry_kind"] == "line" and row["aiyl_okmot_pcode"] == "KG-A-R1-E"


def test_delete_project_with_stale_version_is_refused_then_cascades(store):
    pe.add_funding(store, ADMIN, {"project_id": "T-1", "source_name": "Local budget", "amount": "250 000",
                                  "currency": "kgs"})
    pe.save_beneficiaries(store, ADMIN, {"project_id": "T-1", "total": "около 500", "women": 260})
    row = _project(store, "T-1")
    pe.update_project(store, ADMIN, {"project_id": "T-1", "version": row["version"], "status": "done"})
    before = {n: store.checksum(n) for n in ("projects", "funding", "beneficiaries")}
    with pytest.raises(StaleVersionError, match="delete was refused"):
        pe.delete_project(store, ADMIN, "T-1", row["version"])
    assert {n: store.checksum(n) for n in ("projects", "funding", "beneficiaries")} == before
    pe.delete_project(store, ADMIN, "T-1", row["version"] + 1)
    assert "T-1" not in set(store.read("projects")["project_id"])
    assert len(store.read("funding")) == 0 and len(store.read("beneficiaries")) == 0


def test_funding_rows(store):
    f = pe.add_funding(store, ADMIN, {"project_id": "T-1", "source_name": "UNDP", "source_type": "donor grant",
                                      "amount": "12 000 $", "currency": "USD"})
    assert f["amount"] == 12000 and f["currency"] == "USD" and f["version"] == 1
    with pytest.raises(SchemaError, match="currency: must be one of KGS, USD, EUR"):
        pe.add_funding(store, ADMIN, {"project_id": "T-1", "amount": 5, "currency": "RUB"})
    with pytest.raises(SchemaError, match="share_pct"):
        pe.add_funding(store, ADMIN, {"project_id": "T-1", "share_pct": 140})
    updated = pe.update_funding(store, ADMIN, {"funding_id": f["funding_id"], "version": 1, "amount": 15000})
    assert updated["amount"] == 15000 and updated["version"] == 2
    with pytest.raises(StaleVersionError):
        pe.update_funding(store, ADMIN, {"funding_id": f["funding_id"], "version": 1, "amount": 1})
    with pytest.raises(StaleVersionError):
        pe.delete_funding(store, ADMIN, f["funding_id"], 1)
    pe.delete_funding(store, ADMIN, f["funding_id"], 2)
    assert len(store.read("funding")) == 0


def test_beneficiaries(store):
    b = pe.save_beneficiaries(store, ADMIN, {"project_id": "T-1", "total": 500, "households": "120"})
    assert (b["total"], b["households"], b["version"]) == (500, 120, 1)
    with pytest.raises(SchemaError, match="already has beneficiaries"):
        pe.save_beneficiaries(store, ADMIN, {"project_id": "T-1", "total": 1})
    with pytest.raises(SchemaError, match="not a whole number"):
        pe.save_beneficiaries(store, ADMIN, {"project_id": "T-1", "version": 1, "women": "12.5"})
    b = pe.save_beneficiaries(store, ADMIN, {"project_id": "T-1", "version": 1, "women": 260})
    assert (b["total"], b["women"], b["version"]) == (500, 260, 2)
    with pytest.raises(StaleVersionError):
        pe.save_beneficiaries(store, ADMIN, {"project_id": "T-1", "version": 1, "men": 240})
    with pytest.raises(StaleVersionError):
        pe.delete_beneficiaries(store, ADMIN, "T-1", 1)
    pe.delete_beneficiaries(store, ADMIN, "T-1", 2)


# -- roles --------------------------------------------------------------------------------------

def _all_checksums(store):
    return {n: store.checksum(n) for n in ("projects", "funding", "beneficiaries", "audit_log")}


def test_viewer_cannot_write_anything(store):
    before = _all_checksums(store)
    row = _project(store, "T-1")
    attempts = [
        lambda: pe.add_project(store, VIEWER, {"title": "x"}, lon=74.3, lat=41.5),
        lambda: pe.update_project(store, VIEWER, {"project_id": "T-1", "version": row["version"], "title": "x"}),
        lambda: pe.move_project(store, VIEWER, "T-1", row["version"], 74.3, 41.5),
        lambda: pe.delete_project(store, VIEWER, "T-1", row["version"]),
        lambda: pe.add_funding(store, VIEWER, {"project_id": "T-1", "amount": 1}),
        lambda: pe.save_beneficiaries(store, VIEWER, {"project_id": "T-1", "total": 1}),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDeniedError, match="viewer"):
            attempt()
    assert _all_checksums(store) == before


def test_editor_writes_only_in_their_units(store):
    t1 = _project(store, "T-1")
    t3 = _project(store, "T-3")
    # Inside KG-A: allowed.
    saved = pe.update_project(store, EDITOR_A, {"project_id": "T-1", "version": t1["version"], "status": "done"})
    pe.add_funding(store, EDITOR_A, {"project_id": "T-1", "source_name": "Local budget", "amount": 10})
    pe.add_project(store, EDITOR_A, {"project_id": "T-5", "title": "Test well"}, lon=74.9, lat=41.9)
    before = _all_checksums(store)
    refused = [
        lambda: pe.update_project(store, EDITOR_A, {"project_id": "T-3", "version": t3["version"], "title": "x"}),
        lambda: pe.move_project(store, EDITOR_A, "T-1", saved["version"], 75.5, 41.5),   # out of the oblast
        lambda: pe.add_project(store, EDITOR_A, {"title": "x"}, lon=75.5, lat=41.5),
        lambda: pe.delete_project(store, EDITOR_A, "T-3", t3["version"]),
        lambda: pe.add_funding(store, EDITOR_A, {"project_id": "T-3", "amount": 1}),
        lambda: pe.save_beneficiaries(store, EDITOR_A, {"project_id": "T-3", "total": 1}),
    ]
    for attempt in refused:
        with pytest.raises(PermissionDeniedError, match="assigned units"):
            attempt()
    assert _all_checksums(store) == before


def test_editor_of_an_aiyl_okmot(store):
    """An editor of one aiyl okmot may place projects there, not in the neighbouring one."""
    pe.add_project(store, EDITOR_AO_E, {"project_id": "T-6", "title": "Test bridge"}, lon=74.75, lat=41.5)
    with pytest.raises(PermissionDeniedError, match="KG-A-R1-W"):
        pe.add_project(store, EDITOR_AO_E, {"project_id": "T-7", "title": "x"}, lon=74.25, lat=41.5)
    t1 = _project(store, "T-1")
    with pytest.raises(PermissionDeniedError):
        pe.update_project(store, EDITOR_AO_E, {"project_id": "T-1", "version": t1["version"], "title": "x"})


def test_user_names_are_looked_up_in_the_store(store):
    auth.bootstrap_admin(store, "boss", "a long password")
    auth.create_user(store, auth.get_user(store, "boss"), "ed", "another long password", "editor", ["KG-B"])
    t3 = _project(store, "T-3")
    saved = pe.update_project(store, "ed", {"project_id": "T-3", "version": t3["version"], "status": "done"})
    assert saved["updated_by"] == "ed"
    with pytest.raises(PermissionDeniedError, match="no active account"):
        pe.update_project(store, "nobody", {"project_id": "T-3", "version": saved["version"], "status": "x"})
