"""Canal, unit and donor pages in the real app (headless Chromium): key content renders, offline.

Screenshots go to tests/artifacts/pages_*.png.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
from e2e_support import map_frame, screenshot

pytestmark = pytest.mark.e2e


def _wait_text(page, text: str, timeout_ms: int = 60_000):
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout_ms)


def _center_map(page) -> None:
    """Scroll so the map is in the middle of the window (for the screenshot)."""
    page.locator("iframe[title*='streamlit_folium']").first.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(800)


def test_canals_page(app_url, page):
    page.goto(app_url + "/canals?lang=en", wait_until="domcontentloaded")
    frame = map_frame(page)
    frame.locator(".aimak-flow-arrow").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    _wait_text(page, "Outlets found")
    metrics = page.locator("[data-testid=stMetric]")
    shown = {metrics.nth(i).locator("[data-testid=stMetricLabel]").inner_text():
             metrics.nth(i).locator("[data-testid=stMetricValue]").inner_text() for i in range(metrics.count())}
    assert shown["Design capacity, l/s"] == "210"
    assert shown["Outlets found"] == "110"
    assert shown["Illegal cuttings closed"] == "91"
    assert frame.locator(".aimak-flow-arrow").count() >= 2
    legend = frame.locator(".aimak-legend").inner_text()
    assert "Direction of flow" in legend and "State border within 5 km of the canal" in legend
    assert "agreed" in legend and "closed" in legend
    side = page.locator("[data-testid=stHtml]").first.inner_text()  # records without a position, beside the map
    assert "Whole canal (not broken down)" in side and "Jany-Bak" in side
    assert page.get_by_role("tab", name="Record a change").count() == 1
    _center_map(page)
    shot = screenshot(page, "pages_canals")
    assert shot.stat().st_size > 10_000
    assert page.request_log.external() == []


def test_canals_page_in_kyrgyz(app_url, page):
    page.goto(app_url + "/canals?lang=ky", wait_until="domcontentloaded")
    frame = map_frame(page)
    frame.locator(".aimak-legend").wait_for(timeout=60_000)
    _wait_text(page, "Табылган суу алгычтар")
    assert "Агымдын багыты" in frame.locator(".aimak-legend").inner_text()
    assert page.get_by_role("tab", name="Өзгөртүүнү жазуу").count() == 1
    _center_map(page)
    screenshot(page, "pages_canals_ky")
    assert page.request_log.external() == []


def test_unit_page_kochkor(app_url, page):
    page.goto(app_url + "/unit?unit=KG-N-KOCHKOR&lang=en", wait_until="domcontentloaded")
    _wait_text(page, "Funds by source and year")
    page.get_by_role("heading", name="Kochkor").first.wait_for(timeout=30_000)
    _wait_text(page, "Funding per project and source")
    # in a data grid cell, which the grid keeps in a hidden accessibility layer: present, not "visible"
    page.get_by_text("Kara-Suu AA", exact=False).first.wait_for(state="attached", timeout=60_000)
    _wait_text(page, "People reached: in each settlement")
    page.locator("[data-testid=stDataFrame]").nth(4).wait_for(timeout=30_000)  # projects, funds, rows, people, JAP
    page.wait_for_timeout(1500)
    shot = screenshot(page, "pages_unit_kochkor")
    assert shot.stat().st_size > 10_000
    page.get_by_text("Joint action plan priorities by year", exact=False).first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    screenshot(page, "pages_unit_priorities")
    assert page.request_log.external() == []


def test_donors_page_one_donor(app_url, page):
    donor = "Assanabil Charitable Foundation"
    page.goto(app_url + f"/donors?lang=en&donor={quote(donor)}", wait_until="domcontentloaded")
    frame = map_frame(page)
    frame.locator(".aimak-legend").wait_for(timeout=60_000)
    page.get_by_role("heading", name=donor).first.wait_for(timeout=30_000)
    _wait_text(page, "Projects funded: 1")
    assert "Funds per oblast (KGS)" in frame.locator(".aimak-legend").inner_text()
    frame.locator("path.leaflet-interactive").nth(8).wait_for(timeout=30_000)  # oblasts and the project marker
    sankey = page.locator("iframe[src^='data:image/svg+xml']")  # donor → sector → oblast, drawn as SVG
    sankey.first.wait_for(timeout=30_000)
    assert sankey.count() == 1
    page.wait_for_timeout(1500)
    shot = screenshot(page, "pages_donors")
    assert shot.stat().st_size > 10_000
    assert page.request_log.external() == []
