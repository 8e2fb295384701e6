"""Browser: sign in as an editor, edit a project, import a small CSV, download the audit log as CSV.

Runs on its own app per back end (GeoPackage copy, or a fresh PostGIS schema when
AIMAK_TEST_DATABASE_URL is set), with accounts made through the command line.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import map_frame, screenshot

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
EDITOR_PASSWORD = "editor-password-e2e"


def _geo(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, env={**os.environ, **env}, input=stdin,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _prepare(env: dict, tmp: Path) -> None:
    """An admin, an editor for Naryn oblast (KG-N) and one project there to edit."""
    _geo(env, "create-admin", "admin", "--password-stdin", stdin="admin-password-e2e\n")
    _geo(env, "create-user", "editor", "--role", "editor", "--units", "KG-N", "--password-stdin", "--by", "admin",
         stdin=EDITOR_PASSWORD + "\n")
    seed = tmp / "seed.csv"
    seed.write_text("id,title,sector,lat,lon,year\nE2E-1,Kochkor water pipe,water_supply,42.2,75.75,2021\n")
    _geo(env, "import-projects", str(seed), "--user", "admin", "--commit")


@pytest.fixture(params=["gpkg", "postgis"])
def own_app(request, built_store, tmp_path):
    import e2e_support
    from e2e_support import e2e_conftest

    e2e_support.CURRENT["suffix"] = request.param
    with e2e_conftest().served_app(request.param, built_store, tmp_path, prepare=_prepare) as url:
        yield url


def _sign_in(page, name: str, password: str) -> None:
    page.get_by_label("User name", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)


def _nav(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)


def test_editor_edits_imports_and_downloads_the_audit_log(own_app, page, tmp_path):
    page_errors = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.goto(own_app + "/edit?lang=en", wait_until="domcontentloaded")
    page.get_by_text("Sign in as an editor or administrator").wait_for(timeout=90_000)
    _sign_in(page, "editor", EDITOR_PASSWORD)

    # Edit the project.
    page.get_by_label("Search by ID or name").fill("E2E-1")
    page.get_by_label("Search by ID or name").press("Enter")
    name = page.get_by_label("Name", exact=True)
    name.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    name.fill("Kochkor water pipe, stage 2")
    page.get_by_role("button", name="Save").first.click()
    page.get_by_text("Saved E2E-1").wait_for(timeout=60_000)
    screenshot(page, "editing_saved")
    # the location map draws the project's marker (no script error from a missing marker plugin)
    map_frame(page).locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    assert not page_errors, page_errors

    # Import a small CSV: one row in Naryn oblast.
    _nav(page, "Import projects")
    upload = tmp_path / "small.csv"
    upload.write_text("id,title,sector,lat,lon,year\nE2E-2,At-Bashy school <b>roof</b>,school,41.17,75.8,2022\n")
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_text("Report, row by row").wait_for(timeout=90_000)
    page.wait_for_timeout(1500)
    screenshot(page, "editing_import_report")
    page.get_by_role("button", name=re.compile("^Commit")).click()
    page.get_by_text(re.compile(r"Imported small\.csv: 1 added")).wait_for(timeout=90_000)
    screenshot(page, "editing_imported")

    # The audit log, downloaded as CSV.
    _nav(page, "Audit log")
    page.get_by_role("button", name="Download CSV").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    screenshot(page, "editing_audit")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download CSV").first.click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert "E2E-1" in text and "stage 2" in text and "E2E-2" in text
    assert page.request_log.external() == []
