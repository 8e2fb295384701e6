"""Checks applied to every row of an import, before anything is written.

* Coordinate reference systems: the CRS is taken from the file, or given by the
  person importing, or detected from the coordinates among the systems used in
  Kyrgyzstan (:data:`KYRGYZ_CRS`: WGS 84, UTM 42N–44N, Pulkovo 1942 Gauss-Krüger
  zones and central meridians, Kyrg-06 and its zones, the national system that PROJ
  knows). Coordinates are reprojected with pyproj to EPSG:4326.
* Locations: coordinates out of range, latitude and longitude swapped (detected
  against Kyrgyzstan's extent, :data:`geo.settings.COUNTRY_BOUNDS`), points and
  shapes outside Kyrgyzstan (against the country boundary, with a tolerance in
  metres measured in an equal-area CRS), invalid geometries (repaired with
  :func:`shapely.make_valid` and reported) and mixed geometry types.
* Values: empty or duplicate IDs, numbers written "1 150 000 сом", "1 150 000,50" or
  "1.150.000", dates dd.mm.yyyy, years and periods, HTML or script in text (kept as
  literal text, reported as a warning).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import box

from geo.crs import KYRGYZSTAN_EQUAL_AREA
from geo.errors import CRSUnresolvedError, Join, Number, Phrase
from geo.project_import.report import ImportReport
from geo.settings import COUNTRY_BOUNDS, COUNTRY_FILE, STORAGE_CRS

# -- coordinate reference systems -------------------------------------------------------

#: EPSG codes of the systems used for data in Kyrgyzstan that PROJ knows, in the
#: order they are offered. (PROJ has no "KGSC-2007"; Kyrg-06 is the national system.)
KYRGYZ_CRS: tuple[int, ...] = (
    4326,                        # WGS 84 longitude/latitude
    32642, 32643, 32644,         # WGS 84 / UTM zones 42N, 43N, 44N
    4284,                        # Pulkovo 1942 longitude/latitude
    28412, 28413, 28414,         # Pulkovo 1942 / Gauss-Kruger zones 12–14 (zone number in the easting)
    2502, 2503, 2504,            # Pulkovo 1942 / Gauss-Kruger CM 69E, 75E, 81E
    2539, 2540, 2541, 2542, 2543,  # Pulkovo 1942 / 3-degree Gauss-Kruger zones 23–27
    2598, 2599, 2601, 2602, 2603,  # Pulkovo 1942 / 3-degree Gauss-Kruger CM 69E … 81E
    7686,                        # Kyrg-06 longitude/latitude (national datum)
    7692, 7693, 7694, 7695, 7696,  # Kyrg-06 / zones 1–5
)

#: Projected systems whose false easting names the zone, so the numbers alone identify them.
_SELF_IDENTIFYING = {28412, 28413, 28414, 2539, 2540, 2541, 2542, 2543, 7692, 7693, 7694, 7695, 7696}

#: A shape further than this outside the country boundary (metres) is refused;
#: nearer ones are kept with a warning (boundaries are generalised).
OUTSIDE_TOLERANCE_M = 5000.0
_BOUNDS_MARGIN_DEG = 0.3


@lru_cache(maxsize=64)
def crs_label(code: int | str) -> str:
    """'EPSG:32643 (WGS 84 / UTM zone 43N)'."""
    crs = CRS.from_user_input(code)
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def kyrgyz_crs_choices() -> list[tuple[int, str]]:
    """(EPSG code, label) of every system in :data:`KYRGYZ_CRS`, for a choice list."""
    return [(code, crs_label(code)) for code in KYRGYZ_CRS]


def resolve_crs(value) -> CRS:
    """A CRS from what a person typed: 32643, '32643', 'EPSG:32643', a WKT or PROJ string.

    Raises :class:`CRSUnresolvedError` when it is unknown or not tied to the earth.
    """
    if isinstance(value, CRS):
        crs = value
    else:
        text = str(value).strip()
        if re.fullmatch(r"\d{4,6}", text):
            text = f"EPSG:{text}"
        try:
            crs = CRS.from_user_input(text)
        except CRSError as exc:
            raise CRSUnresolvedError(key="err.crs.unknown", value=str(value),
                                     examples=", ".join(str(c) for c in (4326, 32643, 28413, 7694))) from exc
    if not (crs.is_geographic or crs.is_projected):
        raise CRSUnresolvedError(key="err.crs.not_earth", value=str(value), crs=crs.name)
    return crs


@dataclass(frozen=True)
class CRSCandidate:
    """A system under which the coordinates fall inside Kyrgyzstan."""

    epsg: int
    label: str
    swapped: bool      # the two coordinate columns must be exchanged (northing written first)
    share_inside: float


def looks_like_degrees(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether most coordinates are within ±180 / ±90 (degrees rather than metres)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return True
    inside = (np.abs(x[ok]) <= 180) & (np.abs(y[ok]) <= 180)
    return bool(inside.mean() >= 0.5)


def _inside_bounds(lon: np.ndarray, lat: np.ndarray, margin: float = _BOUNDS_MARGIN_DEG) -> np.ndarray:
    lon_min, lat_min, lon_max, lat_max = COUNTRY_BOUNDS
    return ((lon >= lon_min - margin) & (lon <= lon_max + margin)
            & (lat >= lat_min - margin) & (lat <= lat_max + margin))


def crs_candidates(x: Sequence[float], y: Sequence[float], min_share: float = 0.9) -> list[CRSCandidate]:
    """The projected systems of :data:`KYRGYZ_CRS` that put the coordinates in Kyrgyzstan.

    ``x``/``y`` are eastings/northings as written. Each system is also tried with the
    two exchanged. Candidates are ordered by the share of points inside the country's
    extent, then by the order of :data:`KYRGYZ_CRS`.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return []
    if len(x) > 500:
        pick = np.linspace(0, len(x) - 1, 500).astype(int)
        x, y = x[pick], y[pick]
    out: list[CRSCandidate] = []
    for code in KYRGYZ_CRS:
        crs = CRS.from_epsg(code)
        if not crs.is_projected:
            continue
        transformer = _transformer(code)
        for swapped in (False, True):
            xs, ys = (y, x) if swapped else (x, y)
            with np.errstate(all="ignore"):
                lon, lat = transformer.transform(xs, ys)
            share = float(_inside_bounds(np.asarray(lon), np.asarray(lat), margin=0.0).mean())
            if share >= min_share:
                out.append(CRSCandidate(code, crs_label(code), swapped, share))
    order = {code: i for i, code in enumerate(KYRGYZ_CRS)}
    out.sort(key=lambda c: (-round(c.share_inside, 2), c.swapped, order[c.epsg]))
    return out


@lru_cache(maxsize=64)
def _transformer(code: int | str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(code), CRS.from_user_input(STORAGE_CRS), always_xy=True)


@dataclass(frozen=True)
class CRSChoice:
    """The CRS coordinates are read in, and how it was decided."""

    crs: CRS
    how: str          # given | declared | assumed | detected
    swapped: bool = False

    @property
    def label(self) -> str:
        epsg = self.crs.to_epsg()
        return crs_label(epsg) if epsg else self.crs.name


def choose_crs(x: Sequence[float], y: Sequence[float], *, given=None, declared: CRS | None = None,
               source: str = "the file", report: ImportReport | None = None,
               stated_problem: "str | CRSUnresolvedError | None" = None) -> CRSChoice:
    """Decide the CRS of coordinates: given by the person > stated in the file > detected.

    Degrees without a stated CRS are taken as WGS 84 (EPSG:4326). Metres without one
    are matched against :data:`KYRGYZ_CRS`: a single system whose eastings carry its
    zone number is used (with a warning); otherwise :class:`CRSUnresolvedError` lists
    the systems that fit and asks for one (its ``candidates`` attribute holds them).
    ``stated_problem`` (what was wrong with the file's own CRS) opens that message.
    """
    if given is not None:
        crs = resolve_crs(given)
        if report is not None:
            report.info(Phrase("err.import.crs_given", crs=CRSChoice(crs, "given").label), code="crs_given")
        return CRSChoice(crs, "given")
    if declared is not None:
        return CRSChoice(CRS.from_user_input(declared), "declared")
    if looks_like_degrees(x, y):
        if report is not None:
            report.info(Phrase("err.import.crs_assumed_wgs84", source=source), code="crs_assumed_wgs84")
        return CRSChoice(CRS.from_epsg(4326), "assumed")
    candidates = crs_candidates(x, y)
    if len(candidates) == 1 and candidates[0].epsg in _SELF_IDENTIFYING:
        c = candidates[0]
        if report is not None:
            report.warning(Phrase("err.import.crs_detected_swapped" if c.swapped else "err.import.crs_detected",
                                  source=source, crs=c.label), code="crs_detected")
        return CRSChoice(CRS.from_epsg(c.epsg), "detected", c.swapped)
    x_arr = np.asarray(x, float)
    y_arr = np.asarray(y, float)
    finite = np.isfinite(x_arr) & np.isfinite(y_arr)
    sample = Phrase("err.crs.sample", x=round(float(x_arr[finite][0])), y=round(float(y_arr[finite][0]))) \
        if finite.any() else ""
    head = stated_problem if stated_problem else Phrase("err.crs.not_stated", source=source)
    if candidates:
        listed = Join([Phrase("err.crs.candidate_swapped", crs=c.label) if c.swapped else c.label
                       for c in candidates[:8]], "; ")
        err = CRSUnresolvedError(key="err.crs.ambiguous_metres", head=head, sample=sample, candidates=listed)
    else:
        err = CRSUnresolvedError(key="err.crs.unknown_metres", head=head, sample=sample)
    err.candidates = candidates  # type: ignore[attr-defined]
    raise err


def transform_xy(x: np.ndarray, y: np.ndarray, choice: CRSChoice) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (easting/longitude first) transformed to EPSG:4326 longitude/latitude."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if choice.swapped:
        x, y = y, x
    epsg = choice.crs.to_epsg()
    if epsg == 4326:
        return x, y
    transformer = _transformer(epsg) if epsg else Transformer.from_crs(choice.crs, STORAGE_CRS, always_xy=True)
    with np.errstate(all="ignore"):
        lon, lat = transformer.transform(x, y)
    return np.asarray(lon, float), np.asarray(lat, float)


def geometries_to_storage(geoms: gpd.GeoSeries, choice: CRSChoice) -> gpd.GeoSeries:
    """Geometries in ``choice``'s CRS (X first) reprojected to EPSG:4326."""
    values = np.asarray(geoms.values, dtype=object)
    if choice.swapped:
        values = shapely.transform(values, lambda c: c[:, ::-1])
    series = gpd.GeoSeries(values, index=geoms.index, crs=choice.crs)
    if choice.crs.to_epsg() == 4326:
        return series.set_crs(STORAGE_CRS, allow_override=True)
    return series.to_crs(STORAGE_CRS)


# -- the country ------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _country_from_file(path: str, mtime: float):
    frame = gpd.read_file(path)
    if frame.crs is not None and frame.crs.to_string() != STORAGE_CRS:
        frame = frame.to_crs(STORAGE_CRS)
    return shapely.union_all(frame.geometry.values)


def country_shape(store=None):
    """Kyrgyzstan's outline in EPSG:4326: the store's ``country`` layer, else the shipped file, else the extent box."""
    if store is not None:
        try:
            frame = store.read("country")
        except Exception:  # a store without the layer or a back end that cannot read it
            frame = None
        if frame is not None and len(frame) and frame.geometry.notna().any():
            return shapely.union_all(frame.geometry.dropna().values)
    path = Path(COUNTRY_FILE)
    if path.exists():
        return _country_from_file(str(path), path.stat().st_mtime)
    return box(*COUNTRY_BOUNDS)


# -- locations ----------------------------------------------------------------------------

_TYPE_KIND = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
              "LinearRing": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}


def geometry_kind(geom) -> str | None:
    """point / line / polygon for a shapely geometry (None for missing or collections)."""
    if geom is None or geom.is_empty:
        return None
    return _TYPE_KIND.get(geom.geom_type)


class _RowLabel:
    """A row label ("row 4") inside a message, named in the message's language."""

    def __init__(self, label: str):
        self.label = label

    def text(self, lang: str) -> str:
        from geo.project_import.report import row_label_text

        return row_label_text(self.label, lang)

    def __str__(self) -> str:
        return self.label


def _swap(geom):
    return shapely.transform(geom, lambda c: c[:, ::-1])


def _fmt_point(geom) -> str:
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    return f"{p.x:.5f}, {p.y:.5f}"


def _same_dimension(geom, dim: int):
    """Only the parts of ``geom`` with dimension ``dim`` (after make_valid made a collection)."""
    parts = [g for g in getattr(geom, "geoms", [geom]) if shapely.get_dimensions(g) == dim and not g.is_empty]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged


def check_locations(geoms: gpd.GeoSeries, report: ImportReport, *, store=None, column: str | None = None,
                    rows: Sequence[int] | None = None, declared_order: bool = False,
                    ) -> tuple[gpd.GeoSeries, list[list[str]]]:
    """Check and correct geometries in EPSG:4326; return them and notes per row.

    ``rows`` maps each geometry to the report's row positions (default 0..n-1).
    ``column`` names the column(s) coordinates came from, for messages. Missing
    geometries and refused ones are None in the result (and the row has an error).
    ``declared_order`` is True when the format fixes the axis order (GeoJSON, KML);
    swapped coordinates are then still corrected but the message says so.
    """
    values = np.asarray(geoms.values, dtype=object).copy()
    n = len(values)
    rows = list(range(n)) if rows is None else list(rows)
    notes: list[list[str]] = [[] for _ in range(n)]
    swapped_rows: list[int] = []
    lon_min, lat_min, lon_max, lat_max = COUNTRY_BOUNDS
    for i in range(n):
        g = values[i]
        if g is None or (isinstance(g, float) and math.isnan(g)) or g.is_empty:
            values[i] = None
            continue
        if g.geom_type == "GeometryCollection":
            report.error(Phrase("err.import.geometry_collection"), rows[i], column, code="geometry_collection")
            values[i] = None
            continue
        xmin, ymin, xmax, ymax = g.bounds
        if not all(np.isfinite((xmin, ymin, xmax, ymax))):
            report.error(Phrase("err.import.coords_not_finite"), rows[i], column, code="coords_not_finite")
            values[i] = None
            continue
        if min(xmin, -xmax) < -180 or min(ymin, -ymax) < -90:
            bad = []
            if xmin < -180 or xmax > 180:
                bad.append(Phrase("err.import.lon_out_of_range", value=f"{xmax if xmax > 180 else xmin:g}"))
            if ymin < -90 or ymax > 90:
                bad.append(Phrase("err.import.lat_out_of_range", value=f"{ymax if ymax > 90 else ymin:g}"))
            report.error(Phrase("err.import.coords_out_of_range", what=Join(bad, Phrase("err.import.and"))),
                         rows[i], column, code="coords_out_of_range")
            values[i] = None
            continue
        inside = (xmin >= lon_min - _BOUNDS_MARGIN_DEG and xmax <= lon_max + _BOUNDS_MARGIN_DEG
                  and ymin >= lat_min - _BOUNDS_MARGIN_DEG and ymax <= lat_max + _BOUNDS_MARGIN_DEG)
        swapped_inside = (ymin >= lon_min - _BOUNDS_MARGIN_DEG and ymax <= lon_max + _BOUNDS_MARGIN_DEG
                          and xmin >= lat_min - _BOUNDS_MARGIN_DEG and xmax <= lat_max + _BOUNDS_MARGIN_DEG)
        if not inside and swapped_inside:
            values[i] = _swap(g)
            swapped_rows.append(i)
            report.warning(Phrase("err.import.latlon_first" if declared_order else "err.import.latlon_swapped",
                                  was=_fmt_point(g), now=_fmt_point(values[i])), rows[i], column, code="latlon_swapped")
            notes[i].append("latitude and longitude were swapped in the source and corrected on import")
    # validity
    present = np.array([v is not None for v in values])
    if present.any():
        idx = np.flatnonzero(present)
        geoms_present = values[idx]
        valid = shapely.is_valid(geoms_present)
        for j in np.flatnonzero(~valid):
            i = idx[j]
            g = values[i]
            reason = shapely.is_valid_reason(g)
            fixed = shapely.make_valid(g)
            dim = shapely.get_dimensions(g)
            if fixed.geom_type == "GeometryCollection" or shapely.get_dimensions(fixed) != dim:
                fixed = _same_dimension(fixed, dim)
            if fixed is None or fixed.is_empty:
                report.error(Phrase("err.import.geometry_invalid", reason=reason), rows[i], column,
                             code="geometry_invalid")
                values[i] = None
                continue
            values[i] = fixed
            report.warning(Phrase("err.import.geometry_repaired", reason=reason, kind=fixed.geom_type), rows[i], column,
                           code="geometry_repaired")
            notes[i].append(f"geometry repaired on import (was invalid: {reason})")
    # outside the country
    present = np.array([v is not None for v in values])
    if present.any():
        idx = np.flatnonzero(present)
        country = country_shape(store)
        metric = gpd.GeoSeries(list(values[idx]), crs=STORAGE_CRS).to_crs(KYRGYZSTAN_EQUAL_AREA).values
        country_m = gpd.GeoSeries([country], crs=STORAGE_CRS).to_crs(KYRGYZSTAN_EQUAL_AREA).values[0]
        shapely.prepare(country_m)
        distance = shapely.distance(metric, country_m)
        within = shapely.within(metric, country_m)
        for j, i in enumerate(idx):
            d = float(distance[j])
            if d > OUTSIDE_TOLERANCE_M:
                report.error(Phrase("err.import.outside_country", point=_fmt_point(values[i]), km=round(d / 1000)),
                             rows[i], column, code="outside_country")
                values[i] = None
            elif d > 0:
                report.warning(Phrase("err.import.near_border", point=_fmt_point(values[i]), km=Number(d / 1000, 1)),
                               rows[i], column, code="near_border")
            elif not within[j]:
                report.warning(Phrase("err.import.partly_outside"), rows[i], column, code="partly_outside")
    if swapped_rows and len(swapped_rows) == int(sum(v is not None for v in values)) and len(swapped_rows) > 1:
        report.warning(Phrase("err.import.latlon_swapped_all_columns" if column else "err.import.latlon_swapped_all",
                              count=len(swapped_rows), columns=str(column or "")), code="latlon_swapped_all")
    # mixed geometry types
    kinds = pd.Series([geometry_kind(v) for v in values if v is not None], dtype=object).value_counts()
    if len(kinds) > 1:
        parts = Join(Phrase(f"err.import.kind_{'one' if count == 1 else 'many'}.{kind}", n=int(count))
                     for kind, count in kinds.items())
        report.warning(Phrase("err.import.mixed_geometry_types", parts=parts), code="mixed_geometry_types")
    return gpd.GeoSeries(values, index=geoms.index, crs=STORAGE_CRS), notes


# -- IDs --------------------------------------------------------------------------------------

def check_ids(values: Sequence, report: ImportReport, column: str | None,
              rows: Sequence[int] | None = None) -> list[str | None]:
    """IDs as clean text; empty and duplicate IDs are errors on every row concerned."""
    rows = list(range(len(values))) if rows is None else list(rows)
    out: list[str | None] = []
    for v in values:
        text = _text(v)
        if text is not None and re.fullmatch(r"-?\d+\.0", text):
            text = text[:-2]  # 17.0 read from a spreadsheet number
        out.append(text)
    seen: dict[str, list[int]] = {}
    for i, key in enumerate(out):
        if key is None:
            report.error(Phrase("err.import.id_empty"), rows[i], column, code="id_empty")
        else:
            seen.setdefault(key, []).append(i)
    labels = report.labels
    for key, where in seen.items():
        if len(where) > 1:
            for i in where:
                others = [labels[rows[j]] if rows[j] < len(labels) else str(rows[j] + 1) for j in where if j != i]
                report.error(Phrase("err.import.id_duplicate", id=key, others=Join(_RowLabel(o) for o in others)),
                             rows[i], column, code="id_duplicate")
    return out


# -- values -----------------------------------------------------------------------------------

def _text(value) -> str | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


_MARKUP = re.compile(r"</?[a-zA-Z!?][^>]*>|javascript\s*:|\bon[a-z]+\s*=", re.IGNORECASE)


def has_markup(text) -> bool:
    """Whether text holds HTML tags or script (it is kept as literal text, never run)."""
    t = _text(text)
    return bool(t and _MARKUP.search(t))


_CURRENCY_WORDS = (
    ("KGS", ("kgs", "som", "soms", "сом", "сомов", "сома", "с.", "сом.")),
    ("USD", ("usd", "$", "us$", "долл", "долл.", "доллар", "долларов", "доллара", "dollars", "dollar")),
    ("EUR", ("eur", "€", "евро", "euro", "euros")),
)
_MULTIPLIERS = (
    (1e6, ("млн", "млн.", "million", "millions", "mln", "mio", "миллион", "миллионов")),
    (1e3, ("тыс", "тыс.", "тысяч", "thousand", "thousands", "k")),
)
_APPROX = ("около", "ок.", "примерно", "приблизительно", "about", "approx", "approx.", "approximately", "~", "≈",
           "болжол", "болжолу", "жакын")


@dataclass(frozen=True)
class ParsedNumber:
    value: float | None
    currency: str | None = None
    problem: str | None = None
    note: str | None = None


def parse_number(value, kind: str = "decimal") -> ParsedNumber:
    """A number from a cell written by people.

    Accepts "1 150 000 сом" (currency noted), "1 150 000,50", "1.150.000", "1,150,000.50",
    "2,5 млн", "около 500" (noted as approximate) and spreadsheet numbers. ``kind`` is
    ``money``, ``count`` (whole numbers) or ``decimal``; it decides how a lone separator
    before three digits ("1,150") is read, and a note says the reading was ambiguous.
    Text that is not a number gives ``problem``; negative numbers are returned with a
    problem for ``money`` and ``count``.
    """
    if isinstance(value, bool):
        return ParsedNumber(None, problem=Phrase("err.parse.not_a_number", value=str(value)))
    if isinstance(value, (int, float, np.integer, np.floating)) and not (isinstance(value, float) and math.isnan(value)):
        number = float(value)
        return _finish(number, None, None, kind, str(value))
    text = _text(value)
    if text is None:
        return ParsedNumber(None)
    original = text
    s = text.lower().replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ").replace("−", "-")
    s = s.replace("–", "-")
    currency = None
    for code, words in _CURRENCY_WORDS:
        for word in sorted(words, key=len, reverse=True):
            pattern = re.escape(word) if not word[0].isalpha() else r"(?<![^\W\d_])" + re.escape(word) + r"(?![^\W\d_])"
            if re.search(pattern, s):
                currency = currency or code
                s = re.sub(pattern, " ", s)
    multiplier = 1.0
    for factor, words in _MULTIPLIERS:
        for word in sorted(words, key=len, reverse=True):
            pattern = r"(?<![^\W\d_])" + re.escape(word) + r"(?![^\W\d_])"
            if re.search(pattern, s):
                multiplier = factor
                s = re.sub(pattern, " ", s)
    note = None
    for word in sorted(_APPROX, key=len, reverse=True):
        pattern = re.escape(word) if not word[0].isalpha() else r"(?<![^\W\d_])" + re.escape(word) + r"(?![^\W\d_])"
        if re.search(pattern, s):
            note = Phrase("err.parse.approximate", value=original)
            s = re.sub(pattern, " ", s)
    s = s.strip()
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    if s.startswith("-"):
        negative, s = True, s[1:].strip()
    elif s.startswith("+"):
        s = s[1:].strip()
    if not s or not re.fullmatch(r"\d[\d ',.]*", s) or re.search(r"\d\s+\d{1,2}(?!\d)", s):
        return ParsedNumber(None, currency, Phrase("err.parse.not_a_number", value=original))
    digits = s.replace(" ", "").replace("'", "")
    ambiguous = None
    if "," in digits and "." in digits:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        head, _, tail = digits.rpartition(decimal)
        if not re.fullmatch(r"\d{1,3}(?:" + re.escape(thousands) + r"\d{3})*", head) or not tail.isdigit():
            return ParsedNumber(None, currency, Phrase("err.parse.mixed_separators", value=original))
        number = float(head.replace(thousands, "") + "." + tail)
    elif "," in digits or "." in digits:
        sep = "," if "," in digits else "."
        groups = digits.split(sep)
        if len(groups) > 2:
            if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
                return ParsedNumber(None, currency, Phrase("err.parse.not_a_number", value=original))
            number = float("".join(groups))
        else:
            head, tail = groups
            if not head or not tail:
                return ParsedNumber(None, currency, Phrase("err.parse.not_a_number", value=original))
            if len(tail) == 3 and len(head) <= 3 and head != "0" and kind in ("money", "count"):
                number = float(head + tail)
                ambiguous = Phrase("err.parse.read_as_thousands", value=original, number=Number(number, 0), sep=sep)
            else:
                number = float(head + "." + tail)
                if len(tail) == 3 and len(head) <= 3 and head != "0":
                    ambiguous = Phrase("err.parse.read_as_decimal", value=original,
                                       number=Number(number, len(tail.rstrip("0")) or 0), sep=sep)
    else:
        number = float(digits)
    number *= multiplier
    if negative:
        number = -number
    result = _finish(number, currency, note, kind, original)
    if ambiguous and result.problem is None:
        note = Phrase("err.parse.two_notes", first=result.note, second=ambiguous) if result.note else ambiguous
        return ParsedNumber(result.value, result.currency, None, note)
    return result


def _finish(number: float, currency, note, kind: str, original: str) -> ParsedNumber:
    if not math.isfinite(number):
        return ParsedNumber(None, currency, Phrase("err.parse.not_a_number", value=original))
    if number < 0 and kind in ("money", "count"):
        return ParsedNumber(number, currency, Phrase("err.parse.negative", value=original))
    if kind == "count" and abs(number - round(number)) > 1e-9:
        return ParsedNumber(number, currency, Phrase("err.parse.not_whole", value=original))
    return ParsedNumber(number, currency, None, note)


_DATE_PATTERNS = (
    (re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})(?:\s*(?:г\.?|года?))?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"), ("d", "m", "y")),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{2})$"), ("d", "m", "yy")),
)


def parse_date(value) -> tuple[date | None, str | None]:
    """(date, problem) from dd.mm.yyyy, dd/mm/yyyy, yyyy-mm-dd (with time) or a spreadsheet date."""
    if isinstance(value, (datetime, pd.Timestamp)):
        return (None, None) if pd.isna(value) else (value.date(), None)
    if isinstance(value, date):
        return value, None
    text = _text(value)
    if text is None:
        return None, None
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        parts = dict(zip(order, (int(g) for g in m.groups())))
        year = parts.get("y") or (2000 + parts["yy"] if parts["yy"] < 70 else 1900 + parts["yy"])
        try:
            return date(year, parts["m"], parts["d"]), None
        except ValueError as exc:
            return None, Phrase("err.parse.not_real_date", value=text, detail=str(exc))
    return None, Phrase("err.parse.not_a_date", value=text)


YEAR_RANGE = (1950, 2100)


def parse_years(value) -> tuple[int | None, int | None, str | None]:
    """(start, end, problem) from 2019, '2019 г.', '2019–2021', '2019/20', a date or dd.mm.yyyy."""
    if isinstance(value, (datetime, date, pd.Timestamp)):
        d, problem = parse_date(value)
        return (d.year if d else None), None, problem
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None, None, None
        if float(value) != int(value):
            return None, None, Phrase("err.parse.not_a_year_number", value=str(value))
        return _year(int(value), str(value))
    text = _text(value)
    if text is None:
        return None, None, None
    s = re.sub(r"\s*(?:гг?\.?|годы|года|год|ж\.?|жылы|y\.?)\s*$", "", text.lower()).strip()
    m = re.fullmatch(r"(\d{4})\s*(?:-|–|—|/|\.\.|до|to)\s*(\d{2}|\d{4})", s)
    if m:
        start = int(m.group(1))
        end = int(m.group(2)) if len(m.group(2)) == 4 else int(str(start)[:2] + m.group(2))
        s_year, _, p1 = _year(start, text)
        e_year, _, p2 = _year(end, text)
        if p1 or p2:
            return None, None, p1 or p2
        if e_year < s_year:
            return None, None, Phrase("err.parse.period_reversed", value=text)
        return s_year, e_year, None
    if re.fullmatch(r"\d{4}", s):
        return _year(int(s), text)
    d, problem = parse_date(text)
    if d is not None:
        return d.year, None, None
    if getattr(problem, "key", "") == "err.parse.not_real_date":
        return None, None, problem
    return None, None, Phrase("err.parse.not_a_year", value=text)


def _year(year: int, original: str) -> tuple[int | None, int | None, str | None]:
    lo, hi = YEAR_RANGE
    if not lo <= year <= hi:
        return None, None, Phrase("err.parse.implausible_year", value=original, low=str(lo), high=str(hi))
    return year, None, None
