"""Main map page in Streamlit's AppTest: the hazard overlay picker and imported line projects."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from geo import i18n
from page_support import run_page


def app(lang: str = "en", unit: str | None = None) -> AppTest:
    return run_page("map", lang, query={"unit": unit} if unit else None)


def _map_html(at: AppTest) -> str:
    """The HTML the st_folium component receives (its arguments, as sent to the browser)."""
    for element in at.main:
        proto = getattr(element, "proto", None)
        if hasattr(proto, "json_args") and "L.map(" in proto.json_args:
            return json.dumps(json.loads(proto.json_args), ensure_ascii=False)
    raise AssertionError("no map component on the page")


def _hazard_box(at: AppTest, lang: str):
    label = i18n.t("map.hazard_layer", lang)
    return next(box for box in at.sidebar.selectbox if box.label == label)


def test_hazard_overlay_is_off_by_default_and_lists_layers(store):
    at = app("en")
    assert not at.exception
    box = _hazard_box(at, "en")
    assert box.value is None
    assert "#db0026" not in _map_html(at) and "#fecc5c" not in _map_html(at)
    options = box.options
    assert options[0] == i18n.t("map.hazard_off", "en")
    assert any("indicative" in o for o in options[1:])


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_choosing_a_hazard_layer_draws_it_with_the_indicative_warning(store, lang):
    at = app(lang, unit="KG-N-KOCHKOR")
    box = _hazard_box(at, lang)
    at = box.select_index(1).run()
    assert not at.exception
    page = _map_html(at)
    assert any(colour in page for colour in ("#db0026", "#f03b20", "#fd8d3c", "#fecc5c"))
    assert i18n.t("risk.indicative_note", lang).split(" ")[0] in page
