"""Import page in Streamlit's AppTest: roles, the per-row report, commit, undo, size limit."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import auth
from geo.store import open_store
from page_support import configured_copy

PASSWORDS = {"admin": "admin-password-1", "ed": "editor-password-1", "view": "viewer-password-1"}
CSV = ("id,title,sector,lat,lon,year\n"
       "IMP-1,Water pipe <b>Kochkor</b>,water_supply,42.2,75.75,2020\n"
       "IMP-2,School in Osh,school,40.5,72.8,2019\n"
       "IMP-3,Bridge in Almaty,bridge,43.25,76.9,2021\n")


@pytest.fixture(scope="session")
def users_store(built_store, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("import_ui") / "aimak.gpkg"
    shutil.copy2(built_store, path)
    store = open_store(path)
    admin = auth.bootstrap_admin(store, "admin", PASSWORDS["admin"])
    auth.create_user(store, admin, "ed", PASSWORDS["ed"], "editor", ["KG-N"])
    auth.create_user(store, admin, "view", PASSWORDS["view"], "viewer")
    return path


@pytest.fixture
def store_path(users_store, tmp_path, monkeypatch) -> Path:
    with configured_copy(users_store, tmp_path, monkeypatch) as path:
        yield path


class _Upload:
    """What st.file_uploader returns, for pages called from a test."""

    def __init__(self, name: str, data: bytes):
        self.name, self._data, self.size = name, data, len(data)
        self.file_id = name

    def getvalue(self) -> bytes:
        return self._data

    def getbuffer(self):
        return memoryview(self._data)


def _script(page: str, upload_name: str | None, upload_text: str | None, size: int | None) -> None:
    import importlib

    import streamlit as st

    from ui.auth_ui import sign_in_box

    module = importlib.import_module(f"ui.pages.{page}")
    if upload_name is not None:
        import sys as _sys

        upload_cls = _sys.modules["tests.ui.test_import_page"]._Upload if "tests.ui.test_import_page" in _sys.modules \
            else _sys.modules["test_import_page"]._Upload
        upload = upload_cls(upload_name, upload_text.encode("utf-8"))
        if size is not None:
            upload.size = size
        st.file_uploader = lambda *a, **k: upload  # AppTest cannot upload files
        module.st.file_uploader = st.file_uploader
    with st.sidebar:
        sign_in_box()
    module.render()


def _app(upload: tuple[str, str] | None = None, size: int | None = None, lang: str = "en") -> AppTest:
    name, text = upload if upload else (None, None)
    at = AppTest.from_function(_script, args=("import_projects", name, text, size), default_timeout=180)
    at.session_state["lang"] = lang
    at.run()
    return at


def sign_in(at: AppTest, name: str) -> AppTest:
    at.text_input(key="auth_username").input(name)
    at.text_input(key="auth_password").input(PASSWORDS[name])
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def test_viewer_sees_no_upload(store_path):
    at = _app(("p.csv", CSV))
    assert any("Sign in as an editor or administrator" in t for t in _texts(at.info))
    assert not at.dataframe or "Check" not in at.dataframe[0].value.columns
    sign_in(at, "view")
    assert any("cannot import projects" in t for t in _texts(at.info))


def test_editor_report_commit_and_undo(store_path):
    at = sign_in(_app(("p.csv", CSV)), "ed")
    report = at.dataframe[0].value
    assert list(report["Row"]) == ["row 2", "row 3", "row 4"]
    status = dict(zip(report["Project ID"], report["Check"]))
    assert status["IMP-1"] == "warning"       # markup kept as text
    assert status["IMP-2"] == "error"         # Osh oblast: outside the editor's units
    assert status["IMP-3"] == "error"         # Kazakhstan
    messages = " ".join(report["Messages"])
    assert "outside your assigned units" in messages and "HTML or script" in messages
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["To add"] == "1" and metrics["With errors"] == "2"
    commit = [b for b in at.button if b.label.startswith("Commit")][0]
    assert commit.disabled                     # errors present, skipping not chosen
    at.checkbox(key="import_skip_errors").check()
    at.run()
    [b for b in at.button if b.label.startswith("Commit")][0].click()
    at.run()
    done = [t for t in _texts(at.success) if t.startswith("Imported p.csv")]
    assert done and "1 added" in done[0], _texts(at.error)
    store = open_store(store_path)
    projects = store.read("projects").set_index("project_id")
    assert "IMP-1" in projects.index and "IMP-2" not in projects.index
    assert projects.loc["IMP-1", "title"] == "Water pipe <b>Kochkor</b>"
    history = next(df.value for df in at.dataframe if "When (UTC)" in df.value.columns)
    when = str(history["When (UTC)"].iloc[0])
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4} \d{2}:\d{2}", when), when  # not raw ISO text
    [b for b in at.button if b.label == "Undo this import"][0].click()
    at.run()
    assert any("undone" in t for t in _texts(at.success)), _texts(at.error)
    assert "IMP-1" not in set(open_store(store_path).read("projects")["project_id"])


def test_column_mapping_changes_the_preview(store_path):
    at = sign_in(_app(("p.csv", CSV)), "admin")
    keys = [s.key for s in at.selectbox if s.key and s.key.endswith("_map_title")]
    assert keys and at.selectbox(key=keys[0]).value == "title"
    at.selectbox(key=keys[0]).select("sector")
    at.run()
    assert not at.exception
    assert at.selectbox(key=keys[0]).value == "sector"


def test_upload_over_the_limit_has_a_clear_message(store_path):
    at = sign_in(_app(("big.csv", CSV), size=10 * 1024 ** 3), "ed")
    assert any("too large" in t for t in _texts(at.error))


def test_unknown_projected_crs_asks_for_one(store_path):
    text = "id,title,x,y\nC-1,Pipe,500000,4600000\n"
    at = sign_in(_app(("utm.csv", text)), "admin")
    assert not at.exception
    assert at.error, "a file without a CRS and with metre coordinates gets a message"
    crs = [s for s in at.selectbox if s.key and s.key.endswith("_crs")]
    assert crs
    crs[0].select(32643)
    at.run()
    assert not at.exception
