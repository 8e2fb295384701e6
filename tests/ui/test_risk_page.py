"""Risk page (issue 5) in Streamlit's AppTest, on a store built from the shipped data.

The build stores the indicative slope and river-band layers, so the page shows them
with the "indicative … not an official hazard map" note. An administrator's import
through the form (a 2 km square near Kochkor) replaces the indicative layer of its
hazard type; a viewer sees no form, and a file outside Kyrgyzstan is refused with the
error's message.
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import streamlit as st
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from geo import i18n
from page_support import run_page, shown_texts, table_with
from geo.auth import User

RIVER_LAYER_PREFIX = "Main-river band"


@pytest.fixture
def store(store, monkeypatch) -> Path:
    """The shared store copy (the import tests write to it), with the real uploader, in case a
    test module run before this one replaced st.file_uploader."""
    monkeypatch.setattr(st, "file_uploader", st._main.file_uploader)
    return store


def app(lang: str, unit: str | None = None, hazard: str | None = None, user=None) -> AppTest:
    query = {key: value for key, value in (("unit", unit), ("hazard", hazard)) if value}
    return run_page("risk", lang, state={"user": user} if user is not None else None, query=query, timeout=300)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_page_renders_with_indicative_note(store, lang):
    at = app(lang)
    assert not at.exception, [e.value for e in at.exception]
    t = lambda key, **f: i18n.t(key, lang, **f)  # noqa: E731
    assert at.title[0].value == t("page.risk")
    note = t("risk.indicative_note")
    assert note != "risk.indicative_note"
    assert any(note in w.value for w in at.warning)
    # the layer picker names the shipped layers as indicative
    picker = at.selectbox(key="risk_layer")
    assert len(picker.options) == 2 and all(t("risk.indicative_short") in o for o in picker.options)
    # exposure per class, with every class and the two extra rows, translated
    table = table_with(at, t("risk.col.class"), t("risk.col.projects"), t("risk.col.people"))
    assert list(table[t("risk.col.class")]) == [t(f"hazard.class.{c}") for c in
                                                ("High", "Medium", "Low", "Very low", "Outside zones", "No location")]
    assert [m.label for m in at.metric] == [t("risk.metric.projects"), t("risk.metric.settlements"),
                                            t("risk.metric.people")]
    keys = [b.key for b in at.get("download_button")]
    assert {"dl_risk_classes_csv", "dl_risk_classes_xlsx", "dl_risk_sectors_csv"} <= set(keys)
    assert len(keys) >= 8  # every exposure table and the projects-at-risk list can be downloaded
    # no message key leaks into the page
    shown = shown_texts(at)
    assert not [s for s in shown if s.startswith(("risk.", "hazard.", "page."))], shown
    # a viewer sees the form's title but not the form
    assert t("risk.import.admin_only") in [i.value for i in at.info]
    assert not at.file_uploader


def test_slope_layer_from_url_and_selected_unit(store):
    at = app("en", unit="KG-N", hazard="landslide")
    assert not at.exception, [e.value for e in at.exception]
    assert "Slope classes" in at.selectbox(key="risk_layer").value
    assert any("Slope is computed" in w.value for w in at.warning)
    subheaders = [s.value for s in at.subheader]
    assert subheaders[0] == "Exposure: Naryn"
    units = table_with(at, "Unit", "Hazard level")
    assert set(units["Unit"]) == {"Ak-Talaa", "At-Bashy", "Jumgal", "Kochkor", "Naryn"}
    assert set(units["Hazard level"]) <= {"High", "Medium", "Low", "Very low", "In no zone"}
    # unknown population is shown as unknown, never as 0
    assert set(units["Population of the unit"]) == {"unknown"}


def _square_geojson(lon: float, lat: float, half_deg: float = 0.009) -> bytes:
    zone = gpd.GeoDataFrame({"zone": ["High"], "note": ["<b>escaped</b>"]},
                            geometry=[box(lon - half_deg, lat - half_deg, lon + half_deg, lat + half_deg)], crs=4326)
    return zone.to_json().encode()


def _fill_form(at: AppTest, content: bytes, hazard_type: str) -> AppTest:
    at.file_uploader(key="risk_upload").set_value(("zones.geojson", content, "application/geo+json"))
    at.run()
    at.selectbox(key="risk_type").set_value(hazard_type)
    at.selectbox(key="risk_column").set_value("zone")
    at.text_input(key="risk_source").input("Test ministry map")
    at.text_input(key="risk_date").input("2009")
    at.text_input(key="risk_licence").input("CC BY 4.0")
    return at.run()


def test_admin_import_replaces_the_indicative_layer_of_its_type(store):
    from geo.store import open_store

    at = app("en", user=User("boss", "admin"))
    assert not at.exception, [e.value for e in at.exception]
    at = _fill_form(at, _square_geojson(75.75, 42.2), "flood")
    assert not at.exception, [e.value for e in at.exception]
    # the legend of the rule is shown before importing
    legend = table_with(at, "Hazard class", "Rule", "Features")
    assert list(legend["Hazard class"]) == ["High", "Medium", "Low", "Very low"]
    assert legend.set_index("Hazard class").loc["High", "Features"] == "1"
    at.button(key="risk_import_button").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Imported 'zones': 1 zones." in s.value for s in at.success)
    assert at.selectbox(key="risk_layer").value == "zones"
    zones = open_store(str(store)).read("hazard_zones")
    imported = zones[zones["layer_name"] == "zones"]
    assert len(imported) == 1 and imported["source"].iloc[0] == "Test ministry map"
    assert imported["licence"].iloc[0] == "CC BY 4.0" and not imported["indicative"].iloc[0]
    # the official flood layer replaced the indicative river band; the slope layer stays
    assert not zones["layer_name"].str.startswith(RIVER_LAYER_PREFIX).any()
    assert zones["layer_name"].str.startswith("Slope classes").any()


def test_import_error_is_shown_with_its_message(store):
    from geo.store import open_store

    before = open_store(str(store)).checksum("hazard_zones")
    at = app("ru", user=User("boss", "admin"))
    at = _fill_form(at, _square_geojson(10.0, 50.0), "mudflow")   # in Germany
    at.button(key="risk_import_button").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    # shown through ui.auth_ui.error_text: the lead-in and the message, both in Russian
    assert errors and errors[0].startswith(i18n.t("error.refused", "ru", reason=""))
    assert "за пределами Кыргызстана" in errors[0] and "outside" not in errors[0]
    assert open_store(str(store)).checksum("hazard_zones") == before


def test_hazard_level_view_and_json_safe_tables(store):
    at = app("en")
    at.radio(key="risk_view").set_value("levels")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at_risk = table_with(at, "Project ID", "Hazard class", "Location")
    assert len(at_risk) >= 1
    assert set(at_risk["Hazard class"]) <= {"High", "Medium", "Low"}
    json.dumps(at_risk.astype(str).to_dict("records"))  # plain values, ready to download


# --------------------------------------------------------------------------- stored rule and deleting layers
def _official_flood(store_path: Path, tmp_path: Path, name: str = "Flood depth 2020") -> None:
    """An official flood layer (depth in m, thresholds) imported into the store as an admin."""
    from geo.hazard_store import import_hazard_layer
    from geo.store import open_store

    path = tmp_path / "depth.geojson"
    gpd.GeoDataFrame({"depth_m": [1.2, 0.3]}, geometry=[box(75.74, 42.19, 75.76, 42.21), box(75.8, 42.19, 75.82, 42.21)],
                     crs=4326).to_file(path, driver="GeoJSON", engine="pyogrio")
    import_hazard_layer(open_store(str(store_path)), User("boss", "admin"), path, hazard_type="flood",
                        mapping={"High": 1.0, "Medium": 0.25}, layer_name=name, source="Test ministry")


def test_stored_rule_is_shown_translated(store, tmp_path):
    _official_flood(store, tmp_path)
    at = app("ru", hazard="Flood depth 2020")
    assert not at.exception, [e.value for e in at.exception]
    t = lambda key, **f: i18n.t(key, "ru", **f)  # noqa: E731
    rule = table_with(at, t("risk.col.class"), t("risk.col.rule"))
    shown = dict(zip(rule[t("risk.col.class")], rule[t("risk.col.rule")]))
    # the thresholds the admin chose, not the value range found (1,2 and 0,3)
    assert shown == {t("hazard.class.High"): "значение ≥ 1", t("hazard.class.Medium"): "0,25 ≤ значение < 1"}
    assert t("risk.rule.stored") in [c.value for c in at.caption]


@pytest.mark.parametrize("user", [None, User("ed", "editor", frozenset({"KG-N"}))])
def test_viewers_and_editors_see_why_they_cannot_delete(store, tmp_path, user):
    _official_flood(store, tmp_path)
    at = app("en", user=user)
    assert not at.exception, [e.value for e in at.exception]
    role = "Editor" if user else "Viewer"
    expected = i18n.t("risk.delete.admin_only", "en", role=i18n.t(f"role.{role.lower()}", "en"))
    assert expected in [i.value for i in at.info]
    assert not [b for b in at.button if b.key == "risk_delete_button"]


def test_admin_deletes_a_layer_after_confirming_and_the_indicative_layer_returns(store, tmp_path):
    from geo.store import open_store

    _official_flood(store, tmp_path)
    zones = open_store(str(store)).read("hazard_zones")
    assert not zones["layer_name"].str.startswith(RIVER_LAYER_PREFIX).any()
    at = app("en", hazard="Flood depth 2020", user=User("boss", "admin"))
    assert not at.exception, [e.value for e in at.exception]
    # indicative layers are never offered for deletion
    assert at.selectbox(key="risk_delete_pick").options == ["Flood depth 2020"]
    at.button(key="risk_delete_button").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warning = [w.value for w in at.warning if "Delete 'Flood depth 2020' (2 zones)" in w.value]
    assert warning and i18n.t("risk.delete.restores", "en") in warning[0]
    before = open_store(str(store)).checksum("hazard_zones")
    # cancelling changes nothing
    at.button(key="risk_delete_no").click()
    at.run()
    assert open_store(str(store)).checksum("hazard_zones") == before
    at.button(key="risk_delete_button").click()
    at.run()
    at.button(key="risk_delete_yes").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Deleted 'Flood depth 2020' (2 zones)." in s.value for s in at.success)
    zones = open_store(str(store)).read("hazard_zones")
    assert "Flood depth 2020" not in set(zones["layer_name"])
    assert zones["layer_name"].str.startswith(RIVER_LAYER_PREFIX).any()
    assert "Flood depth 2020" not in at.selectbox(key="risk_layer").options
    assert i18n.t("risk.delete.none", "en") in [i.value for i in at.info]
