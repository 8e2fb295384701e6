"""Messages in Kyrgyz, Russian and English from one catalogue file per language.

Catalogues live in ``geo/locales/{ky,ru,en}.json`` as flat ``{"key": "text"}``
objects; texts may hold ``{name}`` fields filled by :func:`t`. A key missing from a
language falls back to English, then to the key itself, so a gap is visible.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGUAGES = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
DEFAULT_LANGUAGE = "ru"
LOCALE_DIR = Path(__file__).parent / "locales"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """The message catalogue of one language."""
    path = LOCALE_DIR / f"{lang}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def t(key: str, lang: str = DEFAULT_LANGUAGE, **fields) -> str:
    """The message ``key`` in ``lang`` with ``fields`` filled in."""
    text = catalogue(lang).get(key) or catalogue("en").get(key) or key
    if fields:
        try:
            return text.format(**fields)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def format_number(value, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    """A number in the language's convention: ``1 150 000`` (ky, ru) or ``1,150,000`` (en).

    Missing values come back as an em dash, never as zero.
    """
    if value is None:
        return "—"
    try:
        import math

        if isinstance(value, float) and math.isnan(value):
            return "—"
    except TypeError:
        pass
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    text = f"{number:,.{decimals}f}"
    if lang in ("ru", "ky"):
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


#: English month names for :func:`format_date` (ky and ru use day.month.year digits).
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")

#: Order in which name columns are tried per language: Kyrgyz readers read Russian
#: more easily than Latin transliterations, so ky falls back to ru before en.
NAME_FALLBACK = {"ky": ("ky", "ru", "en"), "ru": ("ru", "en", "ky"), "en": ("en", "ru", "ky")}


def format_date(value, lang: str = DEFAULT_LANGUAGE) -> str:
    """A date in the language's convention: ``05.03.2025`` (ky, ru) or ``5 March 2025`` (en).

    ``value`` is a :class:`datetime.date`/``datetime`` or ISO text (``2025-03-05``,
    ``2025-03-05T10:00:00+00:00``). Missing or unreadable values come back as an em dash.
    """
    import datetime as _dt

    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return "—"
    if not isinstance(value, _dt.date):
        try:
            import pandas as pd

            if pd.isna(value):
                return "—"
            value = pd.Timestamp(value).to_pydatetime()
        except (TypeError, ValueError):
            return "—"
    if lang == "en":
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


def format_amount(value, currency, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    """An amount with its currency in the language: ``6 970 000 сом`` (ru), ``6,970,000 som`` (en).

    Missing amounts come back as an em dash (without a currency).
    """
    text = format_number(value, lang, decimals)
    if text == "—":
        return text
    code = "" if currency is None or str(currency) in ("", "<NA>", "nan") else str(currency)
    if not code:
        return text
    label = t(f"currency.{code}", lang)
    return f"{text}\u00a0{code if label == f'currency.{code}' else label}"


def place_name(row, lang: str = DEFAULT_LANGUAGE, prefix: str = "name_", fallback: str | None = None,
               mark: bool = True) -> str:
    """A place's name in ``lang`` from ``name_ky``/``name_ru``/``name_en``-style fields.

    When the name in ``lang`` is missing another one is used and marked visibly with
    its language, e.g. ``Kochkor (en)`` or ``Кочкорский район (ru)`` in a Kyrgyz text
    (order: :data:`NAME_FALLBACK`). With no name at all, ``fallback`` (e.g. the
    P-code) or an em dash. ``row`` is a mapping or a pandas row. ``mark=False`` leaves
    the language marker out (for map labels, where a note says so once).
    """

    def _get(code: str):
        try:
            value = row.get(f"{prefix}{code}") if hasattr(row, "get") else row[f"{prefix}{code}"]
        except (KeyError, IndexError):
            return None
        if value is None:
            return None
        text = str(value).strip()
        return None if text in ("", "nan", "<NA>", "None") else text

    for i, code in enumerate(NAME_FALLBACK.get(lang, (lang, "en", "ru", "ky"))):
        name = _get(code)
        if name:
            return name if i == 0 or not mark else f"{name} ({code})"
    return str(fallback) if fallback else "—"
