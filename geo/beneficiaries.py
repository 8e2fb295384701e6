"""Who benefits: beneficiaries per project and rolled up per aiyl okmot, rayon and oblast.

Inputs are the store layers (:mod:`geo.schema`): ``projects`` (``project_id``,
``sector``, ``settlement_id``, ``village``, ``oblast_pcode``, ``rayon_pcode``,
``aiyl_okmot_pcode``), ``beneficiaries`` (``project_id``, ``total``,
``households``, ``women``, ``men``, ``children``, ``students`` — counts of people,
households for ``households``), ``settlements`` (``settlement_id``,
``population`` in people) and ``admin_units`` (``pcode``, ``level``,
``population`` in people). No geometry or CRS is involved: these are tables.

A figure that is not stated stays empty (NA), never 0; sums use ``min_count=1``
and every sum comes with the number of projects that reported it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geo.errors import Phrase, SchemaError

__all__ = [
    "MEASURES",
    "LEVELS",
    "RULE_PEOPLE_REACHED",
    "RULE_PEOPLE_REACHED_KEY",
    "per_project",
    "people_reached_by_place",
    "rollup",
]

#: Beneficiary figures of a project (people, except ``households``).
MEASURES = ("total", "households", "women", "men", "children", "students")

#: Roll-up levels and the project column holding the unit's P-code.
LEVELS = {"aiyl_okmot": "aiyl_okmot_pcode", "rayon": "rayon_pcode", "oblast": "oblast_pcode"}

#: How "people reached" avoids counting the same people twice (shown in the UI).
RULE_PEOPLE_REACHED = (
    "People reached: in each settlement (or, where a project names no settlement, each village "
    "name within its aiyl okmot) only the largest beneficiary total of any one project per sector "
    "is counted; the sectors are then added up, and the result is capped at the settlement's "
    "population where that is known. Projects with neither settlement nor village count in full. "
    "The plain sum adds every project's figure and may count the same people more than once."
)
#: i18n key of the same rule for :func:`geo.i18n.t`.
RULE_PEOPLE_REACHED_KEY = "beneficiaries.rule_people_reached"

_PROJECT_TEXT = ("title", "sector", "settlement_id", "village", *LEVELS.values())


def _norm_text(series: pd.Series) -> pd.Series:
    """Lower-case, trimmed text with runs of spaces collapsed; empty → NA."""
    text = series.astype("string").str.strip().str.casefold().str.replace(r"\s+", " ", regex=True)
    return text.replace("", pd.NA)


def per_project(projects: pd.DataFrame, beneficiaries: pd.DataFrame) -> pd.DataFrame:
    """Beneficiary figures per project, with the project's place and sector.

    Every project appears once; a project without a beneficiaries row, or with an
    empty figure, has NA there (never 0). ``beneficiaries_total`` is accepted as
    another name for ``total``.

    Returns
    -------
    DataFrame
        ``project_id``, ``title``, ``sector``, ``settlement_id``, ``village``, the
        three P-code columns, the :data:`MEASURES` (Float64, people; households
        for ``households``), ``women_share`` (women / (women + men), 0–1, only
        where both are known and not both 0) and ``has_beneficiary_record``.

    Raises
    ------
    SchemaError
        If a project appears twice in ``beneficiaries``.
    """
    p = pd.DataFrame(projects).drop(columns="geometry", errors="ignore").copy()
    if "project_id" not in p.columns:
        raise SchemaError(key="err.table.needs_column", table=Phrase("err.table.projects"), column="project_id")
    for col in _PROJECT_TEXT:
        if col not in p.columns:
            p[col] = pd.NA
        p[col] = p[col].astype("string")
    p["project_id"] = p["project_id"].astype("string")
    p = p.drop_duplicates("project_id")[["project_id", *_PROJECT_TEXT]]

    b = pd.DataFrame(beneficiaries).drop(columns="geometry", errors="ignore").copy()
    if "total" not in b.columns and "beneficiaries_total" in b.columns:
        b = b.rename(columns={"beneficiaries_total": "total"})
    if "project_id" not in b.columns:
        raise SchemaError(key="err.table.needs_column", table=Phrase("err.table.beneficiaries"), column="project_id")
    b["project_id"] = b["project_id"].astype("string")
    dup = b["project_id"].dropna().duplicated()
    if dup.any():
        raise SchemaError(key="err.beneficiaries.duplicate",
                          projects=", ".join(sorted(b["project_id"].dropna()[dup].unique())[:5]))
    for col in MEASURES:
        if col not in b.columns:
            b[col] = pd.NA
        b[col] = pd.to_numeric(b[col], errors="coerce").astype("Float64")
    b["has_beneficiary_record"] = True
    out = p.merge(b[["project_id", *MEASURES, "has_beneficiary_record"]], on="project_id", how="left")
    out["has_beneficiary_record"] = out["has_beneficiary_record"].astype("boolean").fillna(False).astype(bool)
    out["women_share"] = _share(out["women"], out["women"] + out["men"])
    return out.reset_index(drop=True)


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    """part / whole where both are known and whole > 0, else NA."""
    ok = part.notna() & whole.notna() & (whole.fillna(0) > 0)
    return (part / whole.where(ok, pd.NA)).where(ok, pd.NA).astype("Float64")


def _place_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Key every project by its place: settlement, else village in its unit, else itself."""
    settlement = frame["settlement_id"].astype("string").str.strip().replace("", pd.NA)
    village = _norm_text(frame["village"])
    unit = (
        frame["oblast_pcode"].fillna("") + "/" + frame["rayon_pcode"].fillna("") + "/" + frame["aiyl_okmot_pcode"].fillna("")
    ).astype("string")
    kind = np.select([settlement.notna(), village.notna()], ["settlement", "village"], "project")
    key = settlement.where(settlement.notna(), ("village:" + unit + ":" + village).where(village.notna(), "project:" + frame["project_id"]))
    out = frame.copy()
    out["place_key"] = key.astype("string")
    out["place_kind"] = pd.Series(kind, index=frame.index, dtype="string")
    return out


def people_reached_by_place(per_project_frame: pd.DataFrame, settlements: pd.DataFrame | None = None) -> pd.DataFrame:
    """People reached per place, by :data:`RULE_PEOPLE_REACHED`.

    Parameters
    ----------
    per_project_frame
        Output of :func:`per_project`.
    settlements
        Optional ``settlements`` layer (``settlement_id``, ``population``) for the cap.

    Returns
    -------
    DataFrame
        One row per place that has at least one project with a ``total``:
        ``place_key``, ``place_kind`` (``settlement``, ``village`` or
        ``project``), the place's P-codes (from its projects), ``n_projects``
        (with a total), ``n_sectors``, ``reached_uncapped`` (sum over sectors of
        the largest total per sector), ``population`` (settlement population or
        NA), ``people_reached`` (capped at the population) and ``capped``.
    """
    frame = _place_keys(per_project_frame)
    frame = frame[frame["total"].notna()].copy()
    frame["_sector"] = frame["sector"].astype("string").fillna("\u0000unknown")
    per_sector = frame.groupby(["place_key", "_sector"], sort=False).agg(largest=("total", "max")).reset_index()
    reached = per_sector.groupby("place_key").agg(reached_uncapped=("largest", "sum"), n_sectors=("_sector", "size"))
    first = frame.groupby("place_key").agg(
        place_kind=("place_kind", "first"),
        settlement_id=("settlement_id", "first"),
        oblast_pcode=("oblast_pcode", "first"),
        rayon_pcode=("rayon_pcode", "first"),
        aiyl_okmot_pcode=("aiyl_okmot_pcode", "first"),
        n_projects=("project_id", "nunique"),
    )
    out = first.join(reached).reset_index()
    population = pd.Series(pd.NA, index=out.index, dtype="Float64")
    if settlements is not None and len(settlements) and "population" in settlements.columns:
        s = pd.DataFrame(settlements).drop(columns="geometry", errors="ignore")
        pop = pd.to_numeric(s["population"], errors="coerce").astype("Float64")
        lookup = pd.Series(pop.to_numpy(), index=s["settlement_id"].astype("string")).groupby(level=0).first()
        is_settlement = out["place_kind"] == "settlement"
        population = out["place_key"].map(lookup).astype("Float64").where(is_settlement, pd.NA)
    population = population.where(population.fillna(0) > 0, pd.NA)
    out["population"] = population
    out["reached_uncapped"] = out["reached_uncapped"].astype("Float64")
    capped = (out["population"].notna() & (out["reached_uncapped"] > out["population"])).fillna(False).astype(bool)
    out["people_reached"] = out["reached_uncapped"].where(~capped, out["population"]).astype("Float64")
    out["capped"] = capped
    return out[["place_key", "place_kind", "settlement_id", "oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode",
                "n_projects", "n_sectors", "reached_uncapped", "population", "people_reached", "capped"]]


def rollup(
    per_project_frame: pd.DataFrame,
    level: str = "aiyl_okmot",
    admin_units: pd.DataFrame | None = None,
    settlements: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Beneficiaries per aiyl okmot, rayon or oblast.

    Parameters
    ----------
    per_project_frame
        Output of :func:`per_project`.
    level
        ``aiyl_okmot``, ``rayon`` or ``oblast`` (or the P-code column name).
    admin_units
        Optional ``admin_units`` layer: adds the unit's names and ``population``.
    settlements
        Optional ``settlements`` layer: caps people reached per settlement.

    Returns
    -------
    DataFrame
        One row per unit P-code (projects without a P-code at this level form one
        row with an empty ``pcode``):

        * ``n_projects``;
        * for each measure in :data:`MEASURES`: ``<measure>_sum`` (plain sum, NA
          when no project reported it) and ``<measure>_n_reporting``;
        * ``people_reached`` by :data:`RULE_PEOPLE_REACHED`, ``n_places`` and
          ``n_places_capped``;
        * ``women_share`` — women / (women + men) over the projects reporting both
          (``n_projects_gender``);
        * ``population``, names (from ``admin_units``) and
          ``reached_share_of_population`` = people reached / population (0–1 in
          principle; NA where population is unknown; it can exceed 1 where
          settlement caps are unknown, which flags over-reporting).
    """
    col = LEVELS.get(level, level)
    if col not in LEVELS.values():
        raise SchemaError(key="err.beneficiaries.unknown_level", level=str(level))
    frame = per_project_frame.copy()
    frame["_unit"] = frame[col].astype("string")
    g = frame.groupby("_unit", dropna=False, sort=True)
    out = pd.DataFrame({"n_projects": g["project_id"].nunique()})
    for m in MEASURES:
        out[f"{m}_sum"] = g[m].sum(min_count=1).astype("Float64")
        out[f"{m}_n_reporting"] = g[m].count()
    both = frame["women"].notna() & frame["men"].notna()
    gender = frame[both].groupby("_unit", dropna=False).agg(
        _w=("women", "sum"), _m=("men", "sum"), n_projects_gender=("project_id", "nunique")
    )
    out = out.join(gender)
    out["n_projects_gender"] = out["n_projects_gender"].fillna(0).astype("int64")
    out["women_share"] = _share(out["_w"].astype("Float64"), (out["_w"] + out["_m"]).astype("Float64"))
    out = out.drop(columns=["_w", "_m"])

    places = people_reached_by_place(per_project_frame, settlements)
    places["_unit"] = places[col].astype("string")
    pg = places.groupby("_unit", dropna=False).agg(
        people_reached=("people_reached", lambda s: s.sum(min_count=1)), n_places=("place_key", "size"), n_places_capped=("capped", "sum")
    )
    out = out.join(pg)
    out["people_reached"] = out["people_reached"].astype("Float64")
    out["n_places"] = out["n_places"].fillna(0).astype("int64")
    out["n_places_capped"] = out["n_places_capped"].fillna(0).astype("int64")
    out.index.name = "pcode"
    out = out.reset_index()
    out["pcode"] = out["pcode"].astype("string")

    out["population"] = pd.Series(pd.NA, index=out.index, dtype="Float64")
    if admin_units is not None and len(admin_units):
        u = pd.DataFrame(admin_units).drop(columns="geometry", errors="ignore").copy()
        u["pcode"] = u["pcode"].astype("string")
        names = [c for c in ("name_en", "name_ru", "name_ky") if c in u.columns]
        extra = u.drop_duplicates("pcode")[["pcode", *names, *(["population"] if "population" in u.columns else [])]]
        out = out.drop(columns="population").merge(extra, on="pcode", how="left")
        if "population" not in out.columns:
            out["population"] = pd.NA
        out["population"] = pd.to_numeric(out["population"], errors="coerce").astype("Float64")
    out["reached_share_of_population"] = _share(out["people_reached"], out["population"])
    out.insert(1, "level", col.removesuffix("_pcode"))
    return out
