"""The font embedded in reports: DejaVu Sans, shipped with matplotlib.

DejaVu Sans covers Latin and Cyrillic including the Kyrgyz letters ң ө ү (Ң Ө Ү),
the em dash used for missing values and the non-breaking space used as the thousands
separator in ky/ru. The same files are used for the PDF text (embedded as a subset
by fpdf2) and for matplotlib charts and maps, so both render the same glyphs and no
system font is needed. Licence: Bitstream Vera / DejaVu fonts licence (free to embed
and redistribute), as shipped in ``matplotlib/mpl-data/fonts/ttf/LICENSE_DEJAVU``.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from geo.errors import AimakError

#: Family name registered in the PDF.
FAMILY = "DejaVu"
#: Family name matplotlib knows the same files by.
MPL_FAMILY = "DejaVu Sans"
#: Letters a report font must have (Kyrgyz Cyrillic and the dash used for missing values).
REQUIRED_CHARS = "АБВабвЁёңөүҢӨҮ—\u00a0№"


class FontMissingError(AimakError):
    """The embedded report font cannot be found."""


@lru_cache(maxsize=1)
def font_dir() -> Path:
    """Folder of matplotlib's bundled TrueType fonts."""
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise FontMissingError(key="err.report.no_matplotlib") from exc
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def font_paths() -> dict[str, Path]:
    """``{"": regular, "B": bold}`` paths of DejaVu Sans (fpdf2 style codes as keys)."""
    folder = font_dir()
    paths = {"": folder / "DejaVuSans.ttf", "B": folder / "DejaVuSans-Bold.ttf"}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise FontMissingError(key="err.report.font_missing", paths=", ".join(missing))
    return paths


def missing_glyphs(text: str = REQUIRED_CHARS, path: Path | None = None) -> list[str]:
    """Characters of ``text`` the font has no glyph for (empty list when all are there)."""
    from fontTools.ttLib import TTFont  # installed with matplotlib

    font = TTFont(str(path or font_paths()[""]))
    cmap = font.getBestCmap()
    wanted = [c for c in dict.fromkeys(text) if c == "\u00a0" or not c.isspace()]
    return [c for c in wanted if ord(c) not in cmap]


def add_to_pdf(pdf) -> str:
    """Register the regular and bold faces with an ``fpdf.FPDF`` document; returns the family name."""
    for style, path in font_paths().items():
        pdf.add_font(FAMILY, style=style, fname=str(path))
    return FAMILY


def use_in_matplotlib() -> dict:
    """rcParams that make matplotlib draw text with the same DejaVu Sans files.

    Use as ``with matplotlib.rc_context(use_in_matplotlib()): ...``.
    """
    return {"font.family": "sans-serif", "font.sans-serif": [MPL_FAMILY], "axes.unicode_minus": True,
            "pdf.fonttype": 42, "svg.fonttype": "none"}
