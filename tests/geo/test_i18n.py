"""Message catalogues (ky, ru, en) are complete, and numbers, dates and place names follow the language.

Keys used in the code are found by reading the source: string literals passed to
``tr(...)``, ``t(...)`` or ``i18n.t(...)`` in ui/, layers/ and geo/, and f-string
keys such as ``tr(f"sector.{s}")`` expanded over the value lists the code draws
them from (sectors, funding source types, precision codes, …).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import string
from pathlib import Path

import pandas as pd
import pytest

from geo import i18n

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("ky", "ru", "en")
NBSP = "\u00a0"

_LITERAL = re.compile(r"(?<![\w.])(?:tr|t|i18n\.t)\(\s*\"([^\"{}\n]+)\"")
_FSTRING = re.compile(r"(?<![\w.])(?:tr|t|i18n\.t)\(\s*f\"([^\"\n]*)\"")


def _catalogues() -> dict[str, dict[str, str]]:
    return {lang: json.loads((i18n.LOCALE_DIR / f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGS}


def _sources():
    for folder in ("ui", "layers", "geo"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield ROOT / "app.py"


def _expansions() -> dict[str, list]:
    """f-string key prefix → the values the code fills in (from the code's own lists)."""
    from geo import beneficiaries, exposure, funding
    from geo.schema import CURRENCIES, FUNDING_SOURCE_TYPES, PRECISION_CODES, SECTORS_HINT
    from geo.unit_metrics import METRICS
    from layers.project_markers import POPUP_FIELDS
    from layers.styles import SECTOR_STYLES

    return {
        "sector.": [*SECTOR_STYLES, *SECTORS_HINT],
        "source_type.": list(FUNDING_SOURCE_TYPES),
        "precision.": list(PRECISION_CODES),
        "level.": [1, 2, 3],
        "map.layer.level": [2, 3],
        "choropleth.metric.": list(METRICS),
        "choropleth.note.": list(METRICS),
        "beneficiaries.": list(beneficiaries.MEASURES),
        "amount_basis.": [funding.BASIS_STATED, funding.BASIS_FROM_SHARE, funding.BASIS_SHARE_ONLY, funding.BASIS_UNKNOWN],
        "popup.": list(POPUP_FIELDS) + ["status"],
        "map.base.": ["relief", "plain"],
        "currency.": list(CURRENCIES),
        "hazard.class.": list(exposure.ROW_ORDER),
        "report.section.by_": ["source_type", "source_name", "sector", "year", "oblast"],
        "download.": ["csv", "xlsx", "geojson", "gpkg"],
        "reports.kind.": ["unit", "donor"],
    }


def used_keys() -> tuple[set[str], dict[str, set[str]]]:
    """(literal keys, f-string prefixes with the files using them) found in the code."""
    literal: set[str] = set()
    prefixes: dict[str, set[str]] = {}
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        literal.update(_LITERAL.findall(text))
        for body in _FSTRING.findall(text):
            prefix = body.split("{", 1)[0]
            prefixes.setdefault(prefix, set()).add(str(path.relative_to(ROOT)))
    return literal, prefixes


def test_every_key_is_in_all_three_catalogues():
    cats = _catalogues()
    every = set().union(*cats.values())
    missing = {lang: sorted(every - set(cat)) for lang, cat in cats.items()}
    assert missing == {lang: [] for lang in LANGS}


def test_no_catalogue_value_is_empty():
    empty = [(lang, key) for lang, cat in _catalogues().items() for key, value in cat.items()
             if not isinstance(value, str) or not value.strip()]
    assert empty == []


def test_fields_are_the_same_in_every_language():
    cats = _catalogues()

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    differ = {key: {lang: sorted(fields(cats[lang][key])) for lang in LANGS} for key in cats["en"]
              if len({frozenset(fields(cats[lang][key])) for lang in LANGS}) > 1}
    assert differ == {}


def test_literal_keys_used_in_the_code_exist_in_all_catalogues():
    cats = _catalogues()
    literal, _ = used_keys()
    assert len(literal) > 150  # the scan finds the keys at all
    missing = sorted(key for key in literal if any(key not in cats[lang] for lang in LANGS))
    assert missing == []


def test_fstring_keys_used_in_the_code_exist_in_all_catalogues():
    cats = _catalogues()
    _, prefixes = used_keys()
    expansions = _expansions()
    assert {"sector.", "source_type.", "precision.", "level."} <= set(prefixes)
    missing = []
    for prefix, files in sorted(prefixes.items()):
        if prefix in expansions:
            keys = [f"{prefix}{value}" for value in expansions[prefix]]
        else:  # a prefix this test has no value list for: at least some keys must carry it
            keys = [prefix] if not any(k.startswith(prefix) for k in cats["en"]) else []
        missing += [(key, sorted(files)) for key in keys if any(key not in cats[lang] for lang in LANGS)]
    assert missing == []


def test_page_titles_are_translated():
    from ui.pages import PAGES

    cats = _catalogues()
    assert [key for _, key, _ in PAGES if any(key not in cats[lang] for lang in LANGS)] == []
    assert "page.reports" in [key for _, key, _ in PAGES]


def test_kyrgyz_catalogue_is_kyrgyz():
    ky = _catalogues()["ky"]
    text = " ".join(ky.values())
    for letter in "ңөү":
        assert letter in text
    cyrillic = [v for v in ky.values() if re.search("[а-яА-ЯёЁңөүҢӨҮ]", v)]
    assert len(cyrillic) > 0.95 * len(ky)


def test_russian_catalogue_is_russian_and_english_is_latin():
    cats = _catalogues()
    assert sum(bool(re.search("[а-яА-Я]", v)) for v in cats["ru"].values()) > 0.95 * len(cats["ru"])
    # Kyrgyz-only letters do not belong in the Russian texts
    assert [k for k, v in cats["ru"].items() if re.search("[ңөүҢӨҮ]", v)] == []
    assert sum(bool(re.search("[а-яА-Я]", v)) for v in cats["en"].values()) < 0.05 * len(cats["en"])


# -- numbers, amounts, dates, names ---------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_format_number_groups_thousands_with_non_breaking_spaces(lang):
    assert i18n.format_number(1150000, lang) == f"1{NBSP}150{NBSP}000"
    assert i18n.format_number(6970000.0, lang) == f"6{NBSP}970{NBSP}000"
    assert i18n.format_number(12.34, lang, 1) == "12,3"
    assert i18n.format_number(999, lang) == "999"


def test_format_number_english():
    assert i18n.format_number(1150000, "en") == "1,150,000"
    assert i18n.format_number(1234.5, "en", 1) == "1,234.5"


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, "not a number"])
@pytest.mark.parametrize("lang", LANGS)
def test_missing_numbers_are_a_dash_not_zero(value, lang):
    assert i18n.format_number(value, lang) == "—"
    assert i18n.format_amount(value, "KGS", lang) == "—"


def test_format_amount_names_the_currency_in_the_language():
    assert i18n.format_amount(1150000, "KGS", "ru") == f"1{NBSP}150{NBSP}000{NBSP}сом"
    assert i18n.format_amount(1150000, "KGS", "ky") == f"1{NBSP}150{NBSP}000{NBSP}сом"
    assert i18n.format_amount(1150000, "KGS", "en") == f"1,150,000{NBSP}som"
    assert i18n.format_amount(5, "XYZ", "en") == f"5{NBSP}XYZ"  # an unknown currency keeps its code


def test_format_date():
    day = dt.date(2025, 3, 5)
    assert i18n.format_date(day, "ru") == "05.03.2025"
    assert i18n.format_date(day, "ky") == "05.03.2025"
    assert i18n.format_date(day, "en") == "5 March 2025"
    assert i18n.format_date("2025-03-05T10:00:00+00:00", "en") == "5 March 2025"
    assert i18n.format_date(None, "ru") == "—"
    assert i18n.format_date("someday", "ru") == "—"


def test_place_name_falls_back_visibly():
    kochkor = {"name_en": "Kochkor", "name_ru": "Кочкорский район", "name_ky": None}
    assert i18n.place_name(kochkor, "ru") == "Кочкорский район"
    assert i18n.place_name(kochkor, "en") == "Kochkor"
    assert i18n.place_name(kochkor, "ky") == "Кочкорский район (ru)"
    assert i18n.place_name({"name_en": "Kochkor", "name_ky": pd.NA}, "ky") == "Kochkor (en)"
    assert i18n.place_name({"name_en": "Tokmok", "name_ru": ""}, "ru") == "Tokmok (en)"
    assert i18n.place_name({"name_en": "Kochkor", "name_ky": None}, "ky", mark=False) == "Kochkor"
    assert i18n.place_name({"name_ky": "Ысык-Көл", "name_en": "Issyk-Kul"}, "ky") == "Ысык-Көл"
    assert i18n.place_name({}, "ru", fallback="KG-N") == "KG-N"
    assert i18n.place_name(pd.Series({"name_en": None, "name_ru": None}), "en") == "—"


def test_t_fills_fields_and_shows_missing_keys():
    assert i18n.t("report.title", "en", name="Kochkor") == "Report: Kochkor"
    assert i18n.t("no.such.key", "ky") == "no.such.key"
