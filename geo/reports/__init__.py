"""Reports people can take to a meeting: one aiyl okmot, rayon, oblast or donor.

:func:`collect` gathers what a report shows from the store, in plain tables with
machine column names (no formatting): the subject's projects, funding rows and
totals (by source type, source, sector and year — and by oblast for a donor),
beneficiaries, hazard exposure (when ``hazard_zones`` holds a layer), the data
sources with their licences and the location precision of the projects.
:func:`sections` turns those into titled tables whose headers and labels come from
the message catalogues in the report's language; :mod:`geo.reports.pdf` and
:mod:`geo.reports.xlsx` write them out, :mod:`geo.reports.static_map` draws the map.

Rules as elsewhere: amounts stay per currency (never added across currencies),
unknown stays unknown (NA; the PDF prints it as ``—``, the XLSX leaves the cell
empty), and approximate locations say so (``location_precision``, the legend).
No geometry is measured here; the map is drawn in a metric CRS by the map module.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import beneficiaries as ben
from geo import funding as fn
from geo.errors import InputError
from geo.i18n import format_amount, format_date, format_number, place_name, t
from geo.schema import PRECISION_CODES

__all__ = [
    "LEVEL_COLUMN",
    "DATA_SOURCES",
    "Report",
    "Column",
    "Section",
    "collect",
    "sections",
    "report_filename",
    "display_value",
]

#: Unit level → the projects column holding that level's P-code.
LEVEL_COLUMN = {1: "oblast_pcode", 2: "rayon_pcode", 3: "aiyl_okmot_pcode"}

#: The data behind a report, with licences (from data/SOURCES.md). ``what`` and
#: ``licence`` starting with ``report.`` are message keys; other text is shown as is.
DATA_SOURCES: tuple[dict[str, str], ...] = (
    {"id": "naturalearth", "name": "Natural Earth 1:10m (v5.1.1)", "what": "report.src.what.naturalearth",
     "licence": "report.src.licence.public_domain"},
    {"id": "geoboundaries", "name": "geoBoundaries gbOpen KGZ ADM2 (Runfola et al. 2020)",
     "what": "report.src.what.geoboundaries", "licence": "report.src.licence.geoboundaries"},
    {"id": "geonames", "name": "GeoNames cities500 (geonames.org)", "what": "report.src.what.geonames",
     "licence": "CC BY 4.0"},
    {"id": "gshhg", "name": "GSHHG 2.3.6 / WDBII (Wessel & Smith)", "what": "report.src.what.gshhg",
     "licence": "LGPL-3.0-or-later"},
    {"id": "gebco", "name": "GEBCO 2023 Grid (doi:10.5285/f98b053b-0cbc-6c23-e053-6c86abc0af7b)",
     "what": "report.src.what.gebco", "licence": "report.src.licence.public_domain"},
    {"id": "documents", "name": "Project documents (data/seed/projects.csv)", "what": "report.src.what.documents",
     "licence": "report.src.licence.documents"},
)
#: The seed documents by file prefix (from ../shared/seed-facts/FACTS.md), named in the sources table.
DOCUMENTS = {
    "000": "CDD news No. 2, World Bank Institute / Norwegian Trust Fund, Counterpart-Sheriktesh (June 2003)",
    "001": "Counterpart-Sheriktesh handbook of 25 case studies, AKDN Civil Society Programme (Dec 2006)",
    "002": "Presentation by M. Sherbaev, head of 1-Mayskiy AO, 'Voice of Citizens and Accountability of LSGs' (2014-2022)",
    "003": "Press release on state social procurement in Batken, Karakol and Kochkor-Ata (29 June 2018)",
    "004": "Presentation by Bolot Sadykov, head of Kara-Suu AA: participatory planning and JAP 2018-2021",
}

#: Added when aiyl okmot boundaries from OCHA COD-AB are in the store.
CODAB_SOURCE = {"id": "codab", "name": "OCHA COD-AB Kyrgyzstan", "what": "report.src.what.codab",
                "licence": "CC BY-IGO"}


@dataclass
class Report:
    """Everything a report shows, as plain tables (see :func:`collect`)."""

    kind: str  # "unit" or "donor"
    key: str  # P-code or donor (source_name) as stored
    lang: str
    generated: dt.date
    name: str  # the unit's or donor's name in the report language
    level: int | None
    parent: str | None  # the parent unit's name (units only)
    unit: gpd.GeoDataFrame | None
    projects: gpd.GeoDataFrame
    funding: pd.DataFrame  # resolved funding rows counted in the totals
    all_funding: pd.DataFrame  # every funding row of the projects (co-funding, for a donor)
    totals: dict[str, pd.DataFrame]
    per_project_funding: pd.DataFrame  # project_id × currency sums
    beneficiaries: pd.DataFrame  # geo.beneficiaries.per_project
    beneficiary_summary: dict[str, Any]
    exposure: list[dict[str, Any]]
    sources: pd.DataFrame
    precision: pd.DataFrame
    admin_units: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame | None = None
    lakes: gpd.GeoDataFrame | None = None
    settlements: gpd.GeoDataFrame | None = None
    notes: list[str] = field(default_factory=list)


def _read(data: Any, name: str) -> pd.DataFrame | None:
    """A layer from a store (``read``) or a dict of frames; None when absent."""
    if isinstance(data, dict):
        return data.get(name)
    try:
        if hasattr(data, "layer_names") and name not in data.layer_names():
            return None
        return data.read(name)
    except Exception:  # noqa: BLE001 - a missing optional layer must not stop a report
        return None


def _year(frame: pd.DataFrame) -> pd.Series:
    start = pd.to_numeric(frame.get("year_start"), errors="coerce")
    end = pd.to_numeric(frame.get("year_end"), errors="coerce")
    return start.fillna(end).astype("Float64").round().astype("Int64")


def _natural_key(series: pd.Series) -> pd.Series:
    text = series.astype("string").fillna("")
    number = pd.to_numeric(text.str.extract(r"(\d+)")[0], errors="coerce").fillna(-1)
    return text.str.replace(r"\d+", "", regex=True) + number.map(lambda v: f"{int(v):09d}")


def _unit_names(admin: pd.DataFrame, lang: str) -> dict[str, str]:
    return {str(r["pcode"]): place_name(r, lang, fallback=r["pcode"]) for _, r in admin.iterrows()}


def collect(
    data: Any,
    *,
    unit: str | None = None,
    donor: str | None = None,
    lang: str = "ru",
    today: dt.date | None = None,
    rates: pd.DataFrame | None = None,
) -> Report:
    """What a report on one unit (``unit`` = P-code) or one donor (``donor`` = source name) shows.

    ``data`` is a store (anything with ``read(name)``) or a dict of frames. A unit's
    projects are those whose ``oblast_pcode``/``rayon_pcode``/``aiyl_okmot_pcode``
    (by the unit's level) is the unit; all their funding rows are totalled. A donor's
    projects are those with a funding row whose ``source_name`` equals ``donor``
    (case-insensitive); the totals count only that donor's rows, while the table
    of sources lists every source of those projects (co-funding). With ``rates``
    (:mod:`geo.currency`) amounts are converted to som where a rate exists.
    """
    if (unit is None) == (donor is None):
        raise InputError(key="err.report.unit_or_donor")
    admin = _read(data, "admin_units")
    projects = _read(data, "projects")
    funding = _read(data, "funding")
    benef = _read(data, "beneficiaries")
    if admin is None or projects is None:
        raise InputError(key="err.report.no_layers")
    funding = funding if funding is not None else pd.DataFrame(columns=["project_id", "source_name", "source_type",
                                                                        "amount", "currency", "share_pct"])
    benef = benef if benef is not None else pd.DataFrame(columns=["project_id", *ben.MEASURES])
    settlements = _read(data, "settlements")
    today = today or dt.date.today()
    notes: list[str] = []

    if unit is not None:
        row = admin[admin["pcode"] == unit]
        if row.empty:
            raise InputError(key="err.report.no_unit", pcode=str(unit))
        level = int(row["level"].iloc[0])
        if level not in LEVEL_COLUMN:
            raise InputError(key="err.report.level", level=str(level))
        chosen = projects[projects[LEVEL_COLUMN[level]] == unit]
        counted = funding[funding["project_id"].isin(chosen["project_id"])]
        all_rows = counted
        name = place_name(row.iloc[0], lang, fallback=unit)
        parent_code = row["parent_pcode"].iloc[0]
        parent_row = admin[admin["pcode"] == parent_code]
        parent = place_name(parent_row.iloc[0], lang, fallback=parent_code) if len(parent_row) else None
        kind, key, unit_frame = "unit", unit, row
        if level == 2 and not (admin["level"] == 3).any():
            notes.append(t("level3.missing", lang))
    else:
        wanted = str(donor).strip().casefold()
        counted = funding[funding["source_name"].astype("string").str.strip().str.casefold() == wanted]
        if counted.empty:
            raise InputError(key="err.report.no_donor", donor=str(donor))
        chosen = projects[projects["project_id"].isin(counted["project_id"])]
        all_rows = funding[funding["project_id"].isin(chosen["project_id"])]
        name = str(counted["source_name"].iloc[0])
        level, parent, kind, key, unit_frame = None, None, "donor", name, None

    chosen = chosen.assign(_k=_natural_key(chosen["project_id"])).sort_values("_k").drop(columns="_k").reset_index(drop=True)
    resolved = fn.resolve_amounts(counted, projects) if len(counted) else fn.resolve_amounts(counted.head(0), projects)
    resolved = resolved.merge(pd.DataFrame(chosen)[["project_id", "title"]].astype({"project_id": "string"}),
                              on="project_id", how="left")
    resolved = resolved.assign(_k=_natural_key(resolved["project_id"])).sort_values(["_k"], kind="stable") \
        .drop(columns="_k").reset_index(drop=True)

    dims = {"source_type": "source_type", "source_name": "source_name", "sector": "sector", "year": "year"}
    if kind == "donor":
        dims = {"source_name": "source_name", "sector": "sector", "year": "year", "oblast": "oblast_pcode"}
    totals: dict[str, pd.DataFrame] = {"overall": fn.totals(counted, projects, by=[], rates=rates)}
    for name_, by in dims.items():
        source = all_rows if (kind == "donor" and name_ == "source_name") else counted
        totals[name_] = fn.totals(source, projects, by=by, rates=rates)

    known = resolved[resolved["amount_resolved"].notna()]
    per_project = (known.groupby(["project_id", "currency_resolved"])["amount_resolved"].sum()
                   .unstack("currency_resolved") if len(known) else pd.DataFrame())
    per_project.columns.name = None

    per = ben.per_project(chosen, benef)
    places = ben.people_reached_by_place(per, settlements)
    both = per["women"].notna() & per["men"].notna()
    women, men = per.loc[both, "women"].sum(), per.loc[both, "men"].sum()
    summary = {
        "n_projects": len(per),
        "total_sum": per["total"].sum(min_count=1) if len(per) else pd.NA,
        "total_n_reporting": int(per["total"].notna().sum()),
        "people_reached": places["people_reached"].sum(min_count=1) if len(places) else pd.NA,
        "women_share": (women / (women + men)) if both.any() and (women + men) > 0 else pd.NA,
        "n_projects_gender": int(both.sum()),
    }
    for m in ben.MEASURES:
        summary[f"{m}_sum"] = per[m].sum(min_count=1) if len(per) else pd.NA
        summary[f"{m}_n_reporting"] = int(per[m].notna().sum())

    exposure = _exposure(data, chosen, unit_frame, settlements, level, key)
    sources = _sources(admin, chosen, exposure)
    precision = _precision(chosen)
    return Report(
        kind=kind, key=key, lang=lang, generated=today, name=name, level=level, parent=parent, unit=unit_frame,
        projects=chosen, funding=resolved, all_funding=all_rows, totals=totals, per_project_funding=per_project,
        beneficiaries=per, beneficiary_summary=summary, exposure=exposure, sources=sources, precision=precision,
        admin_units=admin, rivers=_read(data, "rivers"), lakes=_read(data, "lakes"), settlements=settlements,
        notes=notes,
    )


def _exposure(data: Any, projects: gpd.GeoDataFrame, unit_frame, settlements, level, key) -> list[dict[str, Any]]:
    """Per hazard layer: projects and settlements (people) per class, and the unit's level and area shares."""
    zones = _read(data, "hazard_zones")
    if zones is None or len(zones) == 0:
        return []
    from geo import exposure as ex
    from geo.hazards import hazard_layers

    zones = zones.copy()
    zones["layer_name"] = zones["layer_name"].astype("string").fillna(zones["hazard_type"].astype("string")).fillna("hazard")
    layers = hazard_layers(zones)
    out = []
    for _, layer in layers.iterrows():
        z = zones[zones["layer_name"] == layer["layer_name"]]
        exposed = ex.projects_in_zones(projects, z) if len(projects) else projects.assign(exposure=pd.Series(dtype="string"))
        table = ex.project_counts(exposed, by_sector=False) if len(projects) else ex._all_rows().assign(projects=0)
        ids = exposed.groupby("exposure")["project_id"].agg(lambda s: ", ".join(map(str, s))) if len(projects) else {}
        table["project_ids"] = table["hazard_class"].map(ids).astype("string")
        if unit_frame is not None and settlements is not None and len(settlements):
            column = LEVEL_COLUMN.get(level)
            inside = settlements[settlements[column] == key] if column in settlements.columns else settlements.iloc[0:0]
            people = ex.settlements_by_class(ex.settlements_in_zones(inside, z)) if len(inside) else None
            if people is not None:
                table = table.merge(people, on="hazard_class", how="left")
        if unit_frame is not None:
            level_row = ex.unit_hazard_level(unit_frame, z, key="pcode")
            shares = {cls: float(level_row[f"share_{cls.lower().replace(' ', '_')}"].iloc[0]) for cls in ex.HAZARD_CLASSES}
            shares[ex.OUTSIDE] = float(level_row["share_outside"].iloc[0])
            table["area_share"] = table["hazard_class"].map(shares).astype("Float64")
            hazard_level = level_row["hazard_level"].iloc[0]
        else:
            hazard_level = pd.NA
        out.append({
            "layer_name": str(layer["layer_name"]), "hazard_type": layer["hazard_type"], "source": layer["source"],
            "source_date": layer["source_date"], "licence": layer["licence"],
            "indicative": bool(layer["indicative"]) if pd.notna(layer["indicative"]) else False,
            "hazard_level": hazard_level, "table": table.reset_index(drop=True),
        })
    return out


def _sources(admin: pd.DataFrame, projects: pd.DataFrame, exposure: list[dict]) -> pd.DataFrame:
    rows = [dict(s) for s in DATA_SOURCES]
    if "source" in admin.columns and admin["source"].astype("string").str.contains("COD-AB", case=False, na=False).any():
        rows.append(dict(CODAB_SOURCE))
    for layer in exposure:
        rows.append({"id": f"hazard:{layer['layer_name']}",
                     "name": f"{layer['layer_name']} ({layer['source']})" if pd.notna(layer["source"]) else layer["layer_name"],
                     "what": "report.src.what.hazard_indicative" if layer["indicative"] else "report.src.what.hazard",
                     "licence": layer["licence"] if pd.notna(layer["licence"]) else "report.src.licence.not_stated"})
    refs = projects["source_document"].dropna().astype(str).unique() if "source_document" in projects.columns else []
    table = pd.DataFrame(rows)
    cited = [f"{ref} — {DOCUMENTS.get(ref[:3], '')}".rstrip(" —") for ref in sorted(refs)]
    if cited:
        table.loc[table["id"] == "documents", "name"] = "; ".join(cited)
    return table


def _precision(projects: pd.DataFrame) -> pd.DataFrame:
    codes = pd.to_numeric(projects.get("location_precision"), errors="coerce") if len(projects) else pd.Series(dtype=float)
    counts = codes.value_counts()
    table = pd.DataFrame({"code": list(PRECISION_CODES)})
    table["n_projects"] = table["code"].map(counts).fillna(0).astype("int64")
    return table


# -- sections: titled tables in the report language ---------------------------------------------------------


@dataclass
class Column:
    """One column of a section: source column, header key and kind (``text``, ``int``, ``amount``, ``number``, ``percent``)."""

    name: str
    header: str
    kind: str = "text"
    width: float = 1.0
    currency: str | None = None  # for ``amount`` columns holding one currency
    pdf: bool = True  # shown in the PDF
    xlsx: bool = True  # written to the XLSX

    def heading(self, lang: str) -> str:
        """The column's header in ``lang``, capitalised; an amount column names its currency."""
        if self.currency:
            label = t(f"currency.{self.currency}", lang)
            text = t(self.header, lang, currency=self.currency if label.startswith("currency.") else label)
        else:
            text = t(self.header, lang)
        return text[:1].upper() + text[1:]


@dataclass
class Section:
    """A titled table: ``frame`` holds the values (labels already translated, numbers raw)."""

    key: str
    title: str
    frame: pd.DataFrame
    columns: list[Column]
    note: str | None = None
    chart: str | None = None  # "bar": the PDF draws a bar chart of amount per label


def _label(value, prefix: str, lang: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)) or str(value) == fn.UNKNOWN_LABEL:
        return t("unknown", lang)
    return t(f"{prefix}.{value}", lang)


def display_value(value, kind: str, lang: str, currency: str | None = None) -> str:
    """A cell as printed in the PDF: numbers in the language's format, missing as ``—``."""
    if kind in ("int", "number", "amount", "percent", "year"):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return "—"
        if kind == "year":
            return str(int(value))
        if kind == "percent":
            return format_number(float(value) * 100, lang, 1) + "\u00a0%"
        if kind == "amount" and currency:
            return format_amount(value, currency, lang)
        return format_number(value, lang)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    text = str(value).strip()
    return text if text else "—"


def _years_text(start, end) -> str:
    start = None if pd.isna(start) else int(start)
    end = None if pd.isna(end) else int(end)
    if start is None and end is None:
        return "—"
    if start is None or end is None or start == end:
        return str(start or end)
    return f"{start}–{end}"


def _place(row, names: dict[str, str]) -> str:
    """The finest unit a project is recorded in: its aiyl okmot (by P-code, else as the record names it),
    else its rayon, else its oblast (names in the report language)."""
    for col in ("aiyl_okmot_pcode", "aiyl_okmot_name", "rayon_pcode", "oblast_pcode"):
        code = row.get(col)
        if code is not None and not pd.isna(code) and str(code).strip():
            return str(code) if col == "aiyl_okmot_name" else names.get(str(code), str(code))
    return "—"


def _totals_section(key: str, frame: pd.DataFrame, dim: str, label_fn, lang: str, note: str | None = None) -> Section:
    out = frame.copy()
    out["label"] = out[dim].map(label_fn) if dim in out.columns else ""
    out = out[["label", "currency", "amount", "n_projects", "n_without_amount"]]
    if dim == "year":
        order = pd.to_numeric(frame[dim], errors="coerce").fillna(9999)
        out = out.assign(_o=order.to_numpy()).sort_values(["_o", "currency"]).drop(columns="_o")
    else:
        out = out.assign(_o=frame["amount"].astype("Float64").fillna(-1).to_numpy()).sort_values(
            ["_o"], ascending=False).drop(columns="_o")
    header = {"source_type": "col.source_type", "source_name": "col.source_name", "sector": "col.sector",
              "year": "col.year", "oblast_pcode": "col.oblast"}[dim]
    return Section(key=key, title=t(f"report.section.by_{key}", lang), frame=out.reset_index(drop=True), note=note,
                   chart="bar", columns=[Column("label", header, "text", 3.2), Column("currency", "col.currency", "text", 0.9),
                                         Column("amount", "col.amount", "amount", 1.6),
                                         Column("n_projects", "col.n_projects", "int", 0.9),
                                         Column("n_without_amount", "col.n_without_amount", "int", 1.2)])


def sections(report: Report) -> list[Section]:
    """The report's tables in order, with translated titles, headers and labels.

    Keys: ``summary``, ``projects``, ``funding_rows``, ``by_source_type``/``by_source_name``/
    ``by_sector``/``by_year`` (``by_oblast`` for a donor), ``beneficiaries``,
    ``exposure:<layer>`` (one per hazard layer), ``precision``, ``sources``.
    """
    lang = report.lang
    names = _unit_names(report.admin_units, lang)
    out: list[Section] = []

    # summary: label / value pairs
    s = report.beneficiary_summary
    overall = report.totals["overall"]
    pairs: list[tuple[str, Any, str]] = [
        (t("report.subject", lang), report.name, "text"),
    ]
    if report.kind == "unit":
        pairs.append((t("boundaries.level", lang), t(f"level.{report.level}", lang), "text"))
        if report.parent:
            pairs.append((t("report.parent", lang), report.parent, "text"))
        pop = report.unit["population"].iloc[0] if report.unit is not None and "population" in report.unit else pd.NA
        pairs.append((t("report.population", lang), pop, "int"))
    pairs.append((t("report.n_projects", lang), len(report.projects), "int"))
    years = _year(report.projects).dropna()
    pairs.append((t("report.years", lang), _years_text(years.min(), years.max()) if len(years) else pd.NA, "text"))
    stated = overall[overall["amount"].notna() & overall["currency"].notna()] if len(overall) else overall
    for _, r in stated.iterrows():
        pairs.append((t("report.funding_total", lang, currency=r["currency"]),
                      format_amount(r["amount"], r["currency"], lang), "text"))
    if len(stated) == 0:
        pairs.append((t("report.funding_total", lang, currency="—"), t("amount_not_stated", lang), "text"))
    n_without = int(report.funding["amount_resolved"].isna().sum()) if len(report.funding) else 0
    pairs.append((t("report.rows_without_amount", lang), n_without, "int"))
    pairs.append((t("unit.plain_sum", lang), s["total_sum"], "int"))
    pairs.append((t("unit.people_reached", lang), s["people_reached"], "int"))
    pairs.append((t("report.reporting", lang), f"{format_number(s['total_n_reporting'], lang)} / {format_number(s['n_projects'], lang)}", "text"))
    for layer in report.exposure:
        if pd.notna(layer["hazard_level"]):
            pairs.append((t("report.hazard_level", lang, layer=layer["layer_name"]),
                          t(f"hazard.class.{layer['hazard_level']}", lang), "text"))
    summary = pd.DataFrame({"item": [p[0] for p in pairs], "value": [p[1] for p in pairs], "_kind": [p[2] for p in pairs]})
    out.append(Section("summary", t("report.section.summary", lang), summary,
                       [Column("item", "report.col.item", "text", 2.2), Column("value", "report.col.value", "mixed", 3.0)],
                       note=" ".join(report.notes) or None))

    # projects
    p = pd.DataFrame(report.projects).drop(columns="geometry", errors="ignore").copy()
    table = pd.DataFrame({
        "project_id": p["project_id"].astype("string"),
        "title": p["title"].astype("string"),
        "sector": p["sector"].map(lambda v: _label(v, "sector", lang)),
        "year_start": pd.to_numeric(p["year_start"], errors="coerce").astype("Int64"),
        "year_end": pd.to_numeric(p["year_end"], errors="coerce").astype("Int64"),
        "place": [_place(r, names) for _, r in p.iterrows()],
        "village": p["village"].astype("string") if "village" in p else pd.Series(pd.NA, index=p.index, dtype="string"),
        "location_precision": pd.to_numeric(p.get("location_precision"), errors="coerce").astype("Int64"),
        "total_cost": pd.to_numeric(p.get("total_cost"), errors="coerce").astype("Float64"),
    })
    table["years"] = [_years_text(a, b) for a, b in zip(table["year_start"], table["year_end"])]
    funding_cols = []
    per = report.per_project_funding
    for currency in sorted(per.columns, key=lambda c: (c != "KGS", str(c))):
        col = f"funding_{currency}"
        table[col] = table["project_id"].map(per[currency]).astype("Float64")
        funding_cols.append(Column(col, "report.col.funding", "amount", 2.0, currency=str(currency)))
    out.append(Section("projects", t("report.section.projects", lang), table, [
        Column("project_id", "report.col.id", "text", 0.75), Column("title", "col.project", "text", 3.7),
        Column("sector", "col.sector", "text", 1.5), Column("year_start", "unit.year_start", "year", pdf=False),
        Column("year_end", "unit.year_end", "year", pdf=False), Column("years", "popup.years", "text", 1.15, xlsx=False),
        Column("place", "report.col.place", "text", 1.4, pdf=report.kind == "donor" or report.level in (1, 2)),
        Column("village", "col.village", "text", 1.4), Column("location_precision", "report.col.precision", "int", 0.95),
        Column("total_cost", "report.col.total_cost", "number", 1.3, pdf=False), *funding_cols,
    ], note=t("report.note.projects", lang)))

    # funding rows
    f = report.funding
    rows = pd.DataFrame({
        "project_id": f["project_id"].astype("string"),
        "source_name": f["source_name"].astype("string"),
        "source_type": f["source_type"].map(lambda v: _label(v, "source_type", lang)),
        "amount": f["amount_resolved"].astype("Float64"),
        "currency": f["currency_resolved"].astype("string"),
        "share_pct": pd.to_numeric(f["share_pct"], errors="coerce").astype("Float64"),
        "amount_basis": f["amount_basis"].map(lambda v: _label(v, "amount_basis", lang)),
    })
    out.append(Section("funding_rows", t("report.section.funding_rows", lang), rows, [
        Column("project_id", "report.col.id", "text", 0.75), Column("source_name", "col.source_name", "text", 3.2),
        Column("source_type", "col.source_type", "text", 1.6), Column("amount", "col.amount", "amount", 1.5),
        Column("currency", "col.currency", "text", 0.8), Column("share_pct", "col.share_pct", "number", 0.8),
        Column("amount_basis", "col.amount_basis", "text", 1.5),
    ], note=t("report.note.currencies", lang)))

    # totals
    dims = [("source_type", "source_type"), ("source_name", "source_name"), ("sector", "sector"), ("year", "year")]
    if report.kind == "donor":
        dims = [("source_name", "source_name"), ("sector", "sector"), ("year", "year"), ("oblast", "oblast_pcode")]
    label_fns = {
        "source_type": lambda v: _label(v, "source_type", lang),
        "source_name": lambda v: t("unknown", lang) if pd.isna(v) else str(v),
        "sector": lambda v: _label(v, "sector", lang),
        "year": lambda v: t("unit.no_year", lang) if pd.isna(v) else str(int(v)),
        "oblast_pcode": lambda v: t("unknown", lang) if pd.isna(v) else names.get(str(v), str(v)),
    }
    for key, dim in dims:
        note = t("report.note.cofunding", lang) if (report.kind == "donor" and key == "source_name") else None
        out.append(_totals_section(key, report.totals[key], dim, label_fns[dim], lang, note))

    # beneficiaries
    b = report.beneficiaries
    btable = pd.DataFrame({"project_id": b["project_id"].astype("string"), "title": b["title"].astype("string")})
    for m in ben.MEASURES:
        btable[m] = b[m].astype("Float64")
    out.append(Section("beneficiaries", t("report.section.beneficiaries", lang), btable, [
        Column("project_id", "report.col.id", "text", 0.75), Column("title", "col.project", "text", 3.4),
        *[Column(m, f"beneficiaries.{m}", "int", 1.3) for m in ben.MEASURES],
    ], note=t("report.note.beneficiaries", lang) + " " + t(ben.RULE_PEOPLE_REACHED_KEY, lang)))

    # exposure
    if report.exposure:
        for layer in report.exposure:
            e = layer["table"].copy()
            e["class_label"] = e["hazard_class"].map(lambda c: t(f"hazard.class.{c}", lang))
            cols = [Column("class_label", "report.col.hazard_class", "text", 1.6),
                    Column("projects", "col.n_projects", "int", 1.15),
                    Column("project_ids", "col.project_id", "text", 2.6)]
            if "settlements" in e.columns:
                cols += [Column("settlements", "report.col.settlements", "int", 1.0),
                         Column("people", "report.col.people", "int", 1.0)]
            if "area_share" in e.columns:
                cols.append(Column("area_share", "report.col.area_share", "percent", 1.0))
            note = t("report.note.exposure", lang, source=layer["source"] if pd.notna(layer["source"]) else "—",
                     licence=layer["licence"] if pd.notna(layer["licence"]) else t("report.src.licence.not_stated", lang))
            if layer["indicative"]:
                note = t("report.note.indicative", lang) + " " + note
            out.append(Section(f"exposure:{layer['layer_name']}",
                               t("report.section.exposure_layer", lang, layer=layer["layer_name"]), e, cols, note=note))
    else:
        out.append(Section("exposure", t("report.section.exposure", lang), pd.DataFrame({"item": []}),
                           [Column("item", "report.col.item")], note=t("report.no_hazard", lang)))

    # precision legend
    prec = report.precision.copy()
    prec["meaning"] = prec["code"].map(lambda c: t(f"precision.{c}", lang))
    out.append(Section("precision", t("report.section.precision", lang), prec, [
        Column("code", "report.col.code", "int", 0.9), Column("meaning", "report.col.meaning", "text", 4.0),
        Column("n_projects", "col.n_projects", "int", 1.0)], note=t("legend.precision_note", lang)))

    # sources
    src = report.sources.copy()
    src["what_text"] = src["what"].map(lambda v: t(v, lang) if str(v).startswith("report.") else str(v))
    src["licence_text"] = src["licence"].map(lambda v: t(v, lang) if str(v).startswith("report.") else str(v))
    out.append(Section("sources", t("report.section.sources", lang), src, [
        Column("name", "report.col.dataset", "text", 2.6), Column("what_text", "report.col.used_for", "text", 2.4),
        Column("licence_text", "report.col.licence", "text", 2.0)], note=t("report.note.sources", lang)))
    return out


def report_filename(report: Report, ext: str) -> str:
    """A file name such as ``aimak_report_KG-N-KOCHKOR_ky_2025-03-05.pdf`` (ASCII only)."""
    import re

    key = re.sub(r"[^A-Za-z0-9_-]+", "_", report.key).strip("_")[:40] or "donor"
    return f"aimak_report_{key}_{report.lang}_{report.generated.isoformat()}.{ext}"


def generated_text(report: Report) -> str:
    """'Prepared on <date>' in the report language."""
    return t("report.generated", report.lang, date=format_date(report.generated, report.lang))
