"""Importing people's project files: read, map columns, check every row, preview, commit, undo.

    preview = preview_import(store, "projects.xlsx")          # writes nothing
    print(preview.report.to_text())                            # per-row ok / warning / error
    result = commit_import(store, preview, user)               # one transaction, after a backup
    undo_import(store, result.batch_id, user)                  # reverts exactly that import

Modules: :mod:`~geo.project_import.readers` (formats), :mod:`~geo.project_import.columns`
(column mapping), :mod:`~geo.project_import.checks` (CRS, locations, values),
:mod:`~geo.project_import.report` (the per-row report), :mod:`~geo.project_import.commit`
(preview, commit, undo, backups).
"""
from __future__ import annotations

from geo.project_import.commit import (
    ImportPreview,
    ImportResult,
    check_upload_size,
    commit_import,
    import_projects,
    list_imports,
    preview_import,
    undo_import,
)
from geo.project_import.report import ImportReport, Message

__all__ = [
    "ImportPreview", "ImportReport", "ImportResult", "Message", "check_upload_size", "commit_import",
    "import_projects", "list_imports", "preview_import", "undo_import",
]
