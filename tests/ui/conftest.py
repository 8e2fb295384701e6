"""Shared by the page tests: one store built from the shipped data per test session."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from page_support import configured_copy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def built_store(tmp_path_factory) -> Path:
    """A store built from the shipped data, shared by the UI test modules of one session."""
    path = tmp_path_factory.getbasetemp() / "ui_store" / "aimak.gpkg"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "geo", "--store", str(path), "build"], cwd=ROOT, check=True,
                       capture_output=True)
    return path


@pytest.fixture
def store(built_store, tmp_path, monkeypatch) -> Path:
    """A private copy of the built store for one test (see :func:`configured_copy`). Modules
    that need more (e.g. private rate files) extend it with a fixture of the same name."""
    with configured_copy(built_store, tmp_path, monkeypatch) as path:
        yield path
