"""Reading vector files people give us, always returned in EPSG:4326.

Accepted:

* GeoJSON (``.geojson``, ``.json``);
* GeoPackage (``.gpkg``), any of its layers;
* shapefile (``.shp`` with ``.shx``, ``.dbf`` and ``.prj`` beside it);
* file geodatabase (a ``.gdb`` folder);
* a zip (``.zip``, ``.gdb.zip``, ``.shp.zip``) holding any of the above, for example a
  zipped shapefile or a zipped ``.gdb`` folder. Zips are checked and unpacked with
  :mod:`geo.io.archives` (path traversal, links and zip bombs are refused).

When a file holds several spatial layers (a GeoPackage, a geodatabase, a zip with
several shapefiles), ``layer=`` names the one to read; otherwise ``choose_layer`` may
pick one from the list, and if neither decides, :class:`~geo.errors.SchemaError` lists
the layers.

The CRS is read from the file (``.prj``, GeoPackage/geodatabase metadata; GeoJSON is
WGS 84 by definition) and coordinates are transformed with pyproj to EPSG:4326,
including datum shifts (e.g. Pulkovo 1942). A missing or unusable CRS raises
:class:`~geo.errors.CRSUnresolvedError`; coordinates that contradict the stated CRS
(metres in a file that says degrees) do too. Only the GDAL drivers for these formats
are ever used on an upload (content is sniffed first), so a file cannot make GDAL read
other files on the server (as a VRT could).

The returned frame carries, in ``frame.attrs``: ``source_file`` (display name),
``source_layer``, ``source_crs`` (the file's CRS as text), ``reprojected`` (bool),
``layers`` (names of all spatial layers found) and ``warnings`` (list of text).
"""
from __future__ import annotations

import os
import warnings as _warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError, ProjError

from geo.errors import CRSUnresolvedError, Join, NotGeodataError, Phrase, SchemaError
from geo.io.archives import ZipLimits, extracted_zip
from geo.settings import STORAGE_CRS

SUPPORTED_FORMATS = (
    "GeoJSON (.geojson, .json), GeoPackage (.gpkg), shapefile (.shp with .shx/.dbf/.prj, "
    "or all of them in one .zip), file geodatabase (a .gdb folder, zipped as .gdb.zip or .zip)"
)
#: :data:`SUPPORTED_FORMATS` in the reader's language, for messages.
_FORMATS = Phrase("err.io.formats")

_GEOJSON_EXT = (".geojson", ".json")
_SHAPE_SIDECARS = (".shx", ".dbf")
_GDB_MARKER = "a00000001.gdbtable"


@dataclass(frozen=True)
class LayerInfo:
    """One spatial layer found in a file: what a person picks from."""

    name: str
    geometry_type: str | None
    fields: tuple[str, ...]
    features: int | None


@dataclass(frozen=True)
class _LayerRef:
    info: LayerInfo
    source: str          # what GDAL opens (may carry a DRIVER: prefix)
    layer: str | None    # layer inside the source
    kind: str            # geojson | gpkg | shapefile | gdb
    driver: str          # the only GDAL driver accepted for it
    path: Path
    encoding: str | None = None
    notes: tuple[str, ...] = ()


# -- finding layers ---------------------------------------------------------------

def _is_gdb_dir(path: Path) -> bool:
    return path.is_dir() and (path.suffix.lower() == ".gdb" or (path / _GDB_MARKER).exists())


def _forced(driver: str, path: Path) -> str:
    """``DRIVER:path`` so GDAL (3.10 and later) tries no other driver; the plain path before that
    (the content was sniffed and the driver is checked after opening anyway)."""
    return f"{driver}:{path}" if tuple(pyogrio.__gdal_version__[:2]) >= (3, 10) else str(path)


def _head(path: Path, n: int = 64) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(n)


def _sniff(path: Path, kind: str, name: str) -> None:
    """Refuse a file whose content is not what its extension says."""
    if path.stat().st_size == 0:
        raise NotGeodataError(key="err.io.empty_file", name=name)
    head = _head(path, 100)
    if kind == "geojson":
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not text.startswith(b"{"):
            raise NotGeodataError(key="err.io.not_geojson", name=name)
    elif kind == "gpkg":
        if not head.startswith(b"SQLite format 3\x00"):
            raise NotGeodataError(key="err.io.not_gpkg", name=name)
    elif kind == "shapefile":
        if len(head) < 100 or head[:4] != b"\x00\x00\x27\x0a":
            raise NotGeodataError(key="err.io.not_shapefile", name=name)


def _layer_infos(source: str, name: str, driver: str) -> list[tuple[str, LayerInfo]]:
    try:
        listed = pyogrio.list_layers(source)
    except Exception as exc:  # pyogrio.errors.DataSourceError and GDAL errors
        raise NotGeodataError(key="err.io.unreadable", name=name, detail=str(exc)) from exc
    out = []
    for layer_name, geom in listed:
        layer_name = str(layer_name)
        try:
            info = pyogrio.read_info(source, layer=layer_name)
        except Exception as exc:
            raise NotGeodataError(key="err.io.layer_unreadable", layer=layer_name, name=name, detail=str(exc)) from exc
        if info.get("driver") != driver:
            raise NotGeodataError(key="err.io.wrong_driver", name=name, found=str(info.get("driver")), driver=driver)
        features = info.get("features")
        out.append((layer_name, LayerInfo(
            name=layer_name,
            geometry_type=None if geom is None else str(geom),
            fields=tuple(str(f) for f in info.get("fields", ())),
            features=None if features is None or features < 0 else int(features),
        )))
    return out


def _refs_for_file(path: Path, name: str) -> list[_LayerRef]:
    """Layers of one plain file or .gdb folder (not a zip)."""
    suffix = path.suffix.lower()
    if _is_gdb_dir(path):
        source, kind, driver = str(path), "gdb", "OpenFileGDB"
    elif suffix in _GEOJSON_EXT:
        _sniff(path, "geojson", name)
        source, kind, driver = _forced("GeoJSON", path), "geojson", "GeoJSON"
    elif suffix == ".gpkg":
        _sniff(path, "gpkg", name)
        source, kind, driver = _forced("GPKG", path), "gpkg", "GPKG"
    elif suffix == ".shp":
        _sniff(path, "shapefile", name)
        missing = [ext for ext in _SHAPE_SIDECARS if _sidecar(path, ext) is None]
        if missing:
            raise NotGeodataError(key="err.io.shapefile_incomplete", name=name,
                                  missing=Phrase("err.io.shp_parts." + "_".join(m[1:] for m in missing)))
        source, kind, driver = str(path), "shapefile", "ESRI Shapefile"
    else:
        raise NotGeodataError(key="err.io.unsupported", name=name, formats=_FORMATS)
    encoding, notes = (None, ())
    if kind == "shapefile":
        encoding, notes = _shapefile_encoding(path, name)
    refs = []
    for layer_name, info in _layer_infos(source, name, driver):
        label = path.stem if kind in ("shapefile", "geojson") else layer_name
        refs.append(_LayerRef(
            info=LayerInfo(label, info.geometry_type, info.fields, info.features),
            source=source, layer=layer_name, kind=kind, driver=driver, path=path,
            encoding=encoding, notes=tuple(notes),
        ))
    return refs


def _shapefile_encoding(shp: Path, name: str) -> tuple[str | None, list[str]]:
    """Encoding to read a .dbf with: the .cpg's, or UTF-8 when there is none and the text is UTF-8.

    Without a .cpg GDAL assumes ISO-8859-1, which garbles Cyrillic names.
    """
    if _sidecar(shp, ".cpg") is not None:
        return None, []
    dbf = _sidecar(shp, ".dbf")
    if dbf is None or dbf.stat().st_size > 256 * 1024**2:
        return None, []
    data = dbf.read_bytes()
    if len(data) < 32 or data[29] != 0:  # a language driver id in the header: GDAL uses it
        return None, []
    records = data[int.from_bytes(data[8:10], "little"):]  # after the header and field descriptors
    if records.isascii():
        return None, []
    try:
        records.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Phrase("err.io.no_cpg_latin1", name=name)]
    return "UTF-8", [Phrase("err.io.no_cpg_utf8", name=name)]


def _sidecar(shp: Path, ext: str) -> Path | None:
    for candidate in (shp.with_suffix(ext), shp.with_suffix(ext.upper())):
        if candidate.exists():
            return candidate
    stem = shp.stem.lower()
    for other in shp.parent.iterdir():
        if other.stem.lower() == stem and other.suffix.lower() == ext:
            return other
    return None


def _name_gdb_folders(folder: Path) -> None:
    """GDAL knows a geodatabase by its folder's ``.gdb`` suffix: give it one where a zip lost it
    (the .gdb's files zipped at the root, or inside a folder named otherwise)."""
    markers = sorted(folder.rglob(_GDB_MARKER), key=lambda p: len(p.parts), reverse=True)
    for marker in markers:
        gdb = marker.parent
        if gdb.suffix.lower() == ".gdb":
            continue
        if gdb == folder:
            target = folder / "data.gdb"
            target.mkdir()
            for item in list(folder.iterdir()):
                if item.is_file():
                    item.rename(target / item.name)
        else:
            gdb.rename(gdb.with_name(gdb.name + ".gdb"))


def _refs_in_folder(folder: Path, name: str) -> list[_LayerRef]:
    """Every readable layer below an unpacked zip's folder."""
    _name_gdb_folders(folder)
    refs: list[_LayerRef] = []
    gdbs: list[Path] = []
    others: list[Path] = []
    stray: list[str] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") or part == "__MACOSX" for part in rel.parts):
            continue
        if any(g in path.parents for g in gdbs):
            continue
        if _is_gdb_dir(path):
            gdbs.append(path)
        elif path.is_file():
            others.append(path)
    skipped: list[NotGeodataError] = []

    def add(path: Path) -> None:
        # One unreadable member (e.g. a metadata .json) does not spoil the others.
        try:
            refs.extend(_refs_for_file(path, f"{name}/{path.relative_to(folder).as_posix()}"))
        except NotGeodataError as exc:
            skipped.append(exc)

    for gdb in gdbs:
        add(gdb)
    shp_stems = {p.with_suffix("").as_posix().lower() for p in others if p.suffix.lower() == ".shp"}
    nested_zips = []
    for path in others:
        suffix = path.suffix.lower()
        if suffix in (".shp", ".gpkg") + _GEOJSON_EXT:
            add(path)
        elif suffix == ".zip":
            nested_zips.append(path.name)
        elif suffix in (".dbf", ".shx", ".prj") and path.with_suffix("").as_posix().lower() not in shp_stems:
            stray.append(path.relative_to(folder).as_posix())
    if not refs:
        if skipped:
            raise skipped[0]
        if stray:
            raise NotGeodataError(key="err.io.zip_no_shp", name=name, parts=", ".join(stray[:5]))
        if nested_zips:
            raise NotGeodataError(key="err.io.zip_nested", name=name, zips=", ".join(nested_zips[:5]))
        found = sorted(p.relative_to(folder).as_posix() for p in others)[:8]
        if found:
            raise NotGeodataError(key="err.io.zip_no_geodata", name=name, found=", ".join(found), formats=_FORMATS)
        raise NotGeodataError(key="err.io.zip_empty", name=name, formats=_FORMATS)
    if skipped:
        note = Join(skipped[:3], "; ")
        refs = [replace(r, notes=r.notes + (Phrase("err.io.skipped_in", name=name, note=note),)) for r in refs]
    # Layer labels must be unique for choosing; fall back to the full inner path.
    labels = [r.info.name for r in refs]
    if len(set(labels)) != len(labels):
        refs = [
            replace(r, info=replace(r.info, name=f"{r.path.relative_to(folder).as_posix()}:{r.layer}"))
            for r in refs
        ]
    return refs


@contextmanager
def _opened(path: str | os.PathLike, name: str, limits: ZipLimits | None) -> Iterator[list[_LayerRef]]:
    path = Path(path)
    if not path.exists():
        raise NotGeodataError(key="err.io.missing", name=name)
    if path.is_file() and path.stat().st_size == 0:
        raise NotGeodataError(key="err.io.empty_file", name=name)
    if path.is_file() and (path.suffix.lower() == ".zip" or _head(path, 4) == b"PK\x03\x04"):
        with extracted_zip(path, limits, display_name=name) as folder:
            yield _refs_in_folder(folder, name)
    elif path.is_dir() and not _is_gdb_dir(path):
        raise NotGeodataError(key="err.io.folder_not_gdb", name=name, formats=_FORMATS)
    else:
        yield _refs_for_file(path, name)


# -- choosing and reading ---------------------------------------------------------------

def list_layers(path: str | os.PathLike, display_name: str | None = None,
                limits: ZipLimits | None = None) -> list[LayerInfo]:
    """The spatial layers (with geometry) in a file, zip or .gdb folder."""
    name = display_name or Path(path).name
    with _opened(path, name, limits) as refs:
        return [r.info for r in refs if r.info.geometry_type is not None]


def _pick(refs: Sequence[_LayerRef], layer: str | None, choose_layer: Callable[[list[LayerInfo]], str | None] | None,
          name: str) -> _LayerRef:
    spatial = [r for r in refs if r.info.geometry_type is not None]
    labels = [r.info.name for r in spatial]
    if layer is not None:
        for r in refs:
            if layer in (r.info.name, r.layer) or layer.lower() in (r.info.name.lower(), (r.layer or "").lower()):
                if r.info.geometry_type is None:
                    raise SchemaError(key="err.io.layer_no_geometry", layer=layer, name=name)
                return r
        if not labels:
            raise SchemaError(key="err.io.no_such_layer_none", name=name, layer=layer)
        raise SchemaError(key="err.io.no_such_layer", name=name, layer=layer, layers=", ".join(labels))
    if not spatial:
        raise NotGeodataError(key="err.io.only_tables", name=name)
    if len(spatial) == 1:
        return spatial[0]
    if choose_layer is not None:
        chosen = choose_layer([r.info for r in spatial])
        if chosen is not None:
            return _pick(spatial, chosen, None, name)
    raise SchemaError(key="err.io.choose_layer", name=name, count=len(spatial), layers=", ".join(labels))


def _read(ref: _LayerRef, name: str) -> gpd.GeoDataFrame:
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)
        try:
            kwargs = {"encoding": ref.encoding} if ref.encoding else {}
            frame = pyogrio.read_dataframe(ref.source, layer=ref.layer, **kwargs)
        except Exception as exc:
            raise NotGeodataError(key="err.io.layer_unreadable", layer=ref.info.name, name=name, detail=str(exc)) from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise NotGeodataError(key="err.io.layer_has_no_geometry", layer=ref.info.name, name=name)
    return frame


def to_wgs84(frame: gpd.GeoDataFrame, name: str, kind: str = "") -> tuple[gpd.GeoDataFrame, str, bool]:
    """Frame reprojected to EPSG:4326 with pyproj; also the source CRS text and whether it changed.

    Raises :class:`CRSUnresolvedError` when the CRS is missing, not a geographic or
    projected CRS, cannot be transformed, or contradicts the coordinates.
    """
    if frame.crs is None:
        raise CRSUnresolvedError(key="err.crs.missing_prj" if kind == "shapefile" else "err.crs.missing", name=name)
    try:
        crs = CRS.from_user_input(frame.crs)
    except CRSError as exc:
        raise CRSUnresolvedError(key="err.crs.uninterpretable", name=name, detail=str(exc)) from exc
    label = crs.to_string() if crs.to_epsg() is None else f"EPSG:{crs.to_epsg()}"
    label = f"{label} ({crs.name})"
    if not (crs.is_geographic or crs.is_projected):
        raise CRSUnresolvedError(key="err.crs.engineering", name=name, crs=crs.name)
    geoms = frame.geometry
    present = geoms[geoms.notna() & ~geoms.is_empty]
    if len(present):
        xmin, ymin, xmax, ymax = present.total_bounds
        if crs.is_geographic and (min(xmin, ymin) < -400 or max(xmax, ymax) > 400):
            raise CRSUnresolvedError(key="err.crs.metres_as_degrees", name=name, crs=crs.name,
                                     value=round(max(abs(xmin), abs(xmax), abs(ymin), abs(ymax))))
    target = CRS.from_user_input(STORAGE_CRS)
    if crs.equals(target, ignore_axis_order=True):
        return frame.set_crs(STORAGE_CRS, allow_override=True), label, False
    try:
        out = frame.to_crs(STORAGE_CRS)
    except (CRSError, ProjError, ValueError) as exc:
        raise CRSUnresolvedError(key="err.crs.transform_failed", name=name, crs=label, detail=str(exc)) from exc
    moved = out.geometry[out.geometry.notna() & ~out.geometry.is_empty]
    if len(moved) and not np.all(np.isfinite(moved.total_bounds)):
        raise CRSUnresolvedError(key="err.crs.outside_area", name=name, crs=label)
    return out, label, True


def read_vector(path: str | os.PathLike, layer: str | None = None, *,
                choose_layer: Callable[[list[LayerInfo]], str | None] | None = None,
                display_name: str | None = None, limits: ZipLimits | None = None,
                allow_empty: bool = False) -> gpd.GeoDataFrame:
    """Read one layer of a vector file, zip or .gdb folder into EPSG:4326.

    ``display_name`` is the name used in messages (e.g. the uploaded file's original
    name when ``path`` is a temporary file). A layer without features raises
    :class:`NotGeodataError` unless ``allow_empty``. See the module docstring for
    formats, layer choice, CRS handling and ``frame.attrs``.
    """
    name = display_name or Path(path).name
    with _opened(path, name, limits) as refs:
        ref = _pick(refs, layer, choose_layer, name)
        frame = _read(ref, name if len(refs) == 1 else Phrase("err.io.name_layer", name=name, layer=ref.info.name))
        layers = [r.info.name for r in refs if r.info.geometry_type is not None]
    where = name if len(layers) <= 1 else Phrase("err.io.name_layer", name=name, layer=ref.info.name)
    if len(frame) == 0 and not allow_empty:
        raise NotGeodataError(key="err.io.no_features", name=where)
    frame, crs_label, reprojected = to_wgs84(frame, where, ref.kind)
    frame.attrs = {
        "source_file": name, "source_layer": ref.info.name, "source_crs": crs_label,
        "reprojected": reprojected, "layers": layers, "warnings": list(ref.notes),
    }
    return frame
