"""Canals page (issue 6) in Streamlit's AppTest: documented numbers, three languages, the editor.

The store is built once per session from the shipped data (``python -m geo build``);
each test works on its own copy so edits do not leak between tests.
"""
from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from geo import i18n
from page_support import run_page, shown_texts

LANGS = ("en", "ru", "ky")


def app(lang: str, **state) -> AppTest:
    return run_page("canals", lang, state=state)



def metrics(at: AppTest, lang: str) -> dict[str, str]:
    return {m.label: m.value for m in at.metric if m.label in {
        i18n.t(k, lang) for k in ("canals.capacity", "canals.tail", "canals.outlets_found", "canals.outlets_agreed",
                                  "canals.outlets_closed")}}


def agreed_per_village(at: AppTest, lang: str) -> dict[str, str]:
    village, agreed = i18n.t("canals.col.village", lang), i18n.t("canals.col.outlets_agreed", lang)
    table = next(df.value for df in at.dataframe if village in df.value.columns and agreed in df.value.columns)
    return dict(zip(table[village], table[agreed]))


def save_button(at: AppTest):
    label = i18n.t("canals.edit.save", at.session_state["lang"])
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("lang", LANGS)
def test_documented_numbers_in_each_language(store, lang):
    at = app(lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == i18n.t("page.canals", lang)
    shown = metrics(at, lang)
    assert shown[i18n.t("canals.capacity", lang)] == "210"
    assert shown[i18n.t("canals.outlets_found", lang)] == "110"
    assert shown[i18n.t("canals.outlets_closed", lang)] == "91"
    assert shown[i18n.t("canals.tail", lang)] == "10–15"
    per_village = agreed_per_village(at, lang)
    assert {v: per_village[v] for v in ("Uch-Dobo", "Ak-Tatir", "Jany-Bak", "Jamoau Voruh")} == {
        "Uch-Dobo": "4", "Ak-Tatir": "4", "Jany-Bak": "7", "Jamoau Voruh": "4"}
    # the 110 found are a whole-canal record, listed beside the map (no position invented)
    side = "".join(h.value for h in at.get("html"))
    assert i18n.t("canals.whole_canal", lang) in side and "110" in side


@pytest.mark.parametrize("lang", ("ru", "ky"))
def test_no_english_or_raw_keys_left(store, lang):
    at = app(lang)
    shown = shown_texts(at)
    assert not [t for t in shown if t.startswith(("canals.", "page.")) or ".col." in t]
    english = {i18n.t(k, "en") for k in ("canals.capacity", "canals.tab.outlets", "canals.tab.edit",
                                         "canals.edit.user", "canals.col.village", "canals.timeline")}
    assert not english & set(shown)
    assert i18n.t("canals.tab.dispute", lang) in shown


def test_record_outlet_with_typed_coordinates(store):
    at = app("en")
    at.text_input(key="canal_user").input("Aigul Test")
    at.text_input(key="canal_coords").input("39.99, 70.50")
    at.text_input(key="canal_new_village").input("Kapchigai")
    save_button(at).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("Saved by Aigul Test" in s.value for s in at.success)
    assert metrics(at, "en")["Outlets found"] == "111"
    village = i18n.t("canals.col.village", "en")
    found = i18n.t("canals.col.outlets_found", "en")
    table = next(df.value for df in at.dataframe if village in df.value.columns and found in df.value.columns)
    assert table.loc[table[village] == "Kapchigai", found].tolist() == ["1"]

    from geo.store import open_store

    stored = open_store().read("canal_outlets")
    new = stored[stored["village"] == "Kapchigai"].iloc[0]
    assert new["updated_by"] == "Aigul Test" and new["status"] == "found"
    assert (round(new.geometry.x, 2), round(new.geometry.y, 2)) == (70.5, 39.99)


def test_point_in_kazakhstan_is_refused(store):
    at = app("ru")
    at.text_input(key="canal_user").input("Aigul Test")
    at.text_input(key="canal_coords").input("43.238, 76.945")  # Almaty
    save_button(at).click()
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith(i18n.t("canals.edit.outside", "ru", lat="43.23800", lon="76.94500")[:40])
    assert "Кыргызстан" in at.error[0].value
    assert metrics(at, "ru")[i18n.t("canals.outlets_found", "ru")] == "110"


def test_a_name_is_required_without_sign_in(store):
    at = app("en")
    at.text_input(key="canal_coords").input("39.99, 70.50")
    save_button(at).click()
    at.run()
    assert [e.value for e in at.error] == [
        i18n.t("canals.edit.failed", "en", reason=i18n.t("canals.edit.need_user", "en"))]
    assert metrics(at, "en")["Outlets found"] == "110"


def test_signed_in_user_is_recorded(store):
    at = app("en", user="editor.batken")
    assert not [w for w in at.text_input if w.key == "canal_user"]
    assert any("editor.batken" in i.value for i in at.info)
    at.text_input(key="canal_coords").input("40.0, 70.55")
    save_button(at).click()
    at.run()
    assert any("Saved by editor.batken" in s.value for s in at.success)

    from geo.store import open_store

    stored = open_store().read("canal_outlets")
    assert (stored["updated_by"] == "editor.batken").sum() == 1


def test_status_changes_through_the_editor(store):
    from geo.store import open_store

    at = app("en", user="editor.batken")
    at.text_input(key="canal_coords").input("40.0, 70.55")
    at.text_input(key="canal_new_village").input("Samarkandyk")
    save_button(at).click()
    at.run()
    stored = open_store().read("canal_outlets")
    outlet_id = stored.loc[stored["village"] == "Samarkandyk", "outlet_id"].iloc[0]
    at.radio(key="canal_action").set_value("status").run()
    at.selectbox(key="canal_status_outlet").select(outlet_id).run()
    assert at.selectbox(key="canal_status_new").options == ["unauthorised", "agreed"]
    at.selectbox(key="canal_status_new").select("unauthorised").run()
    save_button(at).click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="canal_status_new").options == ["closed", "agreed"]
    at.selectbox(key="canal_status_new").select("closed").run()
    save_button(at).click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert metrics(at, "en")["Illegal cuttings closed"] == "92"
    assert any(i.value == i18n.t("canals.edit.no_change", "en", status="closed") for i in at.info)

    stored = open_store().read("canal_outlets")
    row = stored[stored["outlet_id"] == outlet_id].iloc[0]
    assert row["status"] == "closed" and int(row["version"]) == 3 and row["updated_by"] == "editor.batken"
    audit = open_store().read("audit_log")
    assert (audit.loc[audit["row_key"] == outlet_id, "user"] == "editor.batken").sum() == 3


@pytest.mark.parametrize("lang,expected", [
    ("ru", "Не сохранено: '15.07.2024' — не дата; запишите её как ГГГГ-ММ-ДД (или ГГГГ-ММ, ГГГГ)."),
    ("ky", "Сакталган жок: '15.07.2024' — күн эмес; аны ЖЖЖЖ-АА-КК (же ЖЖЖЖ-АА, ЖЖЖЖ) түрүндө жазыңыз."),
])
def test_refused_measurement_is_explained_in_the_readers_language(store, lang, expected):
    at = app(lang, user="editor.batken")
    at.radio(key="canal_action").set_value("measurement").run()
    at.text_input(key="canal_m_date").input("15.07.2024")
    at.text_input(key="canal_m_flow").input("5")
    save_button(at).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [expected]
