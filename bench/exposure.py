"""Benchmark for issue 5: exposure of 100,000 synthetic projects and rayon zonal statistics.

Run: ``python bench/exposure.py [--n 100000] [--loop-sample 2000] [--seed 5]``

1. 100,000 **synthetic** projects (random points inside Kyrgyzstan's polygon, or its
   bounding box when the shipped boundary is absent) against hazard zones: the test-only
   MoES mudflow recurrence layer when it is present (read from the shared reference
   folder, never copied into the project), else synthetic zones. The vectorised path
   (:func:`geo.exposure.projects_in_zones`, one STRtree query; also a geopandas ``sjoin``)
   is timed against a per-feature Python loop. When the full loop would take more than
   60 s, the loop runs on a subsample and its time is extrapolated linearly (the output
   says so).
2. Zonal statistics (mean, max, cells) for every rayon on the shipped elevation grid:
   exactextract (exact partial-cell coverage) against a rasterstats-style centre-of-cell
   mask per polygon, with the differences caused by partly covered cells.

Human-readable figures first; the last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import exposure, hazards, settings  # noqa: E402
from geo.schema import SECTORS_HINT  # noqa: E402

MUDFLOW = Path("/work/shared/data/reference/github/kgz_mudflow_recurrence_zones_moes2009.geojson")
EXAMPLE_MAPPING = {"High": 10, "Medium": 5, "Low": 2, "Very low": 0}
LOOP_LIMIT_S = 60.0


def best_of(fn, repeat: int = 3):
    """(shortest wall time in s, result of the last call)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def country_area() -> tuple[object, str]:
    if settings.COUNTRY_FILE.exists():
        frame = gpd.read_file(settings.COUNTRY_FILE, engine="pyogrio").to_crs(4326)
        return shapely.union_all(frame.geometry.values), f"country polygon {settings.COUNTRY_FILE.name}"
    return box(*settings.COUNTRY_BOUNDS), "country bounding box (boundary file absent)"


def synthetic_projects(area, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """n random points inside ``area`` (rejection sampling, vectorised), marked synthetic."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    xs, ys = [], []
    have = 0
    while have < n:
        x = rng.uniform(minx, maxx, 2 * n)
        y = rng.uniform(miny, maxy, 2 * n)
        inside = shapely.contains_xy(area, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    x = np.concatenate(xs)[:n]
    y = np.concatenate(ys)[:n]
    return gpd.GeoDataFrame(
        {
            "project_id": [f"SYN-{i:06d}" for i in range(n)],
            "title": "synthetic benchmark project",
            "sector": rng.choice(list(SECTORS_HINT), n),
            "location_note": "synthetic (benchmark only, not a real project)",
        },
        geometry=shapely.points(x, y), crs=4326,
    )


def hazard_zones(area, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, str]:
    if MUDFLOW.exists():
        zones = hazards.read_hazard_vector(
            MUDFLOW, hazard_type="mudflow", value_column="mudflow", mapping=EXAMPLE_MAPPING,
            source="MoES mudflow recurrence 2009 via WFP PRISM (test/benchmark reference only)",
        )
        return zones, f"test-only MoES mudflow recurrence zones ({len(zones)} polygons, example mapping)"
    # synthetic: a 24 × 12 grid of cells over the area, jittered, each with a random class
    minx, miny, maxx, maxy = area.bounds
    xs = np.linspace(minx, maxx, 25)
    ys = np.linspace(miny, maxy, 13)
    cells = [box(x0, y0, x1, y1).buffer(0.02, quad_segs=16)
             for x0, x1 in zip(xs[:-1], xs[1:]) for y0, y1 in zip(ys[:-1], ys[1:])]
    cells = shapely.intersection(np.asarray(cells, dtype=object), area)
    frame = gpd.GeoDataFrame({"hazard_class": rng.choice(list(hazards.HAZARD_CLASSES), len(cells))},
                             geometry=cells, crs=4326)
    frame = frame[~frame.geometry.is_empty]
    zones = hazards.zones_from_frame(frame, hazard_type="synthetic", source="synthetic benchmark zones",
                                     layer_name="synthetic zones")
    return zones, f"synthetic zones ({len(zones)} polygons; the mudflow reference layer is absent)"


def _zone_lists(zones: gpd.GeoDataFrame) -> tuple[list, list]:
    geoms = list(zones.geometry.values)
    ranks = [hazards.CLASS_RANK.get(c, 0) if isinstance(c, str) else 0 for c in zones["hazard_class"]]
    return geoms, ranks


def loop_naive(points: np.ndarray, zones: gpd.GeoDataFrame) -> np.ndarray:
    """The per-feature baseline as usually written: for each project, test every zone
    with ``zone.intersects(point)`` and keep the worst rank."""
    geoms, ranks = _zone_lists(zones)
    out = np.zeros(len(points), dtype=np.int8)
    for i, point in enumerate(points):
        best = 0
        for geom, rank in zip(geoms, ranks):
            if geom.intersects(point) and rank > best:
                best = rank
        out[i] = best
    return out


def loop_tuned(points: np.ndarray, zones: gpd.GeoDataFrame) -> np.ndarray:
    """A tuned per-feature loop: prepared zone geometries, a bounding-box test first,
    and no test of zones that could not raise the rank."""
    geoms, ranks = _zone_lists(zones)
    for geom in geoms:
        shapely.prepare(geom)
    bounds = [geom.bounds for geom in geoms]
    out = np.zeros(len(points), dtype=np.int8)
    for i, point in enumerate(points):
        x, y = point.x, point.y
        best = 0
        for geom, (bx0, by0, bx1, by1), rank in zip(geoms, bounds, ranks):
            if rank > best and bx0 <= x <= bx1 and by0 <= y <= by1 and geom.intersects(point):
                best = rank
        out[i] = best
    return out


def time_loop(loop, points: np.ndarray, zones: gpd.GeoDataFrame, vector_rank: np.ndarray, sample: int, rng: np.random.Generator) -> dict:
    """Time a loop on a subsample; run it in full when that would take <= 60 s."""
    n = len(points)
    idx = rng.choice(n, min(sample, n), replace=False)
    start = time.perf_counter()
    rank = loop(points[idx], zones)
    sample_s = time.perf_counter() - start
    estimate = sample_s / len(idx) * n
    if estimate <= LOOP_LIMIT_S and len(idx) < n:
        start = time.perf_counter()
        rank = loop(points, zones)
        seconds = time.perf_counter() - start
        return {"s": seconds, "extrapolated": False, "compared": n,
                "mismatches": int((rank != vector_rank).sum()), "note": f"full loop over {n:,} projects"}
    return {"s": estimate, "extrapolated": len(idx) < n, "compared": len(idx),
            "mismatches": int((rank != vector_rank[idx]).sum()),
            "note": (f"EXTRAPOLATED linearly from {len(idx):,} of {n:,} projects ({sample_s:.2f} s); "
                     f"the full loop would take more than {LOOP_LIMIT_S:.0f} s")}


def rayons(area, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, str]:
    if settings.RAYON_FILE.exists():
        frame = gpd.read_file(settings.RAYON_FILE, engine="pyogrio").to_crs(4326)
        return frame, f"{len(frame)} rayons from {settings.RAYON_FILE.name}"
    minx, miny, maxx, maxy = area.bounds
    xs = np.linspace(minx, maxx, 9)
    ys = np.linspace(miny, maxy, 6)
    polys = [box(x0, y0, x1, y1).buffer(0.03, quad_segs=16) for x0, x1 in zip(xs[:-1], xs[1:])
             for y0, y1 in zip(ys[:-1], ys[1:])]
    frame = gpd.GeoDataFrame({"pcode": [f"SYN-R{i:02d}" for i in range(len(polys))]}, geometry=polys, crs=4326)
    return frame, f"{len(frame)} synthetic rayon polygons (rayon file absent)"


def elevation(tmp: Path, area) -> tuple[Path, str]:
    if settings.ELEVATION_FILE.exists():
        return settings.ELEVATION_FILE, f"shipped elevation grid {settings.ELEVATION_FILE.name}"
    import rasterio
    from rasterio.transform import from_origin

    minx, miny, maxx, maxy = settings.COUNTRY_BOUNDS
    res = 1 / 240
    width, height = int((maxx - minx) / res), int((maxy - miny) / res)
    yy, xx = np.mgrid[0:height, 0:width]
    z = (2000 + 1500 * np.sin(xx / 60.0) * np.cos(yy / 45.0)).astype("int16")
    path = tmp / "synthetic_elevation.tif"
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1, dtype="int16",
                       crs="EPSG:4326", transform=from_origin(minx, maxy, res, res), nodata=-32768,
                       tiled=True, compress="deflate") as dst:
        dst.write(z, 1)
    return path, "synthetic elevation grid (shipped grid absent)"


def partial_cells(raster: Path, polygons: gpd.GeoDataFrame) -> pd.Series:
    """Number of partly covered cells (0 < coverage < 1) per polygon, from exactextract."""
    from exactextract import exact_extract
    import rasterio

    with rasterio.open(raster) as src:
        frame = polygons.to_crs(src.crs.to_wkt())
    cov = exact_extract(str(raster), frame, ["coverage"], output="pandas")["coverage"]
    return cov.map(lambda a: int(((np.asarray(a) > 0) & (np.asarray(a) < 1)).sum()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--loop-sample", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    result: dict = {}

    area, area_note = country_area()
    projects = synthetic_projects(area, args.n, rng)
    zones, zones_note = hazard_zones(area, rng)
    print(f"Projects: {len(projects):,} synthetic points inside the {area_note}")
    print(f"Hazard zones: {zones_note}")

    # -- vectorised vs loop -------------------------------------------------------------
    exposure.projects_in_zones(projects.iloc[:100], zones)          # warm-up (imports, caches)
    vector_s, exposed = best_of(lambda: exposure.projects_in_zones(projects, zones))

    def sjoin_path():
        joined = gpd.sjoin(projects[["geometry"]], zones[["hazard_class", "geometry"]], predicate="intersects")
        rank = joined["hazard_class"].map(hazards.CLASS_RANK)
        return rank.groupby(level=0).max().reindex(projects.index, fill_value=0)

    sjoin_s, sjoin_rank = best_of(sjoin_path)
    vector_rank = exposed["hazard_rank"].to_numpy(dtype=int)
    sjoin_agree = bool((sjoin_rank.to_numpy(dtype=int) == vector_rank).all())

    points = np.asarray(projects.geometry.values, dtype=object)
    naive = time_loop(loop_naive, points, zones, vector_rank, args.loop_sample, rng)
    tuned = time_loop(loop_tuned, points, zones, vector_rank, args.loop_sample, rng)
    loop_s = naive["s"]
    counts = exposed["exposure"].value_counts()
    print(f"Vectorised (STRtree, geo.exposure.projects_in_zones): {vector_s:.3f} s")
    print(f"geopandas sjoin + groupby max:                         {sjoin_s:.3f} s (same answer: {sjoin_agree})")
    print(f"Per-feature Python loop (zone.intersects per project and zone): {naive['s']:.1f} s — {naive['note']}")
    print(f"Tuned per-feature loop (prepared zones, bbox test first):       {tuned['s']:.1f} s — {tuned['note']}")
    print(f"Speed-up of the vectorised path: {naive['s'] / vector_s:.0f}× over the plain loop, "
          f"{tuned['s'] / vector_s:.1f}× over the tuned loop")
    print(f"Results differ from the vectorised path for {naive['mismatches']} of {naive['compared']:,} (plain loop) "
          f"and {tuned['mismatches']} of {tuned['compared']:,} (tuned loop) projects")
    print("Projects per class: " + ", ".join(f"{k} {int(counts.get(k, 0)):,}" for k in exposure.ROW_ORDER[:-1]))
    result.update(vector_s=round(vector_s, 4), loop_s=round(loop_s, 3),
                  vector_speedup=round(loop_s / vector_s, 1), loop_extrapolated=naive["extrapolated"],
                  loop_compared=naive["compared"], loop_mismatches=naive["mismatches"],
                  loop_tuned_s=round(tuned["s"], 3), loop_tuned_extrapolated=tuned["extrapolated"],
                  vector_speedup_vs_tuned_loop=round(tuned["s"] / vector_s, 1), loop_tuned_mismatches=tuned["mismatches"],
                  sjoin_s=round(sjoin_s, 4), sjoin_agrees=sjoin_agree, projects=len(projects), zones=len(zones),
                  zones_source="mudflow_reference" if MUDFLOW.exists() else "synthetic")

    # -- zonal statistics ----------------------------------------------------------------
    with tempfile.TemporaryDirectory() as tmp:
        units, units_note = rayons(area, rng)
        raster, raster_note = elevation(Path(tmp), area)
        print(f"\nZonal statistics: {units_note} on the {raster_note}")
        exposure.raster_zonal(raster, units.iloc[:2], ("mean",))          # warm-up
        exposure.raster_zonal_centre(raster, units.iloc[:2], ("mean",))
        exact_s, exact = best_of(lambda: exposure.raster_zonal(raster, units, ("mean", "max", "cells", "coverage")))
        centre_s, centre = best_of(lambda: exposure.raster_zonal_centre(raster, units, ("mean", "max", "cells")))
        partial = partial_cells(raster, units)
    diff_mean = (exact["mean"] - centre["mean"]).to_numpy(dtype=float)
    diff_max = (exact["max"] - centre["max"]).to_numpy(dtype=float)
    cells_exact = exact["cells"].to_numpy(dtype=float)
    cells_centre = centre["cells"].to_numpy(dtype=float)
    share_partial = partial.to_numpy(dtype=float) / np.maximum(cells_exact, 1e-9)
    print(f"exactextract (exact partial-cell coverage): {exact_s:.3f} s")
    print(f"centre-of-cell mask per polygon:            {centre_s:.3f} s")
    print(f"Speed-up of exactextract over the centre-of-cell method: {centre_s / exact_s:.2f}×")
    print(f"Partly covered cells per rayon: median {np.median(partial):.0f} "
          f"({np.median(share_partial):.1%} of its cells), total {int(partial.sum()):,}")
    print(f"Mean elevation, exact − centre: median |diff| {np.nanmedian(np.abs(diff_mean)):.2f} m, "
          f"largest {np.nanmax(np.abs(diff_mean)):.2f} m")
    print(f"Max elevation, exact − centre: {int((diff_max > 0).sum())} of {len(units)} rayons higher with exact "
          f"coverage (a partly covered edge cell counts), largest +{np.nanmax(diff_max):.0f} m")
    print(f"Cells counted: exact {cells_exact.sum():,.1f} (coverage-weighted) vs centre {cells_centre.sum():,.0f}; "
          f"per rayon the largest gap is {np.nanmax(np.abs(cells_exact - cells_centre)):.1f} cells")
    if centre_s / exact_s < 10:
        print("Note: the 10× target over the centre-of-cell method is NOT met: both run in C per polygon "
              f"and {len(units)} polygons leave little loop overhead to remove; exactextract's gain here "
              "is exactness, not speed.")
    if tuned["s"] / vector_s < 10:
        print("Note: against the tuned loop the 10× target is NOT met.")
    result.update(
        zonal_exact_s=round(exact_s, 4), zonal_centre_s=round(centre_s, 4),
        zonal_speedup=round(centre_s / exact_s, 2), rayons=len(units),
        zonal_mean_abs_diff_median_m=round(float(np.nanmedian(np.abs(diff_mean))), 3),
        zonal_mean_abs_diff_max_m=round(float(np.nanmax(np.abs(diff_mean))), 3),
        zonal_max_diff_max_m=float(np.nanmax(diff_max)),
        partial_cells_total=int(partial.sum()),
        partial_cells_share_median=round(float(np.median(share_partial)), 4),
        raster_source="shipped" if settings.ELEVATION_FILE.exists() else "synthetic",
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
