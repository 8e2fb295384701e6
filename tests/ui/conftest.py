"""Shared by the page tests: a private copy of the session's built store (tests/conftest.py) per test."""
from __future__ import annotations

from pathlib import Path

import pytest

from page_support import configured_copy


@pytest.fixture
def store(built_store, tmp_path, monkeypatch) -> Path:
    """A private copy of the built store for one test (see :func:`configured_copy`). Modules
    that need more (e.g. private rate files) extend it with a fixture of the same name."""
    with configured_copy(built_store, tmp_path, monkeypatch) as path:
        yield path
