"""The seed-facts table ``data/seed/projects.csv`` as projects, funding and beneficiaries.

The CSV's conventions are those of ``FACTS.md`` ("Conventions used in projects.csv"):

* ``funding_sources`` holds ``source:amount:currency`` entries separated by ``;``.
  ``source::`` means no amount was stated; ``source:48%:share`` is a percentage
  share (``share_pct`` 48, no amount, no currency). Amounts are kept exactly as
  written: nothing is converted between currencies, and nothing is summed.
* Beneficiary columns hold plain numbers; qualifiers live in
  ``other_beneficiary_notes``.
* An empty cell is unknown and stays empty (NA), never 0.

:func:`seed_frames` is the entry point: it reads the CSV, parses the three frames
and places every project with :func:`geo.placement.place_projects`. The frames pass
:func:`geo.store.base.conform` for the ``projects``, ``funding`` and
``beneficiaries`` layers. Amounts are in the currency of their ``currency`` column;
``total_cost`` is in KGS (see :func:`parse_total_cost`).
"""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.errors import SchemaError
from geo.placement import place_projects
from geo.schema import CURRENCIES
from geo.store.base import conform

#: Columns the CSV must have.
CSV_COLUMNS = (
    "id", "seed_file", "case_title", "oblast", "rayon", "aiyl_okmot", "village", "project_name", "sector",
    "geometry_kind", "length_km", "year_start", "year_end", "status", "funding_sources", "total_cost",
    "beneficiaries_total", "households", "women", "men", "children", "students", "other_beneficiary_notes",
    "hazard", "dispute", "quote_line",
)

#: CSV beneficiary column -> beneficiaries layer column.
BENEFICIARY_COLUMNS = {
    "beneficiaries_total": "total", "households": "households", "women": "women", "men": "men",
    "children": "children", "students": "students",
}


def read_seed_csv(path: str | Path = settings.SEED_PROJECTS_FILE) -> pd.DataFrame:
    """The CSV as text cells ('' for empty), checked for the expected columns."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in CSV_COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaError(key="err.seed.columns", path=str(path), columns=", ".join(missing))
    raw = raw.apply(lambda col: col.str.strip())
    duplicated = raw["id"][raw["id"].duplicated()]
    if len(duplicated):
        raise SchemaError(key="err.seed.duplicate_ids", path=str(path), ids=", ".join(sorted(set(duplicated))))
    return raw


def _empty_to_na(series: pd.Series) -> pd.Series:
    return series.astype("string").replace("", pd.NA)


def _number(series: pd.Series, kind: str, column: str, ids: pd.Series) -> pd.Series:
    """Numbers from text cells; an unreadable non-empty cell is an error, not NA."""
    text = _empty_to_na(series)
    values = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & values.isna()
    if bad.any():
        rows = ", ".join(f"{i} ('{v}')" for i, v in zip(ids[bad], text[bad]))
        raise SchemaError(key="err.seed.not_numbers", column=column, rows=rows)
    return values.astype("Float64").round().astype("Int64") if kind == "int" else values.astype("Float64")


_TOTAL = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<million>million\s+)?(?P<currency>KGS|USD|EUR)\b", re.IGNORECASE)


def parse_total_cost(text: str) -> float | None:
    """A stated total in KGS, or None.

    The cell must *start* with the amount ("1150000 KGS", "18.14 million KGS
    (around 450000 USD)"). Totals given only with a qualifier ("more than 21000
    USD") or describing something else ("fund size 480000 KGS initially; …"), and
    totals in another currency, stay empty: ``total_cost`` has no currency column.
    """
    match = _TOTAL.match(text.strip()) if isinstance(text, str) else None
    if not match or match.group("currency").upper() != "KGS":
        return None
    value = float(match.group("number"))
    return value * 1_000_000 if match.group("million") else value


def parse_projects(raw: pd.DataFrame) -> pd.DataFrame:
    """The projects columns (without placement) from the CSV text cells.

    ``title`` is ``project_name``; ``oblast_name``/``rayon_name``/``aiyl_okmot_name``/
    ``village`` are the cells as written; ``source_ref`` is ``seed_file:quote_line``.
    """
    ids = raw["id"]
    out = pd.DataFrame({
        "project_id": raw["id"],
        "title": raw["project_name"],
        "sector": _empty_to_na(raw["sector"]),
        "status": _empty_to_na(raw["status"]),
        "year_start": _number(raw["year_start"], "int", "year_start", ids),
        "year_end": _number(raw["year_end"], "int", "year_end", ids),
        "geometry_kind": _empty_to_na(raw["geometry_kind"]),
        "oblast_name": _empty_to_na(raw["oblast"]),
        "rayon_name": _empty_to_na(raw["rayon"]),
        "aiyl_okmot_name": _empty_to_na(raw["aiyl_okmot"]),
        "village": _empty_to_na(raw["village"]),
        "length_km": _number(raw["length_km"], "float", "length_km", ids),
        "total_cost": pd.array([parse_total_cost(t) for t in raw["total_cost"]], dtype="Float64"),
        "hazard": _empty_to_na(raw["hazard"]),
        "dispute": _empty_to_na(raw["dispute"]),
        "case_title": _empty_to_na(raw["case_title"]),
        "source_document": _empty_to_na(raw["seed_file"]),
        "source_line": _number(raw["quote_line"], "int", "quote_line", ids),
        "source_ref": (raw["seed_file"] + ":" + raw["quote_line"]).astype("string"),
    })
    return out.reset_index(drop=True)


# -- funding ---------------------------------------------------------------------------

#: Classification of funding sources: (type, words), tried in this order on the
#: source's name without its bracketed remarks; the first type with a matching word
#: wins. A word matches at word starts ("charit" matches "Charitable"). Only named
#: donors (:data:`_NAMED_DONORS`) also count inside the brackets.
SOURCE_TYPE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("donor grant", (
        "UN", "UNDP", "WFP", "World Bank", "USAID", "Counterpart", "Soros", "Peace Corps", "Japan", "OSCE",
        "DFID", "EU", "Mercy Corps", "Eurasia", "ADB", "Asian Development Bank", "GTZ", "UNHCR", "UNFPA",
        "ARIS", "ACSSC", "Association of Civil Society Support Centers", "US Embassy", "Swiss", "Finnish",
        "DCCA", "Allavida", "International", "donor", "grant", "project", "program", "programme", "prize",
        "contest", "competition",
    )),
    ("private", ("compan", "JSC", "business", "charit", "Kumtor", "personal donation")),
    ("republican budget", (
        "Republican", "Ministry", "state", "government", "governor", "national", "oblast administration",
        "rayon administration", "forestry department",
    )),
    ("local budget", (
        "local budget", "budget", "aiyl okmot", "ayil okmot", "ailyl okmot", "AO", "LSG", "local authorit",
        "city", "council", "municipal",
    )),
    ("community contribution", (
        "community", "ashar", "parent", "youth", "initiative group", "resident", "household", "labour",
        "population", "farmer", "villager", "members", "savings", "pupils", "teachers", "CBO",
    )),
)

#: Words that identify a named donor anywhere in the text (also inside brackets).
_NAMED_DONORS = (
    "UN", "UNDP", "WFP", "World Bank", "USAID", "Soros", "Mercy Corps", "Eurasia", "UNHCR", "UNFPA", "OSCE",
    "DFID", "ARIS", "GTZ",
)


def _has_word(text: str, words) -> bool:
    """Whether any word occurs in text at a word start.

    Acronyms (all capitals) match case-sensitively and as whole words, allowing a
    plural 's' ("CBOs"); other words match case-insensitively as word prefixes.
    """
    for word in words:
        if word.isupper():
            pattern, flags = r"(?<![A-Za-z])" + re.escape(word) + r"(?![A-Z])", 0
        else:
            pattern, flags = r"(?<![A-Za-z])" + re.escape(word), re.IGNORECASE
        if re.search(pattern, text, flags):
            return True
    return False


def classify_source(name: str) -> str:
    """One of :data:`geo.schema.FUNDING_SOURCE_TYPES` for a funding source's name
    (the types of :data:`SOURCE_TYPE_RULES`, else "other").

    The main part of the name (before any bracket) decides; the bracketed remarks
    count only for named donors ("17 Local Development Funds (UNDP-supported)").
    """
    text = str(name or "")
    main = re.sub(r"\([^)]*\)", " ", text)
    if _has_word(text, ("personal donation",)):
        return "private"
    for source_type, words in SOURCE_TYPE_RULES:
        if _has_word(main, words):
            return source_type
    if _has_word(text, _NAMED_DONORS):
        return "donor grant"
    return "other"


_AMOUNT = re.compile(r"^\d+(?:\.\d+)?$")
_SHARE = re.compile(r"^(\d+(?:\.\d+)?)%$")


def parse_funding_entry(entry: str) -> dict:
    """One ``source:amount:currency`` entry as source_name, amount, currency, share_pct, note."""
    parts = entry.rsplit(":", 2)
    if len(parts) != 3:
        raise SchemaError(key="err.seed.funding_entry", entry=entry)
    source, amount, currency = (p.strip() for p in parts)
    out = {"source_name": source, "amount": pd.NA, "currency": pd.NA, "share_pct": pd.NA, "note": pd.NA}
    if currency.lower() == "share":
        share = _SHARE.match(amount)
        if share:
            out["share_pct"] = float(share.group(1))
        else:  # a range such as 20-30%: no single number to store
            out["note"] = f"share stated as {amount} (range, as written)"
    elif amount or currency:
        if not _AMOUNT.match(amount) or currency not in CURRENCIES:
            raise SchemaError(key="err.seed.funding_amount", entry=entry, amount=amount, currency=currency)
        out["amount"] = float(amount)
        out["currency"] = currency
    return out


def parse_funding(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per funding entry; ``funding_id`` is ``<project_id>-F<n>`` (n from 1)."""
    rows = []
    for pid, cell in zip(raw["id"], raw["funding_sources"]):
        entries = [e.strip() for e in str(cell).split(";") if e.strip()]
        for n, entry in enumerate(entries, start=1):
            try:
                parsed = parse_funding_entry(entry)
            except SchemaError as exc:
                raise SchemaError(key="err.seed.project", project_id=str(pid), problem=exc) from None
            rows.append({"funding_id": f"{pid}-F{n}", "project_id": pid, **parsed,
                         "source_type": classify_source(parsed["source_name"])})
    frame = pd.DataFrame(rows, columns=["funding_id", "project_id", "source_name", "source_type", "amount",
                                        "currency", "share_pct", "note"])
    for col in ("amount", "share_pct"):
        frame[col] = pd.array(frame[col].tolist(), dtype="Float64")
    for col in ("funding_id", "project_id", "source_name", "source_type", "currency", "note"):
        frame[col] = pd.array(frame[col].tolist(), dtype="string")
    return frame


# -- beneficiaries -------------------------------------------------------------------------

def parse_beneficiaries(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per project with any beneficiary figure or note; unknown figures stay NA."""
    out = pd.DataFrame({"project_id": raw["id"].astype("string")})
    for csv_col, col in BENEFICIARY_COLUMNS.items():
        out[col] = _number(raw[csv_col], "float", csv_col, raw["id"])
    out["note"] = _empty_to_na(raw["other_beneficiary_notes"])
    figures = list(BENEFICIARY_COLUMNS.values()) + ["note"]
    return out[out[figures].notna().any(axis=1)].reset_index(drop=True)


# -- entry point ------------------------------------------------------------------------------

def seed_frames(
    admin_units: gpd.GeoDataFrame,
    settlements: gpd.GeoDataFrame,
    csv_path: str | Path = settings.SEED_PROJECTS_FILE,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """``(projects, funding, beneficiaries)`` from the seed CSV, ready for the store.

    ``projects`` is a GeoDataFrame in EPSG:4326 placed against ``admin_units``
    (levels 1–2, optionally 3) and ``settlements`` (see :mod:`geo.placement`). All
    three frames are conformed to their layers; ``version``/``updated_*`` are left
    empty for the store's transaction to fill.
    """
    raw = read_seed_csv(csv_path)
    projects = place_projects(parse_projects(raw), admin_units, settlements)
    return (
        conform(projects, "projects"),
        conform(parse_funding(raw), "funding"),
        conform(parse_beneficiaries(raw), "beneficiaries"),
    )
