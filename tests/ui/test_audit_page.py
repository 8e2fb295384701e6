"""Audit page helpers: times in the log and the import history in the reader's convention (UTC)."""
from __future__ import annotations

import pytest

from ui.common import utc_text


@pytest.mark.parametrize("lang,expected", [
    ("ru", "23.11.2026 13:41"),
    ("ky", "23.11.2026 13:41"),
    ("en", "23 November 2026 13:41"),
])
def test_timestamps_are_shown_in_utc_in_the_readers_convention(lang, expected):
    shown = utc_text(["2026-11-23T13:41:05.123+00:00", "2026-11-23T19:41:59+06:00", None, "not a time"], lang)
    assert shown == [expected, expected, "—", "—"]
