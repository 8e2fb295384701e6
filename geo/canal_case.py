"""The Voruh–Shurab canal case (FACTS.md section c) as store frames.

The case is shipped as data in ``data/canals/voruh_shurab.json``: every record carries
a ``source_ref`` into the source document (``001:7734``) and none carries coordinates.
Positions come only from the settlement gazetteer passed in: a place is located when
one of its documented spellings matches a settlement name exactly (case, accents and
punctuation ignored) and that settlement lies in or within
:data:`MATCH_DISTANCE_KM` of Batken rayon. A place that is not found stays without
geometry and says so in ``note``; no position is ever invented.

The canal line is a schematic through the located places in the order the source
lists them (Kyrgyz section, Tajik section, then the tail at Shurab); with fewer than
two located places it has no geometry. Lengths are the documented ones, never
measured from the schematic.
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from geo import canals  # noqa: F401  (importing it registers the canal layers)
from geo import schema
from geo.crs import to_metric
from geo.settings import DATA_DIR, STORAGE_CRS
from geo.store.base import Frame, Store, conform, now_utc

#: The shipped case file.
CASE_FILE = DATA_DIR / "canals" / "voruh_shurab.json"

#: A gazetteer settlement counts as one of the case's places only within this
#: distance (km) of the Batken rayon polygon (the canal runs along the border).
MATCH_DISTANCE_KM = 10.0

#: Location precision of an aggregate placed at a located village / jamoat, and of
#: records that cannot be placed (known only to the rayon).
PRECISION_VILLAGE, PRECISION_JAMOAT, PRECISION_RAYON = 2, 3, 4


def load_case(path: str | Path = CASE_FILE) -> dict:
    """The case file as a dict (see the file's ``about`` block)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def normalise_name(name) -> str:
    """A spelling reduced for matching: no accents, case or punctuation (``"Ak-Tatyr"`` → ``"aktatyr"``)."""
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return ""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "", text.casefold())


def _case_area(admin_units: Frame) -> gpd.GeoSeries | None:
    """Batken rayon (level 2) or, failing that, Batken oblast (KG-B), in EPSG:4326."""
    if admin_units is None or len(admin_units) == 0 or "geometry" not in admin_units:
        return None
    units = gpd.GeoDataFrame(admin_units, geometry="geometry", crs=getattr(admin_units, "crs", None) or STORAGE_CRS)
    names = units.get("name_en", pd.Series("", index=units.index)).astype("string").str.casefold()
    level = pd.to_numeric(units.get("level", pd.Series(pd.NA, index=units.index)), errors="coerce")
    pcode = units.get("pcode", pd.Series("", index=units.index)).astype("string")
    for mask in ((level == 2) & (names == "batken"), (level == 1) & (pcode == "KG-B")):
        chosen = units[mask.fillna(False).to_numpy()]
        if len(chosen):
            return chosen.geometry.to_crs(STORAGE_CRS)
    return None


def locate_places(places: list[dict], settlements: Frame, admin_units: Frame) -> pd.DataFrame:
    """Find the case's places in the gazetteer.

    Parameters
    ----------
    places
        ``places`` records of the case file (``name``, ``aliases``, ``kind`` …).
    settlements
        Settlements layer (EPSG:4326), names in ``name_en``/``name_ru``/``name_ky`` and
        ``alt_names`` (separated by ``|``, ``,`` or ``;``).
    admin_units
        Admin units layer, used to keep only settlements near Batken rayon.

    Returns
    -------
    DataFrame with one row per place: ``name``, ``settlement_id`` (empty when not
    found), ``geometry`` (Point or None), ``status`` (``located``, ``not found``,
    ``ambiguous`` or ``no admin area``).
    """
    wanted = pd.DataFrame(places)[["name", "aliases"]].explode("aliases")
    wanted["key"] = wanted["aliases"].map(normalise_name)
    result = pd.DataFrame({"name": [p["name"] for p in places]})
    result["settlement_id"] = pd.Series(pd.NA, index=result.index, dtype="string")
    result["geometry"] = None
    result["status"] = "not found"
    area = _case_area(admin_units)
    if settlements is None or len(settlements) == 0:
        return result
    if area is None:
        result["status"] = "no admin area"
        return result
    towns = gpd.GeoDataFrame(settlements, geometry="geometry", crs=getattr(settlements, "crs", None) or STORAGE_CRS)
    towns = towns[towns.geometry.notna() & ~towns.geometry.is_empty].to_crs(STORAGE_CRS).reset_index(drop=True)
    metric_area = to_metric(gpd.GeoDataFrame(geometry=area, crs=STORAGE_CRS))
    metric_towns = towns.to_crs(metric_area.crs)
    near = metric_towns.geometry.distance(metric_area.union_all()) <= MATCH_DISTANCE_KM * 1000
    towns = towns[near.to_numpy()]
    name_cols = [c for c in ("name_en", "name_ru", "name_ky", "alt_names") if c in towns.columns]
    names = towns[name_cols].astype("string").fillna("")
    long = names.stack().str.split(r"\s*[|,;]\s*", regex=True).explode().reset_index(level=1, drop=True)
    long = pd.DataFrame({"key": long.map(normalise_name), "row": long.index}).query("key != ''")
    hits = wanted.merge(long, on="key").drop_duplicates(["name", "row"])
    per_place = hits.groupby("name")["row"].agg(list)
    sid = towns["settlement_id"] if "settlement_id" in towns else pd.Series(towns.index.astype(str), index=towns.index)
    for name, rows in per_place.items():
        position = result.index[result["name"] == name]
        if len(rows) == 1:
            result.loc[position, "settlement_id"] = str(sid.loc[rows[0]])
            result.loc[position, "geometry"] = pd.Series([towns.geometry.loc[rows[0]]] * len(position), index=position)
            result.loc[position, "status"] = "located"
        else:
            result.loc[position, "status"] = "ambiguous"
    return result


def _stamp(frame: pd.DataFrame, name: str, user: str, at: str) -> Frame:
    """Conform to the layer and, for versioned layers, start at version 1."""
    out = conform(frame, name)
    if schema.LAYERS[name].versioned:
        out["version"] = pd.array([1] * len(out), dtype="Int64")
        out["updated_at"] = at
        out["updated_by"] = user
    return out


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _place_note(place: str, status: str) -> str:
    if status == "ambiguous":
        return f"{place} matches several gazetteer settlements; no position is given."
    return f"{place} is not in the settlement gazetteer; no position is given (known to the rayon only)."


def voruh_shurab_frames(settlements: Frame, admin_units: Frame, user: str = "build",
                        path: str | Path = CASE_FILE) -> dict[str, Frame]:
    """The shipped Voruh–Shurab case as one frame per canal layer (EPSG:4326).

    Returns a dict keyed by layer name (``canals``, ``canal_outlets``,
    ``canal_sections``, ``canal_agreements``, ``outlet_allocations``,
    ``canal_disputes``, ``canal_dispute_events``, ``flow_measurements``,
    ``canal_facts``). Versioned layers start at version 1 by ``user``. Flows are in
    l/s, lengths in km (documented, not measured).
    """
    case = load_case(path)
    at = now_utc()
    canal_id = case["canal"]["canal_id"]
    places = case["places"]
    located = locate_places(places, settlements, admin_units).set_index("name")
    kind = {p["name"]: p.get("kind", "village") for p in places}

    def position(place):
        if place is None or place not in located.index:
            return None, PRECISION_RAYON, ""
        row = located.loc[place]
        if row["status"] != "located":
            return None, PRECISION_RAYON, _place_note(place, row["status"])
        precision = PRECISION_JAMOAT if kind.get(place) == "jamoat" else PRECISION_VILLAGE
        return row["geometry"], precision, f"Placed at gazetteer settlement {row['settlement_id']}."

    # canal: schematic through located places in the documented order
    route = [p["name"] for p in places if p.get("role") in ("section", "tail")]
    on_route = [name for name in route if located.loc[name, "status"] == "located"]
    canal = dict(case["canal"])
    if len(on_route) >= 2:
        geometry = LineString([located.loc[name, "geometry"] for name in on_route])
        canal["note"] = (
            f"schematic: only the villages {_and(on_route)} could be located; the route between them "
            "is not known. The line joins them in the order the source lists the villages, which is not stated "
            "to be their order along the canal. " + canal["note"]
        )
    else:
        geometry = None
        found = f"only {on_route[0]} could be located" if on_route else "none of its villages could be located"
        canal["note"] = (f"No line: {found} in the settlement gazetteer, too few to draw a route. " + canal["note"])
    canal["location_precision"] = PRECISION_RAYON
    frames: dict[str, Frame] = {
        "canals": gpd.GeoDataFrame(pd.DataFrame([canal]), geometry=[geometry], crs=STORAGE_CRS),
    }

    outlets = pd.DataFrame(case["outlets"])
    outlet_geoms, precisions, notes = [], [], []
    for record in case["outlets"]:
        if record.get("village"):
            geom, precision, extra = position(record["village"])
        else:
            geom, precision, extra = None, PRECISION_RAYON, "Along the canal (Batken and Isfara rayons); no position."
        outlet_geoms.append(geom)
        precisions.append(precision)
        notes.append(f"{record['note']} {extra}".strip())
    outlets["location_precision"] = precisions
    outlets["note"] = notes
    frames["canal_outlets"] = gpd.GeoDataFrame(outlets, geometry=outlet_geoms, crs=STORAGE_CRS)

    measurements = pd.DataFrame(case["measurements"])
    m_geoms, m_precisions, m_notes = [], [], []
    for record in case["measurements"]:
        geom, precision, extra = position(record.get("village"))
        m_geoms.append(geom)
        m_precisions.append(precision)
        m_notes.append(f"{record['note']} {extra}".strip())
    measurements["location_precision"] = m_precisions
    measurements["note"] = m_notes
    frames["flow_measurements"] = gpd.GeoDataFrame(measurements, geometry=m_geoms, crs=STORAGE_CRS)

    for layer, key in (("canal_sections", "sections"), ("canal_agreements", "agreements"),
                       ("outlet_allocations", "allocations"), ("canal_disputes", "disputes"),
                       ("canal_dispute_events", "events"), ("canal_facts", "facts")):
        frames[layer] = pd.DataFrame(case[key])
    frames["canal_dispute_events"]["dispute_id"] = case["disputes"][0]["dispute_id"]

    out: dict[str, Frame] = {}
    for name, frame in frames.items():
        if "canal_id" in schema.LAYERS[name].columns and "canal_id" not in frame:
            frame["canal_id"] = canal_id
        out[name] = _stamp(frame, name, user, at)
    return out


def install_voruh_shurab(store: Store, user: str = "build") -> dict[str, int]:
    """Add the shipped case to ``store`` without touching rows that are already there.

    Rows whose key already exists (for instance edited since) are kept as stored;
    only missing ones are appended, in one transaction with audit rows. Returns the
    number of rows added per layer.
    """
    frames = voruh_shurab_frames(store.read("settlements"), store.read("admin_units"), user=user)
    added: dict[str, int] = {}
    with store.transaction(user) as tx:
        for name, frame in frames.items():
            key = schema.LAYERS[name].key
            new = frame[~frame[key].isin(tx.read(name)[key].dropna())]
            if len(new):
                tx.append(name, new)
            added[name] = len(new)
    return added


__all__ = [
    "CASE_FILE", "MATCH_DISTANCE_KM", "install_voruh_shurab", "load_case", "locate_places",
    "normalise_name", "voruh_shurab_frames",
]
