"""`python -m geo` end to end on the shipped data: build, stats, export."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("cli") / "aimak.gpkg"
    result = run("--store", str(store), "build")
    assert result.returncode == 0, result.stderr
    return store


def test_stats_counts_layers_and_levels(built):
    result = run("--store", str(built), "stats")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["layers"]["projects"] == 174
    assert stats["layers"]["settlements"] >= 100
    assert stats["admin_units_per_level"] == {"1": 8, "2": 41, "3": 0}


def test_export_gpkg_geojson_csv(built, tmp_path):
    gpkg = tmp_path / "out.gpkg"
    assert run("--store", str(built), "export", "--format", "gpkg", "--out", str(gpkg)).returncode == 0
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"projects", "funding", "beneficiaries", "admin_units"} <= layers
    assert len(gpd.read_file(gpkg, layer="projects")) == 174

    folder = tmp_path / "geojson"
    assert run("--store", str(built), "export", "--format", "geojson", "--layer", "projects", "--layer", "funding", "--out", str(folder)).returncode == 0
    projects = gpd.read_file(folder / "projects.geojson")
    assert len(projects) == 174 and projects.crs.to_epsg() == 4326
    assert len(pd.read_csv(folder / "funding.csv")) == 214  # tables have no geometry: CSV

    csv_dir = tmp_path / "csv"
    assert run("--store", str(built), "export", "--format", "csv", "--layer", "projects", "--out", str(csv_dir)).returncode == 0
    table = pd.read_csv(csv_dir / "projects.csv")
    assert len(table) == 174 and {"longitude", "latitude", "geometry_wkt"} <= set(table.columns)


def test_user_errors_exit_2_with_a_message(built, tmp_path):
    bad = tmp_path / "nothing.geojson"
    bad.write_text("not json at all")
    result = run("--store", str(built), "import-boundaries", str(bad))
    assert result.returncode == 2 and "error:" in result.stderr and "nothing.geojson" in result.stderr


def test_export_never_includes_accounts_by_default(built, tmp_path):
    from geo import auth
    from geo.export import export_layers
    from geo.store.gpkg import GeoPackageStore

    store_path = tmp_path / "with_users.gpkg"
    store_path.write_bytes(built.read_bytes())
    store = GeoPackageStore(store_path)
    auth.bootstrap_admin(store, "root", "a long password 123")
    assert "users" in store.layer_names()
    out = export_layers(store, tmp_path / "all.gpkg", "gpkg")[0]
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert "projects" in layers and not (layers & set(auth.PRIVATE_LAYERS))
