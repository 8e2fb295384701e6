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
