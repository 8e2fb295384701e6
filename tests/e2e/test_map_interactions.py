"""Drill down by clicking, filter by sector, open a popup, share the URL (issue: drill-down map)."""
from __future__ import annotations

import re

import pytest
from e2e_support import map_frame, screenshot

pytestmark = pytest.mark.e2e


def _click_latlng(page, lat: float, lon: float) -> None:
    frame = page.frames[-1]
    point = frame.evaluate(f"(() => {{ const p = window.map.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }})()")
    page.frame_locator("iframe[title*='streamlit_folium']").first.locator("#map_div").click(position={"x": point[0], "y": point[1]})


def test_click_oblast_drills_down_and_url_restores_view(app_url, page):
    page.goto(app_url + "/?lang=en", wait_until="domcontentloaded")
    frame = map_frame(page)
    frame.locator("path.leaflet-interactive").first.wait_for()
    page.wait_for_timeout(1500)
    _click_latlng(page, 41.05, 76.9)  # inside Naryn oblast, away from project markers
    page.wait_for_url(re.compile(r"unit=KG-N"), timeout=30_000)
    page.get_by_text("Naryn", exact=False).first.wait_for()
    map_frame(page).locator("path.leaflet-interactive").first.wait_for()
    page.wait_for_timeout(1500)
    screenshot(page, "drilldown_naryn")
    shared = page.url
    again = page.context.new_page()
    again.goto(shared, wait_until="domcontentloaded")
    map_frame(again)
    again.wait_for_timeout(1500)
    assert "KG-N" in again.url
    assert again.get_by_role("button", name=re.compile("Naryn")).count() >= 1  # breadcrumb restored
    again.close()


def test_sector_filter_and_popup_show_text_literally(app_url, page):
    page.goto(app_url + "/?lang=en&sector=dam_flood_protection", wait_until="domcontentloaded")
    frame = map_frame(page)
    page.get_by_text("Projects shown: 1 of", exact=False).wait_for(timeout=30_000)
    pin = frame.locator(".aimak-pin").first
    pin.wait_for(timeout=30_000)
    pin.click()
    popup = frame.locator(".aimak-popup")
    popup.wait_for(timeout=10_000)
    assert "Flood-protection dam" in popup.inner_text()
    assert "Precision" in popup.inner_text()
    page.get_by_text("Funding sources", exact=False).first.wait_for(timeout=30_000)
    screenshot(page, "popup_dam")


def test_hazard_overlay_and_folding_legend(app_url, page):
    page.goto(app_url + "/?lang=en&unit=KG-N-KOCHKOR", wait_until="domcontentloaded")
    frame = map_frame(page)
    frame.locator(".aimak-legend").wait_for(timeout=30_000)
    assert "Hazard:" not in frame.locator(".aimak-legend").inner_text()
    box = page.get_by_label("Hazard layer on the map")
    box.click()
    box.fill("Slope")
    page.keyboard.press("Enter")
    page.wait_for_timeout(1500)
    frame = map_frame(page)
    legend = frame.locator(".aimak-legend")
    legend.get_by_text("Hazard: High").wait_for(timeout=60_000)
    assert "not an official hazard map" in legend.inner_text()
    # zones are drawn in the ThinkHazard! class colours
    fills = frame.locator("path.leaflet-interactive").evaluate_all("els => els.map(e => e.getAttribute('fill'))")
    assert "#db0026" in fills
    screenshot(page, "map_hazard_overlay")
    # the legend folds away with a click on its title and comes back
    legend.locator("summary").click()
    assert not legend.get_by_text("Hazard: High").is_visible()
    legend.locator("summary").click()
    assert legend.get_by_text("Hazard: High").is_visible()
