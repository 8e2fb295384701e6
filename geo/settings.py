"""Paths, environment and limits: the one place configuration is read.

Environment variables
---------------------
AIMAK_STORE
    Path of the GeoPackage store (default ``var/aimak.gpkg`` in the project).
AIMAK_DATABASE_URL
    PostgreSQL/PostGIS URL; when set, the PostGIS back end is used instead.
AIMAK_DATABASE_SCHEMA
    Schema inside that database (default ``aimak``), e.g. one per deployment or test run.
AIMAK_MAX_UPLOAD_MB
    Largest upload accepted, in megabytes (default 200).
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
STATIC_DIR = PROJECT_ROOT / "static"

#: Shipped source files (see data/SOURCES.md for provenance and licences).
COUNTRY_FILE = DATA_DIR / "boundaries" / "kgz_adm0_naturalearth.geojson"
OBLAST_FILE = DATA_DIR / "boundaries" / "kgz_adm1_naturalearth.geojson"
RAYON_FILE = DATA_DIR / "boundaries" / "kgz_adm2_geoboundaries.geojson"
SETTLEMENT_FILE = DATA_DIR / "places" / "kgz_settlements_geonames.geojson"
RIVER_FILE = DATA_DIR / "hydro" / "kgz_rivers_gshhg.geojson"
LAKE_FILE = DATA_DIR / "hydro" / "kgz_lakes_naturalearth.geojson"
ELEVATION_FILE = DATA_DIR / "elevation" / "kgz_elevation_gebco2023.tif"
SEED_PROJECTS_FILE = DATA_DIR / "seed" / "projects.csv"

#: Coordinates are stored in WGS 84 longitude/latitude.
STORAGE_CRS = "EPSG:4326"

#: Kyrgyzstan's extent in degrees (lon_min, lat_min, lon_max, lat_max), with a small margin.
COUNTRY_BOUNDS = (69.2, 39.1, 80.3, 43.3)

MAX_UPLOAD_MB = float(os.environ.get("AIMAK_MAX_UPLOAD_MB", "200"))


def store_path() -> Path:
    """Path of the GeoPackage store, from ``AIMAK_STORE`` or the default."""
    return Path(os.environ.get("AIMAK_STORE", PROJECT_ROOT / "var" / "aimak.gpkg"))


def database_url() -> str | None:
    """PostGIS URL from ``AIMAK_DATABASE_URL``, or None for the GeoPackage store."""
    url = os.environ.get("AIMAK_DATABASE_URL", "").strip()
    return url or None


def database_schema() -> str:
    """PostGIS schema from ``AIMAK_DATABASE_SCHEMA`` (default ``aimak``)."""
    return os.environ.get("AIMAK_DATABASE_SCHEMA", "").strip() or "aimak"
