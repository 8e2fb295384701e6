"""Benchmark: bytes sent to the browser and server time for the national map view.

Runs each load in a fresh subprocess (so peak memory is per load) with the shipped data
and with 10,000 and 100,000 SYNTHETIC projects (random points inside Kyrgyzstan, used
only here), against a naive baseline in the same run: folium GeoJSON of the
full-resolution boundaries plus one marker with a popup per project.
The last line printed is one JSON object.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthetic_projects(n: int, seed: int = 42):
    """``n`` SYNTHETIC projects at random points inside the shipped country outline."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo import settings
    from layers.styles import SECTOR_STYLES

    country = gpd.read_file(settings.COUNTRY_FILE).geometry.union_all()
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = country.bounds
    points = []
    shapely.prepare(country)
    while len(points) < n:
        xs = rng.uniform(minx, maxx, n * 2)
        ys = rng.uniform(miny, maxy, n * 2)
        cand = shapely.points(xs, ys)
        points.extend(cand[shapely.contains(country, cand)].tolist())
    points = points[:n]
    sectors = list(SECTOR_STYLES)
    years = rng.integers(1995, 2024, n)
    return gpd.GeoDataFrame({
        "project_id": [f"SYN{i:06d}" for i in range(n)],
        "title": [f"Synthetic project {i} (benchmark only)" for i in range(n)],
        "sector": rng.choice(sectors, n), "status": "synthetic",
        "year_start": years, "year_end": years + rng.integers(0, 3, n),
        "location_precision": 1, "source_ref": "synthetic benchmark data",
        "village": None, "aiyl_okmot_name": None, "rayon_name": None, "oblast_name": None,
    }, geometry=points, crs=4326)


def one_run(n: int) -> dict:
    """Measure one scale in this process (called in a subprocess)."""
    import folium
    import pandas as pd

    from geo.build import reference_frames
    from geo.filters import ProjectFilter, filter_projects
    from geo.store.base import conform
    from layers.assets import localize
    from layers.map_view import MapContext, build_map, prepare_units
    from layers.project_text import popup_table

    frames = reference_frames()
    admin = frames["admin_units"]
    if n == 0:
        from geo.seed_projects import seed_frames

        projects, funding, beneficiaries = seed_frames(admin, frames["settlements"])
    else:
        projects = synthetic_projects(n)
        funding = conform(pd.DataFrame(columns=["project_id"]), "funding")
        beneficiaries = conform(pd.DataFrame(columns=["project_id"]), "beneficiaries")
    projects = conform(projects, "projects")
    from geo.admin_join import assign_admin_pcodes

    projects = assign_admin_pcodes(projects, admin)

    def page(flt: ProjectFilter, simplified) -> int:
        shown = filter_projects(projects, funding, flt)
        popups = popup_table(shown, funding, beneficiaries, "en")
        ctx = MapContext(admin_units=admin, projects=shown, popups=popups, rivers=frames["rivers"],
                         lakes=frames["lakes"], lang="en", simplified=simplified)
        return len(build_map(ctx).get_root().render().encode())

    t0 = time.perf_counter()
    simplified = prepare_units(admin)
    national_bytes = page(ProjectFilter(), simplified)
    first_ms = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    page(ProjectFilter(sectors=("school", "water_supply")), simplified)
    filter_ms = (time.perf_counter() - t1) * 1000

    naive_bytes = None
    if n <= 10_000:
        t2 = time.perf_counter()
        naive = folium.Map(location=[41.3, 74.6], zoom_start=7)
        for level in (1, 2):
            folium.GeoJson(admin[admin["level"] == level].to_json()).add_to(naive)
        for title, geom in zip(projects["title"], projects.geometry.representative_point()):
            folium.Marker([geom.y, geom.x], popup=folium.Popup(str(title))).add_to(naive)
        naive_bytes = len(localize(naive).get_root().render().encode())
        naive_ms = (time.perf_counter() - t2) * 1000
    else:
        naive_ms = None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n if n else len(projects), "national_view_bytes": national_bytes, "first_load_ms": round(first_ms, 1),
            "filter_change_ms": round(filter_ms, 1), "naive_bytes": naive_bytes,
            "naive_build_ms": None if naive_ms is None else round(naive_ms, 1), "peak_rss_mb": round(peak_mb, 1)}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one_run(int(sys.argv[2]))))
        return
    results = {}
    for n, label in ((0, "seed"), (10_000, "10k"), (100_000, "100k")):
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        results[label] = json.loads(out.stdout.strip().splitlines()[-1])
        r = results[label]
        print(f"{label:>5}: {r['n']:>7} projects  national view {r['national_view_bytes'] / 1e6:6.2f} MB"
              f"  first load {r['first_load_ms']:8.0f} ms  filter change {r['filter_change_ms']:7.0f} ms"
              f"  peak RSS {r['peak_rss_mb']:7.0f} MB"
              + (f"  | naive {r['naive_bytes'] / 1e6:6.2f} MB in {r['naive_build_ms']:.0f} ms" if r["naive_bytes"] else ""))
    summary = {
        "national_view_bytes_seed": results["seed"]["national_view_bytes"],
        "naive_bytes_seed": results["seed"]["naive_bytes"],
        "national_view_bytes_10k": results["10k"]["national_view_bytes"],
        "naive_bytes_10k": results["10k"]["naive_bytes"],
        "first_load_ms_10k": results["10k"]["first_load_ms"],
        "filter_change_ms_10k": results["10k"]["filter_change_ms"],
        "national_view_bytes_100k": results["100k"]["national_view_bytes"],
        "first_load_ms_100k": results["100k"]["first_load_ms"],
        "filter_change_ms_100k": results["100k"]["filter_change_ms"],
        "peak_rss_mb_100k": results["100k"]["peak_rss_mb"],
        "targets_met": {
            "national_view_under_1_5MB_10k": results["10k"]["national_view_bytes"] < 1.5e6,
            "filter_change_under_300ms_10k": results["10k"]["filter_change_ms"] < 300,
        },
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
