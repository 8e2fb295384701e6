"""Importing COD-AB aiyl okmot boundaries through the app page, then drilling down to them."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from e2e_support import map_frame, screenshot

pytestmark = pytest.mark.e2e
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.fixtures import codab  # noqa: E402  (TEST-ONLY SYNTHETIC fixtures)


@pytest.fixture
def own_app(built_store, tmp_path):
    """A separate app on its own copy of the store, since this test writes boundaries."""
    import subprocess

    from e2e_support import e2e_conftest

    def add_admin(env, _tmp):
        done = subprocess.run([sys.executable, "-m", "geo", "create-admin", "admin", "--password-stdin"],
                              env={**os.environ, **env}, input="admin-password-e2e\n", capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[2])
        assert done.returncode == 0, done.stderr

    with e2e_conftest().served_app("gpkg", built_store, tmp_path, prepare=add_admin) as url:
        yield url


def test_level3_import_then_drill_down(own_app, page, tmp_path):
    upload = codab.write(codab.level3_frame(), "shp_zip", tmp_path)
    page.goto(own_app + "/?lang=en", wait_until="domcontentloaded")
    page.get_by_label("User name", exact=True).fill("admin")
    page.get_by_label("Password", exact=True).fill("admin-password-e2e")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_text("Boundaries", exact=True).click()
    page.get_by_text("not loaded", exact=False).first.wait_for(timeout=60_000)
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Import").click()
    page.get_by_text(re.compile(r"Imported 8 units of level 3")).wait_for(timeout=60_000)
    screenshot(page, "boundaries_imported")

    rayon = codab.level3_frame()  # the synthetic box lies in Kochkor/Naryn area
    page.goto(own_app + "/?lang=en&unit=KG-N-KOCHKOR", wait_until="domcontentloaded")
    frame = map_frame(page)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    labels = frame.locator(".aimak-label").all_inner_texts()
    names = set(rayon["ADM3_EN"])
    assert names & set(labels), (labels, names)
    assert page.get_by_text("boundaries are not loaded").count() == 0
    screenshot(page, "drilldown_level3")
