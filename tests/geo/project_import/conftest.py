"""Fixtures for the project import tests: a store with TEST-ONLY SYNTHETIC admin units."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from geo import auth  # noqa: E402
from tests.fixtures import bad_inputs as fx  # noqa: E402


@pytest.fixture
def store(tmp_path):
    """A GeoPackage store with two made-up oblasts, their rayons and two aiyl okmotus."""
    return fx.make_store(tmp_path / "store" / "aimak.gpkg")


@pytest.fixture
def admin():
    return auth.User("admin1", "admin")


@pytest.fixture
def editor_a():
    """An editor of oblast KG-A only."""
    return auth.User("editor_a", "editor", frozenset({"KG-A"}))


@pytest.fixture
def viewer():
    return auth.User("viewer1", "viewer")
