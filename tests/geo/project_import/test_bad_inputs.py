"""The bad-input corpus (TEST-ONLY SYNTHETIC files from tests/fixtures/bad_inputs.py).

Each bad input gives a specific message, and the store is unchanged afterwards: the
checksum of every layer is the same before and after the preview and the (refused)
commit.
"""
from __future__ import annotations

import pytest

from geo import settings
from geo.errors import AimakError, InputError, SchemaError
from geo.project_import import commit_import, preview_import
from tests.fixtures import bad_inputs as fx


def test_corpus_has_at_least_30_distinct_bad_inputs(tmp_path):
    built = fx.build_corpus(tmp_path / "corpus")
    assert len(fx.BAD_NAMES) == len(set(fx.BAD_NAMES)) >= 30
    assert all(path.exists() for path in built.values())


@pytest.mark.parametrize("name", fx.BAD_NAMES)
def test_bad_input_gives_a_specific_message_and_leaves_the_store_unchanged(name, tmp_path, store, admin, monkeypatch):
    case = fx.build_bad(name, tmp_path / "corpus")
    kwargs = dict(case.kwargs)
    path = kwargs.pop("path")
    if case.upload_limit_mb is not None:
        monkeypatch.setattr(settings, "MAX_UPLOAD_MB", case.upload_limit_mb)
    before = fx.all_checksums(store)

    if case.stage == "raise":
        with pytest.raises(InputError) as info:
            preview_import(store, path, user=admin, **kwargs)
        messages = [str(info.value)]
    else:
        preview = preview_import(store, path, user=admin, **kwargs)
        found = [m for m in preview.report.messages
                 if case.phrase.lower() in m.text().lower() and m.severity == case.severity]
        assert found, preview.report.to_text()
        messages = [m.text() for m in found]
        if case.severity == "error":
            # The row that has the problem is named in the message.
            assert found[0].row_label or found[0].row is None
            with pytest.raises(SchemaError, match="was not started"):
                commit_import(store, preview, admin)
    assert any(case.phrase.lower() in m.lower() for m in messages), messages
    assert fx.all_checksums(store) == before


def test_messages_name_row_column_and_problem(tmp_path, store):
    case = fx.build_bad("negative_amount", tmp_path)
    preview = preview_import(store, case.kwargs["path"])
    [error] = preview.report.errors
    assert error.text() == "Row 2, column 'Сумма': '-5 000 сом' is negative; amounts and counts cannot be below zero."


def test_a_refused_file_never_reaches_the_store_even_with_skip_errors(tmp_path, store, admin):
    """Only rows without errors can be committed; a file whose every row has an error imports nothing."""
    case = fx.build_bad("points_in_kazakhstan", tmp_path)
    preview = preview_import(store, case.kwargs["path"])
    before = fx.all_checksums(store)
    with pytest.raises(SchemaError, match="Nothing to import"):
        commit_import(store, preview, admin, skip_errors=True)
    assert fx.all_checksums(store) == before


def test_every_failure_is_a_user_facing_error(tmp_path, store):
    """No bad input crashes with a programming error (KeyError, ValueError …)."""
    for case in fx.BAD_INPUTS:
        built = fx.build_bad(case.name, tmp_path / case.name)
        try:
            preview_import(store, built.kwargs["path"])
        except AimakError:
            pass
