"""Importing and deleting hazard layers in the store (geo/hazard_store.py), and the stored class rule.

The store holds the shipped country and lakes and the shipped indicative layers, made
as ``python -m geo build`` makes them. Official layers are 2 km squares near Kochkor
(UTM 43N, reprojected on import). Deleting the last official flood layer must bring
back the indicative river band exactly as built; viewers, editors, unknown and
indicative layers are refused and leave the store unchanged (checksums).
"""
from __future__ import annotations

import json
import os
import uuid

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo import hazard_store, hazards, i18n
from geo.auth import User
from geo.errors import InputError, PermissionDeniedError

UTM43 = "EPSG:32643"
X0, Y0 = 500_000.0, 4_650_000.0  # about 75.0 E, 42.0 N
ADMIN = User("boss", "admin")


@pytest.fixture(scope="module")
def reference():
    """The shipped country, lakes and indicative layers (built once for the module)."""
    from geo.build import indicative_hazard_zones, reference_frames

    frames = reference_frames()
    return frames["country"], frames["lakes"], indicative_hazard_zones(frames["country"], frames["lakes"])


@pytest.fixture
def store(tmp_path, reference):
    from geo.store.gpkg import GeoPackageStore

    country, lakes, indicative = reference
    store = GeoPackageStore(tmp_path / "store.gpkg")
    with store.transaction("build") as tx:
        tx.replace("country", country)
        tx.replace("lakes", lakes)
        tx.replace("hazard_zones", indicative)
    return store


def _square(tmp_path, name: str, dx: float = 0.0, column: dict | None = None) -> str:
    path = tmp_path / f"{name}.gpkg"
    zone = gpd.GeoDataFrame(column or {"hazard_class": ["High"]},
                            geometry=[box(X0 + dx - 1000, Y0 - 1000, X0 + dx + 1000, Y0 + 1000)], crs=UTM43)
    zone.to_file(path, driver="GPKG", engine="pyogrio")
    return str(path)


def _layer(store, name: str) -> pd.DataFrame:
    zones = store.read("hazard_zones")
    return zones[zones["layer_name"] == name]


def _indicative_flood(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame[frame["indicative"].fillna(False).astype(bool) & frame["hazard_type"].eq("flood")]
    return rows.sort_values("zone_id").reset_index(drop=True)


def test_import_replaces_indicative_and_stores_the_rule(store, tmp_path):
    summary = hazard_store.import_hazard_layer(store, ADMIN, _square(tmp_path, "depth", column={"depth_m": [1.2]}),
                                               hazard_type="flood", mapping={"High": 1.0, "Medium": 0.5},
                                               source="Test ministry")
    assert summary["zones"] == 1 and summary["hazard_type"] == "flood"
    assert summary["replaced_indicative"] and summary["replaced_indicative"][0].startswith("Main-river band")
    zones = store.read("hazard_zones")
    assert len(_indicative_flood(zones)) == 0
    row = _layer(store, "depth").iloc[0]
    assert row["hazard_class"] == "High" and row["value"] == pytest.approx(1.2)
    rule = json.loads(row["class_rule"])
    assert rule == {"thresholds": {"High": 1.0, "Medium": 0.5}, "higher_is_worse": True}
    # the rule read back classifies as the import did
    assert hazards.rule_mapping(row["class_rule"]).classify(pd.Series([0.7, 1.5])).tolist() == ["Medium", "High"]
    # the exposure report of the stored layer shows the stored rule in its legend
    from geo.exposure import _legend, load_hazard

    stored = load_hazard("depth", data=store)
    assert _legend(stored, None)["rule"].tolist() == [">= 1", ">= 0.5 and < 1"]


def test_deleting_the_last_official_layer_restores_the_indicative_one_as_built(store, tmp_path, reference):
    built_flood = _indicative_flood(reference[2])
    before = store.read("hazard_zones")
    assert len(_indicative_flood(before)) == 3
    hazard_store.import_hazard_layer(store, ADMIN, _square(tmp_path, "sq1"), hazard_type="flood")
    hazard_store.import_hazard_layer(store, ADMIN, _square(tmp_path, "sq2", dx=5000), hazard_type="flood")

    first = hazard_store.delete_hazard_layer(store, ADMIN, "sq1")
    assert first == {"layer_name": "sq1", "hazard_type": "flood", "zones": 1, "restored": None}
    assert len(_indicative_flood(store.read("hazard_zones"))) == 0   # sq2 is still an official flood map

    second = hazard_store.delete_hazard_layer(store, ADMIN, "sq2")
    assert second["restored"] and second["restored"].startswith("Main-river band")
    after = store.read("hazard_zones")
    assert set(after["layer_name"]) == set(before["layer_name"])
    restored = _indicative_flood(after)
    assert restored["zone_id"].tolist() == built_flood["zone_id"].tolist()
    assert restored["hazard_class"].tolist() == built_flood["hazard_class"].tolist()
    assert restored.geometry.geom_equals_exact(built_flood.geometry, tolerance=1e-9).all()
    assert json.loads(restored["class_rule"].iloc[0]) == {"thresholds": {"High": 250.0, "Medium": 500.0,
                                                                         "Low": 1000.0}, "higher_is_worse": False}
    # the audit log says who deleted which zones, with their old values, and that the layer was restored
    log = store.read("audit_log")
    deleted = log[(log["action"] == "delete") & (log["layer"] == "hazard_zones")]
    assert sorted(deleted["row_key"]) == ["sq1:1", "sq2:1"] and set(deleted["user"]) == {"boss"}
    assert "POLYGON" in deleted["old_values"].iloc[0]
    assert (log["action"] == "replace").sum() >= 3  # two imports and the restore


def test_deleting_a_mudflow_layer_restores_nothing(store, tmp_path):
    before = store.read("hazard_zones")
    hazard_store.import_hazard_layer(store, ADMIN, _square(tmp_path, "sel"), hazard_type="mudflow")
    result = hazard_store.delete_hazard_layer(store, ADMIN, "sel")
    assert result["restored"] is None and result["hazard_type"] == "mudflow"
    after = store.read("hazard_zones")
    assert sorted(after["zone_id"]) == sorted(before["zone_id"])


@pytest.mark.parametrize("user", [User("vera", "viewer"), User("ed", "editor", frozenset({"KG-N"})), None])
def test_only_admins_may_delete_and_nothing_changes(store, tmp_path, user):
    hazard_store.import_hazard_layer(store, ADMIN, _square(tmp_path, "sq"), hazard_type="flood")
    before = {name: store.checksum(name) for name in ("hazard_zones", "audit_log")}
    with pytest.raises(PermissionDeniedError) as info:
        hazard_store.delete_hazard_layer(store, user, "sq")
    assert info.value.key == "err.hazard.delete_admin_only"
    role = user.role if user else "viewer"
    assert f"({role}) may not delete hazard layers" in str(info.value)
    ru = info.value.text("ru")
    assert "удалять слои опасности" in ru and f"({i18n.t('role.' + role, 'ru')})" in ru
    assert {name: store.checksum(name) for name in before} == before


def test_only_admins_may_import(store, tmp_path):
    before = store.checksum("hazard_zones")
    with pytest.raises(PermissionDeniedError) as info:
        hazard_store.import_hazard_layer(store, User("ed", "editor"), _square(tmp_path, "sq"), hazard_type="flood")
    assert info.value.key == "err.hazard.import_admin_only"
    assert store.checksum("hazard_zones") == before


def test_indicative_and_unknown_layers_are_refused(store, tmp_path):
    hazard_store.import_hazard_layer(store, ADMIN, _square(tmp_path, "sq"), hazard_type="mudflow")
    before = {name: store.checksum(name) for name in ("hazard_zones", "audit_log")}
    slope = [n for n in store.read("hazard_zones")["layer_name"].unique() if n.startswith("Slope classes")][0]
    with pytest.raises(InputError) as info:
        hazard_store.delete_hazard_layer(store, ADMIN, slope)
    assert info.value.key == "err.hazard.indicative_locked"
    assert "cannot be deleted" in str(info.value) and "нельзя удалить" in info.value.text("ru")
    with pytest.raises(InputError) as info:
        hazard_store.delete_hazard_layer(store, ADMIN, "no such layer")
    assert info.value.key == "err.hazard.no_layer" and "Imported layers: sq." in str(info.value)
    assert {name: store.checksum(name) for name in before} == before


def test_a_failure_while_restoring_leaves_the_store_unchanged(store, tmp_path, monkeypatch):
    hazard_store.import_hazard_layer(store, ADMIN, _square(tmp_path, "sq"), hazard_type="flood")
    before = {name: store.checksum(name) for name in ("hazard_zones", "audit_log")}

    def broken(*args, **kwargs):
        raise RuntimeError("the elevation grid went away")

    monkeypatch.setattr(hazard_store, "indicative_zones", broken)
    with pytest.raises(RuntimeError):
        hazard_store.delete_hazard_layer(store, ADMIN, "sq")
    assert {name: store.checksum(name) for name in before} == before
    assert len(_layer(store, "sq")) == 1


def test_cli_import_and_delete(store, tmp_path, capsys):
    from geo.cli import main

    path = str(store.path)
    mapping = json.dumps({"1": "Low", "3": "High"})
    square = _square(tmp_path, "coded", column={"code": [3]})
    assert main(["--store", path, "import-hazard", square, "--hazard-type", "flood", "--value-column", "code",
                 "--mapping", mapping, "--source", "CLI test", "--user", "cli-admin"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["layer_name"] == "coded" and printed["zones"] == 1
    row = _layer(store, "coded").iloc[0]
    assert row["hazard_class"] == "High" and json.loads(row["class_rule"]) == {"categories": {"1": "Low", "3": "High"}}

    assert main(["--store", path, "delete-hazard-layer", "coded"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["zones"] == 1 and printed["restored"].startswith("Main-river band")
    slope = [n for n in store.read("hazard_zones")["layer_name"].unique() if n.startswith("Slope classes")][0]
    assert main(["--store", path, "delete-hazard-layer", slope]) == 2
    assert "cannot be deleted" in capsys.readouterr().err


# --------------------------------------------------------------------------- stores from older versions
def _old_gpkg(path, zones: gpd.GeoDataFrame) -> None:
    """Write hazard_zones as a store made before ``class_rule`` existed (no such column)."""
    import pyogrio

    old = zones.drop(columns=["class_rule"])
    old = old.assign(indicative=old["indicative"].astype(bool))
    pyogrio.write_dataframe(old, path, layer="hazard_zones", driver="GPKG", promote_to_multi=True)


def _square_zones(name: str, hazard_type: str = "mudflow") -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"hazard_class": ["High"]}, geometry=[box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000)],
                             crs=UTM43)
    return hazards.zones_from_frame(frame, hazard_type=hazard_type, layer_name=name, source="old version")


@pytest.fixture(params=["gpkg", "postgis"])
def old_store(request, tmp_path):
    """A store whose hazard_zones table has no ``class_rule`` column, on each back end."""
    zones = _square_zones("old layer")
    if request.param == "gpkg":
        from geo.store.gpkg import GeoPackageStore

        path = tmp_path / "old.gpkg"
        _old_gpkg(path, zones)
        yield GeoPackageStore(path)
        return
    url = os.environ.get("AIMAK_TEST_DATABASE_URL")
    if not url:
        pytest.skip("AIMAK_TEST_DATABASE_URL not set: no PostGIS server for this run")
    from psycopg import sql

    from geo.store.postgis import PostGISStore

    store = PostGISStore(url, schema="t_" + uuid.uuid4().hex[:10])
    store.write_layer("hazard_zones", zones)
    with store._cursor() as cur:
        cur.execute(sql.SQL("ALTER TABLE {} DROP COLUMN class_rule").format(store._table("hazard_zones")))
    yield store
    store.drop_schema()


def test_a_store_without_the_class_rule_column_still_opens_reads_and_writes(old_store, tmp_path):
    zones = old_store.read("hazard_zones")
    assert "class_rule" in zones.columns and zones["class_rule"].isna().all()
    assert zones["layer_name"].tolist() == ["old layer"] and zones["hazard_class"].tolist() == ["High"]
    table = hazards.hazard_layers(zones)
    assert table["class_rule"].isna().all() and table["zones"].tolist() == [1]
    # exposure falls back to the classes present when no rule was stored
    from geo.exposure import _legend

    assert _legend(zones, None)["rule"].tolist() == ["as given in the layer"]
    # an import into the old store adds the column; the old rows keep it empty
    hazard_store.import_hazard_layer(old_store, ADMIN, _square(tmp_path, "new", column={"v": [7.0]}),
                                     hazard_type="earthquake", mapping={"High": 5})
    again = old_store.read("hazard_zones").set_index("layer_name")
    assert pd.isna(again.loc["old layer", "class_rule"])
    assert json.loads(again.loc["new", "class_rule"]) == {"thresholds": {"High": 5.0}, "higher_is_worse": True}
