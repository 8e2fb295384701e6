"""PostGIS-specific behaviour of the store (the shared contract is in test_store_contract.py).

Needs a PostGIS server: scripts/run_tests.sh starts one and sets AIMAK_TEST_DATABASE_URL.
Each test works in its own database schema, dropped afterwards.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from geo.errors import StaleVersionError, StoreError

URL = os.environ.get("AIMAK_TEST_DATABASE_URL")
pytestmark = [
    pytest.mark.postgis,
    pytest.mark.skipif(not URL, reason="AIMAK_TEST_DATABASE_URL not set: no PostGIS server for this run"),
]
ROOT = Path(__file__).resolve().parents[3]
LAYERS = ("projects", "funding", "audit_log", "admin_units")


@pytest.fixture
def schema():
    return "t_" + uuid.uuid4().hex[:10]


@pytest.fixture
def store(schema):
    from geo.store.postgis import PostGISStore

    s = PostGISStore(URL, schema=schema)
    yield s
    s.drop_schema()


@pytest.fixture
def other(schema, store):
    """A second store on the same schema: another app process."""
    from geo.store.postgis import PostGISStore

    s = PostGISStore(URL, schema=schema)
    yield s
    s.close()


@pytest.fixture
def db():
    import psycopg

    with psycopg.connect(URL, autocommit=True) as conn:
        yield conn


def sql_rows(db, query, params=None):
    with db.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else []


def checksums(store):
    return {name: store.checksum(name) for name in LAYERS}


def row(store, layer, key):
    frame = store.read(layer)
    spec_key = {"projects": "project_id", "funding": "funding_id"}[layer]
    return frame[frame[spec_key] == key].iloc[0]


# -- several app processes -----------------------------------------------------------------

def test_second_process_saving_a_stale_row_is_refused_and_nothing_is_lost(store, other, few_projects):
    with store.transaction("setup") as tx:
        tx.append("projects", few_projects)
    # B opens the row inside its transaction; A saves the same row while B is still editing.
    with pytest.raises(StaleVersionError, match="changed by anna"):
        with other.transaction("bolot") as tx_b:
            opened = tx_b.read("projects").query("project_id == 'P1'")
            with store.transaction("anna") as tx_a:
                tx_a.update("projects", tx_a.read("projects").query("project_id == 'P1'").assign(title="Anna's"))
            # B's version still matches what B read, so only the store's commit check can refuse it.
            tx_b.update("projects", opened.assign(title="Bolot's"))
    kept = row(store, "projects", "P1")
    assert kept["title"] == "Anna's" and kept["version"] == 2 and kept["updated_by"] == "anna"
    log = store.read("audit_log")
    assert list(log.loc[log["action"] == "update", "user"]) == ["anna"]
    assert "Bolot's" not in " ".join(log["new_values"])


def test_second_process_stale_delete_is_refused(store, other, few_projects):
    with store.transaction() as tx:
        tx.append("projects", few_projects)
    with pytest.raises(StaleVersionError):
        with other.transaction("bolot") as tx_b:
            tx_b.read("projects")
            with store.transaction("anna") as tx_a:
                tx_a.update("projects", tx_a.read("projects").query("project_id == 'P2'").assign(sector="health"))
            tx_b.delete("projects", ["P2"])
    assert row(store, "projects", "P2")["sector"] == "health"


def test_concurrent_edits_of_different_rows_are_both_kept(store, other, few_projects):
    with store.transaction() as tx:
        tx.append("projects", few_projects)
    with other.transaction("bolot") as tx_b:
        frame = tx_b.read("projects")
        with store.transaction("anna") as tx_a:
            tx_a.update("projects", tx_a.read("projects").query("project_id == 'P1'").assign(title="Anna's"))
            tx_a.append("funding", pd.DataFrame({"funding_id": ["F1"], "project_id": ["P1"], "amount": [10.0]}))
        tx_b.update("projects", frame.query("project_id == 'P2'").assign(title="Bolot's"))
        tx_b.append("projects", gpd.GeoDataFrame({"project_id": ["P9"], "title": ["new"]}, geometry=[Point(74, 42)], crs=4326))
    projects = store.read("projects").set_index("project_id")
    assert projects.loc["P1", "title"] == "Anna's" and projects.loc["P2", "title"] == "Bolot's"
    assert "P9" in projects.index and len(projects) == 4
    assert len(store.read("funding")) == 1
    log = store.read("audit_log")
    assert set(log["user"]) >= {"anna", "bolot"}
    assert len(log[log["action"] == "update"]) == 2 and len(log[log["action"] == "insert"]) == 2 + 3


def test_same_new_key_from_two_processes_is_refused_once(store, other):
    new = pd.DataFrame({"funding_id": ["F1"], "project_id": ["P1"], "amount": [1.0]})
    with pytest.raises(StoreError, match="F1"):
        with other.transaction("bolot") as tx_b:
            tx_b.read("funding")
            with store.transaction("anna") as tx_a:
                tx_a.append("funding", new)
            tx_b.append("funding", new.assign(amount=2.0))
    funding = store.read("funding")
    assert len(funding) == 1 and funding["amount"].iloc[0] == 1.0 and funding["updated_by"].iloc[0] == "anna"


WORKER = textwrap.dedent("""
    import random, sys, time
    import pandas as pd
    from geo.errors import StaleVersionError
    from geo.store.postgis import PostGISStore
    url, schema, worker, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    store = PostGISStore(url, schema=schema)
    started, retries = time.perf_counter(), 0
    for i in range(n):
        with store.transaction(f"w{worker}") as tx:
            tx.append("funding", pd.DataFrame({"funding_id": [f"F{worker}-{i}"], "project_id": ["P1"], "amount": [float(i)]}))
        # every worker also edits the shared row; a refused save is retried after a reload
        for attempt in range(200):
            try:
                with store.transaction(f"w{worker}") as tx:
                    shared = tx.read("funding").query("funding_id == 'SHARED'")
                    tx.update("funding", shared.assign(amount=shared["amount"] + 1))
                break
            except StaleVersionError:
                retries += 1
                time.sleep(random.uniform(0.01, 0.1))
        else:
            raise SystemExit("never saved")
    print(f"worker {worker}: {n} rows, {retries} refused saves retried, {time.perf_counter() - started:.1f} s")
""")


def test_parallel_processes_lose_no_rows_and_no_increments(store, schema):
    with store.transaction() as tx:
        tx.append("funding", pd.DataFrame({"funding_id": ["SHARED"], "project_id": ["P1"], "amount": [0.0]}))
    workers, per_worker = 3, 4
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, URL, schema, str(w), str(per_worker)],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in range(workers)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        print(out.strip())
    funding = store.read("funding").set_index("funding_id")
    assert len(funding) == 1 + workers * per_worker
    # each update read the then-current amount; a lost update would leave fewer increments
    assert funding.loc["SHARED", "amount"] == workers * per_worker
    assert funding.loc["SHARED", "version"] == 1 + workers * per_worker
    log = store.read("audit_log")
    assert len(log[log["action"] == "insert"]) == 1 + workers * per_worker
    assert len(log[log["action"] == "update"]) == workers * per_worker


# -- atomic commits ------------------------------------------------------------------------

def test_duplicate_key_in_a_later_layer_rolls_back_every_layer(store, few_projects, two_oblasts, db, schema):
    with store.transaction() as tx:
        tx.append("projects", few_projects)
        tx.replace("admin_units", two_oblasts)
    before, revision = checksums(store), store.revision()
    bad = pd.concat([store.read("projects"), store.read("projects").iloc[[0]]], ignore_index=True)
    frames = {
        "admin_units": two_oblasts.iloc[:1],  # written first (sorted), then rolled back
        "funding": pd.DataFrame({"funding_id": ["F1"], "project_id": ["P1"], "amount": [5.0]}),
        "projects": gpd.GeoDataFrame(bad, geometry="geometry", crs=4326),
    }
    with pytest.raises(StoreError, match="P1"):
        store._commit(frames)
    assert checksums(store) == before and store.revision() == revision
    assert sql_rows(db, f'SELECT count(*) FROM "{schema}".admin_units')[0][0] == 4


def test_exception_midway_rolls_back_every_layer(store, few_projects, monkeypatch):
    from geo.store.postgis import PostGISStore

    with store.transaction() as tx:
        tx.append("projects", few_projects)
    before, revision = checksums(store), store.revision()
    written = []
    real = PostGISStore._write_layer

    def failing(self, cur, name, *args):
        if written:
            raise RuntimeError("disk on fire")
        real(self, cur, name, *args)
        written.append(name)

    monkeypatch.setattr(PostGISStore, "_write_layer", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        with store.transaction("alice") as tx:
            tx.delete("projects", ["P1", "P2"])
            tx.append("funding", pd.DataFrame({"funding_id": ["F1"], "project_id": ["P3"], "amount": [1.0]}))
    assert written  # the first layer really was written before the failure
    monkeypatch.undo()
    assert checksums(store) == before and store.revision() == revision


def test_database_refuses_duplicate_keys_and_foreign_srid(store, few_projects, db, schema):
    import psycopg

    with store.transaction() as tx:
        tx.append("projects", few_projects)
    with pytest.raises(psycopg.errors.UniqueViolation):
        sql_rows(db, f'INSERT INTO "{schema}".projects (project_id) VALUES (%s)', ("P1",))
    with pytest.raises(psycopg.errors.CheckViolation):
        sql_rows(db, f"INSERT INTO \"{schema}\".projects (project_id, geometry) VALUES ('PX', 'SRID=3857;POINT(1 2)'::geometry)")


# -- schema ------------------------------------------------------------------------------------

def test_tables_have_primary_key_spatial_index_and_column_types(store, few_projects, two_oblasts, db, schema):
    with store.transaction() as tx:
        tx.append("projects", few_projects)
        tx.replace("admin_units", two_oblasts)
    for layer, key in (("projects", "project_id"), ("admin_units", "pcode")):
        indexes = [r[0] for r in sql_rows(db, "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s", (schema, layer))]
        assert any("USING gist (geometry)" in d for d in indexes), indexes
        assert any("UNIQUE" in d and f"({key})" in d for d in indexes), indexes
    types = dict(sql_rows(db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s AND table_name = 'projects'", (schema,)))
    assert types["title"] == "text" and types["year_start"] == "bigint" and types["length_km"] == "double precision"
    assert types["geometry"] == "USER-DEFINED"
    assert sql_rows(db, f'SELECT version FROM "{schema}".schema_version') == [(1,)]
    assert set(store.layer_names()) == {"projects", "admin_units", "audit_log"}


def test_migrations_run_once_and_two_instances_share_the_schema(store, other, few_projects, db, schema):
    assert store.migrate() == other.migrate()
    with other.transaction() as tx:
        tx.append("projects", few_projects)
    assert len(store.read("projects")) == 3
    assert sql_rows(db, f'SELECT count(*) FROM "{schema}".schema_version')[0][0] == 1


def test_empty_values_are_null_not_zero(store, few_projects, db, schema):
    with store.transaction() as tx:
        tx.append("projects", few_projects)
    rows = sql_rows(db, f'SELECT year_start, total_cost, title, hazard FROM "{schema}".projects WHERE project_id = %s', ("P2",))
    assert rows == [(None, None, "<script>alert(1)</script> school", None)]


# -- revision ------------------------------------------------------------------------------------

def test_revision_changes_on_every_commit_and_on_outside_edits(store, other, few_projects, db, schema):
    seen = [store.revision()]
    with store.transaction() as tx:
        tx.append("projects", few_projects)
    seen.append(store.revision())
    for title in ("a", "b", "b"):  # the last commit stores the same value again
        with store.transaction() as tx:
            tx.update("projects", tx.read("projects").query("project_id == 'P1'").assign(title=title))
        seen.append(other.revision())
    sql_rows(db, f'UPDATE "{schema}".projects SET title = %s WHERE project_id = %s', ("edited in QGIS", "P3"))
    seen.append(store.revision())
    assert len(set(seen)) == len(seen), seen
    assert row(store, "projects", "P3")["title"] == "edited in QGIS"


# -- values ----------------------------------------------------------------------------------------

def test_sql_injection_in_values_and_names_is_stored_literally(store, db, schema):
    nasty = [
        "x'); DROP TABLE projects; --",
        f'"; DROP SCHEMA "{schema}" CASCADE; --',
        "Robert'); DELETE FROM audit_log; --",
        "back\\slash \t tab \n newline 'quote' \"dq\" % %s %(x)s $$ $1",
    ]
    frame = gpd.GeoDataFrame(
        {"project_id": [f"P{i}'--" for i in range(len(nasty))], "title": nasty, 'odd"column; DROP': nasty},
        geometry=[Point(74, 41)] * len(nasty), crs=4326,
    )
    with store.transaction("mallory'); DROP TABLE audit_log; --") as tx:
        tx.append("projects", frame)
    back = store.read("projects")
    assert list(back["title"]) == nasty and list(back['odd"column; DROP']) == nasty
    assert list(back["project_id"]) == list(frame["project_id"])
    assert set(back["updated_by"]) == {"mallory'); DROP TABLE audit_log; --"}
    tables = {r[0] for r in sql_rows(db, "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))}
    assert {"projects", "audit_log"} <= tables
    assert len(store.read("audit_log")) == len(nasty)


def test_geometries_round_trip_like_the_geopackage(store, gpkg_store):
    frames = {
        "admin_units": gpd.GeoDataFrame({"pcode": ["A", "B", "C"]}, geometry=[box(74, 41, 75, 42), None, Polygon()], crs=4326),
        "projects": gpd.GeoDataFrame(
            {"project_id": ["P1", "P2", "P3"]},
            geometry=[Point(74.123456789012, 41.1, 1800.5), LineString([(74, 41), (75, 42)]), box(74, 41, 74.1, 41.1)], crs=4326),
        "canals": gpd.GeoDataFrame({"canal_id": ["C1"]}, geometry=[LineString([(70, 40), (70.5, 40.2)])], crs=4326),
    }
    for s in (store, gpkg_store):
        with s.transaction() as tx:
            for name, frame in frames.items():
                tx.append(name, frame) if name != "admin_units" else tx.replace(name, frame)
    for name in frames:
        ours, theirs = store.read(name), gpkg_store.read(name)
        assert ours.crs.to_epsg() == 4326
        for a, b in zip(ours.geometry, theirs.geometry):
            if b is None or b.is_empty:
                assert a is None or a.is_empty
            else:
                assert a.geom_type == b.geom_type and a.equals_exact(b, 0) and a.has_z == b.has_z, (name, a, b)
    assert store.read("admin_units").geometry.iloc[0].geom_type == "MultiPolygon"


def test_extra_columns_row_order_and_types_survive(store):
    frame = pd.DataFrame({
        "funding_id": [f"F{i:02d}" for i in range(30, 0, -1)],
        "amount": [float(i) if i % 3 else None for i in range(30)],
        "share_pct": [0.1 + 0.2] * 30,
        "batch": pd.array([i if i % 2 else None for i in range(30)], dtype="Int64"),
        "checked": pd.array([True, False, None] * 10, dtype="boolean"),
    })
    with store.transaction() as tx:
        tx.append("funding", frame)
    back = store.read("funding")
    assert list(back["funding_id"]) == list(frame["funding_id"])  # written order, not sorted
    pd.testing.assert_series_equal(back["batch"], frame["batch"], check_names=False)
    pd.testing.assert_series_equal(back["checked"], frame["checked"], check_names=False)
    assert back["share_pct"].iloc[0] == 0.1 + 0.2 and pd.isna(back["amount"].iloc[0])
    # dropping the extra columns rewrites the layer without them
    with store.transaction() as tx:
        tx.replace("funding", tx.read("funding").drop(columns=["batch", "checked"]).iloc[:5])
    back = store.read("funding")
    assert "batch" not in back.columns and list(back["funding_id"]) == list(frame["funding_id"][:5])


def test_describe_has_no_password_and_open_store_picks_postgis():
    from geo.store import open_store
    from geo.store.postgis import PostGISStore

    s = PostGISStore("postgresql://editor:s3cret-pw@db.example.org:5432/aimak?sslmode=require")
    assert "s3cret" not in s.describe() and "db.example.org" in s.describe() and "editor" in s.describe()
    assert isinstance(open_store(database_url=URL), PostGISStore)
    with pytest.raises(StoreError):
        PostGISStore(URL, schema='x"; DROP')
    with pytest.raises(StoreError):
        PostGISStore("sqlite:///tmp/x.db")


def test_unreachable_server_is_a_store_error():
    from geo.store.postgis import PostGISStore

    s = PostGISStore("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreError, match="127.0.0.1"):
        s.layer_names()
