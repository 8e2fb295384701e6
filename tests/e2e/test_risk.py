"""The risk page in a browser: indicative hazard zones on the map with their legend, offline."""
from __future__ import annotations

import pytest

from e2e_support import map_frame, screenshot

pytestmark = pytest.mark.e2e

#: ThinkHazard! class colours used by layers/hazard_style.py
CLASS_FILLS = ("#db0026", "#f03b20", "#fd8d3c", "#fecc5c")


def test_risk_page_draws_indicative_zones_offline(app_url, page):
    page.goto(app_url + "/risk?lang=en", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Disaster risk").wait_for(timeout=120_000)
    frame = map_frame(page, timeout_ms=180_000)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=120_000)
    page.wait_for_timeout(2000)

    # hazard zones: filled with the class colours and dashed, because the shipped layers are indicative
    zone_paths = sum(frame.locator(f"path.leaflet-interactive[fill='{fill}'][stroke-dasharray='5 4']").count()
                     for fill in CLASS_FILLS)
    assert zone_paths >= 3  # High, Medium and Low bands along the main rivers

    legend = frame.locator(".aimak-legend")
    assert legend.count() == 1
    text = legend.inner_text()
    for label in ("Hazard class", "High", "Medium", "Low"):
        assert label in text
    assert "not an official hazard map" in text

    # the page says so too, above the map
    assert page.get_by_text("Indicative, derived from elevation and rivers").first.is_visible()

    shot = screenshot(page, "risk_page")
    assert shot.stat().st_size > 10_000
    assert page.request_log.external() == []
