"""Which column of an uploaded table holds which project field.

:func:`guess_mapping` proposes a mapping from the column names (English, Russian and
Kyrgyz headers, KoboToolbox paths such as ``group/_gps_latitude``) and, for
coordinates written as text, from the cells themselves (Kobo geopoint
"lat lon alt acc", geotrace/geoshape "lat lon alt acc;…", WKT). The person importing
sees the guesses and may change any of them; :func:`resolve_mapping` merges their
choices with the guesses and checks that every chosen column exists.

A mapping is ``{field: column}``; the fields are in :data:`FIELDS`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from geo.errors import Phrase, SchemaError

#: The fields an import can fill, with a short description (for the mapping form).
FIELDS: dict[str, str] = {
    "project_id": "project ID (kept; rows with an ID already stored update that project)",
    "title": "project name",
    "sector": "sector",
    "status": "status",
    "year": "year, or a period like 2019–2021",
    "year_start": "start year",
    "year_end": "end year",
    "date_start": "start date (dd.mm.yyyy)",
    "date_end": "end date (dd.mm.yyyy)",
    "total_cost": "total cost (amount)",
    "currency": "currency of the amounts (KGS, USD, EUR)",
    "funding_source": "funding source (organisation or budget)",
    "funding_source_type": "type of funding source",
    "funding_amount": "amount given by the funding source",
    "beneficiaries_total": "beneficiaries (people)",
    "households": "households",
    "women": "women",
    "men": "men",
    "children": "children",
    "students": "students",
    "village": "village",
    "oblast_name": "oblast (as written; the map location decides)",
    "rayon_name": "rayon (as written; the map location decides)",
    "aiyl_okmot_name": "aiyl okmot (as written; the map location decides)",
    "length_km": "length (km)",
    "source_ref": "source reference",
    "lat": "latitude (or northing / Y)",
    "lon": "longitude (or easting / X)",
    "wkt": "geometry as WKT text",
    "geopoint": "Kobo/ODK geopoint 'lat lon alt accuracy'",
    "geotrace": "Kobo/ODK geotrace 'lat lon alt acc;…' (a line)",
    "geoshape": "Kobo/ODK geoshape 'lat lon alt acc;…' (an area)",
}

#: Fields that hold coordinates.
GEOMETRY_FIELDS = ("wkt", "geoshape", "geotrace", "lat", "lon", "geopoint")

#: Fields with numbers, dates and years (parsed by :mod:`geo.project_import.checks`).
NUMBER_FIELDS = ("total_cost", "funding_amount", "beneficiaries_total", "households", "women", "men",
                 "children", "students", "length_km")
TEXT_FIELDS = ("title", "sector", "status", "village", "funding_source", "funding_source_type",
               "oblast_name", "rayon_name", "aiyl_okmot_name", "source_ref")

# Header names per field, already normalised (see :func:`normalise_header`).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "project_id": ("projectid", "project", "id", "idproekta", "kodproekta", "kod", "nomerproekta", "proektid",
                   "iatiidentifier", "identifier", "projectcode", "code", "долбоорид", "долбоордункоду"),
    "title": ("title", "name", "projectname", "projecttitle", "nazvanie", "naimenovanie", "nazvanieproekta",
              "naimenovanieproekta", "proekt", "аталышы", "долбоордунаталышы", "аталыш", "долбоор"),
    "sector": ("sector", "sektor", "otrasl", "sfera", "napravlenie", "тармак", "сектор"),
    "status": ("status", "sostoyanie", "статусу", "абалы"),
    "year": ("year", "god", "gody", "period", "godrealizacii", "жылы", "жыл", "мезгил"),
    "year_start": ("yearstart", "startyear", "godnachala", "nachalo", "башталганжылы", "башталышы"),
    "year_end": ("yearend", "endyear", "godokonchaniya", "godzaversheniya", "okonchanie", "завершение",
                 "аяктаганжылы", "бүтүшү"),
    "date_start": ("datestart", "startdate", "datanachala", "башталганкүнү"),
    "date_end": ("dateend", "enddate", "dataokonchaniya", "datazaversheniya", "аяктаганкүнү"),
    "total_cost": ("totalcost", "cost", "amount", "budget", "summa", "stoimost", "obshchayastoimost",
                   "obshayastoimost", "byudzhet", "summaproekta", "stoimostproekta", "obshchayasumma",
                   "сумма", "суммасы", "наркы", "бюджет", "жалпынаркы"),
    "currency": ("currency", "valyuta", "валюта"),
    "funding_source": ("fundingsource", "source", "sourcename", "fundingsourcename", "donorname", "fundername",
                       "donor", "funder", "istochnik", "istochnikfinansirovaniya",
                       "finansirovanie", "donory", "каржылоочу", "каржылообулагы", "донор"),
    "funding_source_type": ("fundingsourcetype", "sourcetype", "tipistochnika", "вид финансирования"),
    "funding_amount": ("fundingamount", "contribution", "vklad", "summafinansirovaniya", "салым"),
    "beneficiaries_total": ("beneficiaries", "beneficiariestotal", "totalbeneficiaries", "people",
                            "blagopoluchateli", "kolichestvoblagopoluchateley", "naselenie", "охваченонаселения",
                            "пайдалануучулар", "бенефициарлар"),
    "households": ("households", "hh", "domohozyaystva", "dvory", "kolichestvodvorov", "үйчарбалар", "түтүн"),
    "women": ("women", "female", "zhenshchiny", "zhenshiny", "аялдар"),
    "men": ("men", "male", "muzhchiny", "эркектер"),
    "children": ("children", "deti", "балдар"),
    "students": ("students", "pupils", "uchashchiesya", "ucheniki", "shkolniki", "окуучулар"),
    "village": ("village", "settlement", "selo", "aiyl", "ayil", "naselennyypunkt", "naspunkt", "айыл", "кыштак"),
    "oblast_name": ("oblast", "region", "oblastname", "облус"),
    "rayon_name": ("rayon", "district", "raion", "rayonname", "район"),
    "aiyl_okmot_name": ("aiylokmot", "ayilokmotu", "aiylokmotu", "ao", "municipality", "aiyilokmotu",
                        "аймак", "айылокмоту"),
    "length_km": ("lengthkm", "length", "dlina", "dlinakm", "протяженность", "protyazhennost",
                  "protyazhennostkm", "узундугу"),
    "source_ref": ("sourceref", "reference", "istochnikdannyh", "ssylka"),
    "lat": ("lat", "latitude", "y", "northing", "shirota", "kenduk", "широта", "кеңдик", "gpslat", "gpslatitude"),
    "lon": ("lon", "lng", "long", "longitude", "x", "easting", "dolgota", "долгота", "узундук", "gpslon",
            "gpslongitude", "gpslng"),
    "wkt": ("wkt", "geometry", "geom", "shape", "geometriya", "the_geom", "thegeom", "wktgeom"),
    "geopoint": ("geolocation", "_geolocation", "geopoint", "gps", "location", "point", "koordinaty",
                 "координаты", "gpscoordinates", "mestopolozhenie"),
    "geotrace": ("geotrace", "trace", "route", "line", "trassa", "маршрут"),
    "geoshape": ("geoshape", "area", "polygon", "ploshchad", "контур"),
}

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
     "u", "f", "h", "c", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
))


def _plain(text: str) -> str:
    text = str(text).strip().lower().replace("ё", "е")
    return re.sub(r"[\s_\-./\\:;,()\[\]№#*\"'«»]+", "", text)


def _translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text)


def normalise_header(header: str) -> str:
    """Lower case, without spaces, punctuation or units; Cyrillic transliterated (Название → nazvanie)."""
    text = str(header)
    text = re.sub(r"\((?:[^)]*)\)", "", text)  # units: "Сумма (сом)"
    if "/" in text:  # Kobo group paths: group_x/question
        text = text.rsplit("/", 1)[-1]
    return _translit(_plain(text))


def _variants(header: str) -> set[str]:
    """The normalised header and its untransliterated form (for Kyrgyz letters ң ө ү)."""
    text = re.sub(r"\((?:[^)]*)\)", "", str(header))
    if "/" in text:
        text = text.rsplit("/", 1)[-1]
    return {normalise_header(header), _plain(text)}


_SYN_INDEX: dict[str, str] = {}
for _field, _names in _SYNONYMS.items():
    for _name in _names:
        for _v in {_plain(_name), _translit(_plain(_name))}:
            _SYN_INDEX.setdefault(_v, _field)

_GEOPOINT = re.compile(r"^\s*\[?\s*-?\d+(?:\.\d+)?\s*[, ]\s*-?\d+(?:\.\d+)?(?:\s+-?\d+(?:\.\d+)?){0,2}\s*\]?\s*$")
_GEOTRACE = re.compile(r"^\s*-?\d+(?:\.\d+)?\s+-?\d+(?:\.\d+)?(?:\s+-?\d+(?:\.\d+)?){0,2}\s*(?:;\s*-?\d+(?:\.\d+)?\s+-?\d+(?:\.\d+)?(?:\s+-?\d+(?:\.\d+)?){0,2}\s*)+;?\s*$")
_WKT = re.compile(r"^\s*(?:SRID=\d+;\s*)?(?:MULTI)?(?:POINT|LINESTRING|POLYGON)\s*Z?\s*\(", re.IGNORECASE)


def _field_for_header(header: str) -> str | None:
    last = str(header).rsplit("/", 1)[-1].strip()
    if last.startswith("_") and last.lower() != "_geolocation":
        # Kobo/ODK metadata (_id, _uuid, _index, _status …) is never a project field by name;
        # only its coordinates are (``_location_latitude``).
        norm = normalise_header(header)
        if norm.endswith("latitude"):
            return "lat"
        if norm.endswith("longitude"):
            return "lon"
        return None
    for variant in _variants(header):
        if variant in _SYN_INDEX:
            return _SYN_INDEX[variant]
    norm = normalise_header(header)
    # Kobo: _gps_latitude, gps_longitude, location_latitude …
    if norm.endswith("latitude") or norm.endswith("shirota"):
        return "lat"
    if norm.endswith("longitude") or norm.endswith("dolgota"):
        return "lon"
    return None


def _content_kind(values: pd.Series) -> str | None:
    """geoshape / geotrace / geopoint / wkt when most filled cells look like one."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""].head(50)
    if len(text) == 0:
        return None
    for kind, pattern in (("wkt", _WKT), ("geotrace", _GEOTRACE), ("geopoint", _GEOPOINT)):
        share = text.map(lambda v: bool(pattern.match(v))).mean()
        if share >= 0.8:
            if kind == "geotrace":
                closed = text.map(_is_closed_trace).mean()
                return "geoshape" if closed >= 0.8 else "geotrace"
            return kind
    return None


def _is_closed_trace(value: str) -> bool:
    parts = [p.split()[:2] for p in value.strip().strip(";").split(";") if p.strip()]
    return len(parts) >= 4 and parts[0] == parts[-1]


def guess_mapping(columns: Sequence[str], frame: pd.DataFrame | None = None) -> dict[str, str]:
    """A proposed ``{field: column}`` from column names and (when given) cell contents.

    Each field gets at most one column and each column at most one field; the first
    matching column wins. ``_uuid`` (Kobo) is the project ID only when no other column is.
    """
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        field = _field_for_header(column)
        if field and field not in mapping and column not in used:
            mapping[field] = column
            used.add(column)
    if frame is not None:
        # A header guess (e.g. "location") whose cells are not what the field needs is dropped.
        for field in ("geopoint", "geotrace", "geoshape"):
            column = mapping.get(field)
            if column is not None and column in frame.columns:
                kind = _content_kind(frame[column])
                if kind != field:
                    del mapping[field]
                    if kind is not None and kind not in mapping:
                        mapping[kind] = column
                    else:
                        used.discard(column)
        for column in columns:
            if column in used or column not in frame.columns:
                continue
            kind = _content_kind(frame[column])
            if kind and kind not in mapping:
                mapping[kind] = column
                used.add(column)
    if "project_id" not in mapping:
        for candidate in ("_uuid", "meta/instanceID", "instanceID", "_id"):
            if candidate in columns and candidate not in used:
                mapping["project_id"] = candidate
                break
    return mapping


def resolve_mapping(columns: Sequence[str], chosen: Mapping[str, str | None] | None,
                    frame: pd.DataFrame | None = None) -> dict[str, str]:
    """The guesses overridden by ``chosen``; a field mapped to None or '' is left out.

    Raises :class:`SchemaError` for an unknown field or a column that is not in the file.
    """
    mapping = guess_mapping(columns, frame)
    if not chosen:
        return mapping
    unknown = [f for f in chosen if f not in FIELDS]
    if unknown:
        raise SchemaError(key="err.import.unknown_fields", fields=", ".join(map(str, unknown)), known=", ".join(FIELDS))
    for field, column in chosen.items():
        if column in (None, ""):
            mapping.pop(field, None)
            continue
        if column not in columns:
            raise SchemaError(key="err.import.no_such_column", column=str(column), field=field,
                              columns=", ".join(map(str, columns)))
        for other, col in list(mapping.items()):
            if col == column and other != field and other not in chosen:
                del mapping[other]
        mapping[field] = column
    return mapping


def has_coordinates(mapping: Mapping[str, str]) -> bool:
    return any(f in mapping for f in ("wkt", "geoshape", "geotrace", "geopoint")) or ("lat" in mapping and "lon" in mapping)


#: Sector words (normalised) → the app's sector codes (geo.schema.SECTORS_HINT); first match wins.
_SECTOR_WORDS: dict[str, tuple[str, ...]] = {
    "irrigation": ("irrigation", "ирригац", "орошен", "оросительн", "арык", "сугат", "суусугар"),
    "kindergarten": ("kindergarten", "детскийсад", "детсад", "балдарбакча", "бакча", "доу"),
    "water_supply": ("water", "водоснаб", "питьев", "вода", "водопровод", "ичүүчүсуу", "суу", "wash"),
    "school": ("school", "школ", "мектеп", "образован", "education", "билимберүү"),
    "health": ("health", "здрав", "фап", "больниц", "медицин", "саламаттык", "clinic", "цсм", "гсв"),
    "dam_flood_protection": ("dam", "flood", "дамб", "берегоукреп", "селезащит", "паводк", "жээкчың", "drr"),
    "road": ("road", "дорог", "мост", "жол", "көпүрө", "bridge"),
    "street_lighting": ("lighting", "streetlight", "освещ", "фонар", "жарык"),
}


def normalise_sector(value: str) -> tuple[str, bool]:
    """(sector code, recognised): a known code for common words in en/ru/ky, else the text as given."""
    text = str(value).strip()
    plain = _plain(text)
    for code in _SECTOR_WORDS:
        if plain == _plain(code):
            return code, True
    for code, words in _SECTOR_WORDS.items():
        for word in words:
            w = _plain(word)
            if plain.startswith(w) or (len(w) >= 4 and w in plain):
                return code, True
    return text, False


def describe_mapping(mapping: Mapping[str, str]) -> list[str]:
    """Lines 'field ← column' for a report."""
    return [f"{field} ← '{column}'" for field, column in mapping.items()]


def columns_text(columns: Iterable[str], limit: int = 20) -> str:
    """Column names quoted and joined; past ``limit``, "… and N more" as a translatable :class:`Phrase`."""
    cols = [str(c) for c in columns]
    shown = ", ".join(f"'{c}'" for c in cols[:limit])
    return Phrase("err.import.examples_more", examples=shown, more=len(cols) - limit) if len(cols) > limit else shown
