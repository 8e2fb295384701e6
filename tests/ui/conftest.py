"""Shared by the page tests: one store built from the shipped data per test session."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
