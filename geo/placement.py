"""Giving each project a geometry and an AidData location precision code.

The seeds name places, not coordinates. :func:`place_projects` turns the names in a
projects frame (``oblast_name``, ``rayon_name``, ``aiyl_okmot_name``, ``village``)
into a point taken from the reference data, coded with the AidData geocoding
methodology (:data:`geo.schema.PRECISION_CODES`):

====  ==========================================================================
code  placed at
====  ==========================================================================
2     the settlement point(s) the ``village`` cell names, found in the gazetteer
      and lying in the named oblast and rayon
3     a representative point of the named aiyl okmot (only when level-3
      boundaries have been imported)
4     a representative point of the named rayon
5     a representative point of the named oblast
6     a representative point of Kyrgyzstan (national rows, or no Kyrgyz unit named)
====  ==========================================================================

Code 1 (exact location) is never given: no seed gives coordinates. Rows naming
several places of the same kind (villages "Kabak; Chirak", oblasts "Jalal-Abad;
Talas") get a MultiPoint with one point per place, and only when *every* named
place is found; otherwise the row falls back to the next larger unit. Parts outside
Kyrgyzstan (Sogdii oblast and Isfara rayon of Tajikistan) are never placed: the
row goes to the smallest Kyrgyz unit it names. No coordinate is ever made up:
every point is a settlement point or a point of a boundary polygon.

``location_note`` says, in plain English, where the point is and why nothing more
exact was possible. Geometries are EPSG:4326.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
from shapely.geometry import MultiPoint, Point

from geo.gazetteer import SAME_PLACE_M, Gazetteer, PlaceList, entry_label, is_city, names_match, split_places
from geo.settings import STORAGE_CRS

#: Columns :func:`place_projects` fills.
PLACEMENT_COLUMNS = (
    "location_precision", "location_note", "oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode", "settlement_id",
)


@dataclass
class Placement:
    """The outcome for one project."""

    geometry: Point | MultiPoint | None
    precision: int
    note: str
    oblast_pcode: str | None = None
    rayon_pcode: str | None = None
    aiyl_okmot_pcode: str | None = None
    settlement_id: str | None = None


@dataclass
class _Units:
    """The units a row names at one level: found pcodes and what could not be used."""

    places: PlaceList
    found: list[tuple[str, str]] = field(default_factory=list)  # (name as written, pcode)
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every named Kyrgyz place was found (and at least one was named)."""
        return bool(self.found) and not self.missing

    @property
    def single(self) -> str | None:
        return self.found[0][1] if len(self.found) == 1 and not self.missing else None


def _look_up(places: PlaceList, entries, find) -> _Units:
    """Look each entry up with ``find(entry) -> pcode | None``."""
    units = _Units(places)
    for entry in entries:
        pcode = find(entry)
        if pcode:
            units.found.append((entry_label(entry), pcode))
        else:
            units.missing.append(entry_label(entry))
    return units


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _quoted(names) -> str:
    return ", ".join(names)


def _points(geoms) -> Point | MultiPoint:
    geoms = list(geoms)
    return geoms[0] if len(geoms) == 1 else MultiPoint(geoms)


def _unit_label(gaz: Gazetteer, written: str, pcode: str, kind: str) -> str:
    """'Issyk-Ata rayon (Ysyk-Ata in the boundary data)' or 'Kochkor rayon'."""
    official = gaz.unit_name(pcode)
    label = f"{written} {kind}"
    if official and official.lower() != written.lower():
        label += f" ({official} in the boundary data)"
    return label


def place_row(row: pd.Series, gaz: Gazetteer) -> Placement:
    """Place one project row (see the module docstring for the order of attempts)."""
    oblast_cell = split_places(_text(row.get("oblast_name")))
    rayon_cell = split_places(_text(row.get("rayon_name")))
    ao_cell = split_places(_text(row.get("aiyl_okmot_name")))
    village_cell = split_places(_text(row.get("village")))
    reasons: list[str] = []

    # A row whose oblast is only a foreign one (Sogdii, Tajikistan) names foreign places throughout.
    outside_only = bool(oblast_cell.foreign) and not oblast_cell.names
    foreign = [*oblast_cell.foreign, *rayon_cell.foreign, *village_cell.foreign]
    if outside_only:
        foreign += [*rayon_cell.names, *ao_cell.names, *village_cell.names]

    # Oblasts
    oblasts = _look_up(oblast_cell, [] if outside_only else oblast_cell.names, gaz.oblast)
    oblast_pcode = oblasts.single
    if oblasts.missing:
        reasons.append(f"oblast {_quoted(oblasts.missing)} not in the boundary data")

    # Rayons, inside the named oblast when there is exactly one
    rayons = _look_up(rayon_cell, [] if outside_only else rayon_cell.names, lambda e: gaz.rayon(e, oblast_pcode))
    rayon_pcode = rayons.single
    if rayons.missing:
        where = f" of {oblasts.found[0][0]} oblast" if oblast_pcode else ""
        reasons.append(f"rayon {_quoted(rayons.missing)} not found in the boundary data{where}")

    foreign_note = ""
    if foreign:
        foreign_note = f"; the row also names places outside Kyrgyzstan ({_quoted(foreign)}), which are not placed"

    # 1. Settlements (precision 2)
    villages = [] if outside_only else list(village_cell.names)
    if villages:
        matches = [gaz.settlement(v, oblast_pcode, rayon_pcode) for v in villages]
        usable = [m for m, v in zip(matches, villages) if m.found and (is_city(v) or m.spread_m <= SAME_PLACE_M)]
        if len(usable) == len(villages) and not village_cell.foreign and not village_cell.descriptive:
            return _at_settlements(villages, matches, oblast_pcode, rayon_pcode, oblasts, rayons, gaz)
        reasons.extend(_village_reasons(villages, matches, usable, bool(rayon_pcode), gaz))
    if village_cell.descriptive:
        reasons.append(f"village cell names no single settlement ('{_quoted(village_cell.descriptive)}')")

    # 2. Aiyl okmots (precision 3), only with level-3 boundaries
    if ao_cell.names and not outside_only:
        if gaz.has_level3:
            aos = _look_up(ao_cell, ao_cell.names, lambda e: gaz.aiyl_okmot(e, oblast_pcode, rayon_pcode))
            if aos.complete and not ao_cell.descriptive:
                geoms = [gaz.unit(p).geometry.representative_point() for _, p in aos.found]
                names = _quoted(_unit_label(gaz, w, p, "aiyl okmot") for w, p in aos.found)
                return Placement(
                    _points(geoms), 3,
                    _note(f"placed at the centre of {names}", reasons) + foreign_note,
                    oblast_pcode, rayon_pcode, aos.single,
                )
            if aos.missing:
                reasons.append(f"aiyl okmot {_quoted(aos.missing)} not in the level-3 boundaries")
        else:
            reasons.append(f"aiyl okmot boundaries not imported ({_quoted(entry_label(e) for e in ao_cell.names)})")
    if ao_cell.descriptive and (ao_cell.names or not (rayons.found or oblasts.found)):
        reasons.append(f"aiyl okmot cell names no single unit ('{_quoted(ao_cell.descriptive)}')")

    # 3. Rayons (precision 4)
    if rayons.complete:
        geoms = [gaz.unit(p).geometry.representative_point() for _, p in rayons.found]
        names = _quoted(_unit_label(gaz, w, p, "rayon") for w, p in rayons.found)
        return Placement(
            _points(geoms), 4, _note(f"placed at the centre of {names}", reasons) + foreign_note,
            oblast_pcode, rayon_pcode,
        )
    if not rayon_cell.names and not outside_only and (villages or ao_cell.names or village_cell.descriptive):
        reasons.append("rayon not given")

    # 4. Oblasts (precision 5)
    if oblasts.complete:
        geoms = [gaz.unit(p).geometry.representative_point() for _, p in oblasts.found]
        names = _quoted(_unit_label(gaz, w, p, "oblast") for w, p in oblasts.found)
        return Placement(
            _points(geoms), 5, _note(f"placed at the centre of {names}", reasons) + foreign_note,
            oblast_pcode,
        )

    # 5. National (precision 6)
    if outside_only:
        reasons.insert(0, f"the row names only places outside Kyrgyzstan ({_quoted(foreign)}) and no Kyrgyz unit")
        foreign_note = ""
    elif not oblast_cell.names:
        reasons.insert(0, "national row, no oblast named")
    return Placement(
        gaz.country_geometry().representative_point(), 6,
        _note("placed at the centre of Kyrgyzstan", reasons) + foreign_note,
    )


def _village_reasons(villages, matches, usable, rayon_named: bool, gaz: Gazetteer) -> list[str]:
    """Why the named villages could not all be used, one clause per kind of failure."""
    reasons = []
    absent = [m.name for m in matches if not m.found and not len(m.rejected)]
    if absent:
        noun = "village" if len(absent) == 1 else "villages"
        reasons.append(f"{noun} {_quoted(absent)} not in the gazetteer")
    area = "rayon" if rayon_named else "oblast"
    for m in matches:
        if m.found or not len(m.rejected):
            continue
        where = []
        for _, other in m.rejected.iterrows():
            label = f"{_text(other['name_en'])}, {other['settlement_id']}"
            if isinstance(other["_oblast"], str):
                label += f", in {gaz.unit_name(other['_oblast'])}"
            where.append(label)
        reasons.append(f"village {m.name} is in the gazetteer only outside the named {area} ({'; '.join(where)})")
    ambiguous = [m for m in matches if m.found and m not in usable]
    for m in ambiguous:
        reasons.append(f"{len(m.rows)} different settlements named {m.name} in the area, cannot tell which")
    if usable and len(usable) < len(villages):
        reasons.append(f"only {_quoted(m.name for m in usable)} of the listed villages found")
    return reasons


def _note(head: str, reasons: list[str]) -> str:
    return head + (": " + "; ".join(reasons) if reasons else ", the smallest unit the seed names")


_RAYON_WORDS = re.compile(r"район|району|\brayon\b|\braion\b|\bdistrict\b", re.IGNORECASE)


def _city_unit(gaz: Gazetteer, pcode: str, city: str) -> bool:
    """Whether a level-2 unit is the city itself ("Tokmok", "City of Tomok" for "Tokmok city").

    A rayon named like its seat ("Talas" rayon, "Таласский район", for "Talas city")
    is not: cities of oblast rank are not part of the rayon around them.
    """
    unit = gaz.unit(pcode)
    names = [_text(unit[c]) for c in ("name_en", "name_ru", "name_ky")]
    return names_match(names[0], city) and not any(_RAYON_WORDS.search(n) for n in names)


def _at_settlements(villages, matches, oblast_pcode, rayon_pcode, oblasts: _Units, rayons: _Units, gaz: Gazetteer) -> Placement:
    """Precision 2: the settlement point(s), with the units they lie in.

    A rayon not named in the seed is taken from the settlement's location, except for
    cities: cities of oblast rank lie outside any rayon, though the rayon polygons
    cover them. Only a level-2 unit that is the city itself ("City of Tomok") is used.
    """
    best = [m.best for m in matches]
    parts = []
    for m, s in zip(matches, best):
        label = f"{m.name} ({s['settlement_id']}"
        official = _text(s["name_en"])
        if official and official.lower() != m.name.lower():
            label += f", '{official}' in the gazetteer"
        label += ")"
        if len(m.rows) > 1:
            label += f", the most populous of {len(m.rows)} gazetteer entries of that name in the area"
        parts.append(label)
    note = ("placed at settlement " if len(best) == 1 else f"placed at {len(best)} settlements: ") + "; ".join(parts)
    if oblasts.missing:
        note += f"; oblast {_quoted(oblasts.missing)} not in the boundary data, settlement matched by name only"
    elif not oblasts.found and not oblasts.places.foreign:
        note += "; oblast not given in the seed, settlement matched by name only"

    def common(values):
        values = {v for v in values if isinstance(v, str) and v}
        return values.pop() if len(values) == 1 else None

    derived_oblast = oblast_pcode or common(s["_oblast"] for s in best)
    rayon_of = [
        s["_rayon"] if isinstance(s["_rayon"], str) and (not is_city(v) or _city_unit(gaz, s["_rayon"], v))
        else None
        for v, s in zip(villages, best)
    ]
    derived_rayon = rayon_pcode or (common(rayon_of) if all(rayon_of) else None)
    if not rayon_pcode and derived_rayon:
        note += f"; rayon {gaz.unit_name(derived_rayon)} taken from the settlement's location"
    if not oblast_pcode and derived_oblast and not oblasts.found:
        note += f"; oblast {gaz.unit_name(derived_oblast)} taken from the settlement's location"
    ao = None
    if gaz.has_level3:
        ao = common(gaz.containing_unit(s.geometry, 3) for s in best)
    if oblasts.places.foreign or rayons.places.foreign:
        note += "; the row also names places outside Kyrgyzstan, which are not placed"
    ids = ";".join(str(s["settlement_id"]) for s in best)
    return Placement(_points(s.geometry for s in best), 2, note, derived_oblast, derived_rayon, ao, ids)


def place_projects(projects: pd.DataFrame, admin_units: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Projects with geometry, ``location_precision`` and the placement columns.

    Parameters
    ----------
    projects : DataFrame
        Rows with ``oblast_name``, ``rayon_name``, ``aiyl_okmot_name`` and ``village``
        as written in the seeds (other columns are kept unchanged).
    admin_units : GeoDataFrame
        ``admin_units`` layer: level 1 and 2 units, optionally level 3 (aiyl okmots).
    settlements : GeoDataFrame
        ``settlements`` layer (points).

    Returns
    -------
    GeoDataFrame in EPSG:4326 with ``geometry`` (Point, or MultiPoint when a row
    names several places), ``location_precision`` (2–6; AidData codes),
    ``location_note``, ``oblast_pcode``, ``rayon_pcode``, ``aiyl_okmot_pcode`` and
    ``settlement_id`` (';'-separated when several settlements). Row order and index
    are those of ``projects``.
    """
    gaz = Gazetteer(admin_units, settlements)
    placed = [place_row(row, gaz) for _, row in projects.iterrows()]
    out = pd.DataFrame(projects).copy()
    out["location_precision"] = pd.array([p.precision for p in placed], dtype="Int64")
    out["location_note"] = pd.array([p.note for p in placed], dtype="string")
    for col in ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode", "settlement_id"):
        out[col] = pd.array([getattr(p, col) for p in placed], dtype="string")
    if "geometry" in out.columns:
        out = out.drop(columns="geometry")
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries([p.geometry for p in placed], index=out.index, crs=STORAGE_CRS))


def precision_counts(projects: pd.DataFrame) -> pd.Series:
    """Number of projects per precision code, 1–6 (zeros included)."""
    return projects["location_precision"].value_counts().reindex(range(1, 7), fill_value=0).rename("projects")
