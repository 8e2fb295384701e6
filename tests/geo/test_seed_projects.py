"""Parsing the seed-facts table into projects, funding and beneficiaries (geo/seed_projects.py).

Expected sums are computed here straight from the CSV text (csv module and regular
expressions), not with the parser under test.
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import settings
from geo.errors import SchemaError
from geo.schema import FUNDING_SOURCE_TYPES, PROJECTS
from geo.seed_projects import (
    SOURCE_TYPE_RULES, classify_source, parse_beneficiaries, parse_funding, parse_funding_entry, parse_projects, parse_total_cost,
    read_seed_csv, seed_frames,
)
from geo.store.base import conform

CSV = settings.SEED_PROJECTS_FILE


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with open(CSV, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def raw():
    return read_seed_csv(CSV)


@pytest.fixture(scope="module")
def projects(raw):
    return parse_projects(raw)


@pytest.fixture(scope="module")
def funding(raw):
    return parse_funding(raw)


@pytest.fixture(scope="module")
def beneficiaries(raw):
    return parse_beneficiaries(raw)


# -- projects ---------------------------------------------------------------------------------

def test_one_project_per_row(projects, rows):
    assert len(projects) == len(rows) == 174
    assert list(projects["project_id"]) == [r["id"] for r in rows]
    assert projects["project_id"].is_unique
    assert list(projects["title"]) == [r["project_name"] for r in rows]


def test_place_cells_as_written(projects, rows):
    for col, csv_col in (("oblast_name", "oblast"), ("rayon_name", "rayon"), ("aiyl_okmot_name", "aiyl_okmot"),
                         ("village", "village")):
        got = projects[col].fillna("").tolist()
        assert got == [r[csv_col].strip() for r in rows], col


def test_years_stay_empty_when_unknown(projects):
    p = projects.set_index("project_id")
    assert pd.isna(p.loc["P001", "year_start"]) and pd.isna(p.loc["P001", "year_end"])
    assert p.loc["P004", "year_start"] == 2014 and p.loc["P004", "year_end"] == 2014
    assert p.loc["P041", "year_start"] == 1995
    assert str(p["year_start"].dtype) == "Int64"


def test_source_reference(projects, rows):
    p = projects.set_index("project_id")
    assert p.loc["P009", "source_ref"] == f"{rows[8]['seed_file']}:{rows[8]['quote_line']}"
    assert p.loc["P009", "source_document"] == "004_04ae24d055d2eeb6.txt"
    assert p.loc["P009", "source_line"] == int(rows[8]["quote_line"])
    assert (projects["source_ref"] == projects["source_document"] + ":" + projects["source_line"].astype(str)).all()


def test_length_and_total_cost(projects):
    p = projects.set_index("project_id")
    assert p.loc["P002", "length_km"] == 4.5
    assert pd.isna(p.loc["P001", "length_km"])
    assert p.loc["P006", "total_cost"] == 1_150_000
    assert p.loc["P134", "total_cost"] == 18_140_000  # "18.14 million KGS (around 450000 USD)"
    assert pd.isna(p.loc["P151", "total_cost"])  # "more than 21000 USD": a lower bound, not KGS
    assert pd.isna(p.loc["P158", "total_cost"])  # a fund size, not a total
    assert pd.isna(p.loc["P001", "total_cost"])


@pytest.mark.parametrize("text, value", [
    ("1150000 KGS", 1_150_000.0), ("63000000.00 KGS", 63_000_000.0), ("18.14 million KGS (around 450000 USD)", 18_140_000.0),
    ("76344 KGS (around 2000 USD; as written)", 76_344.0), ("more than 21000 USD", None), ("21000 USD", None),
    ("fund size 480000 KGS initially; 800000 KGS now", None), ("", None),
])
def test_parse_total_cost(text, value):
    assert parse_total_cost(text) == value


# -- funding ---------------------------------------------------------------------------------

def test_one_funding_row_per_entry(funding, rows):
    expected = sum(len([e for e in r["funding_sources"].split(";") if e.strip()]) for r in rows)
    assert len(funding) == expected
    assert funding["funding_id"].is_unique
    first = funding[funding["project_id"] == "P002"]["funding_id"].tolist()
    assert first == ["P002-F1", "P002-F2", "P002-F3"]


def test_amount_sums_per_currency_equal_the_csv(funding, rows):
    expected: dict[str, float] = defaultdict(float)
    for r in rows:
        for amount, currency in re.findall(r":(\d+(?:\.\d+)?):(KGS|USD|EUR)(?=;|$)", r["funding_sources"]):
            expected[currency] += float(amount)
    got = funding.dropna(subset=["amount"]).groupby("currency")["amount"].sum()
    assert set(got.index) == set(expected)
    for currency, total in expected.items():
        assert got[currency] == pytest.approx(total, abs=1e-6), currency
    assert expected["KGS"] > 0 and expected["USD"] > 0 and expected["EUR"] == 7506


def test_no_amount_means_empty_not_zero(funding, rows):
    no_amount = sum(len(re.findall(r"::(?=;|$)", r["funding_sources"])) for r in rows)
    assert funding["amount"].isna().sum() >= no_amount
    assert not (funding["amount"] == 0).any()
    p002 = funding[funding["project_id"] == "P002"]
    assert p002["amount"].isna().all() and p002["currency"].isna().all()


def test_mantysh_school_funding(funding):
    p009 = funding[funding["project_id"] == "P009"].set_index("funding_id")
    assert p009["amount"].tolist() == [6_970_000, 9_758_000, 524_000]
    assert set(p009["currency"]) == {"KGS"}
    assert p009.loc["P009-F1", "source_name"] == "Assanabil Charitable Foundation"
    assert p009.loc["P009-F3", "source_type"] == "local budget"
    assert p009.loc["P009-F1", "source_type"] == "private"


def test_shares_stay_shares(funding, rows):
    undp = funding[(funding["project_id"] == "P157") & (funding["source_name"] == "UNDP (initial)")].iloc[0]
    assert undp["share_pct"] == 48 and pd.isna(undp["amount"]) and pd.isna(undp["currency"])
    assert undp["source_type"] == "donor grant"
    shares = sum(float(s) for r in rows for s in re.findall(r":(\d+(?:\.\d+)?)%:share", r["funding_sources"]))
    assert funding["share_pct"].sum() == pytest.approx(shares)
    ranged = funding[funding["project_id"] == "P082"].iloc[0]  # "20-30%": no single number
    assert pd.isna(ranged["share_pct"]) and pd.isna(ranged["amount"]) and "20-30%" in ranged["note"]


def test_source_names_kept_exactly(funding, rows):
    names = [e.rsplit(":", 2)[0].strip() for r in rows for e in r["funding_sources"].split(";") if e.strip()]
    assert funding["source_name"].tolist() == names


def test_source_types_are_known(funding):
    assert {kind for kind, _ in SOURCE_TYPE_RULES} | {"other"} == set(FUNDING_SOURCE_TYPES)
    assert set(funding["source_type"]) <= set(FUNDING_SOURCE_TYPES)
    assert {"local budget", "republican budget", "donor grant", "community contribution", "private"} <= set(funding["source_type"])


@pytest.mark.parametrize("name, kind", [
    ("Local budget", "local budget"),
    ("Aiyl okmotu", "local budget"),
    ("Ivanovka LSG (specialist expertise, some co-finance)", "local budget"),
    ("Chimkent AO (office, furniture)", "local budget"),
    ("Osh City Council (pay for money-collecting activists for two months, stated as 8 thousand soms)", "local budget"),
    ("Republican budget", "republican budget"),
    ("Ministry of Emergency Situations", "republican budget"),
    ("Naryn State Oblast Administration (educational materials)", "republican budget"),
    ("UN WFP (investment attracted by aiyl okmotu)", "donor grant"),
    ("17 Local Development Funds (UNDP-supported)", "donor grant"),
    ("Finnish Fund for Cooperation (Ministry of Foreign Affairs)", "donor grant"),
    ("'Local Initiatives' contest prize (1st place)", "donor grant"),
    ("Government of Japan grant programme 'Grass roots and human safety'", "donor grant"),
    ("EU via Counterpart (grant)", "donor grant"),
    ("Community (ashar)", "community contribution"),
    ("Parents", "community contribution"),
    ("Youth of Kyzyl-Dobo village", "community contribution"),
    ("Initiative group of 50 women (food for workers)", "community contribution"),
    ("Households (water fee per household per month)", "community contribution"),
    ("Kumtor Operating Company (grant part)", "private"),
    ("Ihsan-Hairia Charity Fund", "private"),
    ("Jolchu JSC (technical services and grader)", "private"),
    ("ElTR TV (six programmes aired at own expense)", "other"),
    ("Kyrgyz Agricultural Corporation (micro-credits)", "other"),
])
def test_classify_source(name, kind):
    assert classify_source(name) == kind


def test_funding_entry_forms():
    assert parse_funding_entry("Local budget:250000:KGS")["amount"] == 250000
    entry = parse_funding_entry("Soros::")
    assert pd.isna(entry["amount"]) and pd.isna(entry["currency"]) and pd.isna(entry["share_pct"])
    entry = parse_funding_entry("UNDP:48%:share")
    assert entry["share_pct"] == 48 and pd.isna(entry["amount"])
    assert parse_funding_entry("Community:6894.28:USD")["amount"] == 6894.28
    with pytest.raises(SchemaError):
        parse_funding_entry("Local budget:250000:SOM")
    with pytest.raises(SchemaError):
        parse_funding_entry("Local budget 250000 KGS")


def test_a_bad_funding_cell_names_the_project(tmp_path, raw):
    bad = raw.copy()
    bad.loc[0, "funding_sources"] = "Local budget:lots:KGS"
    path = tmp_path / "projects.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(SchemaError, match="P001"):
        parse_funding(read_seed_csv(path))


def test_wrong_csv_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="lacks the columns"):
        read_seed_csv(path)


# -- beneficiaries ----------------------------------------------------------------------------

FIGURES = {"beneficiaries_total": "total", "households": "households", "women": "women", "men": "men",
           "children": "children", "students": "students"}


def test_airy_tam_pipe(beneficiaries):
    p002 = beneficiaries.set_index("project_id").loc["P002"]
    assert (p002["households"], p002["women"], p002["men"], p002["children"]) == (143, 109, 155, 85)
    assert pd.isna(p002["total"]) and pd.isna(p002["students"])
    assert "50 women" in p002["note"]


def test_beneficiary_sums_equal_the_csv(beneficiaries, rows):
    for csv_col, col in FIGURES.items():
        expected = sum(float(r[csv_col]) for r in rows if r[csv_col].strip())
        assert beneficiaries[col].sum() == pytest.approx(expected), col
        assert beneficiaries[col].notna().sum() == sum(1 for r in rows if r[csv_col].strip()), col


def test_one_row_per_project_with_figures_or_notes(beneficiaries, rows):
    expected = [r["id"] for r in rows if any(r[c].strip() for c in [*FIGURES, "other_beneficiary_notes"])]
    assert beneficiaries["project_id"].tolist() == expected
    assert "P004" not in set(beneficiaries["project_id"])  # nothing known: no row, not a row of zeros


# -- the entry point ---------------------------------------------------------------------------
# Test-only, synthetic map: every oblast the seed names as one box, no rayons, one settlement.

@pytest.fixture(scope="module")
def tiny_reference():
    names = [("KG-B", "Batken"), ("KG-C", "Chüy"), ("KG-J", "Jalal-Abad"), ("KG-N", "Naryn"), ("KG-O", "Osh"),
             ("KG-T", "Talas"), ("KG-Y", "Ysyk-Köl")]
    admin = gpd.GeoDataFrame(
        {"pcode": [p for p, _ in names], "level": 1, "parent_pcode": "KG", "name_en": [n for _, n in names]},
        geometry=[box(70 + i, 40, 71 + i, 41) for i in range(len(names))], crs=4326,
    )
    settlements = gpd.GeoDataFrame({"settlement_id": ["gn:1"], "name_en": ["Tokmok"], "oblast_pcode": ["KG-C"]},
                                   geometry=[Point(71.5, 40.5)], crs=4326)
    return admin, settlements


def test_seed_frames_conform_to_the_layers(tiny_reference):
    projects, funding, beneficiaries = seed_frames(*tiny_reference, csv_path=CSV)
    assert isinstance(projects, gpd.GeoDataFrame) and projects.crs.to_epsg() == 4326
    assert list(projects.columns[: len(PROJECTS.columns)]) == list(PROJECTS.columns)
    for frame, layer in ((projects, "projects"), (funding, "funding"), (beneficiaries, "beneficiaries")):
        again = conform(frame, layer)
        pd.testing.assert_frame_equal(pd.DataFrame(again), pd.DataFrame(frame), check_like=False)
    assert projects["location_precision"].between(1, 6).all()
    tokmok = projects.set_index("project_id").loc["P071"]
    assert tokmok["location_precision"] == 2 and tokmok["settlement_id"] == "gn:1"
    assert projects["version"].isna().all()  # the store's transaction sets versions


def test_seed_frames_on_the_shipped_data():
    paths = (settings.OBLAST_FILE, settings.RAYON_FILE, settings.SETTLEMENT_FILE)
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"shipped reference data not built yet (missing {', '.join(missing)})")
    read = lambda p: gpd.read_file(p, engine="pyogrio")  # noqa: E731
    admin = gpd.GeoDataFrame(pd.concat([read(settings.OBLAST_FILE), read(settings.RAYON_FILE)], ignore_index=True),
                             geometry="geometry", crs=4326)
    projects, funding, beneficiaries = seed_frames(admin, read(settings.SETTLEMENT_FILE))
    assert len(projects) == 174 and projects["project_id"].is_unique
    assert set(funding["project_id"]) <= set(projects["project_id"])
    assert set(beneficiaries["project_id"]) <= set(projects["project_id"])
    assert projects["location_precision"].notna().all()
    assert projects["location_note"].str.len().gt(0).all()



def test_a_bad_funding_cell_is_explained_in_russian(tmp_path, raw):
    bad = raw.copy()
    bad.loc[0, "funding_sources"] = "Local budget:lots:KGS"
    path = tmp_path / "projects.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(SchemaError) as info:
        parse_funding(read_seed_csv(path))
    assert info.value.text("ru") == ("Проект P001: Запись о финансировании 'Local budget:lots:KGS': не удаётся "
                                     "прочитать сумму 'lots' или валюту 'KGS'.")
