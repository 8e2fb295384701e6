"""Unit (planner) page (issue 4) in Streamlit's AppTest: Kochkor rayon in three languages.

Checks against the documents: the new school in Mantysh is funded 6 970 000 +
9 758 000 + 524 000 som, and the Kara-Suu AA joint action plan lists its
priorities for 2018, 2019 and 2021.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import i18n
from page_support import MESSAGE_PREFIXES, run_page, shown_texts, table_with
from geo.beneficiaries import RULE_PEOPLE_REACHED_KEY

LANGS = ("en", "ru", "ky")
UNIT = "KG-N-KOCHKOR"


@pytest.fixture
def store(store, tmp_path, monkeypatch) -> Path:
    """The shared store copy; the planner's own files point into tmp_path."""
    import ui.pages.donors
    import ui.pages.unit

    monkeypatch.setattr(ui.pages.unit, "PRIORITIES_USER_FILE", tmp_path / "jap_priorities.csv")
    monkeypatch.setattr(ui.pages.donors, "RATES_FILE", tmp_path / "currency_rates.csv")
    return store


def app(lang: str, unit: str = UNIT) -> AppTest:
    return run_page("unit", lang, query={"unit": unit})





@pytest.mark.parametrize("lang", LANGS)
def test_kochkor_in_each_language(store, lang):
    at = app(lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == i18n.t("page.unit", lang)
    assert [s.value for s in at.subheader][:2] == [i18n.t("unit.funds", lang), i18n.t("unit.beneficiaries", lang)]

    # Mantysh school: three sources, amounts formatted for the language ("6 970 000" in ky/ru)
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    rows = table_with(at, t("col.project_id"), t("col.source_name"), t("col.amount"))
    school = rows[rows[t("col.project_id")] == "P009"]
    amounts = sorted(school[t("col.amount")])
    assert amounts == sorted(i18n.format_number(v, lang) for v in (6_970_000, 9_758_000, 524_000))
    if lang != "en":
        assert "6\u00a0970\u00a0000" in amounts
    assert set(school[t("col.source_name")]) == {"Assanabil Charitable Foundation", "T. Kurtkaev Charitable Foundation",
                                                 "Local budget"}
    assert set(school[t("col.source_type")]) == {t("source_type.private"), t("source_type.local budget")}

    # the people-reached rule is stated in the chosen language
    assert i18n.t(RULE_PEOPLE_REACHED_KEY, lang) in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", LANGS)
def test_kara_suu_priorities_by_year(store, lang):
    at = app(lang)
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    assert any("Kara" in m.value and "Suu AA" in m.value for m in at.markdown)
    table = table_with(at, t("col.priority"), t("col.sector"), "2018", "2019", "2021")
    ranks = table.set_index(t("col.priority"))[["2018", "2019", "2021"]]
    assert ranks.loc["drinking water"].tolist() == ["2", "3", "2"]
    assert ranks.loc["internal roads"].tolist() == ["1", "4", "1"]
    assert ranks.loc["library"].tolist() == ["7", "—", "—"]
    assert table.set_index(t("col.priority")).loc["drinking water", t("col.sector")] == t("sector.water_supply")


def test_unknown_years_show_a_dash_not_none(store):
    at = app("ru")
    projects = table_with(at, i18n.t("unit.year_start", "ru"), i18n.t("unit.year_end", "ru"))
    shown = set(projects[i18n.t("unit.year_start", "ru")]) | set(projects[i18n.t("unit.year_end", "ru")])
    assert "None" not in shown and "<NA>" not in shown
    assert "2021" in shown  # P016 (JAP 2021 item) keeps its year without a thousands separator


@pytest.mark.parametrize("lang", ("ru", "ky"))
def test_no_message_keys_shown(store, lang):
    at = app(lang)
    assert not [t for t in shown_texts(at) if t.startswith(MESSAGE_PREFIXES)]
