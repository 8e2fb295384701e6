"""The report as an Excel workbook (openpyxl): the PDF's content as sheets.

Sheets (names translated, see :data:`SHEETS`): Summary (title, date, key figures,
notes), Projects, Funding (totals by source type, source, sector and year — by
oblast for a donor — one row per group and currency), Funding rows, Beneficiaries,
Exposure (one block of rows per hazard layer), Precision (the location precision
legend with counts) and Sources (data sets and licences).

Every sheet but Summary is a plain table with its header in row 1, so
``pandas.read_excel(path, sheet_name=...)`` reads it directly. Numbers are stored
as numbers (Excel shows them in the reader's own convention); unknown values are
empty cells, never 0. Headers and labels are in the report's language.
"""
from __future__ import annotations

import io
from typing import Any

import pandas as pd

from geo.i18n import t
from geo.reports import Column, Report, Section, collect, generated_text, sections

__all__ = ["SHEETS", "sheet_name", "render_xlsx", "report_xlsx"]

#: sheet id → message key of its (translated) name, in workbook order.
SHEETS = {
    "summary": "report.sheet.summary",
    "projects": "report.sheet.projects",
    "funding": "report.sheet.funding",
    "funding_rows": "report.sheet.funding_rows",
    "beneficiaries": "report.sheet.beneficiaries",
    "exposure": "report.sheet.exposure",
    "precision": "report.sheet.precision",
    "sources": "report.sheet.sources",
}

_FORMATS = {"amount": "#,##0", "number": "#,##0.##", "int": "#,##0", "year": "0", "percent": "0.0%"}
_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(sheet: str, lang: str) -> str:
    """The translated, Excel-safe (≤ 31 characters) name of a sheet id from :data:`SHEETS`."""
    return t(SHEETS[sheet], lang).translate(_BAD).strip()[:31]


def _value(value: Any, kind: str) -> Any:
    """A cell value: None for unknown, numbers as int/float, text as str."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind in ("int", "year"):
        return int(round(float(value)))
    if kind in ("amount", "number", "percent"):
        number = float(value)
        return int(number) if number.is_integer() and kind != "percent" else number
    if kind == "mixed":
        return value if isinstance(value, (int, float)) else str(value)
    return str(value)


def _write_table(ws, columns: list[Column], frame: pd.DataFrame, lang: str, start_row: int = 1,
                 extra: list[tuple[str, list[Any]]] | None = None) -> int:
    """Header and rows from ``start_row``; returns the next free row. ``extra`` columns go first."""
    from openpyxl.styles import Alignment, Font, PatternFill

    extra = extra or []
    headers = [h for h, _ in extra] + [c.heading(lang) for c in columns]
    for j, text in enumerate(headers, start=1):
        cell = ws.cell(row=start_row, column=j, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DEE6F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, (_, row) in enumerate(frame.iterrows()):
        r = start_row + 1 + i
        for j, (_, values) in enumerate(extra, start=1):
            ws.cell(row=r, column=j, value=values[i])
        for j, c in enumerate(columns, start=1 + len(extra)):
            kind = c.kind if c.kind != "mixed" else row.get("_kind", "text")
            cell = ws.cell(row=r, column=j, value=_value(row[c.name], kind))
            if kind in _FORMATS:
                cell.number_format = _FORMATS[kind]
    return start_row + 1 + len(frame)


def _widths(ws, widths: list[float]) -> None:
    from openpyxl.utils import get_column_letter

    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(8.0, min(60.0, w))


def _table_sheet(wb, sheet: str, section: Section, lang: str, extra=None) -> None:
    ws = wb.create_sheet(sheet_name(sheet, lang))
    columns = [c for c in section.columns if c.xlsx and c.name in section.frame.columns]
    end = _write_table(ws, columns, section.frame, lang, extra=extra)
    ws.freeze_panes = "A2"
    n_cols = len(columns) + len(extra or [])
    if end > 2:
        from openpyxl.utils import get_column_letter

        ws.auto_filter.ref = f"A1:{get_column_letter(n_cols)}{end - 1}"
    _widths(ws, [14.0] * len(extra or []) + [c.width * 11 for c in columns])


def render_xlsx(report: Report) -> bytes:
    """The report as XLSX bytes (see the module docstring for the sheets)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    lang = report.lang
    all_sections = sections(report)
    by_key = {s.key: s for s in all_sections}
    wb = Workbook()

    # Summary
    ws = wb.active
    ws.title = sheet_name("summary", lang)
    ws["A1"] = t("report.title", lang, name=report.name)
    ws["A1"].font = Font(bold=True, size=14)
    if report.kind == "unit":
        ws["A2"] = t(f"level.{report.level}", lang) + (f" · {report.parent}" if report.parent else "")
    else:
        ws["A2"] = t("report.subtitle.donor", lang)
    ws["A3"] = generated_text(report)
    summary = by_key["summary"]
    end = _write_table(ws, summary.columns, summary.frame, lang, start_row=5)
    notes = [summary.note, t("report.note.xlsx_empty", lang), t("report.note.currencies", lang)]
    if "exposure" in by_key:
        notes.append(by_key["exposure"].note)
    for i, note in enumerate(n for n in notes if n):
        cell = ws.cell(row=end + 1 + i, column=1, value=note)
        cell.alignment = Alignment(wrap_text=False)
    _widths(ws, [46, 40])

    _table_sheet(wb, "projects", by_key["projects"], lang)

    # Funding: one long table over the dimensions
    blocks = [s for s in all_sections if s.chart == "bar"]
    ws = wb.create_sheet(sheet_name("funding", lang))
    row = 1
    columns = blocks[0].columns if blocks else []
    frames, dims = [], []
    for block in blocks:
        frames.append(block.frame)
        dims += [block.title] * len(block.frame)
    if blocks:
        frame = pd.concat(frames, ignore_index=True)
        end = _write_table(ws, columns, frame, lang, extra=[(t("report.col.by", lang), dims)])
        # the first column header of the blocks differs per dimension: call it "group"
        ws.cell(row=1, column=2, value=t("report.col.group", lang))
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:F{max(end - 1, 1)}"
        row = end
    _widths(ws, [30, 42, 10, 16, 12, 16])
    cofunding = by_key.get("source_name")
    if cofunding is not None and cofunding.note:
        ws.cell(row=row + 1, column=1, value=cofunding.note)

    _table_sheet(wb, "funding_rows", by_key["funding_rows"], lang)
    _table_sheet(wb, "beneficiaries", by_key["beneficiaries"], lang)

    # Exposure: every hazard layer in one table with the layer's name first
    exposure = [s for s in all_sections if s.key.startswith("exposure:")]
    ws = wb.create_sheet(sheet_name("exposure", lang))
    if exposure:
        union: list[Column] = []
        for s in exposure:
            for c in s.columns:
                if c.name not in [u.name for u in union]:
                    union.append(c)
        frames, layers = [], []
        for s, layer in zip(exposure, report.exposure):
            frames.append(s.frame)
            layers += [layer["layer_name"]] * len(s.frame)
        frame = pd.concat(frames, ignore_index=True)
        for c in union:
            if c.name not in frame.columns:
                frame[c.name] = pd.NA
        end = _write_table(ws, union, frame, lang, extra=[(t("report.col.layer", lang), layers)])
        ws.freeze_panes = "A2"
        for i, s in enumerate(exposure):
            ws.cell(row=end + 1 + i, column=1, value=f"{report.exposure[i]['layer_name']}: {s.note}")
        _widths(ws, [24] + [c.width * 11 for c in union])
    else:
        ws["A1"] = t("report.no_hazard", lang)
        _widths(ws, [80])

    _table_sheet(wb, "precision", by_key["precision"], lang)
    _table_sheet(wb, "sources", by_key["sources"], lang)

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def report_xlsx(data: Any, *, unit: str | None = None, donor: str | None = None, lang: str = "ru", **kwargs) -> bytes:
    """Collect and write in one call: ``report_xlsx(store, unit="KG-N-KOCHKOR", lang="ru")``."""
    return render_xlsx(collect(data, unit=unit, donor=donor, lang=lang, **kwargs))
