"""Figures per admin unit for choropleth maps: projects, funding, beneficiaries, per inhabitant.

"No data" (NA) and zero are kept apart: a unit with no projects in the store has 0
projects and 0 recorded funding; a unit whose projects state no amounts has NA funding.
Funding is in som (KGS); other currencies are converted with the rates table
(:mod:`geo.currency`) and amounts with no usable rate are left out and counted.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geo.currency import convert

PCODE_COLUMN = {1: "oblast_pcode", 2: "rayon_pcode", 3: "aiyl_okmot_pcode"}
METRICS = ("projects", "funding_kgs", "beneficiaries", "funding_per_inhabitant")


def unit_metrics(units: pd.DataFrame, projects: pd.DataFrame, funding: pd.DataFrame,
                 beneficiaries: pd.DataFrame, rates: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per unit (all of one level): pcode, projects, funding_kgs, funding_unconverted,
    beneficiaries, population, funding_per_inhabitant (som per person).

    Each project counts in the unit named by its pcode column of that level.
    """
    if units.empty:
        return pd.DataFrame(columns=["pcode", *METRICS])
    level = int(units["level"].iloc[0])
    column = PCODE_COLUMN[level]
    key = projects[["project_id", column]].rename(columns={column: "pcode"}).dropna()
    n_projects = key.groupby("pcode").size()

    money = convert(funding[funding["project_id"].isin(key["project_id"])], rates, to="KGS")
    money = money.merge(key, on="project_id")
    converted = money["amount_converted"].astype("Float64")
    stated = money["amount"].astype("Float64").notna()
    funding_kgs = converted.groupby(money["pcode"]).sum(min_count=1)
    unconverted = (stated & converted.isna()).groupby(money["pcode"]).sum()

    people = beneficiaries.merge(key, on="project_id")
    total = people["total"].astype("Float64")
    beneficiaries_sum = total.groupby(people["pcode"]).sum(min_count=1)

    out = pd.DataFrame({"pcode": units["pcode"].values})
    out["projects"] = out["pcode"].map(n_projects).fillna(0).astype("Int64")
    has_projects = out["projects"] > 0
    out["funding_kgs"] = out["pcode"].map(funding_kgs).astype("Float64")
    out.loc[~has_projects, "funding_kgs"] = 0.0
    out["funding_unconverted"] = out["pcode"].map(unconverted).fillna(0).astype("Int64")
    out["beneficiaries"] = out["pcode"].map(beneficiaries_sum).astype("Float64")
    out.loc[~has_projects, "beneficiaries"] = 0.0
    population = units.set_index("pcode")["population"].astype("Float64") if "population" in units else pd.Series(dtype="Float64")
    out["population"] = out["pcode"].map(population).astype("Float64")
    valid = out["population"] > 0
    out["funding_per_inhabitant"] = (out["funding_kgs"] / out["population"]).where(valid.fillna(False))
    return out


def classify(values: pd.Series, n_classes: int = 5) -> tuple[pd.Series, list[float]]:
    """Quantile classes over the positive values: class 1…n; 0 stays class 0; NA stays NA.

    Returns (class per value, class upper bounds). Fewer classes when there are few values.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype("Float64")
    positive = numbers[numbers > 0].dropna().astype(float)
    classes = pd.Series(pd.NA, index=values.index, dtype="Int64")
    classes[numbers == 0] = 0
    if positive.empty:
        return classes, []
    bounds = sorted(set(np.quantile(positive, np.linspace(0, 1, min(n_classes, len(positive)) + 1))[1:].tolist()))
    cls = np.searchsorted(np.array(bounds), positive.to_numpy(), side="left") + 1
    classes[positive.index] = cls
    return classes, bounds
