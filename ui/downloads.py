"""Download buttons for every table shown: CSV and XLSX, plus GeoJSON and GeoPackage for spatial ones.

Use ``download_buttons(frame, name, key)`` right under an ``st.dataframe``. Pass the
frame as shown (translated headers and labels), with numbers as numbers where the
page formats them for display. Numbers the page formatted for display (``1 150 000``, ``—``) are turned back into
numbers by :func:`numbers_back` (unknown → empty), so a downloaded table holds the
shown values as numbers. The files are built in memory (GeoPackage through a
temporary file) only when a button is clicked (deferred ``data`` callables), so
pages do not slow down. The byte builders are plain functions, tested on their own:

* CSV — :func:`geo.export.table_for_csv` (geometry as WKT plus longitude/latitude of
  a representative point), UTF-8 with a byte-order mark so Excel reads Cyrillic;
* XLSX — the same table on one sheet; unknown values are empty cells;
* GeoJSON — EPSG:4326 (RFC 7946), written by pyogrio;
* GeoPackage — one layer named after the table, in the frame's CRS.
"""
from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.export import table_for_csv

__all__ = ["numbers_back", "csv_bytes", "xlsx_bytes", "geojson_bytes", "gpkg_bytes", "is_spatial", "safe_name", "download_buttons"]

#: Longest text Excel keeps in one cell.
EXCEL_CELL_LIMIT = 32767

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
}


def safe_name(name: str) -> str:
    """An ASCII file-name stem (letters, digits, ``_`` and ``-``)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(name)).strip("_") or "table"


def is_spatial(frame: pd.DataFrame) -> bool:
    """True for a GeoDataFrame with an active geometry column and at least one geometry."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return False
    try:
        geometry = frame.geometry
    except AttributeError:
        return False
    return bool(len(frame) == 0 or geometry.notna().any())


#: Numbers as :func:`geo.i18n.format_number` writes them, per language.
_NUMBER = {
    "ru": re.compile(r"^-?(?:\d+|\d{1,3}(?:[\u00a0\u202f ]\d{3})+)(?:,\d+)?$"),
    "en": re.compile(r"^-?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$"),
}
_NUMBER["ky"] = _NUMBER["ru"]
#: What a page shows for an unknown value.
_MISSING_TEXT = {"—", ""}


def numbers_back(frame: pd.DataFrame, lang: str | None) -> pd.DataFrame:
    """Text columns whose every shown value is a number formatted for ``lang`` (or ``—``) as numbers.

    ``—`` and empty text become NA. Columns holding anything else stay as they are.
    With ``lang`` None the frame is returned unchanged.
    """
    pattern = _NUMBER.get(lang or "")
    if pattern is None:
        return frame
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if col == "geometry" or not (series.dtype == object or isinstance(series.dtype, pd.StringDtype)):
            continue
        known = series.dropna()
        if not len(known) or not known.map(lambda v: isinstance(v, str)).all():
            continue
        text = known.str.strip()
        values = text[~text.isin(_MISSING_TEXT)]
        if not len(values) or not values.map(lambda v: bool(pattern.match(v))).all():
            continue
        if lang == "en":
            cleaned = values.str.replace(",", "", regex=False)
        else:
            cleaned = values.str.replace(r"[\u00a0\u202f ]", "", regex=True).str.replace(",", ".", regex=False)
        numbers = pd.Series(pd.NA, index=series.index, dtype="Float64")
        numbers.loc[cleaned.index] = pd.to_numeric(cleaned).astype("float64")
        out[col] = numbers
    return out


def _plain(frame: pd.DataFrame, index: bool = False) -> pd.DataFrame:
    """Object columns with None for unknown values; string column names; index as columns if asked."""
    out = frame.reset_index() if index else frame.copy()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        if col == "geometry" and isinstance(out, gpd.GeoDataFrame):
            continue
        series = out[col]
        dtype = series.dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[col] = series.dt.tz_convert("UTC").dt.tz_localize(None)
        elif isinstance(dtype, (pd.Float32Dtype, pd.Float64Dtype)):
            out[col] = series.astype("float64")
        elif pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, pd.api.extensions.ExtensionDtype):
            out[col] = series.astype("float64") if series.isna().any() else series.astype("int64")
        elif isinstance(dtype, pd.BooleanDtype) and not series.isna().any():
            out[col] = series.astype(bool)
        elif isinstance(dtype, pd.api.extensions.ExtensionDtype) or dtype == object:
            values = series.astype(object)
            out[col] = values.where(series.notna(), None)
    return out


def csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """The table as CSV (UTF-8 with BOM); spatial frames get WKT and longitude/latitude columns."""
    table = table_for_csv(frame.reset_index() if index else frame)
    return table.to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data", index: bool = False) -> bytes:
    """The table on one XLSX sheet; geometry as WKT unless a geometry is longer than Excel allows."""
    table = table_for_csv(frame.reset_index() if index else frame)
    if "geometry_wkt" in table.columns and table["geometry_wkt"].astype("string").str.len().max() > EXCEL_CELL_LIMIT:
        table = table.drop(columns="geometry_wkt")  # GeoJSON/GeoPackage carry the full geometry
    table = _plain(table)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        table.to_excel(writer, index=False, sheet_name=re.sub(r"[\[\]:*?/\\]", " ", sheet)[:31] or "data")
    return buffer.getvalue()


def _writable_geo(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = _plain(frame)
    return gpd.GeoDataFrame(out, geometry=frame.geometry.name if frame.geometry.name in out.columns else "geometry",
                            crs=frame.crs)


def _write_and_read(frame: gpd.GeoDataFrame, suffix: str, driver: str, layer: str | None = None) -> bytes:
    import pyogrio

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"table{suffix}"
        kwargs = {"layer": layer} if layer else {}
        pyogrio.write_dataframe(frame, path, driver=driver, **kwargs)
        return path.read_bytes()


def geojson_bytes(frame: gpd.GeoDataFrame) -> bytes:
    """The spatial table as GeoJSON in EPSG:4326 (RFC 7946 coordinates)."""
    out = _writable_geo(frame)
    if out.crs is not None and out.crs.to_epsg() != 4326:
        out = out.to_crs(4326)
    return _write_and_read(out, ".geojson", "GeoJSON")


def gpkg_bytes(frame: gpd.GeoDataFrame, layer: str = "data") -> bytes:
    """The spatial table as a GeoPackage with one layer ``layer`` (the frame's CRS kept)."""
    return _write_and_read(_writable_geo(frame), ".gpkg", "GPKG", layer=safe_name(layer))


def download_buttons(frame: pd.DataFrame, name: str, key: str, index: bool = False, lang: str | None = None) -> None:
    """CSV and XLSX buttons (and GeoJSON and GeoPackage for a spatial frame) for one table.

    ``name`` is the file-name stem (made ASCII-safe), ``key`` a key unique on the page,
    ``index=True`` writes the index as columns (for tables whose index is shown).
    Numbers formatted for ``lang`` (default: the chosen language) are written as
    numbers (:func:`numbers_back`). The files are built when a button is clicked.
    """
    import streamlit as st

    from ui.common import lang as chosen_lang, tr

    stem = safe_name(name)
    spatial = is_spatial(frame)
    language = lang or chosen_lang()

    def table() -> pd.DataFrame:
        return numbers_back(frame.reset_index() if index else frame, language)

    builders = [("csv", lambda: csv_bytes(table())), ("xlsx", lambda: xlsx_bytes(table(), stem))]
    if spatial:
        builders += [("geojson", lambda: geojson_bytes(table())), ("gpkg", lambda: gpkg_bytes(table(), stem))]
    columns = st.columns(len(builders) + (4 - len(builders)))
    for column, (fmt, build) in zip(columns, builders):
        column.download_button(tr(f"download.{fmt}"), data=build, file_name=f"{stem}.{fmt}", mime=MIME[fmt],
                               key=f"{key}_{fmt}", on_click="ignore", width="stretch")
