"""Matching place names as the seeds write them to admin units and settlements.

The seed documents spell Kyrgyz places in several transliterations: Russian-style
(Issyk-Kul, Chui, Dzhalal-Abad, Usgen), Kyrgyz-style (Ysyk-Köl, Chüy, Jalal-Abad,
Özgön) and run-together forms (Jetioguz, Karasuu, Aksuu, Karabuura). The boundary
and settlement files add Cyrillic names (``name_ru``, ``name_ky``, ``alt_names``).

:func:`name_keys` reduces a name to a small set of comparison keys: Cyrillic is
transliterated, descriptor words (city, rayon, AO, LSG, …) are dropped, and spelling
differences that carry no meaning are folded (``dzh``/``zh``/``j``, ``y``/``i``,
doubled letters, ``ng``/``n``, ö read as o *or* u). Two names match when their key
sets share a key. A short alias table covers the spellings that folding cannot
join (Usgen/Uzgen, Tokmok/Tomok, Isfana/Razzakov, …).

:class:`Gazetteer` indexes an ``admin_units`` frame (levels 1–2, optionally 3) and a
``settlements`` frame (both as in :mod:`geo.schema`, EPSG:4326) and answers
"which oblast / rayon / aiyl okmot / settlement is this name?", checking that a
settlement or unit lies inside the oblast and rayon the row names. Distances for
those checks are measured in metres in :data:`geo.crs.KYRGYZSTAN_EQUAL_AREA`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import KYRGYZSTAN_EQUAL_AREA
from geo.store.base import conform

# -- transliteration and folding ------------------------------------------------------

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Kyrgyz letters
    "ө": "ö", "ү": "ü", "ң": "ng",
    # Tajik letters (names across the border)
    "ҳ": "h", "ӯ": "u", "қ": "q", "ғ": "gh", "ҷ": "j", "ӣ": "i",
}

#: Words that say what kind of place a name is, not which place.
DESCRIPTOR_WORDS = frozenset({
    "city", "town", "village", "villages", "selo", "gorod", "pos", "posyolok", "shaary", "shaar",
    "oblast", "oblasty", "oblusu", "oblasti", "region", "province", "rayon", "raion", "rayonu",
    "district", "municipality", "municipal", "ayil", "aiyl", "ailyl", "ayyl", "okmot",
    "okmotu", "okmoty", "aimak", "aymak", "ao", "aa", "lsg", "of", "the",
})

#: Spellings that folding cannot join; each group names one place.
ALIASES: tuple[tuple[str, ...], ...] = (
    ("Uzgen", "Usgen", "Özgön", "Uzgon"),
    ("Tokmok", "Tokmak", "Tomok"),
    ("Isfana", "Razzakov"),
    ("Alamudun", "Alamedin", "Alamüdün"),
    ("Samarkandyk", "Samarkendek", "Samarkandek"),
    ("Bokonbaevo", "Bokonbaeva", "Bokombayevskoye", "Bökönbaev"),
    ("Suluktu", "Sulyukta"),
    ("Ilaytalaa", "Ilaitalaa", "Ilayatala"),
)

_FOLDS = (
    ("shch", "sh"), ("dzh", "j"), ("dj", "j"), ("zh", "j"), ("kh", "h"), ("gh", "g"),
    ("q", "k"), ("w", "v"), ("ng", "n"), ("y", "i"), ("iu", "u"), ("ie", "e"),
)
#: Russian adjective endings after folding ("Кочкорский" → "kochkorski"), with what may
#: stand in their place in the name ("Кара-Бууринский" → "Kara-Buura").
_ADJECTIVE_ENDINGS = (
    ("inskaia", ("", "a", "i")), ("inski", ("", "a", "i")), ("iskaia", ("", "i")), ("iski", ("", "i")),
    ("skaia", ("",)), ("skoe", ("",)), ("ski", ("",)),
)
_FOREIGN = re.compile(r"\b(TJ|UZ|KZ|Tajikistan|Uzbekistan|Kazakhstan|Sogd\w*|Sughd)\b", re.IGNORECASE)
_DESCRIPTIVE = re.compile(
    r"\b(villages|areas?|streets|border|some|six|several|three|pilot|not named|aos|okmots|"
    r"council|committee|canal-side)\b", re.IGNORECASE,
)


def transliterate(text: str) -> str:
    """Cyrillic (Russian, Kyrgyz, Tajik letters) to Latin; other characters kept."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in _CYRILLIC:
            latin = _CYRILLIC[low]
            out.append(latin.capitalize() if ch != low and latin else latin)
        else:
            out.append(ch)
    return "".join(out)


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _fold(token_string: str) -> str:
    s = token_string
    for old, new in _FOLDS:
        s = s.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", s)


def _raw_keys(name: str, adjectives: bool) -> set[str]:
    text = transliterate(str(name)).lower()
    text = re.sub(r"\([^)]*\)", " ", text)  # parenthetical remarks are not part of the name
    text = re.sub(r"[’'ʼ`ʹ´]", "", text)
    keys: set[str] = set()
    for variant in (text.replace("ö", "o").replace("ü", "u"), text.replace("ö", "u").replace("ü", "u")):
        tokens = [t for t in re.split(r"[^0-9a-z\u00c0-\u024f]+", _strip_marks(variant)) if t]
        kept = [t for t in tokens if t not in DESCRIPTOR_WORDS] or tokens
        key = _fold("".join(kept))
        if not key:
            continue
        keys.add(key)
        if adjectives:
            for ending, replacements in _ADJECTIVE_ENDINGS:
                if key.endswith(ending) and len(key) > len(ending) + 2:
                    keys.update(key[: -len(ending)] + r for r in replacements)
                    break
    return keys


def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in ALIASES:
        canonical = "alias:" + sorted(_raw_keys(group[0], False))[0]
        for spelling in group:
            for key in _raw_keys(spelling, False):
                table[key] = canonical
    return table


_ALIAS_TABLE = _alias_table()


def name_keys(name: str | None, adjectives: bool = False) -> frozenset[str]:
    """Comparison keys of a place name; two names match when their keys intersect.

    ``adjectives=True`` also strips Russian adjective endings ("Kochkorskiy rayon"
    → "Kochkor"); use it for names from boundary files, not for the seeds.

    >>> bool(name_keys("Issyk-Kul") & name_keys("Ysyk-Köl"))
    True
    """
    if name is None or (not isinstance(name, str) and pd.isna(name)) or not str(name).strip():
        return frozenset()
    keys = _raw_keys(str(name), adjectives)
    keys |= {_ALIAS_TABLE[k] for k in keys if k in _ALIAS_TABLE}
    return frozenset(keys)


def normalize_name(name: str | None) -> str:
    """One readable key for a name (the ö→o reading); '' for an empty name."""
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return ""
    keys = sorted(_raw_keys(str(name), False))
    return keys[0] if keys else ""


def names_match(a: str, b: str) -> bool:
    """Whether two spellings name the same place (see :func:`name_keys`; adjective forms allowed)."""
    return bool(name_keys(a, adjectives=True) & name_keys(b, adjectives=True))


# -- reading the seed's place cells -----------------------------------------------------

@dataclass(frozen=True)
class PlaceList:
    """The places one seed cell names, sorted into usable and unusable parts.

    ``names`` are single Kyrgyz place names to look up; ``foreign`` are parts outside
    Kyrgyzstan; ``descriptive`` are parts that describe an area rather than name a
    place ("villages of Kara-Suu AA"). ``raw`` is the cell as written.
    """

    raw: str
    names: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()
    descriptive: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.names or self.foreign or self.descriptive)


def _clean_part(part: str) -> tuple[str, list[str]]:
    """A name without its remarks, plus alternative names given in the remarks."""
    alternatives = [m.strip() for m in re.findall(r"also called ([^);,]+)", part, flags=re.IGNORECASE)]
    name = re.sub(r"\([^)]*\)", " ", part)
    name = re.sub(r"\s+", " ", name).strip(" ,.")
    return name, alternatives


def split_places(cell: str | None) -> PlaceList:
    """Parse an oblast, rayon, aiyl okmot or village cell of ``projects.csv``.

    Parts are separated by ';'. A part starting with a country code ("KG: a, b";
    "TJ: c, d") lists comma-separated places of that country. Parenthetical remarks
    are dropped, but "(also called X)" adds X as another name for the same place,
    kept in the same entry as "name|X".
    """
    raw = "" if cell is None or (not isinstance(cell, str) and pd.isna(cell)) else str(cell).strip()
    names: list[str] = []
    foreign: list[str] = []
    descriptive: list[str] = []
    for part in (p.strip() for p in raw.split(";")):
        if not part:
            continue
        prefix = re.match(r"^(KG|TJ|UZ|KZ)\s*:\s*(.*)$", part)
        if prefix:
            items = [i.strip() for i in prefix.group(2).split(",") if i.strip()]
            (names if prefix.group(1) == "KG" else foreign).extend(items)
            continue
        if _FOREIGN.search(part):
            foreign.append(part)
            continue
        name, alternatives = _clean_part(part)
        if not name or _DESCRIPTIVE.search(name) or name[0].islower():
            descriptive.append(part)
            continue
        names.append("|".join([name, *alternatives]))
    return PlaceList(raw, tuple(names), tuple(foreign), tuple(descriptive))


def entry_keys(entry: str) -> frozenset[str]:
    """Keys of a :class:`PlaceList` entry ("name" or "name|alternative")."""
    keys: set[str] = set()
    for name in entry.split("|"):
        keys |= name_keys(name)
    return frozenset(keys)


def entry_label(entry: str) -> str:
    """The first name of an entry, for notes."""
    return entry.split("|")[0]


def is_city(entry: str) -> bool:
    """Whether the seed writes the place as a city ("Tokmok city", "Karakol city")."""
    return bool(re.search(r"\bcity\b", entry_label(entry), re.IGNORECASE))


def _inverted(key_sets: list[frozenset[str]]) -> dict[str, list[int]]:
    """key -> positions of the rows having it."""
    index: dict[str, list[int]] = {}
    for position, keys in enumerate(key_sets):
        for key in keys:
            index.setdefault(key, []).append(position)
    return index


# -- the gazetteer ------------------------------------------------------------------------

#: A settlement counts as inside a named oblast up to this distance outside its polygon
#: (coarse 1:10m oblast outlines cut off some border villages), in metres.
OBLAST_TOLERANCE_M = 10_000.0
#: The same for rayon polygons, in metres.
RAYON_TOLERANCE_M = 5_000.0
#: Same-named settlements closer than this to each other are taken as one place
#: (GeoNames often holds a town twice), in metres.
SAME_PLACE_M = 10_000.0


@dataclass
class SettlementMatch:
    """Settlements found for one name, after the oblast/rayon checks.

    ``rows`` are the accepted settlements (most populous first); ``rejected`` are
    same-named settlements outside the named oblast or rayon.
    """

    name: str
    rows: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Largest distance of an accepted settlement from the most populous one, in metres
    #: (0 for one match; a large spread means different places share the name).
    spread_m: float = 0.0

    @property
    def found(self) -> bool:
        return len(self.rows) > 0

    @property
    def best(self) -> pd.Series:
        return self.rows.iloc[0]


class Gazetteer:
    """Name look-ups over admin units and settlements (see the module docstring).

    Parameters
    ----------
    admin_units : GeoDataFrame
        ``admin_units`` layer: levels 1 (oblasts) and 2 (rayons), optionally 3
        (aiyl okmots). Any CRS; converted to EPSG:4326.
    settlements : GeoDataFrame
        ``settlements`` layer (points).
    """

    def __init__(self, admin_units: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame):
        self.units = conform(admin_units, "admin_units")
        self.units = self.units[self.units.geometry.notna() & ~self.units.geometry.is_empty].reset_index(drop=True)
        self.settlements = conform(settlements, "settlements")
        self.settlements = self.settlements[
            self.settlements.geometry.notna() & ~self.settlements.geometry.is_empty
        ].reset_index(drop=True)
        self._units_m = self.units.geometry.to_crs(KYRGYZSTAN_EQUAL_AREA)
        self._settlements_m = self.settlements.geometry.to_crs(KYRGYZSTAN_EQUAL_AREA)
        self._unit_keys = [
            frozenset().union(*(name_keys(n, adjectives=True) for n in self._unit_names(row)))
            for _, row in self.units.iterrows()
        ]
        self._settlement_keys = [
            frozenset().union(*(name_keys(n) for n in self._settlement_names(row)))
            for _, row in self.settlements.iterrows()
        ]
        self._by_pcode = {pcode: i for i, pcode in enumerate(self.units["pcode"].astype(str))}
        self._unit_index = _inverted(self._unit_keys)
        self._settlement_index = _inverted(self._settlement_keys)
        self.settlements["_oblast"] = self._units_of_settlements(1, "oblast_pcode", OBLAST_TOLERANCE_M)
        self.settlements["_rayon"] = self._units_of_settlements(2, "rayon_pcode", RAYON_TOLERANCE_M)
        self._settlement_cache: dict[tuple, SettlementMatch] = {}

    # -- names of the reference rows --------------------------------------------------
    @staticmethod
    def _unit_names(row: pd.Series) -> list[str]:
        names = [row[c] for c in ("name_en", "name_ru", "name_ky") if isinstance(row[c], str) and row[c]]
        pcode = row["pcode"] if isinstance(row["pcode"], str) else ""
        slug = re.match(r"^KG-[A-Z]+-(.+)$", pcode)
        if slug:  # KG-N-KOCHKOR style codes carry the name
            names.append(slug.group(1).replace("-", " ").replace("_", " "))
        return names or [""]

    @staticmethod
    def _settlement_names(row: pd.Series) -> list[str]:
        names = [row[c] for c in ("name_en", "name_ru", "name_ky") if isinstance(row[c], str) and row[c]]
        alt = row["alt_names"]
        if isinstance(alt, str) and alt:
            names.extend(a.strip() for a in re.split(r"[|;,]", alt) if a.strip())
        return names or [""]

    # -- properties ----------------------------------------------------------------------
    @property
    def has_level3(self) -> bool:
        """Whether aiyl okmot (level 3) boundaries have been imported."""
        return bool((self.units["level"] == 3).fillna(False).any())

    def unit(self, pcode: str) -> pd.Series:
        """The admin unit row with this pcode."""
        return self.units.iloc[self._by_pcode[pcode]]

    def unit_name(self, pcode: str) -> str:
        """The English name of a unit (its pcode when it has none)."""
        name = self.unit(pcode)["name_en"]
        return str(name) if isinstance(name, str) and name else pcode

    def country_geometry(self):
        """Kyrgyzstan as the union of the oblast (level 1) polygons, EPSG:4326."""
        oblasts = self.units[self.units["level"] == 1]
        return oblasts.geometry.union_all() if len(oblasts) else self.units.geometry.union_all()

    # -- spatial checks -----------------------------------------------------------------
    def _distance_to_unit(self, metric_geoms: gpd.GeoSeries, pcode: str) -> np.ndarray:
        unit_m = self._units_m.iloc[self._by_pcode[pcode]]
        return metric_geoms.distance(unit_m).to_numpy()

    def settlement_in_unit(self, settlement_index: pd.Index | list[int], pcode: str, tolerance_m: float) -> np.ndarray:
        """For settlement positions: inside the unit (by its pcode columns or within tolerance)."""
        rows = self.settlements.iloc[list(settlement_index)]
        level = int(self.unit(pcode)["level"])
        column = {1: "oblast_pcode", 2: "rayon_pcode", 3: "aiyl_okmot_pcode"}[level]
        by_code = rows[column].astype("string").eq(pcode).fillna(False).to_numpy()
        near = self._distance_to_unit(self._settlements_m.iloc[list(settlement_index)], pcode) <= tolerance_m
        return by_code | near

    def unit_in_unit(self, inner: str, outer: str) -> bool:
        """Whether unit ``inner`` lies in unit ``outer`` (parent code or representative point)."""
        row = self.unit(inner)
        if isinstance(row["parent_pcode"], str) and row["parent_pcode"] == outer:
            return True
        point = gpd.GeoSeries([row.geometry.representative_point()], crs=self.units.crs).to_crs(KYRGYZSTAN_EQUAL_AREA)
        return bool(self._distance_to_unit(point, outer)[0] <= RAYON_TOLERANCE_M)

    def containing_unit(self, point, level: int) -> str | None:
        """The pcode of the level-``level`` unit containing a point (EPSG:4326), or None."""
        units = self.units[self.units["level"] == level]
        hit = units[units.geometry.covers(point)]
        if len(hit):
            return str(hit["pcode"].iloc[0])
        return None

    # -- look-ups ------------------------------------------------------------------------
    def units_named(self, entry: str, level: int) -> list[str]:
        """Pcodes of level-``level`` units whose names match an entry (any oblast)."""
        positions = sorted(set().union(*(self._unit_index.get(k, ()) for k in entry_keys(entry))))
        levels = self.units["level"].to_numpy()
        return [str(self.units["pcode"].iloc[i]) for i in positions if levels[i] == level]

    def oblast(self, entry: str) -> str | None:
        """The oblast (level 1) pcode for a name, or None when none or several match."""
        found = self.units_named(entry, 1)
        return found[0] if len(found) == 1 else None

    def rayon(self, entry: str, oblast_pcode: str | None = None) -> str | None:
        """The rayon (level 2) pcode for a name, inside ``oblast_pcode`` when given."""
        found = self.units_named(entry, 2)
        if oblast_pcode:
            found = [p for p in found if self.unit_in_unit(p, oblast_pcode)]
        return found[0] if len(found) == 1 else None

    def aiyl_okmot(self, entry: str, oblast_pcode: str | None = None, rayon_pcode: str | None = None) -> str | None:
        """The aiyl okmot (level 3) pcode for a name, inside the named rayon/oblast."""
        found = self.units_named(entry, 3)
        container = rayon_pcode or oblast_pcode
        if container:
            found = [p for p in found if self.unit_in_unit(p, container)]
        return found[0] if len(found) == 1 else None

    def settlement(self, entry: str, oblast_pcode: str | None = None, rayon_pcode: str | None = None) -> SettlementMatch:
        """Settlements named ``entry``, kept only inside the named oblast and rayon.

        Accepted rows are sorted by population, largest first, and carry
        ``_oblast`` / ``_rayon``: the pcodes of the units they lie in.
        """
        cache_key = (entry, oblast_pcode, rayon_pcode)
        if cache_key not in self._settlement_cache:
            self._settlement_cache[cache_key] = self._find_settlement(entry, oblast_pcode, rayon_pcode)
        return self._settlement_cache[cache_key]

    def _find_settlement(self, entry: str, oblast_pcode: str | None, rayon_pcode: str | None) -> SettlementMatch:
        positions = sorted(set().union(*(self._settlement_index.get(k, ()) for k in entry_keys(entry))))
        ok = np.ones(len(positions), dtype=bool)
        if positions and oblast_pcode:
            ok &= self.settlement_in_unit(positions, oblast_pcode, OBLAST_TOLERANCE_M)
        if positions and rayon_pcode:
            ok &= self.settlement_in_unit(positions, rayon_pcode, RAYON_TOLERANCE_M)
        rows = self.settlements.iloc[positions].copy()
        accepted = rows[ok].sort_values("population", ascending=False, na_position="last", kind="stable")
        spread = 0.0
        if len(accepted) > 1:
            metric = self._settlements_m.iloc[[positions[i] for i in np.flatnonzero(ok)]]
            metric.index = rows.index[ok]
            metric = metric.loc[accepted.index]
            spread = float(metric.distance(metric.iloc[0]).max())
        return SettlementMatch(entry_label(entry), accepted, rows[~ok], spread)

    def _units_of_settlements(self, level: int, column: str, tolerance_m: float) -> pd.Series:
        """The level-``level`` unit of every settlement (vectorised).

        The settlement's own pcode column wins when it names a known unit; otherwise
        the unit containing the point, else the nearest one within ``tolerance_m``.
        """
        own = self.settlements[column].astype("string")
        known = own.isin(list(self._by_pcode)).fillna(False)
        out = own.where(known, pd.NA)
        units = self.units[self.units["level"] == level]
        todo = out.isna()
        if not len(units) or not todo.any():
            return out
        points = gpd.GeoDataFrame(geometry=self._settlements_m[todo])
        polygons = gpd.GeoDataFrame({"_unit": units["pcode"].to_numpy()}, geometry=self._units_m[units.index].to_numpy(),
                                    crs=KYRGYZSTAN_EQUAL_AREA)
        hits = gpd.sjoin_nearest(points, polygons, how="left", max_distance=tolerance_m, distance_col="_d")
        hits = hits.sort_values("_d", kind="stable")  # inside (0 m) first
        first = hits[~hits.index.duplicated(keep="first")]["_unit"]
        out.loc[first.index] = first.astype("string")
        return out
