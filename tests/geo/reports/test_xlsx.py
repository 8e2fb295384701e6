"""XLSX reports (issue 9): the workbook opens with openpyxl/pandas and holds the store's figures.

Kochkor rayon (KG-N-KOCHKOR) with Kara-Suu aiyl aimak's projects from seed document
004; the new school in Mantysh (P009) is funded 6,970,000 + 9,758,000 + 524,000 som.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.i18n import t
from geo.reports.xlsx import SHEETS, render_xlsx, report_xlsx, sheet_name
from geo.reports import collect

KOCHKOR = "KG-N-KOCHKOR"
DAY = dt.date(2025, 3, 5)


@pytest.fixture(scope="session")
def store(built_store):
    """The store built from the shipped data and the seed projects (tests/conftest.py), read only."""
    from geo.store.gpkg import GeoPackageStore

    return GeoPackageStore(built_store)


@pytest.fixture(scope="session")
def workbooks(store):
    return {lang: report_xlsx(store, unit=KOCHKOR, lang=lang, today=DAY) for lang in ("ky", "ru", "en")}


def sheet(data: bytes, sheet_id: str, lang: str) -> pd.DataFrame:
    return pd.read_excel(io.BytesIO(data), sheet_name=sheet_name(sheet_id, lang))


def test_workbook_has_the_sheets_in_the_language(workbooks):
    for lang, data in workbooks.items():
        book = openpyxl.load_workbook(io.BytesIO(data))
        assert book.sheetnames == [sheet_name(s, lang) for s in SHEETS]
        assert len(set(book.sheetnames)) == len(SHEETS)
        assert book.sheetnames[0] == t("report.sheet.summary", lang)
        assert book[book.sheetnames[0]]["A1"].value == t("report.title", lang, name=collect_name(lang))


def collect_name(lang: str) -> str:
    return {"ky": "Кочкорский район (ru)", "ru": "Кочкорский район", "en": "Kochkor"}[lang]


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_projects_sheet_matches_the_stores_projects_of_the_unit(store, workbooks, lang):
    projects = store.read("projects")
    expected = projects[projects["rayon_pcode"] == KOCHKOR].set_index("project_id").sort_index()
    table = sheet(workbooks[lang], "projects", lang)
    id_col, title_col, sector_col = t("report.col.id", lang), t("col.project", lang), t("col.sector", lang)
    table = table.set_index(id_col).sort_index()
    assert list(table.index) == list(expected.index)
    assert table[title_col].tolist() == expected["title"].tolist()
    assert table[sector_col].tolist() == [t(f"sector.{s}", lang) for s in expected["sector"]]
    precision = table[t("report.col.precision", lang)[:1].upper() + t("report.col.precision", lang)[1:]]
    assert precision.tolist() == expected["location_precision"].astype(int).tolist()
    total_cost = table[t("report.col.total_cost", lang)]
    assert total_cost.loc["P006"] == 1_150_000
    assert pd.isna(total_cost.loc["P009"])  # not stated: empty, never 0
    funding_col = t("report.col.funding", lang, currency=t("currency.KGS", lang))
    assert table.loc["P009", funding_col] == 17_252_000
    assert pd.isna(table.loc["P016", funding_col])  # no funding row at all


def test_funding_rows_and_totals(store, workbooks):
    rows = sheet(workbooks["ru"], "funding_rows", "ru")
    p009 = rows[rows[t("report.col.id", "ru")] == "P009"]
    assert sorted(p009[t("col.amount", "ru")]) == [524_000, 6_970_000, 9_758_000]
    assert set(p009[t("col.currency", "ru")]) == {"KGS"}
    store_rows = store.read("funding")
    assert len(rows) == store_rows["project_id"].isin(
        store.read("projects").query("rayon_pcode == @KOCHKOR")["project_id"]).sum()

    totals = sheet(workbooks["ru"], "funding", "ru")
    by = totals[t("report.col.by", "ru")]
    sectors = totals[by == t("report.section.by_sector", "ru")]
    assert sectors[t("col.amount", "ru")].sum() == 79_886_076
    school = sectors[sectors[t("report.col.group", "ru")] == t("sector.school", "ru")]
    assert school[t("col.amount", "ru")].iloc[0] == 70_130_076
    types = totals[by == t("report.section.by_source_type", "ru")]
    assert types[t("col.amount", "ru")].sum() == 79_886_076


def test_beneficiaries_keep_unknown_empty(workbooks):
    table = sheet(workbooks["en"], "beneficiaries", "en").set_index("ID")
    assert table.loc["P016", "Total"] == 5910
    assert table.loc["P016", "Women"] == 3068
    assert table.loc["P009", "Students"] == 240
    assert pd.isna(table.loc["P009", "Total"])
    assert pd.isna(table.loc["P006", "Households"])


def test_summary_precision_sources_and_exposure_sheets(store, workbooks):
    data = workbooks["ru"]
    book = openpyxl.load_workbook(io.BytesIO(data))
    summary = [c for row in book[sheet_name("summary", "ru")].iter_rows(values_only=True) for c in row if c is not None]
    assert "Подготовлено 05.03.2025" in summary
    assert t("report.n_projects", "ru") in summary and 11 in summary
    assert "79 886 076 сом".replace(" ", "\u00a0") in summary
    precision = sheet(data, "precision", "ru")
    assert precision.set_index(t("report.col.code", "ru")).loc[4, t("col.n_projects", "ru")] == 11
    sources = sheet(data, "sources", "ru")
    assert "CC BY 4.0" in set(sources[t("report.col.licence", "ru")])
    zones = store.read("hazard_zones")
    if len(zones):  # one block of rows per hazard layer, every class listed
        exposure = sheet(data, "exposure", "ru")
        layers = exposure[t("report.col.layer", "ru")].dropna()
        named = set(zones["layer_name"].dropna())
        assert set(layers[layers.isin(named)]) == named
        assert (layers.isin(named)).sum() == 6 * len(named)
    else:
        exposure = [c for row in book[sheet_name("exposure", "ru")].iter_rows(values_only=True) for c in row if c]
        assert exposure == [t("report.no_hazard", "ru")]


def test_donor_workbook(store):
    report = collect(store, donor="T. Kurtkaev Charitable Foundation", lang="en", today=DAY)
    data = render_xlsx(report)
    projects = sheet(data, "projects", "en")
    assert projects["ID"].tolist() == ["P009"]
    totals = sheet(data, "funding", "en")
    oblast = totals[totals["Breakdown"] == t("report.section.by_oblast", "en")]
    assert oblast["Amount"].tolist() == [9_758_000]
    cofunding = totals[totals["Breakdown"] == t("report.section.by_source_name", "en")]
    assert sorted(cofunding["Amount"]) == [524_000, 6_970_000, 9_758_000]  # every source of the donor's project
