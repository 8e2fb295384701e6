"""Load benchmark: N concurrent sessions against one app process and one PostGIS.

Each session is a Streamlit AppTest instance running the real app.py (the same script
runner the server uses), all in one process sharing the server caches, against one
store. Measures page-load and filter-change latency percentiles at N = 1, 10, 50, and
memory per session (RSS growth / N). The store is PostGIS when AIMAK_DATABASE_URL is
set or scripts/start_postgis.sh can start one, else the GeoPackage (said in the output).
The last line printed is one JSON object.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _configure_store() -> str:
    """Point the app at PostGIS (built from the shipped data) or, failing that, a GeoPackage."""
    url = os.environ.get("AIMAK_DATABASE_URL")
    if not url and (ROOT / "scripts" / "start_postgis.sh").exists():
        try:
            url = subprocess.run(["bash", str(ROOT / "scripts" / "start_postgis.sh")], capture_output=True,
                                 text=True, check=True, timeout=600).stdout.strip().splitlines()[-1]
        except (subprocess.SubprocessError, IndexError) as exc:
            print(f"PostGIS could not be started ({exc}); using a GeoPackage store", file=sys.stderr)
            url = None
    if url:
        os.environ["AIMAK_DATABASE_URL"] = url
        from geo.build import build_store
        from geo.store import open_store

        build_store(open_store(database_url=url))
        return "postgis"
    path = Path(tempfile.mkdtemp()) / "aimak.gpkg"
    os.environ["AIMAK_STORE"] = str(path)
    os.environ.pop("AIMAK_DATABASE_URL", None)
    return "gpkg"


def _session(_: int) -> tuple[float, float]:
    """One user: open the app, then change the sector filter. Returns (load ms, filter ms)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["lang"] = "ru"
    t0 = time.perf_counter()
    at.run()
    load = (time.perf_counter() - t0) * 1000
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    t1 = time.perf_counter()
    at.multiselect(key="f_sectors").set_value(["water_supply", "school"]).run()
    change = (time.perf_counter() - t1) * 1000
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    _session.keep.append(at)  # keep sessions alive to measure their memory
    return load, change


_session.keep = []


def run(n: int) -> dict:
    _session.keep.clear()
    before = _rss_mb()
    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(_session, range(n)))
    after = _rss_mb()
    loads = np.array([r[0] for r in results])
    changes = np.array([r[1] for r in results])
    return {
        "n": n, "p50_load_ms": float(np.percentile(loads, 50)), "p95_load_ms": float(np.percentile(loads, 95)),
        "p50_filter_ms": float(np.percentile(changes, 50)), "p95_filter_ms": float(np.percentile(changes, 95)),
        "rss_mb_per_session": max(0.0, (after - before) / n),
    }


def main() -> None:
    backend = _configure_store()
    _session(0)  # warm the caches once (first start builds nothing more)
    out = {"backend": backend}
    for n in (1, 10, 50):
        r = run(n)
        print(f"N={n:>3}: load p50 {r['p50_load_ms']:7.0f} ms p95 {r['p95_load_ms']:7.0f} ms | filter change "
              f"p50 {r['p50_filter_ms']:7.0f} ms p95 {r['p95_filter_ms']:7.0f} ms | {r['rss_mb_per_session']:.1f} MB/session")
        for key in ("p50_load_ms", "p95_load_ms", "p50_filter_ms", "p95_filter_ms"):
            out[f"{key}_n{n}"] = round(r[key], 1)
        out[f"rss_mb_per_session_n{n}"] = round(r["rss_mb_per_session"], 2)
    out["p50_ms_n50"] = out["p50_load_ms_n50"]
    out["p95_ms_n50"] = out["p95_load_ms_n50"]
    out["rss_mb_per_session"] = out["rss_mb_per_session_n50"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
