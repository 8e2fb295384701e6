"""Shared fixtures: a store per back end, small frames in EPSG:4326."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

BACKENDS = ["gpkg", "postgis"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_store(tmp_path_factory) -> Path:
    """A GeoPackage store built once per session from the shipped data (``python -m geo build``),
    shared by the report, page and browser tests. Read it, or copy it before writing."""
    path = tmp_path_factory.mktemp("built_store") / "aimak.gpkg"
    subprocess.run([sys.executable, "-m", "geo", "--store", str(path), "build"], cwd=ROOT, check=True,
                   capture_output=True)
    return path


@pytest.fixture(params=BACKENDS)
def any_store(request, tmp_path):
    """An empty store of each back end (PostGIS when AIMAK_TEST_DATABASE_URL is set)."""
    if request.param == "gpkg":
        from geo.store.gpkg import GeoPackageStore

        yield GeoPackageStore(tmp_path / "store.gpkg")
        return
    url = os.environ.get("AIMAK_TEST_DATABASE_URL")
    if not url:
        pytest.skip("AIMAK_TEST_DATABASE_URL not set: no PostGIS server for this run")
    from geo.store.postgis import PostGISStore

    schema = "t_" + uuid.uuid4().hex[:10]
    store = PostGISStore(url, schema=schema)
    yield store
    store.drop_schema()


@pytest.fixture
def gpkg_store(tmp_path):
    from geo.store.gpkg import GeoPackageStore

    return GeoPackageStore(tmp_path / "store.gpkg")


@pytest.fixture
def two_oblasts():
    """Two adjacent square 'oblasts' with one 'rayon' each (test-only, synthetic)."""
    return gpd.GeoDataFrame(
        {
            "pcode": ["KG-A", "KG-B", "KG-A-R1", "KG-B-R1"],
            "level": [1, 1, 2, 2],
            "parent_pcode": ["KG", "KG", "KG-A", "KG-B"],
            "name_en": ["Alpha", "Beta", "Alpha rayon", "Beta <b>rayon</b>"],
            "name_ru": ["Альфа", None, "Альфа район", None],
        },
        geometry=[box(74, 41, 75, 42), box(75, 41, 76, 42), box(74, 41, 75, 42), box(75, 41, 76, 42)],
        crs=4326,
    )


@pytest.fixture
def few_projects():
    return gpd.GeoDataFrame(
        {
            "project_id": ["P1", "P2", "P3"],
            "title": ["Water pipe", "<script>alert(1)</script> school", "Dam"],
            "sector": ["water_supply", "school", "dam_flood_protection"],
            "year_start": [2001, None, 2014], "year_end": [2003, None, 2014],
            "oblast_pcode": ["KG-A", "KG-B", "KG-B"], "rayon_pcode": ["KG-A-R1", "KG-B-R1", "KG-B-R1"],
            "location_precision": [2, 4, 4],
        },
        geometry=[Point(74.5, 41.5), Point(75.5, 41.5), Point(75.2, 41.2)],
        crs=4326,
    )
