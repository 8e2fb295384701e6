"""The store contract, run against every back end."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.errors import StaleVersionError, StoreError, UnknownLayerError


def test_empty_store_reads_empty_layers_with_schema_columns(any_store):
    projects = any_store.read("projects")
    assert len(projects) == 0
    assert {"project_id", "location_precision", "version", "geometry"} <= set(projects.columns)
    assert any_store.read("funding").shape[0] == 0


def test_unknown_layer_is_refused(any_store):
    with pytest.raises(UnknownLayerError):
        any_store.read("no_such_layer")


def test_append_round_trip_keeps_values_and_missing(any_store, few_projects):
    with any_store.transaction("alice") as tx:
        tx.append("projects", few_projects)
    back = any_store.read("projects").set_index("project_id")
    assert back.loc["P2", "title"] == "<script>alert(1)</script> school"
    assert pd.isna(back.loc["P2", "year_start"])  # missing stays missing, not 0
    assert back.loc["P1", "year_start"] == 2001
    assert (back["version"] == 1).all() and (back["updated_by"] == "alice").all()
    assert back.crs.to_epsg() == 4326
    assert back.loc["P1", "geometry"].equals(Point(74.5, 41.5))


def test_failed_transaction_changes_nothing(any_store, few_projects):
    with any_store.transaction() as tx:
        tx.append("projects", few_projects)
    before = {name: any_store.checksum(name) for name in ("projects", "funding", "audit_log")}
    with pytest.raises(RuntimeError):
        with any_store.transaction() as tx:
            tx.append("funding", pd.DataFrame({"funding_id": ["F1"], "project_id": ["P1"], "amount": [5.0], "currency": ["KGS"]}))
            tx.delete("projects", ["P1"])
            raise RuntimeError("boom")
    assert {name: any_store.checksum(name) for name in before} == before


def test_duplicate_keys_are_refused(any_store, few_projects):
    with any_store.transaction() as tx:
        tx.append("projects", few_projects)
    with pytest.raises(StoreError):
        with any_store.transaction() as tx:
            tx.append("projects", few_projects.iloc[[0]])
    assert len(any_store.read("projects")) == 3


def test_stale_save_is_refused_and_other_change_kept(any_store, few_projects):
    with any_store.transaction() as tx:
        tx.append("projects", few_projects)
    opened_by_a = any_store.read("projects").query("project_id == 'P1'")
    opened_by_b = opened_by_a.copy()
    with any_store.transaction("a") as tx:
        tx.update("projects", opened_by_a.assign(title="A's title"))
    with pytest.raises(StaleVersionError, match="changed by a"):
        with any_store.transaction("b") as tx:
            tx.update("projects", opened_by_b.assign(title="B's title"))
    row = any_store.read("projects").query("project_id == 'P1'").iloc[0]
    assert row["title"] == "A's title" and row["version"] == 2 and row["updated_by"] == "a"


def test_audit_log_records_who_what_old_and_new(any_store, few_projects):
    with any_store.transaction("alice") as tx:
        tx.append("projects", few_projects.iloc[[0]])
    row = any_store.read("projects")
    with any_store.transaction("bob") as tx:
        tx.update("projects", row.assign(title="Renamed"))
    log = any_store.read("audit_log")
    update = log[log["action"] == "update"].iloc[0]
    assert update["user"] == "bob" and update["row_key"] == "P1"
    assert "Water pipe" in update["old_values"] and "Renamed" in update["new_values"]


def test_replace_layer_and_revision_changes(any_store, two_oblasts):
    r0 = any_store.revision()
    any_store.write_layer("admin_units", two_oblasts)
    assert any_store.revision() != r0
    assert sorted(any_store.read("admin_units")["pcode"]) == ["KG-A", "KG-A-R1", "KG-B", "KG-B-R1"]
    assert "admin_units" in any_store.layer_names()


def test_store_reprojects_input_to_4326(any_store, few_projects):
    utm = few_projects.to_crs(32643)
    with any_store.transaction() as tx:
        tx.append("projects", utm)
    back = any_store.read("projects").set_index("project_id")
    assert back.crs.to_epsg() == 4326
    assert abs(back.loc["P1", "geometry"].x - 74.5) < 1e-6


def test_gpkg_backup_and_restore(gpkg_store, few_projects):
    with gpkg_store.transaction() as tx:
        tx.append("projects", few_projects)
    saved = gpkg_store.backup()
    with gpkg_store.transaction() as tx:
        tx.delete("projects", ["P1", "P2"])
    assert len(gpkg_store.read("projects")) == 1
    gpkg_store.restore(saved)
    assert len(gpkg_store.read("projects")) == 3


def test_rows_without_key_or_with_repeated_keys_are_refused(any_store, few_projects):
    with pytest.raises(StoreError, match="no project_id"):
        with any_store.transaction() as tx:
            tx.replace("projects", few_projects.assign(project_id=["P1", None, "P3"]))
    with pytest.raises(StoreError, match="repeated"):
        with any_store.transaction() as tx:
            tx.append("projects", few_projects.assign(project_id=["P1", "P1", "P3"]))
    assert len(any_store.read("projects")) == 0


def test_concurrent_saves_of_different_rows_both_survive(any_store, few_projects):
    from geo.store import open_store  # noqa: F401  (a second handle on the same store)

    with any_store.transaction() as tx:
        tx.append("projects", few_projects)
    other = type(any_store).__new__(type(any_store))
    other.__dict__.update(any_store.__dict__)  # same back end, same place: a second "process"
    with any_store.transaction("a") as tx_a:
        row_a = tx_a.read("projects").query("project_id == 'P1'").assign(title="A edits P1")
        with other.transaction("b") as tx_b:  # b saves first, while a is still editing
            tx_b.update("projects", tx_b.read("projects").query("project_id == 'P2'").assign(title="B edits P2"))
        tx_a.update("projects", row_a)
    titles = any_store.read("projects").set_index("project_id")["title"]
    assert titles["P1"] == "A edits P1" and titles["P2"] == "B edits P2"
    log = any_store.read("audit_log")
    assert set(log.loc[log["action"] == "update", "user"]) == {"a", "b"}


def test_concurrent_saves_of_the_same_row_refuse_the_second(any_store, few_projects):
    with any_store.transaction() as tx:
        tx.append("projects", few_projects)
    other = type(any_store).__new__(type(any_store))
    other.__dict__.update(any_store.__dict__)
    with pytest.raises(StaleVersionError):
        with any_store.transaction("a") as tx_a:
            row_a = tx_a.read("projects").query("project_id == 'P1'").assign(title="A")
            with other.transaction("b") as tx_b:
                tx_b.update("projects", tx_b.read("projects").query("project_id == 'P1'").assign(title="B"))
            tx_a.update("projects", row_a)
    assert any_store.read("projects").set_index("project_id").loc["P1", "title"] == "B"


def test_replaced_versioned_rows_get_a_first_version(any_store, few_projects):
    any_store.write_layer("projects", few_projects, user="build")
    stored = any_store.read("projects")
    assert (stored["version"] == 1).all() and (stored["updated_by"] == "build").all()
    with any_store.transaction("editor") as tx:
        tx.update("projects", stored.query("project_id == 'P1'").assign(title="edited"))
    assert any_store.read("projects").set_index("project_id").loc["P1", "version"] == 2
