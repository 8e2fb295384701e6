"""Reading the files people bring into one table of rows, before any check.

Formats (chosen by extension, then confirmed by content):

* GeoJSON (``.geojson``/``.json``), GeoPackage (``.gpkg``, choose the layer), zipped
  shapefile (``.zip``): read with :func:`geo.io.vector.read_vector` (safe zip handling,
  CRS from the file, reprojected to EPSG:4326). When the file states no CRS, or states
  one its coordinates contradict, or the person importing gives one, the raw
  coordinates are read here instead so that :mod:`geo.project_import.checks` can
  detect the CRS or apply the one given.
* KML / KMZ: placemarks with their name, description and ExtendedData; KML is
  always WGS 84 longitude/latitude.
* CSV (UTF-8, UTF-8 with BOM, UTF-16 as saved by Excel "Unicode text", or cp1251 as
  saved by Russian-language Excel; delimiter , ; tab or | detected) and XLSX (choose
  the sheet; a title row or merged header cells above the column names are skipped
  and reported; merged cells in data rows are filled down and reported).
* KoboToolbox / ODK exports (CSV or XLSX): recognised by their ``_uuid``/``_index``/
  ``_submission_time`` columns; repeat groups are the other sheets of the XLSX and are
  joined to their parent row by ``_parent_index`` → ``_index``.
* IATI activity XML (``iati-activities``): one row per ``iati-activity`` with its
  identifier, title, sector, status, dates, locations (``location/point/pos`` "lat
  lon"), participating organisations, budgets and transactions.

Nothing here writes to the store. Every reader returns a :class:`SourceTable`.
XML with a DOCTYPE or entity declarations is refused (entity-expansion attacks).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from shapely.geometry import LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, shape

from geo.errors import CRSUnresolvedError, NotGeodataError, Phrase, SchemaError
from geo.io.archives import check_zip, extracted_zip

ACCEPTED = (
    "GeoJSON (.geojson, .json), GeoPackage (.gpkg), zipped shapefile (.zip), KML (.kml), KMZ (.kmz), "
    "CSV (.csv, .txt, .tsv), Excel (.xlsx), KoboToolbox/ODK exports (.csv, .xlsx), IATI activity XML (.xml)"
)

_CSV_EXT = (".csv", ".txt", ".tsv")
_XLSX_EXT = (".xlsx", ".xlsm")

_MAGIC = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a zip archive (or an Office document)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.xls or .doc)"),
    (b"SQLite format 3\x00", "an SQLite database (GeoPackage)"), (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf", "a 7-Zip archive"), (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)

_KOBO_MARKERS = ("_uuid", "_submission_time", "_index", "_id", "_geolocation", "meta/instanceID",
                 "_submitted_by", "_parent_index", "__version__")


@dataclass
class SourceTable:
    """The rows of a file as read, before mapping and checks.

    ``frame`` holds the attribute cells as read (object dtype, one row per feature,
    spreadsheet row, placemark or activity). ``geometry`` is the file's own geometry
    (None for tables with coordinate columns), in ``crs`` when the file states one
    (``crs_fixed``: already in EPSG:4326, nothing left to decide). ``notes`` are
    findings made while reading: (severity, problem, row position or None, column, code).
    """

    name: str
    format: str
    frame: pd.DataFrame
    labels: list[str]
    lines: list[int | None]
    geometry: gpd.GeoSeries | None = None
    crs: CRS | None = None
    crs_fixed: bool = False
    crs_problem: CRSUnresolvedError | None = None  # what was wrong with the file's own CRS
    layer: str | None = None
    layers: list[str] = field(default_factory=list)
    notes: list[tuple[str, str | Phrase, int | None, str | None, str]] = field(default_factory=list)
    children: dict[str, pd.DataFrame] = field(default_factory=dict)
    funding: pd.DataFrame | None = None
    preset_mapping: dict[str, str] = field(default_factory=dict)
    sha256: str = ""

    def note(self, severity: str, problem: str | Phrase, row: int | None = None, column: str | None = None, code: str = "") -> None:
        self.notes.append((severity, problem, row, column, code))


# -- helpers --------------------------------------------------------------------------

def _head(path: Path, n: int = 512) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(n)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_binary(head: bytes) -> str | None:
    """What a binary file is, from its first bytes ('a PNG image'), or None for text."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if b"\x00" in head[:512] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary data"
    return None


#: What :func:`describe_binary` says, as catalogue phrases for messages.
_WHAT_KEYS = {
    "a PNG image": "png", "a JPEG image": "jpeg", "a GIF image": "gif", "a PDF document": "pdf",
    "a zip archive (or an Office document)": "zip", "an old Microsoft Office file (.xls or .doc)": "old_office",
    "an SQLite database (GeoPackage)": "sqlite", "a gzip archive": "gzip", "a RAR archive": "rar",
    "a 7-Zip archive": "7z", "a TIFF image": "tiff", "binary data": "binary",
}
#: :data:`ACCEPTED` in the reader's language, for messages.
_ACCEPTED = Phrase("err.import.accepted")


def _what(what: str) -> Phrase:
    return Phrase("err.import.binary." + _WHAT_KEYS.get(what, "binary"))


def _refuse_binary(path: Path, name: str, expected: str) -> None:
    what = describe_binary(_head(path))
    if what:
        raise NotGeodataError(key="err.import.wrong_content", name=name, suffix=path.suffix or "(no extension)",
                              what=_what(what), expected=Phrase("err.import.expected." + expected))


def _empty_check(path: Path, name: str) -> None:
    if not path.exists():
        raise NotGeodataError(key="err.io.missing", name=name)
    if path.is_file() and path.stat().st_size == 0:
        raise NotGeodataError(key="err.io.empty_file", name=name)


def _safe_xml(data: bytes, name: str) -> ET.Element:
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise NotGeodataError(key="err.import.xml_doctype", name=name)
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise NotGeodataError(key="err.import.xml_malformed", name=name, detail=str(exc)) from exc


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(elem: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in elem if _local(c.tag) == name]


def _child(elem: ET.Element, name: str) -> ET.Element | None:
    for c in elem:
        if _local(c.tag) == name:
            return c
    return None


def _text_of(elem: ET.Element | None) -> str | None:
    if elem is None:
        return None
    text = "".join(elem.itertext()).strip()
    return text or None


class CellValueError(ValueError):
    """Text in a cell that cannot be read as what it should be (a coordinate, a geopoint, WKT).

    ``phrase`` is the problem as a catalogue :class:`~geo.errors.Phrase` (``str(exc)`` is its
    English text), so the import report can give it in Kyrgyz or Russian.
    """

    def __init__(self, *, key: str, **fields):
        self.phrase = Phrase(key, **fields)
        super().__init__(str(self.phrase))


def problem_of(exc: Exception) -> "str | Phrase":
    """The problem an exception states: its catalogue phrase when it has one, else its own text."""
    phrase = getattr(exc, "phrase", None)
    return phrase if isinstance(phrase, Phrase) else str(exc)


def _short(text, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _object_frame(rows: list[dict] | list[list], columns: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns, dtype=object) if columns is not None else pd.DataFrame(rows, dtype=object)
    return frame.astype(object)


# -- entry point ------------------------------------------------------------------------

def detect_format(path: str | Path, display_name: str | None = None) -> str:
    """geojson / gpkg / zip / shp / kml / kmz / csv / xlsx / iati, from extension and content."""
    path = Path(path)
    name = display_name or path.name
    _empty_check(path, name)
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    if suffix in (".geojson", ".json"):
        _refuse_binary(path, name, "geojson")
        return "geojson"
    if suffix == ".gpkg":
        return "gpkg"
    if suffix == ".shp":
        return "shp"
    if suffix == ".zip":
        return "zip"
    if suffix == ".kml":
        _refuse_binary(path, name, "kml")
        return "kml"
    if suffix == ".kmz":
        return "kmz"
    if suffix in _CSV_EXT:
        what = describe_binary(_head(path))
        if what:
            raise NotGeodataError(key="err.import.csv_is_zip" if "zip" in what else "err.import.csv_binary",
                                  name=name, suffix=suffix, what=_what(what))
        return "csv"
    if suffix in _XLSX_EXT:
        return "xlsx"
    if suffix == ".xls":
        raise NotGeodataError(key="err.import.xls", name=name)
    if suffix == ".xml":
        _refuse_binary(path, name, "xml")
        head = _head(path, 4096).lower()
        if b"iati-activit" in head:
            return "iati"
        if b"<kml" in head:
            return "kml"
        raise NotGeodataError(key="err.import.xml_unknown", name=name, accepted=_ACCEPTED)
    raise NotGeodataError(key="err.import.unsupported_type", name=name, suffix=suffix or "(no extension)",
                          accepted=_ACCEPTED)


def list_source_layers(path: str | Path, display_name: str | None = None) -> list[str]:
    """The layers (GeoPackage, zip) or sheets (XLSX) a person can choose from; [] when there is one table."""
    from geo.io.vector import list_layers

    path = Path(path)
    kind = detect_format(path, display_name)
    name = display_name or path.name
    if kind in ("gpkg", "zip"):
        return [info.name for info in list_layers(path, display_name=name)]
    if kind == "xlsx":
        workbook = _open_workbook(path, name)
        try:
            return [ws.title for ws in workbook.worksheets]
        finally:
            workbook.close()
    return []


def read_source(path: str | Path, *, layer: str | None = None, display_name: str | None = None,
                crs_given: bool = False) -> SourceTable:
    """Read a file into a :class:`SourceTable`; raise a :class:`~geo.errors.InputError` with an actionable message."""
    path = Path(path)
    name = display_name or path.name
    kind = detect_format(path, name)
    if kind == "zip":
        members = [i.filename.lower() for i in check_zip(path, display_name=name)]
        if any(m.endswith(".kml") for m in members) and not any(m.endswith((".shp", ".gpkg", ".geojson", ".json")) for m in members):
            kind = "kmz"
    if kind in ("geojson", "gpkg", "zip", "shp"):
        table = _read_vector(path, name, kind, layer, crs_given)
    elif kind == "kml":
        table = _read_kml_bytes(path.read_bytes(), name, "kml")
    elif kind == "kmz":
        table = _read_kmz(path, name)
    elif kind == "csv":
        table = _read_csv(path, name)
    elif kind == "xlsx":
        table = _read_xlsx(path, name, layer)
    elif kind == "iati":
        table = _read_iati(path, name)
    else:  # pragma: no cover - detect_format covers every case
        raise NotGeodataError(key="err.import.unsupported", name=name, accepted=_ACCEPTED)
    table.sha256 = _sha256(path)
    if len(table.frame) == 0:
        raise NotGeodataError(key="err.import.no_rows", name=name)
    return table


# -- vector files -------------------------------------------------------------------------

def _read_vector(path: Path, name: str, kind: str, layer: str | None, crs_given: bool) -> SourceTable:
    from geo.io.vector import read_vector

    if kind == "geojson":
        _check_json(path, name)
    problem = None
    if not crs_given:
        try:
            frame = read_vector(path, layer, display_name=name)
        except CRSUnresolvedError as exc:
            problem = exc
        else:
            attrs = dict(frame.attrs)
            table = _vector_table(frame, name, kind, attrs.get("source_layer"), attrs.get("layers") or [])
            table.crs = CRS.from_epsg(4326)
            table.crs_fixed = True
            if attrs.get("reprojected"):
                table.note("info", Phrase("err.import.crs_reprojected", crs=str(attrs.get("source_crs"))),
                           code="crs_reprojected")
            for text in attrs.get("warnings") or []:  # a Phrase stays translatable
                table.note("warning", text if isinstance(text, Phrase) else str(text), code="reader_warning")
            return table
    table = _read_vector_raw(path, name, kind, layer)
    table.crs_problem = problem
    return table


def _check_json(path: Path, name: str) -> None:
    """Give a clear message for JSON that does not parse (GDAL's is cryptic)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotGeodataError(key="err.import.geojson_not_utf8", name=name, reason=exc.reason, byte=str(exc.start)) from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotGeodataError(key="err.import.json_invalid", name=name, detail=exc.msg, line=str(exc.lineno),
                              col=str(exc.colno)) from exc
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature") and "coordinates" not in doc \
            and doc.get("type") not in ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"):
        raise NotGeodataError(key="err.import.json_not_geojson", name=name)
    if doc.get("type") == "FeatureCollection" and not doc.get("features"):
        raise NotGeodataError(key="err.import.geojson_no_features", name=name)


def _vector_table(frame: gpd.GeoDataFrame, name: str, kind: str, layer: str | None, layers: list[str],
                  label: str = "feature") -> SourceTable:
    attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    attrs = attrs.where(attrs.notna(), None)
    n = len(attrs)
    labels = [f"{label} {i + 1}" for i in range(n)]
    table = SourceTable(name=name, format={"zip": "shapefile", "shp": "shapefile"}.get(kind, kind),
                        frame=attrs.reset_index(drop=True), labels=labels, lines=[i + 1 for i in range(n)],
                        geometry=gpd.GeoSeries(frame.geometry.values, crs=frame.crs).reset_index(drop=True),
                        layer=layer, layers=list(layers))
    return table


def _read_vector_raw(path: Path, name: str, kind: str, layer: str | None) -> SourceTable:
    """The file's coordinates as written (no reprojection); ``crs`` is what the file states, if anything."""
    if kind == "geojson":
        return _read_geojson_raw(path, name)
    if kind in ("zip",):
        with extracted_zip(path, display_name=name) as folder:
            return _read_folder_raw(folder, name, layer)
    if kind == "gpkg":
        return _read_ogr_raw(path, name, layer, "gpkg")
    raise NotGeodataError(key="err.import.shp_alone", name=name)


def _read_folder_raw(folder: Path, name: str, layer: str | None) -> SourceTable:
    candidates = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in (".shp", ".gpkg", ".geojson", ".json")
                        and not any(part.startswith(".") or part == "__MACOSX" for part in p.relative_to(folder).parts))
    if layer is not None:
        chosen = [p for p in candidates if layer.lower() in (p.stem.lower(), p.name.lower())]
        candidates = chosen or candidates
    if not candidates:
        raise NotGeodataError(key="err.import.zip_no_layer", name=name)
    if len(candidates) > 1 and layer is None:
        raise SchemaError(key="err.io.choose_layer", name=name, count=len(candidates),
                          layers=", ".join(p.stem for p in candidates))
    target = candidates[0]
    inner = f"{name}/{target.relative_to(folder).as_posix()}"
    if target.suffix.lower() in (".geojson", ".json"):
        return _read_geojson_raw(target, inner)
    if target.suffix.lower() == ".gpkg":
        return _read_ogr_raw(target, inner, None, "gpkg")
    return _read_ogr_raw(target, inner, None, "shapefile", layers=[p.stem for p in candidates])


def _read_ogr_raw(path: Path, name: str, layer: str | None, kind: str, layers: list[str] | None = None) -> SourceTable:
    head = _head(path, 100)
    if kind == "gpkg":
        if not head.startswith(b"SQLite format 3\x00"):
            raise NotGeodataError(key="err.io.not_gpkg", name=name)
        source = f"GPKG:{path}"
        names = [str(n) for n, g in pyogrio.list_layers(source) if g is not None]
        if not names:
            raise NotGeodataError(key="err.import.no_geometry_layer", name=name)
        if layer is None and len(names) > 1:
            raise SchemaError(key="err.io.choose_layer", name=name, count=len(names), layers=", ".join(names))
        if layer is not None and layer not in names:
            raise SchemaError(key="err.io.no_such_layer", name=name, layer=layer, layers=", ".join(names))
        chosen = layer or names[0]
        layers = names
    else:
        if len(head) < 100 or head[:4] != b"\x00\x00\x27\x0a":
            raise NotGeodataError(key="err.io.not_shapefile", name=name)
        source, chosen = str(path), None
    try:
        frame = pyogrio.read_dataframe(source, layer=chosen)
    except Exception as exc:
        raise NotGeodataError(key="err.import.unreadable", name=name, detail=str(exc)) from exc
    if len(frame) == 0:
        raise NotGeodataError(key="err.io.no_features", name=name)
    stated = frame.crs
    table = _vector_table(frame.set_crs(None, allow_override=True) if stated is not None else frame, name, kind,
                          chosen or path.stem, layers or [])
    table.crs = CRS.from_user_input(stated) if stated is not None else None
    return table


def _read_geojson_raw(path: Path, name: str) -> SourceTable:
    _check_json(path, name)
    doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features") or []
    elif doc.get("type") == "Feature":
        features = [doc]
    else:
        features = [{"type": "Feature", "properties": {}, "geometry": doc}]
    rows, geoms, bad = [], [], []
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        rows.append(dict(props) if isinstance(props, dict) else {})
        try:
            geom = feature.get("geometry")
            geoms.append(shape(geom) if geom else None)
        except Exception as exc:  # shapely raises several types for malformed geometry
            geoms.append(None)
            bad.append((i, str(exc)))
    frame = _object_frame(rows)
    n = len(frame)
    table = SourceTable(name=name, format="geojson", frame=frame, labels=[f"feature {i + 1}" for i in range(n)],
                        lines=[i + 1 for i in range(n)], geometry=gpd.GeoSeries(geoms), layer=path.stem)
    crs_member = doc.get("crs") if isinstance(doc, dict) else None
    if isinstance(crs_member, dict):
        try:
            table.crs = CRS.from_user_input((crs_member.get("properties") or {}).get("name"))
        except Exception:
            table.crs = None
    for i, problem in bad:
        table.note("error", Phrase("err.import.geometry_unreadable", detail=problem), i, "geometry",
                   "geometry_unreadable")
    return table


# -- KML / KMZ ---------------------------------------------------------------------------

def _parse_kml_coords(text: str | None) -> list[tuple[float, ...]]:
    if not text:
        return []
    out = []
    for token in text.split():
        parts = token.split(",")
        try:
            if len(parts) < 2:
                raise ValueError
            out.append(tuple(float(p) for p in parts[:2]))
        except ValueError:
            raise CellValueError(key="err.import.not_lon_lat", value=_short(token)) from None
    return out


def _kml_geometry(elem: ET.Element):
    tag = _local(elem.tag)
    if tag == "Point":
        coords = _parse_kml_coords(_text_of(_child(elem, "coordinates")))
        return Point(coords[0]) if coords else None
    if tag in ("LineString", "LinearRing"):
        coords = _parse_kml_coords(_text_of(_child(elem, "coordinates")))
        return LineString(coords) if len(coords) >= 2 else None
    if tag == "Polygon":
        def ring(container):
            lr = _child(container, "LinearRing") if container is not None else None
            return _parse_kml_coords(_text_of(_child(lr, "coordinates"))) if lr is not None else []
        outer = ring(_child(elem, "outerBoundaryIs"))
        if len(outer) < 3:
            return None
        holes = [ring(h) for h in _children(elem, "innerBoundaryIs")]
        return Polygon(outer, [h for h in holes if len(h) >= 3])
    if tag == "MultiGeometry":
        parts = [g for g in (_kml_geometry(c) for c in elem) if g is not None]
        if not parts:
            return None
        types = {p.geom_type for p in parts}
        if types == {"Point"}:
            return MultiPoint(parts)
        if types == {"LineString"}:
            return MultiLineString(parts)
        if types == {"Polygon"}:
            return MultiPolygon(parts)
        return shapely.GeometryCollection(parts)
    return None


_KML_GEOMETRY_TAGS = ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry")


def _read_kml_bytes(data: bytes, name: str, fmt: str) -> SourceTable:
    root = _safe_xml(data, name)
    if _local(root.tag) != "kml" and not any(_local(e.tag) == "Placemark" for e in root.iter()):
        raise NotGeodataError(key="err.import.xml_not_kml", name=name, root=_local(root.tag))
    placemarks = [e for e in root.iter() if _local(e.tag) == "Placemark"]
    if not placemarks:
        raise NotGeodataError(key="err.import.kml_no_placemarks", name=name)
    rows, geoms, notes = [], [], []
    for i, pm in enumerate(placemarks):
        row: dict = {"name": _text_of(_child(pm, "name")), "description": _text_of(_child(pm, "description"))}
        ext = _child(pm, "ExtendedData")
        if ext is not None:
            for data_el in ext.iter():
                tag = _local(data_el.tag)
                if tag == "Data" and data_el.get("name"):
                    row[data_el.get("name")] = _text_of(_child(data_el, "value"))
                elif tag == "SimpleData" and data_el.get("name"):
                    row[data_el.get("name")] = _text_of(data_el)
        geom = None
        geom_el = next((c for c in pm.iter() if _local(c.tag) in _KML_GEOMETRY_TAGS and c is not pm), None)
        if geom_el is not None:
            try:
                geom = _kml_geometry(geom_el)
            except ValueError as exc:
                notes.append(("error", Phrase("err.import.kml_coordinates_unreadable", problem=problem_of(exc)), i,
                              "coordinates", "kml_coordinates"))
        rows.append(row)
        geoms.append(geom)
    if all(g is None for g in geoms):
        raise NotGeodataError(key="err.import.kml_no_coordinates" if len(placemarks) != 1 else "err.import.kml_no_coordinates_one",
                              name=name, count=len(placemarks))
    frame = _object_frame(rows)
    labels = []
    for i, row in enumerate(rows):
        label = f"placemark {i + 1}"
        if row.get("name"):
            label += f" ('{_short(row['name'])}')"
        labels.append(label)
    table = SourceTable(name=name, format=fmt, frame=frame, labels=labels, lines=[i + 1 for i in range(len(rows))],
                        geometry=gpd.GeoSeries(geoms, crs=4326), crs=CRS.from_epsg(4326), crs_fixed=True)
    table.preset_mapping = {"title": "name"}
    for n in notes:
        table.note(*n)
    for i, geom in enumerate(geoms):
        if geom is None and not any(n[2] == i for n in notes):
            table.note("error", Phrase("err.import.placemark_no_coordinates"), i, "coordinates", "kml_no_coordinates")
    return table


def _read_kmz(path: Path, name: str) -> SourceTable:
    with extracted_zip(path, display_name=name) as folder:
        kmls = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() == ".kml")
        if not kmls:
            raise NotGeodataError(key="err.import.kmz_no_kml", name=name)
        main = next((p for p in kmls if p.name.lower() == "doc.kml"), kmls[0])
        return _read_kml_bytes(main.read_bytes(), f"{name}/{main.relative_to(folder).as_posix()}", "kmz")


# -- CSV ----------------------------------------------------------------------------------------

def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM), UTF-16 with BOM, else cp1251 (Russian Excel)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 (with BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise NotGeodataError(key="err.import.utf16_broken", name=name, reason=exc.reason) from exc
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as exc:
        raise NotGeodataError(key="err.import.encoding_unknown", name=name, byte=str(exc.start)) from exc
    return text, "Windows-1251"


def _delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()][:20]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in (";", ",", "\t", "|")}
        return max(counts, key=counts.get) if max(counts.values()) else ","


def _unique_headers(headers: list[str], table: SourceTable | None = None) -> list[str]:
    out, seen = [], {}
    for i, h in enumerate(headers):
        h = str(h).strip() if h is not None and str(h).strip() else f"column {i + 1}"
        if h in seen:
            seen[h] += 1
            new = f"{h} ({seen[h]})"
            if table is not None:
                table.note("warning", Phrase("err.import.duplicate_header", name=h, position=str(i + 1), new=new),
                           None, None, "duplicate_header")
            h = new
        else:
            seen[h] = 1
        out.append(h)
    return out


def _read_csv(path: Path, name: str) -> SourceTable:
    data = path.read_bytes()
    text, encoding = decode_text(data, name)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, rows, lines, ragged = None, [], [], []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                continue
            if len(record) > len(header):
                extra = [c for c in record[len(header):] if c.strip()]
                if extra:
                    ragged.append((len(rows), len(record)))
                record = record[: len(header)]
            rows.append(record + [""] * (len(header) - len(record)))
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise NotGeodataError(key="err.import.csv_unreadable", name=name, line=str(reader.line_num), detail=str(exc)) from exc
    if header is None:
        raise NotGeodataError(key="err.import.csv_empty", name=name)
    if not rows:
        raise NotGeodataError(key="err.import.csv_no_rows", name=name)
    table = SourceTable(name=name, format="csv", frame=pd.DataFrame(), labels=[f"row {ln}" for ln in lines], lines=lines)
    columns = _unique_headers(header, table)
    table.frame = _object_frame(rows, columns)
    table.frame = table.frame.map(lambda v: v if v is None or str(v).strip() else None)
    if encoding == "Windows-1251":
        table.note("warning", Phrase("err.import.encoding_cp1251", name=name), code="encoding_cp1251")
    elif encoding != "UTF-8":
        table.note("info", Phrase("err.import.encoding", name=name, encoding=encoding), code="encoding")
    if len(columns) == 1 and rows and any(d in str(columns[0]) for d in ";,\t"):
        table.note("warning", Phrase("err.import.one_column"), code="one_column")
    for row, count in ragged:
        table.note("error", Phrase("err.import.ragged_row", count=count, columns=len(columns)), row, None, "ragged_row")
    if _is_kobo(columns):
        table.format = "kobo-csv"
    return table


def _is_kobo(columns) -> bool:
    cols = {str(c) for c in columns}
    return sum(1 for m in _KOBO_MARKERS if m in cols) >= 2


# -- XLSX -------------------------------------------------------------------------------------

def _open_workbook(path: Path, name: str):
    import openpyxl

    head = _head(path, 8)
    if not head.startswith(b"PK\x03\x04"):
        what = describe_binary(head)
        if what is None:
            raise NotGeodataError(key="err.import.xlsx_is_text", name=name)
        if "old Microsoft Office" in what:
            raise NotGeodataError(key="err.import.xlsx_old_or_locked", name=name)
        raise NotGeodataError(key="err.import.xlsx_wrong_content", name=name, what=_what(what))
    check_zip(path, display_name=name)  # zip-bomb and traversal checks before openpyxl unpacks anything
    try:
        return openpyxl.load_workbook(path, data_only=True, read_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise NotGeodataError(key="err.import.xlsx_unreadable", name=name, detail=str(exc)) from exc
    except Exception as exc:  # openpyxl.utils.exceptions.InvalidFileException and XML errors
        raise NotGeodataError(key="err.import.xlsx_unreadable", name=name, detail=str(exc)) from exc


def _cell_value(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _sheet_rows(ws) -> tuple[list[list], dict[tuple[int, int], tuple]]:
    """Cell values (row lists) and, for every (row, column) inside a merged range, the tuple
    (range text, top-left value, min_row, max_row, min_col, max_col); rows and columns 1-based."""
    values = [[_cell_value(c) for c in row] for row in ws.iter_rows(values_only=True)]
    merged: dict[tuple[int, int], tuple[str, object, int, int]] = {}
    for rng in ws.merged_cells.ranges:
        top = values[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(values) and rng.min_col - 1 < len(values[rng.min_row - 1]) else None
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                merged[(r, c)] = (rng.coord, top, rng.min_row, rng.max_row, rng.min_col, rng.max_col)
    return values, merged


def _header_row(values: list[list], merged: dict) -> int:
    """1-based row holding the column names: the first of the top rows that has enough names and no wide merged cell."""
    top = values[:15]
    if not top:
        return 1
    widths = [sum(1 for v in row if v is not None) for row in top]
    widest = max(widths)
    for r, row in enumerate(top, start=1):
        wide_merge = any(info[2] == r and info[5] > info[4] for (rr, _c), info in merged.items() if rr == r)
        effective = 0
        for c, v in enumerate(row, start=1):
            info = merged.get((r, c))
            if v is not None or (info is not None and info[2] < r and info[1] is not None):
                effective += 1
        if wide_merge:
            continue
        if effective >= max(2, math.ceil(widest * 0.5)):
            return r
    return 1


def _read_sheet(ws, name: str, table_notes: SourceTable | None) -> tuple[pd.DataFrame, list[int], list[str]]:
    values, merged = _sheet_rows(ws)
    if not values or not any(any(v is not None for v in row) for row in values):
        raise NotGeodataError(key="err.import.sheet_empty", sheet=ws.title, name=name)
    header_r = _header_row(values, merged)
    header_cells = []
    width = max(len(r) for r in values)
    for c in range(1, width + 1):
        v = values[header_r - 1][c - 1] if c - 1 < len(values[header_r - 1]) else None
        info = merged.get((header_r, c))
        if v is None and info is not None and info[2] < header_r:
            v = info[1]
        header_cells.append(None if v is None else str(v))
    while header_cells and header_cells[-1] is None:
        header_cells.pop()
    if table_notes is not None and header_r > 1:
        skipped = [str(v) for row in values[: header_r - 1] for v in row if v is not None]
        ranges = sorted({info[0] for (r, _c), info in merged.items() if r < header_r + 1 and info[2] < header_r + 1 and info[5] > info[4]})
        what = Phrase("err.import.xlsx_merged_ranges", ranges=", ".join(ranges)) if ranges else \
            Phrase("err.import.xlsx_no_names")
        text = ", ".join(repr(_short(s, 30)) for s in skipped[:3]) or Phrase("err.import.xlsx_no_text")
        table_notes.note(
            "warning",
            Phrase("err.import.xlsx_header_rows" if header_r > 2 else "err.import.xlsx_header_row", sheet=ws.title,
                   last=str(header_r - 1), what=what, text=text, header=str(header_r)),
            code="xlsx_header_row")
    columns = _unique_headers(header_cells, table_notes)
    rows, lines = [], []
    filled_ranges: dict[str, tuple[object, int, int]] = {}
    for r in range(header_r + 1, len(values) + 1):
        raw = values[r - 1]
        row = []
        for c in range(1, len(columns) + 1):
            v = raw[c - 1] if c - 1 < len(raw) else None
            info = merged.get((r, c))
            if info is not None and info[2] > header_r and v is None and info[1] is not None:
                v = info[1]
                filled_ranges[info[0]] = (info[1], info[2], info[3])
            row.append(v)
        if all(v is None for v in row):
            continue
        rows.append(row)
        lines.append(r)
    if table_notes is not None:
        for coord, (value, r0, r1) in sorted(filled_ranges.items()):
            table_notes.note("warning", Phrase("err.import.xlsx_merged_cells", sheet=ws.title, cells=coord,
                                               value=_short(value, 30), first=str(r0), last=str(r1)),
                             code="xlsx_merged_cells")
    frame = _object_frame(rows, columns) if rows else _object_frame([], columns)
    return frame, lines, columns


def _read_xlsx(path: Path, name: str, sheet: str | None) -> SourceTable:
    workbook = _open_workbook(path, name)
    try:
        sheets = [ws.title for ws in workbook.worksheets]
        if sheet is not None:
            if sheet not in sheets:
                raise SchemaError(key="err.import.no_such_sheet", name=name, sheet=sheet, sheets=", ".join(sheets))
            main_ws = workbook[sheet]
        else:
            main_ws = workbook.worksheets[0]
        table = SourceTable(name=name, format="xlsx", frame=pd.DataFrame(), labels=[], lines=[],
                            layer=main_ws.title, layers=sheets)
        frame, lines, columns = _read_sheet(main_ws, name, table)
        if len(frame) == 0:
            raise NotGeodataError(key="err.import.sheet_no_rows", sheet=main_ws.title, name=name)
        table.frame, table.lines = frame, lines
        table.labels = [f"row {ln}" for ln in lines] if len(sheets) == 1 else [f"sheet '{main_ws.title}' row {ln}" for ln in lines]
        if len(sheets) > 1 and sheet is None:
            table.note("info", Phrase("err.import.xlsx_first_sheet", sheet=main_ws.title, count=len(sheets),
                                      sheets=", ".join(sheets)), code="xlsx_sheet")
        if _is_kobo(columns):
            table.format = "kobo-xlsx"
            _attach_repeats(workbook, main_ws.title, table, name)
        return table
    finally:
        workbook.close()


def _attach_repeats(workbook, main_title: str, table: SourceTable, name: str) -> None:
    """Kobo repeat groups: other sheets with ``_parent_index``, joined to the main rows by ``_index``."""
    if "_index" not in table.frame.columns:
        return
    index_of = {}
    for pos, v in enumerate(table.frame["_index"]):
        key = _index_key(v)
        if key is not None:
            index_of[key] = pos
    for ws in workbook.worksheets:
        if ws.title == main_title:
            continue
        try:
            frame, lines, columns = _read_sheet(ws, name, None)
        except NotGeodataError:
            continue
        if "_parent_index" not in columns or len(frame) == 0:
            continue
        parent_pos = [index_of.get(_index_key(v)) for v in frame["_parent_index"]]
        orphans = [lines[i] for i, p in enumerate(parent_pos) if p is None]
        if orphans:
            table.note("warning", Phrase("err.import.kobo_orphan_repeat", sheet=ws.title, count=len(orphans),
                                         rows=", ".join(map(str, orphans[:5])), main=main_title),
                       code="kobo_orphan_repeat")
        frame = frame.assign(_row=parent_pos, _line=lines)
        table.children[ws.title] = frame[[p is not None for p in parent_pos]].reset_index(drop=True)


def _index_key(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            value = int(value)
    text = str(value).strip()
    return text or None


# -- Kobo / ODK coordinate strings --------------------------------------------------------------

def parse_geopoint(value) -> Point:
    """A Kobo/ODK geopoint "lat lon [alt [accuracy]]" (or "[lat, lon]" from ``_geolocation``) as Point(lon, lat)."""
    text = str(value).strip().strip("[]()")
    parts = [p for p in re.split(r"[\s,]+", text) if p]
    try:
        if len(parts) < 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise CellValueError(key="err.import.not_geopoint", value=_short(value)) from None
    return Point(lon, lat)


def parse_geotrace(value, closed: bool = False):
    """Kobo/ODK geotrace/geoshape "lat lon alt acc;lat lon alt acc;…" as a LineString (or Polygon when ``closed``)."""
    pts = []
    for part in str(value).strip().strip(";").split(";"):
        part = part.strip()
        if not part:
            continue
        nums = part.split()
        try:
            if len(nums) < 2:
                raise ValueError
            pts.append((float(nums[1]), float(nums[0])))
        except ValueError:
            raise CellValueError(key="err.import.not_lat_lon", value=_short(part)) from None
    if closed:
        if len(pts) < 3:
            raise CellValueError(key="err.import.geoshape_few_points")
        if pts[0] != pts[-1]:
            pts.append(pts[0])
        if len(pts) < 4:
            raise CellValueError(key="err.import.geoshape_few_distinct")
        return Polygon(pts)
    if len(pts) < 2:
        raise CellValueError(key="err.import.geotrace_few_points")
    return LineString(pts)


_SRID = re.compile(r"^\s*SRID=(\d+)\s*;\s*", re.IGNORECASE)


def parse_wkt(value) -> tuple[object, int | None]:
    """(geometry, EPSG code or None) from WKT or EWKT ('SRID=32643;POINT(…)')."""
    text = str(value).strip()
    srid = None
    m = _SRID.match(text)
    if m:
        srid = int(m.group(1))
        text = text[m.end():]
    try:
        geom = shapely.from_wkt(text)
    except Exception as exc:  # shapely.errors.GEOSException
        raise CellValueError(key="err.import.wkt_invalid", value=_short(value)) from exc
    if geom is None or geom.is_empty:
        raise CellValueError(key="err.import.wkt_empty", value=_short(value))
    return geom, srid


_DMS = re.compile(
    r"^\s*([NSEWСЮВЗ])?\s*(-?\d+(?:[.,]\d+)?)\s*[°º:\s]\s*(?:(\d+(?:[.,]\d+)?)\s*['′:\s]?\s*)?(?:(\d+(?:[.,]\d+)?)\s*(?:\"|″|''|)?)?\s*([NSEWСЮВЗ])?\s*$",
    re.IGNORECASE)


def parse_coordinate(value) -> float | None:
    """A coordinate from a cell: 41.5, '41,5', "41°30'15\" N" (degrees, minutes, seconds). None when empty.

    Raises :class:`CellValueError` (a ValueError) for text that is not a coordinate.
    """
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None
        return float(value)
    text = str(value).strip().replace("\u00a0", " ").replace("−", "-")
    if not text:
        return None
    if re.fullmatch(r"[+-]?\d+(?:[.,]\d+)?", text):
        return float(text.replace(",", "."))
    m = _DMS.match(text)
    if m and (m.group(3) or m.group(4) or "°" in text):
        deg = float(m.group(2).replace(",", "."))
        minutes = float((m.group(3) or "0").replace(",", "."))
        seconds = float((m.group(4) or "0").replace(",", "."))
        if minutes >= 60 or seconds >= 60:
            raise CellValueError(key="err.import.dms_over_60", value=_short(text))
        result = abs(deg) + minutes / 60 + seconds / 3600
        hemi = (m.group(1) or m.group(5) or "").upper()
        if deg < 0 or hemi in ("S", "W", "Ю", "З"):
            result = -result
        return result
    raise CellValueError(key="err.import.not_a_coordinate", value=_short(text))


# -- IATI ---------------------------------------------------------------------------------------

_IATI_STATUS = {"1": "pipeline", "2": "implementation", "3": "finalisation", "4": "closed", "5": "cancelled",
                "6": "suspended"}
_IATI_ORG_ROLE = {"1": "funding", "2": "accountable", "3": "extending", "4": "implementing"}
#: DAC 5-digit purpose codes (prefixes) → the app's sectors.
_DAC_SECTORS = (
    ("31140", "irrigation"), ("140", "water_supply"), ("111", "school"), ("112", "school"), ("113", "school"),
    ("114", "school"), ("121", "health"), ("122", "health"), ("123", "health"), ("210", "road"),
    ("74020", "dam_flood_protection"), ("43060", "dam_flood_protection"), ("41050", "dam_flood_protection"),
)


def _narrative(elem: ET.Element | None, prefer=("en", "ru", "ky")) -> str | None:
    if elem is None:
        return None
    narratives = _children(elem, "narrative")
    if not narratives:
        return _text_of(elem)
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for lang in prefer:
        for n in narratives:
            if (n.get(xml_lang) or "").lower() == lang and _text_of(n):
                return _text_of(n)
    for n in narratives:
        if _text_of(n):
            return _text_of(n)
    return None


def _iati_value(elem: ET.Element | None, default_currency: str | None) -> tuple[float | None, str | None, Phrase | None]:
    """(amount, currency, problem) of a <value> element."""
    if elem is None:
        return None, None, None
    text = _text_of(elem)
    currency = (elem.get("currency") or default_currency or "").upper() or None
    if text is None:
        return None, currency, None
    try:
        return float(text.replace(" ", "").replace(",", "")), currency, None
    except ValueError:
        return None, currency, Phrase("err.parse.not_a_number", value=_short(text))


def _read_iati(path: Path, name: str) -> SourceTable:
    root = _safe_xml(path.read_bytes(), name)
    if _local(root.tag) == "iati-activity":
        activities = [root]
    elif _local(root.tag) == "iati-activities":
        activities = _children(root, "iati-activity")
    else:
        raise NotGeodataError(key="err.import.xml_not_iati", name=name, root=_local(root.tag))
    if not activities:
        raise NotGeodataError(key="err.import.iati_empty", name=name)
    rows, geoms, labels, funding_rows = [], [], [], []
    notes: list[tuple] = []
    for i, act in enumerate(activities):
        ident = _text_of(_child(act, "iati-identifier"))
        labels.append(f"activity {i + 1}" + (f" ('{_short(ident)}')" if ident else ""))
        default_currency = act.get("default-currency")
        status_el = _child(act, "activity-status")
        starts, ends = [], []
        for d in _children(act, "activity-date"):
            kind = d.get("type")
            iso = d.get("iso-date")
            if iso:
                (starts if kind in ("1", "2") else ends if kind in ("3", "4") else []).append((kind, iso))
        start = max(starts, key=lambda t: t[0])[1] if starts else None  # actual (2) over planned (1)
        end = max(ends, key=lambda t: t[0])[1] if ends else None
        sector = None
        sector_el = _child(act, "sector")
        if sector_el is not None and sector_el.get("code"):
            code = sector_el.get("code")
            sector = next((s for prefix, s in _DAC_SECTORS if code.startswith(prefix)), None) or \
                (_narrative(sector_el) or f"DAC {code}")
        budgets, budget_currencies = 0.0, set()
        budget_problem = None
        budget_count = 0
        for b in _children(act, "budget"):
            amount, cur, problem = _iati_value(_child(b, "value"), default_currency)
            if problem:
                budget_problem = problem
            if amount is not None:
                budgets += amount
                budget_count += 1
                budget_currencies.add(cur)
        total_cost, total_currency = None, None
        if budget_count and len(budget_currencies) == 1:
            total_cost, total_currency = budgets, next(iter(budget_currencies))
        elif budget_count:
            notes.append(("warning", Phrase("err.import.iati_mixed_currency",
                                            currencies=", ".join(sorted(map(str, budget_currencies)))),
                          i, "budget/value", "iati_mixed_currency"))
        if budget_problem:
            notes.append(("error", Phrase("err.import.iati_budget_value", problem=budget_problem), i, "budget/value",
                          "iati_budget_value"))
        # locations
        points, loc_problem = [], None
        for loc in _children(act, "location"):
            point = _child(loc, "point")
            pos = _text_of(_child(point, "pos")) if point is not None else None
            if not pos:
                continue
            parts = pos.replace(",", " ").split()
            try:
                lat, lon = float(parts[0]), float(parts[1])
                points.append(Point(lon, lat))
            except (ValueError, IndexError):
                loc_problem = Phrase("err.import.not_lat_lon", value=_short(pos))
        geom = None
        if len(points) == 1:
            geom = points[0]
        elif points:
            geom = MultiPoint(points)
            notes.append(("info", Phrase("err.import.iati_multi_location", count=len(points)),
                          i, "location", "iati_multi_location"))
        if loc_problem:
            notes.append(("error", Phrase("err.import.iati_pos", problem=loc_problem), i, "location/point/pos",
                          "iati_pos"))
        elif geom is None:
            notes.append(("error", Phrase("err.import.iati_no_location"), i, "location", "iati_no_location"))
        # participating organisations and transactions
        transactions = []
        for t in _children(act, "transaction"):
            t_type = (_child(t, "transaction-type").get("code") if _child(t, "transaction-type") is not None else None)
            amount, cur, problem = _iati_value(_child(t, "value"), default_currency)
            if problem:
                notes.append(("error", Phrase("err.import.iati_transaction_value", problem=problem), i,
                              "transaction/value", "iati_transaction_value"))
            provider = _child(t, "provider-org")
            transactions.append({"type": t_type, "amount": amount, "currency": cur,
                                 "provider_ref": provider.get("ref") if provider is not None else None,
                                 "provider_name": _narrative(provider) if provider is not None else None})
        funders = [o for o in _children(act, "participating-org") if o.get("role") == "1"]
        implementers = [_narrative(o) or o.get("ref") for o in _children(act, "participating-org") if o.get("role") == "4"]
        for o in funders:
            org_name = _narrative(o) or o.get("ref")
            ref = o.get("ref")
            mine = [t for t in transactions if t["type"] in ("1", "11") and t["amount"] is not None
                    and ((ref and t["provider_ref"] == ref) or (org_name and t["provider_name"] == org_name))]
            basis = "incoming funds/commitments from this organisation"
            if not mine and len(funders) == 1:
                mine = [t for t in transactions if t["type"] == "2" and t["amount"] is not None]
                basis = "the activity's outgoing commitments"
            currencies = {t["currency"] for t in mine}
            amount = sum(t["amount"] for t in mine) if mine and len(currencies) == 1 else None
            note = f"from IATI transactions ({basis})" if amount is not None else "amount not stated per organisation in the IATI file"
            funding_rows.append({"_row": i, "source_name": org_name, "source_type": "donor grant",
                                 "amount": amount, "currency": next(iter(currencies)) if amount is not None else None,
                                 "note": note + (f"; IATI ref {ref}" if ref else "")})
        rows.append({
            "project_id": ident, "title": _narrative(_child(act, "title")),
            "status": _IATI_STATUS.get(status_el.get("code")) if status_el is not None else None,
            "sector": sector, "date_start": start, "date_end": end,
            "total_cost": total_cost, "currency": total_currency,
            "implementing_org": "; ".join(filter(None, implementers)) or None,
        })
        geoms.append(geom)
    if all(g is None for g in geoms):
        raise SchemaError(key="err.import.iati_no_locations" if len(activities) != 1 else "err.import.iati_no_locations_one",
                          name=name, count=len(activities))
    frame = _object_frame(rows)
    table = SourceTable(name=name, format="iati", frame=frame, labels=labels,
                        lines=[i + 1 for i in range(len(rows))], geometry=gpd.GeoSeries(geoms, crs=4326),
                        crs=CRS.from_epsg(4326), crs_fixed=True)
    table.preset_mapping = {f: f for f in ("project_id", "title", "status", "sector", "date_start", "date_end",
                                           "total_cost", "currency")}
    table.funding = pd.DataFrame(funding_rows, columns=["_row", "source_name", "source_type", "amount", "currency", "note"])
    for n in notes:
        table.note(*n)
    return table

