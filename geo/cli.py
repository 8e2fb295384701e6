"""``python -m geo``: what the app does, headless.

Commands: build, stats, export, import-boundaries, exposure, import-hazard, delete-hazard-layer,
import-projects, undo-import, create-user, create-admin (more are added by their modules).
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


def _exposure(args) -> int:
    from geo.build import ensure_store
    from geo.exposure import run_exposure_command

    store = open_store(args.store)
    ensure_store(store)
    text = run_exposure_command(args.hazard, store, args.format, args.mapping, hazard_type=args.hazard_type,
                                value_column=args.value_column, table=args.table)
    print(text, end="" if text.endswith("\n") else "\n")
    return 0


def _import_hazard(args) -> int:
    from geo import auth
    from geo.build import ensure_store
    from geo.hazard_store import import_hazard_layer

    store = open_store(args.store)
    ensure_store(store)
    # The command line is a trusted local admin (as for import-boundaries and create-user).
    summary = import_hazard_layer(store, auth.User(args.user, "admin"), args.file, hazard_type=args.hazard_type,
                                  mapping=args.mapping, value_column=args.value_column, band=args.band,
                                  layer_name=args.layer_name, source=args.source, source_date=args.date,
                                  licence=args.licence)
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


def _delete_hazard_layer(args) -> int:
    from geo import auth
    from geo.build import ensure_store
    from geo.hazard_store import delete_hazard_layer

    store = open_store(args.store)
    ensure_store(store)
    summary = delete_hazard_layer(store, auth.User(args.user, "admin"), args.name)
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


def _import_projects(args) -> int:
    from geo.build import ensure_store
    from geo.errors import PermissionDeniedError
    from geo.project_import import commit_import, preview_import

    store = open_store(args.store)
    ensure_store(store)
    if args.commit and not args.user:
        raise PermissionDeniedError(key="err.cli.need_user")
    # The same steps as geo.project_import.import_projects, so the report is printed even when the commit is refused.
    preview = preview_import(store, args.file, crs=args.crs, layer=args.layer, user=args.user)
    print(preview.report.to_text(), file=sys.stderr)
    summary: dict = {"file": preview.source, "format": preview.format, "layer": preview.layer, "crs": preview.crs,
                     "mapping": preview.mapping, **preview.summary, "committed": False}
    if args.commit:
        result = commit_import(store, preview, args.user, skip_errors=args.skip_errors)
        summary.update({"committed": True, "batch_id": result.batch_id, "added": result.added,
                        "updated": result.updated, "skipped": result.skipped, "backup": result.backup})
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    return 0


def _undo_import(args) -> int:
    from geo.build import ensure_store
    from geo.project_import import undo_import

    store = open_store(args.store)
    ensure_store(store)
    print(json.dumps(undo_import(store, args.batch, args.user), ensure_ascii=False, indent=1, default=str))
    return 0


def _read_password(args) -> str:
    import getpass
    import os

    if getattr(args, "password_stdin", False) or not sys.stdin.isatty():
        text = sys.stdin.readline().rstrip("\r\n")
        if text:
            return text
    env = os.environ.get("AIMAK_ADMIN_PASSWORD", "") if args.command == "create-admin" else ""
    if env:
        return env
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    raise AimakError(key="err.cli.password_admin" if args.command == "create-admin" else "err.cli.password")


def _create_user(args) -> int:
    from geo import auth
    from geo.build import ensure_store

    store = open_store(args.store)
    ensure_store(store)
    # The command line is a trusted local admin (whoever can run it can open the store).
    actor = auth.User(args.by, "admin")
    user = auth.create_user(store, actor, args.name, _read_password(args), args.role, args.units or (),
                            args.display_name or "")
    print(json.dumps({"created": user.username, "role": user.role, "units": sorted(user.units)}, ensure_ascii=False))
    return 0


def _create_admin(args) -> int:
    from geo import auth
    from geo.build import ensure_store

    store = open_store(args.store)
    ensure_store(store)
    user = auth.bootstrap_admin(store, args.name, _read_password(args), args.display_name or "")
    print(json.dumps({"created": user.username, "role": user.role}, ensure_ascii=False))
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

    xp = sub.add_parser("exposure", help="projects, settlements, people, funding and units in each hazard class")
    xp.add_argument("--hazard", required=True,
                    help="hazard file (vector zones or raster, any CRS) or the name of a hazard layer in the store")
    xp.add_argument("--format", choices=["json", "csv"], default="json")
    xp.add_argument("--mapping", help='values → classes: JSON text or a .json file, e.g. {"High": 0.4, "Medium": 0.2}')
    xp.add_argument("--hazard-type", dest="hazard_type", help="mudflow, flood, landslide, avalanche, earthquake, …")
    xp.add_argument("--value-column", dest="value_column", help="column with the class or value (vector files)")
    xp.add_argument("--table", help="CSV: write only this table (by_class, by_unit, projects_at_risk, …)")
    xp.set_defaults(func=_exposure)

    ih = sub.add_parser("import-hazard", help="import an official hazard layer (vector zones or raster, any CRS) "
                                              "into the store; it replaces the indicative layer of its type")
    ih.add_argument("file", help="GeoJSON, GeoPackage, zipped Shapefile, … or GeoTIFF")
    ih.add_argument("--hazard-type", dest="hazard_type", required=True,
                    help="mudflow, flood, landslide, avalanche, earthquake, glacial_lake_outburst, …")
    ih.add_argument("--mapping", help='values → classes: JSON text or a .json file, e.g. {"High": 0.4, "Medium": 0.2}; '
                                      "stored with the layer")
    ih.add_argument("--value-column", dest="value_column", help="column with the class or value (vector files)")
    ih.add_argument("--band", type=int, default=1, help="raster band (default 1)")
    ih.add_argument("--layer-name", dest="layer_name", help="name of the layer (default: the file name)")
    ih.add_argument("--source", help="who made the map")
    ih.add_argument("--date", help="date or year of the map")
    ih.add_argument("--licence", help="licence of the map")
    ih.add_argument("--user", default="admin", help="name recorded in the audit log (a trusted local admin)")
    ih.set_defaults(func=_import_hazard)

    dh = sub.add_parser("delete-hazard-layer", help="delete an imported hazard layer; when it was the last official "
                                                    "layer of its type, the shipped indicative layer comes back")
    dh.add_argument("name", help="layer_name of the layer (shipped indicative layers cannot be deleted)")
    dh.add_argument("--user", default="admin", help="name recorded in the audit log (a trusted local admin)")
    dh.set_defaults(func=_delete_hazard_layer)

    ip = sub.add_parser("import-projects", help="check a project file (per-row report on stderr) and, with --commit, import it")
    ip.add_argument("file", help="CSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile, KML/KMZ, Kobo/ODK export or IATI XML")
    ip.add_argument("--layer", help="layer of a GeoPackage/zip or sheet of an XLSX file")
    ip.add_argument("--crs", help="CRS of the coordinates when the file does not say (EPSG code, e.g. 32643)")
    ip.add_argument("--user", help="account the import is written as (needed with --commit)")
    ip.add_argument("--commit", action="store_true", help="write the accepted rows (default: preview only)")
    ip.add_argument("--skip-errors", dest="skip_errors", action="store_true",
                    help="with --commit: import the rows without errors and skip the others")
    ip.set_defaults(func=_import_projects)

    ui = sub.add_parser("undo-import", help="undo one import by its batch id")
    ui.add_argument("batch", help="batch id printed by import-projects --commit")
    ui.add_argument("--user", required=True, help="account that undoes it")
    ui.set_defaults(func=_undo_import)

    cu = sub.add_parser("create-user", help="add an account (password on stdin)")
    cu.add_argument("name")
    cu.add_argument("--role", choices=["viewer", "editor", "admin"], default="viewer")
    cu.add_argument("--units", nargs="+", metavar="PCODE", help="editor's oblast/rayon/aiyl okmot P-codes")
    cu.add_argument("--display-name", dest="display_name")
    cu.add_argument("--password-stdin", dest="password_stdin", action="store_true",
                    help="read the password from the first line of standard input")
    cu.add_argument("--by", default="cli", help="name recorded in the audit log (default: cli)")
    cu.set_defaults(func=_create_user)

    ca = sub.add_parser("create-admin", help="create the first admin (password from stdin or AIMAK_ADMIN_PASSWORD)")
    ca.add_argument("name", nargs="?", default="admin")
    ca.add_argument("--display-name", dest="display_name")
    ca.add_argument("--password-stdin", dest="password_stdin", action="store_true")
    ca.set_defaults(func=_create_admin)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except AimakError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
