"""Helpers for browser tests (imported by the e2e tests)."""
from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"


def map_frame(page, timeout_ms: int = 60_000):
    """The iframe of the st_folium map, once Leaflet has drawn in it."""
    page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=timeout_ms)
    frame = page.frame_locator("iframe[title*='streamlit_folium']").first
    frame.locator(".leaflet-container").wait_for(timeout=timeout_ms)
    return frame


#: set per test by tests/e2e/conftest.py: the back end the app runs on ("gpkg", "postgis")
CURRENT = {"suffix": ""}


def screenshot(page, name: str) -> Path:
    """Save a screenshot under tests/artifacts/, named after the step and the back end."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = f"_{CURRENT['suffix']}" if CURRENT["suffix"] else ""
    path = ARTIFACTS / f"{name}{suffix}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def e2e_conftest():
    """tests/e2e/conftest.py as a module (``import conftest`` may find tests/conftest.py instead)."""
    import importlib.util
    import sys

    module = sys.modules.get("aimak_e2e_conftest")
    if module is None:
        spec = importlib.util.spec_from_file_location("aimak_e2e_conftest", Path(__file__).with_name("conftest.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["aimak_e2e_conftest"] = module
        spec.loader.exec_module(module)
    return module
