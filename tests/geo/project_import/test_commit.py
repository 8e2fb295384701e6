"""Preview, commit and undo of project imports (TEST-ONLY SYNTHETIC files)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from geo import auth, settings
from geo.errors import PermissionDeniedError, SchemaError, StaleVersionError, StoreError, UploadTooLargeError
from geo.project_import import commit as commit_module
from geo.project_import import commit_import, list_imports, preview_import, undo_import
from geo.store.gpkg import GeoPackageStore
from tests.fixtures import bad_inputs as fx

DATA_LAYERS = ("projects", "funding", "beneficiaries")


def _data_checksums(store):
    return {name: store.checksum(name) for name in DATA_LAYERS}


def _csv(tmp_path, name, rows, header="ID;Название;Сектор;Широта;Долгота;Сумма;Год;Источник финансирования;Женщины"):
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# -- good imports -------------------------------------------------------------------------------

EXPECTED_UNITS = {  # by position: (oblast, rayon, aiyl okmot)
    0: ("KG-A", "KG-A-R1", "KG-A-R1-W"),
    1: ("KG-A", "KG-A-R1", "KG-A-R1-E"),
    2: ("KG-B", "KG-B-R1", None),
}


@pytest.mark.parametrize("fmt", list(fx.GOOD_FORMATS))
def test_good_import_of_every_format(fmt, tmp_path, store, admin):
    path, kwargs = fx.build_good(fmt, tmp_path / "in")
    preview = preview_import(store, path, **kwargs)
    assert not preview.report.has_errors, preview.report.to_text()
    assert preview.summary["to_add"] == 3 and preview.summary["to_skip"] == 0
    result = commit_import(store, preview, admin)
    assert len(result.added) == 3 and result.updated == []
    projects = store.read("projects").sort_values("title", ascending=False).reset_index(drop=True)
    assert list(projects["title"]) == ["Test water pipe", "Test school roof", "Test dam"]
    for i, (oblast, rayon, ao) in EXPECTED_UNITS.items():
        row = projects.iloc[i]
        assert (row["oblast_pcode"], row["rayon_pcode"]) == (oblast, rayon)
        assert (None if pd.isna(row["aiyl_okmot_pcode"]) else row["aiyl_okmot_pcode"]) == ao
        point = row.geometry if row.geometry.geom_type == "Point" else row.geometry.representative_point()
        lon, lat = fx.PROJECTS[i][3], fx.PROJECTS[i][4]
        if row["geometry_kind"] == "point":
            assert point.x == pytest.approx(lon, abs=1e-5) and point.y == pytest.approx(lat, abs=1e-5)
    assert set(projects["version"]) == {1}
    assert set(projects["updated_by"]) == {admin.username}
    assert set(projects["source_document"]) == {path.name}
    assert set(projects["location_precision"]) == {1}


def test_russian_csv_values_are_parsed(tmp_path, store, admin):
    path = _csv(tmp_path, "ru.csv", [
        "P-1;Водопровод;Водоснабжение;41,5;74,25;1 150 000,50 сом;2019–2021;Местный бюджет;120",
        "P-2;Школа;Мектеп;41.5;74.75;1.150.000;15.03.2020;\"UNDP:500000:USD;Население:100 000:KGS\";",
    ])
    preview = preview_import(store, path)
    assert not preview.report.has_errors, preview.report.to_text()
    projects = preview.projects.set_index("project_id")
    assert projects.loc["P-1", "total_cost"] == 1150000.5
    assert projects.loc["P-1", "total_cost_currency"] == "KGS"
    assert (projects.loc["P-1", "year_start"], projects.loc["P-1", "year_end"]) == (2019, 2021)
    assert projects.loc["P-2", "total_cost"] == 1150000
    assert projects.loc["P-2", "year_start"] == 2020
    assert list(projects["sector"]) == ["water_supply", "school"]
    funding = preview.funding.set_index("funding_id")
    assert funding.loc["P-1-F1", "source_type"] == "local budget"
    assert (funding.loc["P-2-F1", "amount"], funding.loc["P-2-F1", "currency"]) == (500000, "USD")
    assert (funding.loc["P-2-F2", "source_type"], funding.loc["P-2-F2", "amount"]) == ("community contribution", 100000)
    assert pd.isna(funding.loc["P-1-F1", "amount"])  # unknown stays empty
    assert preview.beneficiaries.set_index("project_id").loc["P-1", "women"] == 120
    commit_import(store, preview, admin)
    assert len(store.read("funding")) == 3 and len(store.read("beneficiaries")) == 1


def test_preview_writes_nothing(tmp_path, store):
    before = fx.all_checksums(store)
    revision = store.revision()
    path, kwargs = fx.build_good("kobo_xlsx", tmp_path)
    preview_import(store, path, **kwargs)
    assert fx.all_checksums(store) == before and store.revision() == revision


def test_preview_says_what_is_added_and_updated(tmp_path, store, admin):
    path, _ = fx.build_good("csv_utf8_russian", tmp_path)
    commit_import(store, preview_import(store, path), admin)
    path2 = _csv(tmp_path, "more.csv", ["T-1;Test water pipe, phase 2;;41,5;74,25;;2019;;",
                                        "T-9;Test bridge;road;41,6;74,3;;2022;;"])
    preview = preview_import(store, path2)
    assert preview.summary["to_add"] == 1 and preview.summary["to_update"] == 1
    assert preview.report.actions == ["update", "add"]
    frame = preview.report.rows_frame()
    assert list(frame["action"]) == ["update", "add"] and list(frame["row"]) == ["row 2", "row 3"]
    result = commit_import(store, preview, admin)
    assert result.updated == ["T-1"] and result.added == ["T-9"]
    stored = store.read("projects").set_index("project_id")
    assert stored.loc["T-1", "title"] == "Test water pipe, phase 2"
    assert stored.loc["T-1", "version"] == 2
    # An empty cell does not erase a stored value.
    assert stored.loc["T-1", "total_cost"] == 1150000 and stored.loc["T-1", "sector"] == "water_supply"


# -- atomic commit, backup, audit ---------------------------------------------------------------

def test_commit_is_all_or_nothing_when_a_step_fails(tmp_path, store, admin, monkeypatch):
    path = _csv(tmp_path, "p.csv", ["P-1;Test;school;41,5;74,25;100;2020;Local budget;5"])
    preview = preview_import(store, path)
    before = fx.all_checksums(store)
    real = commit_module._write

    def failing(tx, layer, *args, **kwargs):
        if layer == "beneficiaries":
            raise RuntimeError("disk full while writing beneficiaries")
        return real(tx, layer, *args, **kwargs)

    monkeypatch.setattr(commit_module, "_write", failing)
    with pytest.raises(RuntimeError):
        commit_import(store, preview, admin)
    assert fx.all_checksums(store) == before


def test_commit_is_all_or_nothing_when_the_file_write_fails(tmp_path, store, admin, monkeypatch):
    import geo.store.gpkg as gpkg

    path = _csv(tmp_path, "p.csv", ["P-1;Test;school;41,5;74,25;100;2020;Local budget;5"])
    preview = preview_import(store, path)
    before = fx.all_checksums(store)
    real = gpkg.pyogrio.write_dataframe
    calls = []

    def failing(data, target, layer=None, **kwargs):
        calls.append(layer)
        if len(calls) == 2:
            raise OSError("no space left on device")
        return real(data, target, layer=layer, **kwargs)

    monkeypatch.setattr(gpkg.pyogrio, "write_dataframe", failing)
    with pytest.raises(OSError):
        commit_import(store, preview, admin)
    monkeypatch.setattr(gpkg.pyogrio, "write_dataframe", real)
    assert fx.all_checksums(store) == before


def test_backup_is_made_before_the_import(tmp_path, store, admin):
    path, _ = fx.build_good("csv_utf8_russian", tmp_path)
    before = fx.all_checksums(store)
    result = commit_import(store, preview_import(store, path), admin)
    assert result.backup is not None
    backup = GeoPackageStore(result.backup)
    assert fx.all_checksums(backup) == before


def test_backup_for_other_back_ends_exports_the_layers(tmp_path, store, monkeypatch):
    class OtherStore:  # a back end without backup(): reads go to the GeoPackage store
        def read(self, name):
            return store.read(name)

    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path)
    target = commit_module.backup_store(OtherStore(), ["admin_units", "projects", "audit_log"], label="t")
    copy = GeoPackageStore(target)
    assert str(target).startswith(str(tmp_path / "var" / "backups"))
    assert copy.checksum("admin_units") == store.checksum("admin_units")


def test_audit_rows_carry_the_batch_id(tmp_path, store, admin):
    path, _ = fx.build_good("iati", tmp_path)
    result = commit_import(store, preview_import(store, path), admin)
    log = store.read("audit_log")
    mine = log[log["batch_id"] == result.batch_id]
    assert set(mine["action"]) == {"insert", "import"}
    assert set(mine.loc[mine["action"] == "insert", "layer"]) == {"projects", "funding"}
    assert len(mine[mine["action"] == "insert"]) == 6
    summary = json.loads(mine.loc[mine["action"] == "import", "new_values"].iloc[0])
    assert summary["file"] == "activities.xml" and len(summary["added"]) == 3
    assert list_imports(store)["batch_id"].tolist() == [result.batch_id]


# -- refusals -----------------------------------------------------------------------------------

def test_rows_with_errors_block_the_commit_unless_skipped(tmp_path, store, admin):
    path = _csv(tmp_path, "mixed.csv", ["P-1;Good;school;41,5;74,25;100;2020;;",
                                        "P-2;Bad;school;41,5;74,25;-1;2020;;"])
    preview = preview_import(store, path)
    before = fx.all_checksums(store)
    with pytest.raises(SchemaError, match=r"1 row\(s\) have errors.*Row 3, column 'Сумма'"):
        commit_import(store, preview, admin)
    assert fx.all_checksums(store) == before
    result = commit_import(store, preview, admin, skip_errors=True)
    assert result.added == ["P-1"] and result.skipped == ["row 3"]
    assert store.read("projects")["project_id"].tolist() == ["P-1"]


def test_a_change_after_the_preview_refuses_the_commit(tmp_path, store, admin):
    path, _ = fx.build_good("csv_utf8_russian", tmp_path)
    commit_import(store, preview_import(store, path), admin)
    path2 = _csv(tmp_path, "update.csv", ["T-1;Test water pipe (renamed);;41,5;74,25;;;;"])
    preview = preview_import(store, path2)
    # Someone edits T-1 between the preview and the commit.
    current = store.read("projects")
    row = current[current["project_id"] == "T-1"].copy()
    row["title"] = "Edited by someone else"
    with store.transaction("other") as tx:
        tx.update("projects", row)
    before = fx.all_checksums(store)
    with pytest.raises(StaleVersionError, match="T-1"):
        commit_import(store, preview, admin)
    assert fx.all_checksums(store) == before
    assert store.read("projects").set_index("project_id").loc["T-1", "title"] == "Edited by someone else"


def test_viewer_cannot_import(tmp_path, store, viewer):
    path, _ = fx.build_good("csv_utf8_russian", tmp_path)
    preview = preview_import(store, path)
    before = fx.all_checksums(store)
    with pytest.raises(PermissionDeniedError, match="viewer"):
        commit_import(store, preview, viewer)
    with pytest.raises(PermissionDeniedError):
        preview_import(store, path, user=viewer)
    assert fx.all_checksums(store) == before


def test_editor_imports_only_in_their_units(tmp_path, store, editor_a):
    path, _ = fx.build_good("csv_utf8_russian", tmp_path)
    before = fx.all_checksums(store)
    # A preview made without the user: the commit itself refuses rows outside the editor's oblast.
    with pytest.raises(PermissionDeniedError, match="KG-B"):
        commit_import(store, preview_import(store, path), editor_a)
    assert fx.all_checksums(store) == before
    # With the user, the preview marks those rows; the others can be imported.
    preview = preview_import(store, path, user=editor_a)
    outside = [m for m in preview.report.errors if m.code == "outside_user_units"]
    assert [m.row_label for m in outside] == ["row 4"]
    result = commit_import(store, preview, editor_a, skip_errors=True)
    assert sorted(result.added) == ["T-1", "T-2"]


def test_upload_size_limit(tmp_path, store, monkeypatch):
    path, _ = fx.build_good("csv_utf8_russian", tmp_path)
    monkeypatch.setattr(settings, "MAX_UPLOAD_MB", path.stat().st_size / 1024 / 1024 / 2)
    with pytest.raises(UploadTooLargeError, match="upload limit"):
        preview_import(store, path)


# -- undo ---------------------------------------------------------------------------------------

def test_undo_restores_the_previous_state_exactly(tmp_path, store, admin):
    initial = _data_checksums(store)
    first = _csv(tmp_path, "first.csv", ["P-1;Pipe;water_supply;41,5;74,25;100 сом;2019;Local budget:100;10",
                                         "P-2;School;school;41,5;74,75;200 сом;2020;;"])
    a = commit_import(store, preview_import(store, first), admin)
    after_a = _data_checksums(store)
    second = _csv(tmp_path, "second.csv", ["P-1;Pipe, phase 2;;41,6;75,5;300 сом;2021;Local budget:300;20",
                                           "P-3;Road;road;41,5;75,25;;2022;UNDP;"])
    preview = preview_import(store, second)
    assert preview.summary["to_update"] == 1 and preview.summary["to_add"] == 1
    b = commit_import(store, preview, admin)
    assert _data_checksums(store) != after_a
    assert store.read("projects").set_index("project_id").loc["P-1", "oblast_pcode"] == "KG-B"

    undone = undo_import(store, b.batch_id, admin)
    assert undone["removed"]["projects"] == ["P-3"] and undone["restored"]["projects"] == ["P-1"]
    assert _data_checksums(store) == after_a
    undo_import(store, a.batch_id, admin)
    assert _data_checksums(store) == initial
    log = store.read("audit_log")
    assert (log["action"] == "undo_import").sum() == 2
    assert list_imports(store)["undone"].tolist() == [True, True]


def test_undo_twice_or_unknown_batch_is_refused(tmp_path, store, admin):
    path, _ = fx.build_good("csv_utf8_russian", tmp_path)
    result = commit_import(store, preview_import(store, path), admin)
    undo_import(store, result.batch_id, admin)
    before = fx.all_checksums(store)
    with pytest.raises(StoreError, match="already undone"):
        undo_import(store, result.batch_id, admin)
    with pytest.raises(StoreError, match="no import"):
        undo_import(store, "imp-nope", admin)
    assert fx.all_checksums(store) == before


def test_undo_is_refused_when_a_row_was_edited_since(tmp_path, store, admin):
    path, _ = fx.build_good("csv_utf8_russian", tmp_path)
    result = commit_import(store, preview_import(store, path), admin)
    current = store.read("projects")
    row = current[current["project_id"] == "T-2"].copy()
    row["title"] = "Corrected by hand"
    with store.transaction("someone") as tx:
        tx.update("projects", row)
    before = fx.all_checksums(store)
    with pytest.raises(StaleVersionError, match="T-2"):
        undo_import(store, result.batch_id, admin)
    assert fx.all_checksums(store) == before


def test_undo_needs_permission(tmp_path, store, admin, viewer):
    path, _ = fx.build_good("csv_utf8_russian", tmp_path)
    result = commit_import(store, preview_import(store, path), admin)
    editor_b = auth.User("editor_b", "editor", frozenset({"KG-B"}))
    before = fx.all_checksums(store)
    for user in (viewer, editor_b):
        with pytest.raises(PermissionDeniedError):
            undo_import(store, result.batch_id, user)
    assert fx.all_checksums(store) == before


def test_command_line_function(tmp_path, store):
    from geo.project_import import import_projects

    boss = auth.bootstrap_admin(store, "boss", "a long password")
    path, _ = fx.build_good("csv_utf8_russian", tmp_path)
    summary, text = import_projects(store, path)
    assert summary["to_add"] == 3 and summary["committed"] is False
    assert text.startswith("Import report for projects.csv") and "Will add 3, update 0, skip 0." in text
    assert len(store.read("projects")) == 0
    with pytest.raises(PermissionDeniedError, match="--user"):
        import_projects(store, path, commit=True)
    summary, _ = import_projects(store, path, user=boss.username, commit=True)
    assert summary["committed"] and sorted(summary["added"]) == ["T-1", "T-2", "T-3"]
    assert store.read("projects")["updated_by"].unique().tolist() == ["boss"]
