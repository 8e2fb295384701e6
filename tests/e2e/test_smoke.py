"""First load of the app as a new user sees it: map, boundaries, markers, legend, offline."""
from __future__ import annotations

import pytest

from e2e_support import map_frame, screenshot

pytestmark = pytest.mark.e2e


def test_first_load_draws_map_offline(app_url, page):
    page.goto(app_url + "/?lang=en", wait_until="domcontentloaded")
    frame = map_frame(page)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    frame.locator(".marker-cluster, .aimak-pin").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    assert frame.locator("path.leaflet-interactive").count() >= 9  # oblasts (+ rayons)
    assert frame.locator(".marker-cluster, .aimak-pin").count() >= 5
    legend = frame.locator(".aimak-legend")
    assert legend.count() == 1 and "Legend" in legend.inner_text()
    assert "Drinking water" in legend.inner_text()
    shot = screenshot(page, "smoke_first_load")
    assert shot.stat().st_size > 10_000
    assert page.request_log.external() == []
