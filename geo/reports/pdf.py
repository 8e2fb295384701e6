"""One-click PDF report for an aiyl okmot, rayon, oblast or donor (fpdf2, A4 portrait).

Content, in order: title, subject and date; key figures; the static map
(:mod:`geo.reports.static_map`); the projects; the funding rows; funding by source
type, source, sector and year (by oblast for a donor) as bar charts and tables;
beneficiaries (missing figures print as ``—``); hazard exposure per hazard layer
(or a line saying none is loaded); the location precision legend; the data sources
and their licences. Every text comes from the message catalogues in the report's
language; numbers use :func:`geo.i18n.format_number` (``1 150 000`` in ky/ru, with
non-breaking spaces, ``1,150,000`` in en). DejaVu Sans (:mod:`geo.reports.fonts`)
is embedded, so Cyrillic including ң ө ү prints everywhere.

Charts show one currency (the one with the largest total); amounts in other
currencies are in the table under the chart, never added in.
"""
from __future__ import annotations

import io
import textwrap
from typing import Any

import pandas as pd

from geo.i18n import format_number, t
from geo.reports import Column, Report, Section, collect, display_value, generated_text, sections
from geo.reports.fonts import FAMILY, add_to_pdf, use_in_matplotlib

__all__ = ["render_pdf", "report_pdf", "bar_chart_png"]

#: Colours (RGB) of headings and table rows.
HEADING = (31, 58, 96)
ROW_FILL = (242, 245, 249)
HEAD_FILL = (222, 230, 240)
GREY = (90, 90, 90)
BAR = "#3b6ea5"
#: Largest number of bars in one chart (the rest are in the table).
MAX_BARS = 14


def chart_height_in(n_bars: int) -> float:
    """Height in inches of a bar chart with ``n_bars`` bars."""
    return 0.55 + 0.21 * max(n_bars, 1)


def bar_chart_png(labels: list[str], values: list[float], lang: str, unit_label: str, width_mm: float = 180) -> bytes:
    """A horizontal bar chart (PNG, 200 dpi) with values printed in the language's number format."""
    import matplotlib
    from matplotlib.figure import Figure

    from matplotlib.ticker import FuncFormatter, MaxNLocator

    n = max(len(labels), 1)
    height_in = chart_height_in(n)
    width_in = width_mm / 25.4
    with matplotlib.rc_context(use_in_matplotlib()):
        fig = Figure(figsize=(width_in, height_in), dpi=100)
        ax = fig.add_axes((0.40, 0.40 / height_in, 0.46, 1 - 0.50 / height_in))
        wrapped = [textwrap.shorten(str(x), width=50, placeholder="…") for x in labels]
        positions = list(range(n))[::-1]
        ax.barh(positions, values, color=BAR, height=0.62)
        ax.set_yticks(positions, wrapped, fontsize=6.6)
        top = max(values) if values else 1
        for y, v in zip(positions, values):
            ax.text(v + top * 0.01, y, format_number(v, lang), va="center", ha="left", fontsize=6.4)
        ax.set_xlim(0, top * 1.02)
        ax.tick_params(axis="x", labelsize=6)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=3, min_n_ticks=2))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, lang)))
        ax.set_xlabel(unit_label, fontsize=6.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=200, facecolor="white")
    return buffer.getvalue()


def _cell(frame_row: pd.Series, column: Column, lang: str) -> str:
    value = frame_row[column.name]
    kind = column.kind
    if kind == "mixed":
        kind = frame_row.get("_kind", "text")
    if kind == "amount":
        return display_value(value, "number", lang)
    return display_value(value, kind, lang)


class _Document:
    """A thin wrapper around :class:`fpdf.FPDF` with the report's fonts, header line and footer."""

    def __init__(self, report: Report, title: str):
        from fpdf import FPDF

        lang = report.lang
        footer_left = f"Aimak Atlas · {title}"
        footer_date = generated_text(report)
        page_text = lambda n: t("report.page", lang, page=n, total="{nb}")  # noqa: E731

        class _PDF(FPDF):
            def footer(self) -> None:  # noqa: D401 - fpdf hook
                self.set_y(-11)
                self.set_font(FAMILY, size=7)
                self.set_text_color(*GREY)
                self.cell(0, 4, textwrap.shorten(footer_left, 90, placeholder="…") + " · " + footer_date, align="L")
                self.set_x(self.l_margin)
                self.cell(0, 4, page_text(self.page_no()), align="R")

        self.pdf = _PDF(orientation="P", unit="mm", format="A4")
        self.pdf.set_margins(15, 14, 15)
        self.pdf.set_auto_page_break(True, margin=16)
        add_to_pdf(self.pdf)
        self.pdf.set_title(title)
        self.pdf.set_author("Aimak Atlas")
        self.pdf.set_creator("Aimak Atlas (fpdf2)")
        self.pdf.set_lang({"ky": "ky-KG", "ru": "ru-RU", "en": "en"}.get(lang, lang))
        self.lang = lang

    @property
    def width(self) -> float:
        return self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def heading(self, text: str, size: float = 12.5, space: float = 3, keep: float = 30) -> None:
        """A section heading; starts a new page unless ``keep`` mm fit under it (no orphan headings)."""
        pdf = self.pdf
        if pdf.get_y() + space + size * 0.5 + keep > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(space)
        pdf.set_font(FAMILY, "B", size)
        pdf.set_text_color(*HEADING)
        pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)

    def paragraph(self, text: str, size: float = 8, colour=(0, 0, 0)) -> None:
        pdf = self.pdf
        pdf.set_font(FAMILY, size=size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(0, size * 0.48, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)

    def image(self, png: bytes, width: float, height: float) -> None:
        pdf = self.pdf
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.image(io.BytesIO(png), x=pdf.l_margin, y=pdf.get_y(), w=width, h=height)
        pdf.set_y(pdf.get_y() + height + 2)

    def table(self, section: Section, size: float = 7.2) -> None:
        from fpdf.fonts import FontFace

        pdf, lang = self.pdf, self.lang
        columns = [c for c in section.columns if c.pdf and c.name in section.frame.columns]
        if not columns:
            return
        numeric = {"int", "number", "amount", "percent", "year"}
        align = ["RIGHT" if c.kind in numeric else "LEFT" for c in columns]
        pdf.set_font(FAMILY, size=size)
        heading_style = FontFace(family=FAMILY, emphasis="BOLD", size_pt=size, fill_color=HEAD_FILL)
        with pdf.table(col_widths=[c.width for c in columns], text_align=align, line_height=size * 0.46,
                       headings_style=heading_style, cell_fill_color=ROW_FILL, cell_fill_mode="ROWS",
                       borders_layout="HORIZONTAL_LINES", padding=(0.8, 1.0), width=self.width) as table:
            head = table.row()
            for c in columns:
                head.cell(c.heading(lang))
            for _, row in section.frame.iterrows():
                cells = table.row()
                for c in columns:
                    cells.cell(_cell(row, c, lang))
        pdf.ln(1.5)

    @staticmethod
    def _chart_rows(section: Section):
        """(main currency, its rows, the rows charted) or None when a chart would say nothing."""
        frame = section.frame[section.frame["amount"].notna() & section.frame["currency"].notna()]
        if frame.empty:
            return None
        main = frame.groupby("currency")["amount"].sum().sort_values(ascending=False).index[0]
        part = frame[frame["currency"] == main]
        if section.key != "year":
            part = part.sort_values("amount", ascending=False)
        shown = part.head(MAX_BARS)
        return (frame, main, part, shown) if len(shown) >= 2 else None  # one bar says nothing the table does not

    def chart_height(self, section: Section) -> float:
        """Height in mm the section's chart takes (0 without a chart)."""
        rows = self._chart_rows(section) if section.chart == "bar" else None
        return chart_height_in(len(rows[3])) * 25.4 if rows else 0.0

    def chart(self, section: Section) -> None:
        rows = self._chart_rows(section)
        if rows is None:
            return
        frame, main, part, shown = rows
        label = t(f"currency.{main}", self.lang)
        unit = f"{t('col.amount', self.lang)}, {main if label.startswith('currency.') else label}"
        png = bar_chart_png(shown["label"].astype(str).tolist(), shown["amount"].astype(float).tolist(), self.lang, unit)
        height = chart_height_in(len(shown)) * 25.4
        self.image(png, self.width, height)
        others = sorted(set(frame["currency"]) - {main})
        if others or len(part) > MAX_BARS:
            self.paragraph(t("report.note.chart", self.lang, currency=main, others=", ".join(others) or "—",
                             n=format_number(min(len(part), MAX_BARS), self.lang)), size=6.8, colour=GREY)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def render_pdf(report: Report, *, map_png: bytes | None = None) -> bytes:
    """The report as PDF bytes. ``map_png`` replaces the static map (drawn when not given)."""
    from geo.reports.static_map import render_png

    lang = report.lang
    title = t("report.title", lang, name=report.name)
    doc = _Document(report, title)
    pdf = doc.pdf
    pdf.add_page()

    # title block
    pdf.set_font(FAMILY, "B", 17)
    pdf.set_text_color(*HEADING)
    pdf.multi_cell(0, 8, title, align="L", new_x="LMARGIN", new_y="NEXT")
    if report.kind == "unit":
        subtitle = t(f"level.{report.level}", lang) + (f" · {report.parent}" if report.parent else "")
    else:
        subtitle = t("report.subtitle.donor", lang)
    doc.paragraph(subtitle, size=10, colour=GREY)
    doc.paragraph(generated_text(report), size=8.5, colour=GREY)
    pdf.set_text_color(0, 0, 0)

    all_sections = sections(report)
    by_key = {s.key: s for s in all_sections}

    summary = by_key["summary"]
    doc.heading(summary.title, size=11.5, space=2)
    doc.table(summary, size=8)
    if summary.note:
        doc.paragraph(summary.note, size=7, colour=GREY)

    # map
    if map_png is None:
        map_png = render_png(report.admin_units, report.projects, selected=report.key if report.kind == "unit" else None,
                             rivers=report.rivers, lakes=report.lakes, settlements=report.settlements, lang=lang)
    map_w = doc.width
    from PIL import Image

    with Image.open(io.BytesIO(map_png)) as image:
        map_h = map_w * image.height / image.width
    if pdf.get_y() + map_h + 10 > pdf.h - pdf.b_margin:
        pdf.add_page()
    doc.heading(t("report.section.map", lang), size=11.5, space=1)
    doc.image(map_png, map_w, map_h)

    for section in all_sections:
        if section.key in ("summary",):
            continue
        doc.heading(section.title, keep=doc.chart_height(section) + 16)
        if section.chart == "bar":
            doc.chart(section)
        if len(section.frame):
            doc.table(section)
        elif section.key not in ("exposure",):
            doc.paragraph(t("no_data", lang), size=8, colour=GREY)
        if section.note:
            doc.paragraph(section.note, size=6.8, colour=GREY)
    return doc.output()


def report_pdf(data: Any, *, unit: str | None = None, donor: str | None = None, lang: str = "ru", **kwargs) -> bytes:
    """Collect and render in one call: ``report_pdf(store, unit="KG-N-KOCHKOR", lang="ky")``."""
    return render_pdf(collect(data, unit=unit, donor=donor, lang=lang, **kwargs))
