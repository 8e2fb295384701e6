"""Hazard layers: import vector zones and rasters, map their values to hazard classes.

Classes are ThinkHazard!'s levels, worst first: ``High``, ``Medium``, ``Low``,
``Very low``. A user-given :class:`ClassMapping` turns the values of a layer into
classes: either numeric thresholds (for values such as peak ground acceleration,
flood depth, recurrence) or a table of categories (for coded zones).

Every import returns a frame in the ``hazard_zones`` schema (:mod:`geo.schema`):
EPSG:4326 MultiPolygons with ``zone_id``, ``hazard_type``, ``hazard_class``,
``value`` (the layer's numeric value, empty for categories and raster classes),
``layer_name``, the provenance ``source``, ``source_date``, ``licence`` (empty
when not known), ``indicative`` (False for imported layers) and ``class_rule``: the
value → class rule the user chose, as JSON that :func:`make_mapping` reads back
(:func:`rule_text`, :func:`rule_mapping`), e.g.
``{"higher_is_worse": true, "thresholds": {"High": 10, "Medium": 5}}``.

User errors are raised with message-catalogue keys ``err.hazard.*``
(:class:`geo.errors.AimakError`): ``str(exc)`` is English, ``exc.text(lang)``
translated.

Files are read with pyogrio (vectors) and rasterio (rasters) in whatever CRS they
declare and reprojected to EPSG:4326. Rasters are classified cell by cell in their
own CRS and vectorised to class polygons (:func:`rasterio.features.shapes`, cell
edges exact) before reprojection; the classified grid itself can also be written
out (:func:`write_class_raster`) and used directly for zonal statistics.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from geo.errors import CRSUnresolvedError, NotGeodataError, OutsideCountryError, SchemaError
from geo.settings import COUNTRY_BOUNDS, STORAGE_CRS

#: ThinkHazard! levels, worst first.
HAZARD_CLASSES: tuple[str, ...] = ("High", "Medium", "Low", "Very low")
#: Severity rank per class (higher is worse); 0 means "no class".
CLASS_RANK: dict[str, int] = {"High": 4, "Medium": 3, "Low": 2, "Very low": 1}
RANK_CLASS: dict[int, str] = {rank: name for name, rank in CLASS_RANK.items()}
#: Map colours per class (ThinkHazard!-like red → pale).
CLASS_COLOURS: dict[str, str] = {
    "High": "#d7191c", "Medium": "#fdae61", "Low": "#fee08b", "Very low": "#d9ef8b",
}
#: Hazard types the app knows by name (others are accepted as given).
HAZARD_TYPES: tuple[str, ...] = (
    "mudflow", "flood", "landslide", "avalanche", "earthquake", "glacial_lake_outburst",
)

#: Examples of mappings shown in error messages (JSON, as the command line takes them).
EXAMPLE_THRESHOLDS = '{"High": 10, "Medium": 5, "Low": 2, "Very low": 0}'
EXAMPLE_CATEGORIES = '{"1": "Low", "2": "Medium", "3": "High"}'

RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".img", ".asc", ".nc", ".jp2"}


# --------------------------------------------------------------------------- classes
def normalise_class(name: Any) -> str | None:
    """The canonical class name for spellings like ``"high"``, ``"VERY_LOW"``; None if not a class."""
    if name is None or (isinstance(name, float) and math.isnan(name)) or name is pd.NA:
        return None
    text = re.sub(r"[\s_\-]+", " ", str(name)).strip().lower()
    for cls in HAZARD_CLASSES:
        if text == cls.lower():
            return cls
    return None


def _category_key(value: Any) -> str | None:
    """A category value as comparable text: ``1``, ``1.0`` and ``"1"`` all become ``"1"``."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text.lower()
    return str(int(number)) if number.is_integer() else text.lower()


@dataclass(frozen=True)
class ClassMapping:
    """How a layer's values become hazard classes.

    ``kind`` is one of:

    * ``"thresholds"`` — ``thresholds`` holds ``(class, bound)`` pairs, worst class
      first. With ``higher_is_worse`` (e.g. PGA in g, flood depth in m) a value
      belongs to the worst class whose bound it reaches (``value >= bound``); values
      below every bound get no class. Otherwise (e.g. a return period in years) a
      value belongs to the worst class whose bound it does not exceed
      (``value <= bound``); values above every bound get no class.
    * ``"categories"`` — ``categories`` maps raw values (compared as text, numbers
      without a trailing ``.0``) to classes; other values get no class.
    * ``"classes"`` — the values already are class names (any case).
    """

    kind: str = "classes"
    thresholds: tuple[tuple[str, float], ...] = ()
    higher_is_worse: bool = True
    categories: dict[str, str] = field(default_factory=dict)

    # -- applying ----------------------------------------------------------------
    def ranks(self, values: Any) -> np.ndarray:
        """Severity rank per value (4 High … 1 Very low, 0 no class) as an int8 array."""
        if isinstance(values, np.ndarray) and values.dtype.kind in "fiu" and self.kind == "thresholds":
            return self._threshold_ranks(values.astype(float).ravel())
        series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object).ravel())
        if self.kind == "thresholds":
            numbers = pd.to_numeric(series.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            return self._threshold_ranks(numbers)
        # categories and class names: classify each distinct value once
        codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
        if self.kind == "categories":
            names = [self.categories.get(_category_key(u)) for u in uniques]
        else:
            names = [normalise_class(u) for u in uniques]
        lookup = np.array([CLASS_RANK.get(n, 0) if n else 0 for n in names] + [0], dtype=np.int8)
        return lookup[codes]  # code -1 (missing) picks the trailing 0

    def _threshold_ranks(self, numbers: np.ndarray) -> np.ndarray:
        out = np.zeros(numbers.shape, dtype=np.int8)
        valid = ~np.isnan(numbers)
        # least severe first, so that worse classes overwrite
        for cls, bound in reversed(self.thresholds):
            hit = (numbers >= bound) if self.higher_is_worse else (numbers <= bound)
            out[valid & hit] = CLASS_RANK[cls]
        return out

    def classify(self, values: Any) -> pd.Series:
        """Class name per value (``string`` dtype, empty where no class applies)."""
        ranks = self.ranks(values)
        names = pd.Series(ranks).map(RANK_CLASS)
        index = values.index if isinstance(values, pd.Series) else None
        out = pd.Series(names.to_numpy(dtype=object), dtype="string")
        if index is not None:
            out.index = index
        return out

    # -- describing --------------------------------------------------------------
    def legend(self) -> pd.DataFrame:
        """One row per class: ``hazard_class``, ``colour``, ``rule`` (what values it takes)."""
        rows = []
        for cls in HAZARD_CLASSES:
            if self.kind == "thresholds":
                bounds = dict(self.thresholds)
                if cls not in bounds:
                    continue
                worse = [b for c, b in self.thresholds if CLASS_RANK[c] > CLASS_RANK[cls]]
                if self.higher_is_worse:
                    rule = f">= {_fmt(bounds[cls])}" + (f" and < {_fmt(min(worse))}" if worse else "")
                else:
                    rule = f"<= {_fmt(bounds[cls])}" + (f" and > {_fmt(max(worse))}" if worse else "")
            elif self.kind == "categories":
                keys = sorted(k for k, v in self.categories.items() if v == cls)
                if not keys:
                    continue
                rule = "value in " + ", ".join(keys)
            else:
                rule = f"value '{cls}'"
            rows.append({"hazard_class": cls, "rank": CLASS_RANK[cls], "colour": CLASS_COLOURS[cls], "rule": rule})
        return pd.DataFrame(rows, columns=["hazard_class", "rank", "colour", "rule"])

    def to_dict(self) -> dict:
        """A JSON-able form that :func:`make_mapping` reads back."""
        if self.kind == "thresholds":
            return {"thresholds": {c: b for c, b in self.thresholds}, "higher_is_worse": self.higher_is_worse}
        if self.kind == "categories":
            return {"categories": dict(self.categories)}
        return {"classes": True}


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else (str(int(x)) if float(x).is_integer() else f"{x:g}")


def make_mapping(spec: Any = None) -> ClassMapping:
    """Build a :class:`ClassMapping` from what a user gives.

    Accepted forms:

    * ``None`` — values already are class names;
    * ``{"High": 10, "Medium": 5, "Low": 2, "Very low": 0}`` — thresholds. If the
      bounds fall from High to Very low, higher values are worse (``value >= bound``);
      if they rise, lower values are worse (``value <= bound``, e.g. return periods);
    * ``{"thresholds": {...}, "higher_is_worse": false}`` — the same, direction explicit;
    * ``{"1": "Very low", "2": "Low", "flood plain": "High"}`` or
      ``{"categories": {...}}`` — categories;
    * a JSON text or the path of a JSON file holding one of the above;
    * a :class:`ClassMapping`.

    Raises :class:`~geo.errors.SchemaError` with what is wrong otherwise.
    """
    if spec is None:
        return ClassMapping("classes")
    if isinstance(spec, ClassMapping):
        return spec
    if isinstance(spec, (str, Path)):
        text = str(spec)
        path = Path(text)
        if not text.lstrip().startswith("{") and path.suffix.lower() == ".json" and path.exists():
            text = path.read_text(encoding="utf-8")
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(key="err.hazard.mapping_not_json", reason=str(exc)) from None
    if not isinstance(spec, dict) or not spec:
        raise SchemaError(key="err.hazard.mapping_empty")
    if "thresholds" in spec:
        return _threshold_mapping(spec["thresholds"], spec.get("higher_is_worse"))
    if "categories" in spec:
        return _category_mapping(spec["categories"])
    if spec.get("classes") is True and len(spec) == 1:
        return ClassMapping("classes")
    if all(normalise_class(k) for k in spec) and all(_is_number(v) for v in spec.values()):
        return _threshold_mapping(spec, None)
    if all(normalise_class(v) for v in spec.values()):
        return _category_mapping(spec)
    raise SchemaError(key="err.hazard.mapping_unknown", thresholds=EXAMPLE_THRESHOLDS, categories=EXAMPLE_CATEGORIES)


def rule_text(mapping: Any) -> str:
    """The value → class rule as the JSON text stored in ``hazard_zones.class_rule``.

    Readable by people and by :func:`make_mapping`, e.g.
    ``{"higher_is_worse": true, "thresholds": {"High": 10.0, "Medium": 5.0}}``,
    ``{"categories": {"1": "Low", "2": "High"}}`` or ``{"classes": true}`` (the
    values already were class names). Keys are sorted, so equal rules give equal text.

    >>> rule_text({"High": 10, "Low": 2})
    '{"higher_is_worse": true, "thresholds": {"High": 10.0, "Low": 2.0}}'
    """
    return json.dumps(make_mapping(mapping).to_dict(), ensure_ascii=False, sort_keys=True)


def rule_mapping(text: Any) -> ClassMapping | None:
    """The :class:`ClassMapping` stored in a ``class_rule`` cell; None when the cell is
    empty (layers stored before the column existed) or not a readable rule."""
    if text is None or text is pd.NA or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return None
    try:
        return make_mapping(str(text))
    except SchemaError:
        return None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return not math.isnan(float(value))
    if isinstance(value, str):
        try:
            return not math.isnan(float(value))
        except ValueError:
            return False
    return False


def _threshold_mapping(thresholds: dict, higher_is_worse: bool | None) -> ClassMapping:
    if not isinstance(thresholds, dict) or not thresholds:
        raise SchemaError(key="err.hazard.thresholds_not_table")
    pairs: dict[str, float] = {}
    for key, bound in thresholds.items():
        cls = normalise_class(key)
        if cls is None:
            raise SchemaError(key="err.hazard.not_a_class", name=str(key))
        if not _is_number(bound):
            raise SchemaError(key="err.hazard.threshold_not_number", cls=cls, value=str(bound))
        pairs[cls] = float(bound)
    ordered = tuple((c, pairs[c]) for c in HAZARD_CLASSES if c in pairs)
    bounds = [b for _, b in ordered]
    falling = all(a > b for a, b in zip(bounds, bounds[1:]))
    rising = all(a < b for a, b in zip(bounds, bounds[1:]))
    if higher_is_worse is None:
        if len(bounds) == 1:
            higher_is_worse = True
        elif falling:
            higher_is_worse = True
        elif rising:
            higher_is_worse = False
        else:
            raise SchemaError(key="err.hazard.thresholds_mixed",
                              got=", ".join(f"{c} {_fmt(b)}" for c, b in ordered))
    elif (higher_is_worse and not falling) or (not higher_is_worse and not rising):
        raise SchemaError(key="err.hazard.thresholds_must_fall" if higher_is_worse else "err.hazard.thresholds_must_rise")
    return ClassMapping("thresholds", thresholds=ordered, higher_is_worse=bool(higher_is_worse))


def _category_mapping(categories: dict) -> ClassMapping:
    if not isinstance(categories, dict) or not categories:
        raise SchemaError(key="err.hazard.categories_not_table")
    table: dict[str, str] = {}
    for key, cls in categories.items():
        name = normalise_class(cls)
        if name is None:
            raise SchemaError(key="err.hazard.category_not_a_class", name=str(cls), value=str(key))
        table[_category_key(key)] = name
    return ClassMapping("categories", categories=table)


def classify_values(values: Any, mapping: Any = None) -> pd.Series:
    """Class name per value under a mapping (any form :func:`make_mapping` accepts)."""
    return make_mapping(mapping).classify(values if isinstance(values, pd.Series) else pd.Series(values))


# --------------------------------------------------------------------------- provenance
def _provenance_row(hazard_type: str, layer_name: str | None, source: str | None, source_date: str | None,
                    licence: str | None, path: Path | None) -> dict:
    if not hazard_type or not str(hazard_type).strip():
        raise SchemaError(key="err.hazard.no_type")
    name = layer_name or (path.stem if path is not None else str(hazard_type))
    return {
        "hazard_type": str(hazard_type).strip(),
        "layer_name": name,
        "source": source if source else (path.name if path is not None else pd.NA),
        "source_date": source_date if source_date else pd.NA,
        "licence": licence if licence else pd.NA,
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "layer"


def _zone_frame(geometries: gpd.GeoSeries, classes: pd.Series, values: pd.Series, meta: dict,
                indicative: bool = False) -> gpd.GeoDataFrame:
    """Assemble a hazard_zones frame (EPSG:4326) from geometries in any CRS."""
    from geo.store.base import conform

    geoms = _polygonal(geometries)
    keep = ~(geoms.is_empty | geoms.isna())
    if geometries.crs is None:
        raise CRSUnresolvedError(key="err.hazard.no_crs")
    frame = gpd.GeoDataFrame(
        {
            "hazard_class": pd.Series(classes.to_numpy(dtype=object), dtype="string")[keep.to_numpy()].to_numpy(),
            "value": pd.to_numeric(pd.Series(values.to_numpy()), errors="coerce")[keep.to_numpy()].to_numpy(),
        },
        geometry=geoms[keep].reset_index(drop=True).values,
        crs=geometries.crs,
    )
    if len(frame) == 0:
        raise NotGeodataError(key="err.hazard.no_polygons")
    frame = frame.to_crs(STORAGE_CRS)
    _check_in_country(frame)
    slug = _slug(meta["layer_name"])
    frame.insert(0, "zone_id", [f"{slug}:{i + 1}" for i in range(len(frame))])
    for key, value in meta.items():
        frame[key] = value
    frame["indicative"] = indicative
    return conform(frame, "hazard_zones")


def _polygonal(geometries: gpd.GeoSeries) -> gpd.GeoSeries:
    """Valid MultiPolygons: invalid rings repaired, non-area parts dropped."""
    values = np.asarray(geometries.values, dtype=object)
    values = np.where(pd.isna(values), None, values)
    invalid = ~shapely.is_valid(values) & ~shapely.is_missing(values)
    if invalid.any():
        values[invalid] = shapely.make_valid(values[invalid])
    types = shapely.get_type_id(values)
    out = np.full(len(values), None, dtype=object)
    polygon = types == shapely.GeometryType.POLYGON
    out[polygon] = shapely.multipolygons(values[polygon][:, None]) if polygon.any() else []
    multi = types == shapely.GeometryType.MULTIPOLYGON
    out[multi] = values[multi]
    collection = types == shapely.GeometryType.GEOMETRYCOLLECTION
    if collection.any():
        parts, owner = shapely.get_parts(values[collection], return_index=True)
        is_poly = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
        rebuilt = np.full(collection.sum(), None, dtype=object)
        if is_poly.any():
            present, compact = np.unique(owner[is_poly], return_inverse=True)
            rebuilt[present] = shapely.multipolygons(parts[is_poly], indices=compact)
        out[collection] = rebuilt
    return gpd.GeoSeries(out, index=geometries.index, crs=geometries.crs)


def _check_in_country(frame: gpd.GeoDataFrame) -> None:
    minx, miny, maxx, maxy = frame.total_bounds
    if not box(minx, miny, maxx, maxy).intersects(box(*COUNTRY_BOUNDS)):
        raise OutsideCountryError(key="err.hazard.outside", minx=f"{minx:.3f}", maxx=f"{maxx:.3f}",
                                  miny=f"{miny:.3f}", maxy=f"{maxy:.3f}")


# --------------------------------------------------------------------------- vectors
def read_hazard_vector(
    path: str | Path,
    *,
    hazard_type: str,
    mapping: Any = None,
    value_column: str | None = None,
    source: str | None = None,
    source_date: str | None = None,
    licence: str | None = None,
    layer_name: str | None = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Import hazard zones from a vector file (GeoJSON, GeoPackage, Shapefile, … in any CRS).

    ``value_column`` names the column with the class or value; when not given, a
    column called ``hazard_class``, ``class``, ``value``, the hazard type, or the only
    numeric column is used. Numeric columns need a threshold mapping; text columns a
    category mapping, or none when they already hold class names. The result is a
    ``hazard_zones`` frame in EPSG:4326; zones whose value maps to no class keep an
    empty ``hazard_class``.
    """
    path = Path(path)
    try:
        raw = gpd.read_file(path, engine="pyogrio", layer=layer)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise NotGeodataError(key="err.hazard.unreadable", name=path.name, reason=str(exc)) from None
    if len(raw) == 0:
        raise NotGeodataError(key="err.hazard.no_features", name=path.name)
    if raw.crs is None:
        raise CRSUnresolvedError(key="err.hazard.file_no_crs", name=path.name)
    column = _value_column(raw, value_column, hazard_type)
    values = raw[column]
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if mapping is None and numeric:
        raise SchemaError(key="err.hazard.numbers_need_thresholds", column=str(column), example=EXAMPLE_THRESHOLDS)
    rule = make_mapping(mapping)
    classes = rule.classify(values.reset_index(drop=True))
    numbers = values.reset_index(drop=True) if numeric else pd.Series(np.nan, index=range(len(raw)))
    meta = _provenance_row(hazard_type, layer_name, source, source_date, licence, path)
    meta["class_rule"] = rule_text(rule)
    return _zone_frame(raw.geometry.reset_index(drop=True), classes, numbers, meta)


def zones_from_frame(
    frame: gpd.GeoDataFrame,
    *,
    hazard_type: str,
    mapping: Any = None,
    value_column: str | None = None,
    source: str | None = None,
    source_date: str | None = None,
    licence: str | None = None,
    layer_name: str | None = None,
    indicative: bool = False,
) -> gpd.GeoDataFrame:
    """The same as :func:`read_hazard_vector` for a GeoDataFrame already in memory."""
    if frame.crs is None:
        raise CRSUnresolvedError(key="err.hazard.no_crs")
    column = _value_column(frame, value_column, hazard_type)
    values = frame[column].reset_index(drop=True)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if mapping is None and numeric:
        raise SchemaError(key="err.hazard.numbers_need_thresholds", column=str(column), example=EXAMPLE_THRESHOLDS)
    rule = make_mapping(mapping)
    classes = rule.classify(values)
    numbers = values if numeric else pd.Series(np.nan, index=range(len(frame)))
    meta = _provenance_row(hazard_type, layer_name, source, source_date, licence, None)
    meta["class_rule"] = rule_text(rule)
    return _zone_frame(frame.geometry.reset_index(drop=True), classes, numbers, meta, indicative=indicative)


def _value_column(frame: pd.DataFrame, requested: str | None, hazard_type: str) -> str:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if requested:
        if requested not in frame.columns:
            raise SchemaError(key="err.hazard.no_column", column=str(requested),
                              columns=", ".join(map(str, columns)) or "—")
        return requested
    lower = {str(c).lower(): c for c in columns}
    for name in ("hazard_class", "class", "value", str(hazard_type).lower()):
        if name in lower:
            return lower[name]
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c])]
    if len(numeric) == 1:
        return numeric[0]
    raise SchemaError(key="err.hazard.which_column", columns=", ".join(map(str, columns)) or "—")


# --------------------------------------------------------------------------- rasters
@dataclass
class ClassifiedRaster:
    """A raster's hazard class per cell: ``ranks`` (uint8, 4 High … 1 Very low, 0 none)
    on the source grid (``transform``, ``crs`` as given by rasterio)."""

    ranks: np.ndarray
    transform: Any
    crs: Any


def classify_raster(path: str | Path, mapping: Any, band: int = 1) -> ClassifiedRaster:
    """Classify every cell of a raster band; nodata and NaN cells get rank 0."""
    import rasterio

    path = Path(path)
    mapping = make_mapping(mapping)
    if mapping.kind == "classes":
        raise SchemaError(key="err.hazard.raster_needs_mapping")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise CRSUnresolvedError(key="err.hazard.raster_no_crs", name=path.name)
            data = src.read(band, masked=True)
            transform, crs = src.transform, src.crs
    except CRSUnresolvedError:
        raise
    except Exception as exc:
        raise NotGeodataError(key="err.hazard.raster_unreadable", name=path.name, reason=str(exc)) from None
    values = np.ma.filled(data.astype("float64"), np.nan)
    ranks = mapping.ranks(values.ravel()).reshape(values.shape).astype(np.uint8)
    return ClassifiedRaster(ranks, transform, crs)


def write_class_raster(path: str | Path, mapping: Any, out_path: str | Path, band: int = 1) -> Path:
    """Write the classified grid (uint8 ranks, 0 = nodata) as a GeoTIFF for zonal statistics."""
    import rasterio

    classified = classify_raster(path, mapping, band)
    out_path = Path(out_path)
    with rasterio.open(
        out_path, "w", driver="GTiff", width=classified.ranks.shape[1], height=classified.ranks.shape[0],
        count=1, dtype="uint8", crs=classified.crs, transform=classified.transform, nodata=0, compress="deflate",
    ) as dst:
        dst.write(classified.ranks, 1)
    return out_path


def vectorise_classes(classified: ClassifiedRaster, sieve_cells: int = 0, clip_to: Any = None) -> gpd.GeoDataFrame:
    """Class polygons (one MultiPolygon per class) in the raster's own CRS.

    ``sieve_cells`` > 1 first merges patches smaller than that many cells into their
    neighbours (:func:`rasterio.features.sieve`) to drop speckle. ``clip_to`` (a
    shapely geometry in the raster's CRS) trims the polygons; only those crossing
    its edge are cut.
    """
    from rasterio.features import shapes, sieve
    from shapely.geometry import shape

    ranks = classified.ranks
    if sieve_cells and sieve_cells > 1:
        ranks = sieve(ranks, size=int(sieve_cells), connectivity=4, mask=ranks > 0)
    found = list(shapes(ranks, mask=ranks > 0, transform=classified.transform, connectivity=4))
    polygons = np.empty(len(found), dtype=object)
    polygons[:] = [shape(geom) for geom, _ in found]
    values = np.fromiter((int(v) for _, v in found), dtype=int, count=len(found))
    if clip_to is not None and len(polygons):
        shapely.prepare(clip_to)
        cut = ~shapely.within(polygons, clip_to)
        polygons[cut] = shapely.intersection(polygons[cut], clip_to)
        parts, owner = shapely.get_parts(polygons, return_index=True)
        keep = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(parts)
        polygons, values = parts[keep], values[owner[keep]]
    rows = []
    for rank in sorted(set(values.tolist()), reverse=True):
        rows.append({"hazard_class": RANK_CLASS[rank], "geometry": shapely.multipolygons(polygons[values == rank])})
    crs = classified.crs.to_wkt() if classified.crs is not None else None
    return gpd.GeoDataFrame(rows, columns=["hazard_class", "geometry"], geometry="geometry", crs=crs)


def read_hazard_raster(
    path: str | Path,
    *,
    hazard_type: str,
    mapping: Any,
    band: int = 1,
    source: str | None = None,
    source_date: str | None = None,
    licence: str | None = None,
    layer_name: str | None = None,
    sieve_cells: int = 0,
) -> gpd.GeoDataFrame:
    """Import a hazard raster (GeoTIFF … in any CRS) as class polygons in ``hazard_zones`` form.

    Cells are classified with ``mapping`` in the raster's CRS, vectorised to one
    MultiPolygon per class, densified along cell edges and reprojected to EPSG:4326.
    ``value`` stays empty (a class polygon spans many values); use
    :func:`geo.exposure.raster_zonal` on the raster itself for value statistics.
    """
    path = Path(path)
    rule = make_mapping(mapping)
    classified = classify_raster(path, rule, band)
    polygons = vectorise_classes(classified, sieve_cells=sieve_cells)
    if len(polygons) == 0:
        raise SchemaError(key="err.hazard.raster_no_class", name=path.name)
    if not polygons.crs.is_geographic:
        cell = min(abs(classified.transform.a), abs(classified.transform.e))
        polygons["geometry"] = shapely.segmentize(polygons.geometry.values, max_segment_length=8 * cell)
    meta = _provenance_row(hazard_type, layer_name, source, source_date, licence, path)
    meta["class_rule"] = rule_text(rule)
    return _zone_frame(polygons.geometry, polygons["hazard_class"], pd.Series(np.nan, index=polygons.index), meta)


def is_raster_path(path: str | Path) -> bool:
    """Whether a file is read as a raster (by its suffix)."""
    return Path(path).suffix.lower() in RASTER_SUFFIXES


def read_hazard_layer(path: str | Path, **kwargs) -> gpd.GeoDataFrame:
    """Import a hazard layer from a raster or vector file (chosen by suffix); see
    :func:`read_hazard_raster` and :func:`read_hazard_vector` for the arguments."""
    if is_raster_path(path):
        kwargs.pop("value_column", None)
        kwargs.pop("layer", None)
        return read_hazard_raster(path, **kwargs)
    kwargs.pop("band", None)
    kwargs.pop("sieve_cells", None)
    return read_hazard_vector(path, **kwargs)


# --------------------------------------------------------------------------- layers
def hazard_layers(zones: pd.DataFrame) -> pd.DataFrame:
    """One row per layer in a hazard_zones frame: name, type, provenance, indicative, the
    stored value → class rule (``class_rule``, empty for layers stored without it), zone count."""
    cols = ["layer_name", "hazard_type", "source", "source_date", "licence", "indicative", "class_rule"]
    if len(zones) == 0:
        return pd.DataFrame(columns=cols + ["zones"])
    table = pd.DataFrame(zones).reindex(columns=cols).astype({"layer_name": "string", "hazard_type": "string",
                                                             "class_rule": "string"})
    return (
        table.groupby(["layer_name", "hazard_type"], dropna=False, sort=True)
        .agg(source=("source", "first"), source_date=("source_date", "first"), licence=("licence", "first"),
             indicative=("indicative", "first"), class_rule=("class_rule", "first"), zones=("layer_name", "size"))
        .reset_index()
    )


def replace_indicative(current: gpd.GeoDataFrame, imported: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The hazard_zones layer after an import: official layers replace indicative ones.

    Rows of ``current`` with the same ``layer_name`` as the import are replaced; when
    the import has non-indicative zones of a hazard type, the indicative zones of
    that type are dropped.
    """
    from geo.store.base import conform

    if len(current) == 0:
        return conform(imported, "hazard_zones")
    names = set(imported["layer_name"].dropna())
    official = imported.loc[~imported["indicative"].fillna(False).astype(bool), "hazard_type"]
    official_types = set(official.dropna())
    keep = ~current["layer_name"].isin(names)
    keep &= ~(current["indicative"].fillna(False).astype(bool) & current["hazard_type"].isin(official_types))
    joined = pd.concat([current[keep], imported], ignore_index=True)
    return conform(gpd.GeoDataFrame(joined, geometry="geometry", crs=STORAGE_CRS), "hazard_zones")
