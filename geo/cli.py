"""``python -m geo``: what the app does, headless.

Commands: build, stats, export, import-boundaries (more are added by their modules).
Exit status 0 on success, 2 on a user error (message on stderr), 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys

from geo.errors import AimakError
from geo.store import open_store


def _build(args) -> int:
    from geo.build import build_store

    counts = build_store(open_store(args.store))
    print(json.dumps({"built": counts}, ensure_ascii=False, indent=1))
    return 0


def _stats(args) -> int:
    from geo.build import ensure_store
    from geo.stats import store_stats

    store = open_store(args.store)
    ensure_store(store)
    print(json.dumps(store_stats(store), ensure_ascii=False, indent=1))
    return 0


def _export(args) -> int:
    from geo.build import ensure_store
    from geo.export import export_layers

    store = open_store(args.store)
    ensure_store(store)
    layers = args.layer or None
    for path in export_layers(store, args.out, args.format, layers):
        print(path)
    return 0


def _import_boundaries(args) -> int:
    from geo.boundaries_import import import_boundaries
    from geo.build import ensure_store

    store = open_store(args.store)
    ensure_store(store)
    summary = import_boundaries(store, args.file, user=args.user)
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = argparse.ArgumentParser(prog="python -m geo", description="Aimak Atlas, headless.")
    p.add_argument("--store", help="GeoPackage path (default: AIMAK_STORE or var/aimak.gpkg); AIMAK_DATABASE_URL selects PostGIS")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("build", help="(re)build the store from the shipped data and documented projects").set_defaults(func=_build)
    sub.add_parser("stats", help="JSON: feature counts per layer, admin units per level").set_defaults(func=_stats)

    ex = sub.add_parser("export", help="write layers as GPKG, GeoJSON or CSV")
    ex.add_argument("--format", choices=["gpkg", "geojson", "csv"], default="gpkg")
    ex.add_argument("--layer", action="append", help="layer to export (repeatable; default all)")
    ex.add_argument("--out", required=True, help="file (gpkg) or folder (geojson, csv)")
    ex.set_defaults(func=_export)

    ib = sub.add_parser("import-boundaries", help="import OCHA COD-AB boundaries (level 1, 2 or 3)")
    ib.add_argument("file", help="zipped shapefile, GeoPackage, GeoJSON or zipped file geodatabase")
    ib.add_argument("--user", default="admin")
    ib.set_defaults(func=_import_boundaries)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except AimakError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
