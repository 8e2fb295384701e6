"""Donor page (issue 4) in Streamlit's AppTest: one donor's projects, three languages, conversion."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import i18n
from page_support import MESSAGE_PREFIXES, run_page, shown_texts, table_with

LANGS = ("en", "ru", "ky")
ASSANABIL = "Assanabil Charitable Foundation"
SCHOOL = "Construction of a new school for 240 students in Mantysh village"


@pytest.fixture
def store(store, tmp_path, monkeypatch) -> Path:
    """The shared store copy; the user's rates file points into tmp_path."""
    import ui.pages.donors

    monkeypatch.setattr(ui.pages.donors, "RATES_FILE", tmp_path / "currency_rates.csv")
    return store


def app(lang: str, **query) -> AppTest:
    return run_page("donors", lang, query=query)





@pytest.mark.parametrize("lang", LANGS)
def test_one_donor_shows_its_projects(store, lang):
    at = app(lang)
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="donor_name").select(ASSANABIL).run()
    assert not at.exception, [e.value for e in at.exception]
    t = lambda key, **f: i18n.t(key, lang, **f)  # noqa: E731
    assert at.title[0].value == t("page.donors")
    assert "Assanabil" in at.header[0].value
    assert any(m.value == f"**{t('donors.projects', n='1')}**" for m in at.markdown)
    rows = table_with(at, t("col.project_id"), t("col.project"), t("col.source_name"), t("col.amount_basis"))
    assert rows[t("col.project_id")].tolist() == ["P009"]
    assert rows[t("col.project")].tolist() == [SCHOOL]
    assert rows[t("col.amount")].tolist() == [i18n.format_number(6_970_000, lang)]
    assert rows[t("col.amount_basis")].tolist() == [t("amount_basis.stated")]
    assert rows[t("col.source_type")].tolist() == [t("source_type.private")]
    totals = table_with(at, t("col.currency"), t("col.amount"), t("col.n_projects"))
    assert totals[t("col.amount")].tolist()[0] == i18n.format_number(6_970_000, lang)
    assert t("donors.split_note") in [c.value for c in at.caption]


def test_donors_are_listed_by_number_of_projects(store):
    import geopandas as gpd

    funding = gpd.read_file(store, layer="funding")
    counts = funding.groupby("source_name")["project_id"].nunique()
    at = app("en")
    options = at.selectbox(key="donor_name").options
    listed = [int(counts[name]) for name in options]
    assert listed == sorted(listed, reverse=True) and listed[0] > listed[-1]
    assert at.selectbox(key="donor_name").value == options[0]


def test_donor_from_the_url(store):
    at = app("en", donor=ASSANABIL)
    assert at.selectbox(key="donor_name").value == ASSANABIL
    assert "Assanabil" in at.header[0].value


@pytest.mark.parametrize("lang, rate", [("en", "38.5"), ("ru", "38,5")])
def test_converted_amounts_name_the_rate(store, lang, rate):
    at = app(lang, donor="Interbilim")
    at.radio(key="donors_cur").set_value("kgs").run()
    assert not at.exception, [e.value for e in at.exception]
    t = lambda key, **f: i18n.t(key, lang, **f)  # noqa: E731
    totals = table_with(at, t("col.currency"), t("col.amount"), t("col.rates_used"))
    assert totals[t("col.currency")].tolist() == ["KGS"]
    assert totals[t("col.amount")].tolist() == [i18n.format_number(1300 * 38.5, lang)]
    assert totals[t("col.rates_used")].tolist() == [t("donors.rate_text", currency="USD", rate=rate, to="KGS",
                                                        date="2006")]


def test_a_currency_without_rate_stays_apart(store):
    at = app("en", donor="OSCE")
    at.radio(key="donors_cur").set_value("kgs").run()
    totals = table_with(at, "Currency", "Amount")
    assert totals["Currency"].tolist() == ["EUR"] and totals["Amount"].tolist() == ["7,506"]


def test_source_type_view_in_kyrgyz(store):
    at = app("ky")
    at.radio(key="donor_mode").set_value("type").run()
    at.selectbox(key="donor_type").select("private").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.header[0].value == i18n.t("source_type.private", "ky")
    rows = table_with(at, i18n.t("col.project_id", "ky"), i18n.t("col.source_name", "ky"))
    assert "P009" in set(rows[i18n.t("col.project_id", "ky")])


@pytest.mark.parametrize("lang", ("ru", "ky"))
def test_no_message_keys_shown(store, lang):
    at = app(lang, donor="Interbilim")
    at.radio(key="donors_cur").set_value("kgs").run()
    shown = shown_texts(at)
    assert not [t for t in shown if t.startswith(MESSAGE_PREFIXES)]
    assert i18n.t("col.rates_used", lang) in shown


@pytest.mark.parametrize("lang,expected", [
    ("ru", "Таблица курсов, строки 2: per_kgs должно быть больше нуля."),
    ("ky", "Курстар таблицасы, 2-саптар: per_kgs нөлдөн чоң болушу керек."),
])
def test_a_broken_rates_file_is_explained_in_the_readers_language(store, tmp_path, lang, expected):
    (tmp_path / "currency_rates.csv").write_text("currency,per_kgs\nKGS,1\nUSD,-38.5\n", encoding="utf-8")
    at = app(lang)
    assert not at.exception, [e.value for e in at.exception]
    assert i18n.t("donors.failed", lang, reason=expected) in [w.value for w in at.warning]
