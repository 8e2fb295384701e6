"""Edit and audit pages in Streamlit's AppTest: sign-in, roles, optimistic locking, moving, the audit log."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import auth, project_edit
from geo.store import open_store
from page_support import configured_copy

PASSWORDS = {"admin": "admin-password-1", "ed": "editor-password-1", "ed2": "editor2-password-1",
             "view": "viewer-password-1"}


@pytest.fixture(scope="session")
def users_store(built_store, tmp_path_factory) -> Path:
    """A store built once, with an admin, editors limited to Naryn oblast (KG-N), a viewer and one editable project."""
    path = tmp_path_factory.mktemp("edit_ui") / "aimak.gpkg"
    shutil.copy2(built_store, path)
    store = open_store(path)
    admin = auth.bootstrap_admin(store, "admin", PASSWORDS["admin"])
    auth.create_user(store, admin, "ed", PASSWORDS["ed"], "editor", ["KG-N"], "Aigul")
    auth.create_user(store, admin, "ed2", PASSWORDS["ed2"], "editor", ["KG-N"])
    auth.create_user(store, admin, "view", PASSWORDS["view"], "viewer")
    project_edit.add_project(store, admin, {"project_id": "UI-1", "title": "Kochkor water pipe", "sector": "water_supply",
                                            "status": "ongoing", "year_start": 2021}, lon=75.75, lat=42.2)
    project_edit.add_project(store, admin, {"project_id": "UI-OSH", "title": "Osh school", "sector": "school"},
                             lon=72.8, lat=40.5)
    return path


@pytest.fixture
def store_path(users_store, tmp_path, monkeypatch) -> Path:
    with configured_copy(users_store, tmp_path, monkeypatch) as path:
        yield path


def _script(page: str) -> None:
    import importlib

    import streamlit as st

    from ui.auth_ui import sign_in_box

    with st.sidebar:
        sign_in_box()
    importlib.import_module(f"ui.pages.{page}").render()


def _app(page: str, lang: str = "en") -> AppTest:
    at = AppTest.from_function(_script, args=(page,), default_timeout=180)
    at.session_state["lang"] = lang
    at.run()
    return at


def sign_in(at: AppTest, name: str, password: str | None = None) -> AppTest:
    at.text_input(key="auth_username").input(name)
    at.text_input(key="auth_password").input(password or PASSWORDS[name])
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def _pick(at: AppTest, pid: str) -> None:
    at.selectbox(key="edit_pick").select(pid)
    at.run()


def _submit(at: AppTest, label: str) -> None:
    [b for b in at.get("form_submit_button") if b.label == label][0].click()
    at.run()


def test_viewer_and_anonymous_cannot_edit(store_path):
    at = _app("edit_projects")
    assert any("Sign in as an editor" in t for t in _texts(at.info))
    assert not at.get("form_submit_button") or all(b.label == "Sign in" for b in at.get("form_submit_button"))
    sign_in(at, "view")
    assert any("can view projects but not change them" in t for t in _texts(at.info))


def test_wrong_password_is_refused(store_path):
    at = _app("edit_projects")
    sign_in(at, "ed", "not-the-password")
    assert any("Wrong user name or password" in t for t in _texts(at.error))
    assert "token" not in at.session_state


def test_editor_edits_a_project_and_the_audit_log_shows_it(store_path):
    at = sign_in(_app("edit_projects"), "ed")
    _pick(at, "UI-1")
    title = [t for t in at.text_input if t.label == "Name"][0]
    title.input("Kochkor water pipe, stage 2")
    _submit(at, "Save")
    assert not at.exception
    assert any("Saved UI-1" in t for t in _texts(at.success)), _texts(at.success) + _texts(at.error)
    row = open_store(store_path).read("projects").set_index("project_id").loc["UI-1"]
    assert row["title"] == "Kochkor water pipe, stage 2" and int(row["version"]) == 2 and row["updated_by"] == "ed"

    audit = AppTest.from_function(_script, args=("audit",), default_timeout=180)
    audit.session_state["lang"] = "en"
    audit.session_state["token"] = at.session_state["token"]
    audit.run()
    assert not audit.exception
    table = audit.dataframe[0].value
    assert ((table["User"] == "ed") & (table["Row"] == "UI-1") & (table["Action"] == "update")).any()
    assert "stage 2" in " ".join(table["New values"].astype(str))
    assert not any("User accounts" in t for t in _texts(audit.subheader))  # editors do not manage users


def test_stale_save_is_refused_and_the_other_change_kept(store_path):
    at = sign_in(_app("edit_projects"), "ed")
    _pick(at, "UI-1")
    # Meanwhile someone else saves the same project.
    store = open_store(store_path)
    other = store.read("projects").set_index("project_id").loc["UI-1"]
    project_edit.update_project(store, "ed2", {"project_id": "UI-1", "version": int(other["version"]),
                                               "status": "done (by ed2)"})
    [t for t in at.text_input if t.label == "Status"][0].input("cancelled")
    _submit(at, "Save")
    errors = _texts(at.error)
    assert any("Changed by ed2" in t and "your save was refused, their change is kept" in t for t in errors), errors
    after = open_store(store_path).read("projects").set_index("project_id").loc["UI-1"]
    assert after["status"] == "done (by ed2)"
    # The form reloaded with their version: saving again works.
    assert [t for t in at.text_input if t.label == "Status"][0].value == "done (by ed2)"
    [t for t in at.text_input if t.label == "Status"][0].input("cancelled")
    _submit(at, "Save")
    assert any("Saved UI-1" in t for t in _texts(at.success))
    assert open_store(store_path).read("projects").set_index("project_id").loc["UI-1", "status"] == "cancelled"


def test_editor_cannot_save_outside_their_units(store_path):
    at = sign_in(_app("edit_projects"), "ed")
    at.checkbox(key="edit_only_mine").uncheck()
    at.run()
    _pick(at, "UI-OSH")
    assert any("outside your units" in t for t in _texts(at.warning))
    [t for t in at.text_input if t.label == "Name"][0].input("Renamed")
    _submit(at, "Save")
    assert any("Not allowed" in t for t in _texts(at.error)), _texts(at.error)
    assert open_store(store_path).read("projects").set_index("project_id").loc["UI-OSH", "title"] == "Osh school"


def test_move_by_typed_coordinates_and_refusal_outside_country(store_path):
    at = sign_in(_app("edit_projects"), "ed")
    _pick(at, "UI-1")
    at.number_input(key="mv_UI-1_lon").set_value(75.9)
    at.number_input(key="mv_UI-1_lat").set_value(42.1)
    [b for b in at.button if b.label == "Move the project here"][0].click()
    at.run()
    assert any("Moved UI-1" in t for t in _texts(at.success)), _texts(at.error)
    geom = open_store(store_path).read("projects").set_index("project_id").loc["UI-1", "geometry"]
    assert abs(geom.x - 75.9) < 1e-6 and abs(geom.y - 42.1) < 1e-6
    at.number_input(key="mv_UI-1_lon").set_value(76.9)   # Almaty, Kazakhstan
    at.number_input(key="mv_UI-1_lat").set_value(43.25)
    [b for b in at.button if b.label == "Move the project here"][0].click()
    at.run()
    assert any("not in Kyrgyzstan" in t or "outside" in t for t in _texts(at.error)), _texts(at.error)


def test_add_funding_and_delete_project(store_path):
    at = sign_in(_app("edit_projects"), "admin")
    _pick(at, "UI-1")
    at.text_input(key="fa_UI-1_name").input("Aiyl okmot budget")
    at.number_input(key="fa_UI-1_amount").set_value(150000.0)
    _submit(at, "Add a funding row")
    assert any("Funding row added" in t for t in _texts(at.success)), _texts(at.error)
    funding = open_store(store_path).read("funding")
    assert (funding["project_id"] == "UI-1").sum() == 1
    [b for b in at.button if b.label == "Delete this project…"][0].click()
    at.run()
    [b for b in at.button if b.label == "Yes, delete"][0].click()
    at.run()
    assert any("Deleted UI-1" in t for t in _texts(at.success))
    store = open_store(store_path)
    assert "UI-1" not in set(store.read("projects")["project_id"])
    assert "UI-1" not in set(store.read("funding")["project_id"])


def test_add_project_by_typed_location(store_path):
    at = sign_in(_app("edit_projects"), "ed")
    at.radio(key="edit_mode").set_value("add")
    at.run()
    at.text_input(key="add_pid").input("UI-NEW")
    at.text_input(key="add_title").input("<script>alert(1)</script> bridge")
    at.number_input(key="add_lon").set_value(75.7)
    at.number_input(key="add_lat").set_value(41.4)
    _submit(at, "Add")
    assert any("Added project UI-NEW" in t for t in _texts(at.success)), _texts(at.error)
    row = open_store(store_path).read("projects").set_index("project_id").loc["UI-NEW"]
    assert row["oblast_pcode"] == "KG-N" and row["updated_by"] == "ed"


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_pages_speak_the_language(store_path, lang):
    from geo import i18n

    at = _app("edit_projects", lang)
    assert i18n.t("edit.need_editor", lang) in _texts(at.info)
    at = _app("audit", lang)
    assert i18n.t("audit.need_sign_in", lang) in _texts(at.info)


def test_admin_manages_users(store_path):
    at = sign_in(_app("audit"), "admin")
    assert any("User accounts" in t for t in _texts(at.subheader))
    at.text_input(key="uc_name").input("newed")
    at.text_input(key="uc_password").input("new-editor-pass-1")
    at.selectbox(key="uc_role").select("editor")
    at.multiselect(key="uc_units").select("KG-T")
    _submit(at, "Create an account")
    assert any("Account newed created" in t for t in _texts(at.success)), _texts(at.error)
    assert auth.get_user(open_store(store_path), "newed").units == frozenset({"KG-T"})
    at.selectbox(key="ur_user").select("view")
    at.run()
    [b for b in at.button if b.label == "Deactivate this account"][0].click()
    at.run()
    assert any("Account view deactivated" in t for t in _texts(at.success))
    with pytest.raises(Exception):
        auth.authenticate(open_store(store_path), "view", PASSWORDS["view"])
