"""Errors carry a catalogue key: English by str(), any language by text()."""
from __future__ import annotations

import pytest

from geo.errors import AimakError, NotGeodataError


def test_keyed_error_is_english_by_str_and_translated_by_text():
    exc = NotGeodataError(key="err.not_zip", name="bad.zip")
    assert str(exc) == "The file bad.zip is not a zip archive (or it is damaged)."
    assert exc.text("ru") == "Файл bad.zip не является zip-архивом (или он повреждён)."
    assert "bad.zip" in exc.text("ky") and "zip-архив" in exc.text("ky")


def test_plain_message_is_kept_in_every_language():
    exc = AimakError("Row 3: no title")
    assert exc.text("ky") == exc.text("en") == "Row 3: no title"


def test_numbers_in_fields_follow_the_language():
    exc = AimakError(key="err.not_zip", name=1150000)
    assert "1\u00a0150\u00a0000" in exc.text("ru")
    assert "1,150,000" in str(exc)


def test_corrupt_zip_raises_a_translatable_error(tmp_path):
    from geo.io import archives

    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(NotGeodataError) as info:
        archives.check_zip(bad)
    assert info.value.key == "err.not_zip"
    assert "повреждён" in info.value.text("ru")
