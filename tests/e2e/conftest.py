"""Browser tests: the real app in a Streamlit server, driven by Debian's headless Chromium.

Playwright's own browser download does not work here; it drives /usr/bin/chromium.
Screenshots go to tests/artifacts/.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("AIMAK_CHROMIUM", "/usr/bin/chromium")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(store_env: dict[str, str], tmp: Path) -> tuple[subprocess.Popen, str]:
    """Start `streamlit run app.py` on a free port with the given store; return (process, URL)."""
    port = _free_port()
    env = {**os.environ, **store_env, "PYTHONUNBUFFERED": "1"}
    log = open(tmp / f"streamlit-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early: {(tmp / f'streamlit-{port}.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("streamlit did not become healthy in 90 s")


def _postgis_env(tmp: Path) -> dict[str, str]:
    """A fresh PostGIS schema built from the shipped data, as environment for the app."""
    url = os.environ.get("AIMAK_TEST_DATABASE_URL")
    if not url:
        pytest.skip("AIMAK_TEST_DATABASE_URL not set: no PostGIS server for this run")
    schema = "e2e_" + uuid.uuid4().hex[:8]
    env = {**os.environ, "AIMAK_DATABASE_URL": url, "AIMAK_DATABASE_SCHEMA": schema}
    subprocess.run([sys.executable, "-m", "geo", "build"], cwd=ROOT, check=True, capture_output=True, env=env)
    return {"AIMAK_DATABASE_URL": url, "AIMAK_DATABASE_SCHEMA": schema}


@contextmanager
def served_app(backend: str, built_store: Path, tmp: Path, prepare=None):
    """The app served on ``backend``: a copy of the GeoPackage store, or a fresh PostGIS schema
    (dropped afterwards). ``prepare(env, tmp)`` runs on the store before the app starts. Yields the URL."""
    if backend == "gpkg":
        store = tmp / "aimak.gpkg"
        shutil.copy2(built_store, store)
        env = {"AIMAK_STORE": str(store), "AIMAK_DATABASE_URL": ""}
    else:
        env = _postgis_env(tmp)
    if prepare is not None:
        prepare(env, tmp)
    proc, url = start_app(env, tmp)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if backend == "postgis":
            from geo.store.postgis import PostGISStore

            PostGISStore(env["AIMAK_DATABASE_URL"], schema=env["AIMAK_DATABASE_SCHEMA"]).drop_schema()


@pytest.fixture(scope="session", params=["gpkg", "postgis"])
def app_url(request, built_store, tmp_path_factory):
    """The app served on each back end (see :func:`served_app`)."""
    with served_app(request.param, built_store, tmp_path_factory.mktemp("app")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


class RequestLog:
    """Every request a page makes, to prove nothing but tiles leaves the machine."""

    def __init__(self, page):
        self.requests: list[tuple[str, str]] = []
        page.on("request", lambda r: self.requests.append((r.resource_type, r.url)))

    def external(self, kinds=("script", "stylesheet", "font")) -> list[str]:
        out = []
        for kind, url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about", "chrome-extension"):
                continue
            if kind in kinds and parsed.hostname not in LOCAL_HOSTS:
                out.append(f"{kind} {url}")
        return out


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    pg = context.new_page()
    pg.request_log = RequestLog(pg)
    yield pg
    context.close()




@pytest.fixture(autouse=True)
def _screenshot_suffix(request):
    """Screenshots of each back end are kept apart."""
    import e2e_support

    callspec = getattr(request.node, "callspec", None)
    e2e_support.CURRENT["suffix"] = callspec.params.get("app_url", "") if callspec else ""
    yield
    e2e_support.CURRENT["suffix"] = ""
