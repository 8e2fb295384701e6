"""Selecting projects by place, sector, status, years, funding source and precision."""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

PCODE_COLUMN = {1: "oblast_pcode", 2: "rayon_pcode", 3: "aiyl_okmot_pcode"}


@dataclass(frozen=True)
class ProjectFilter:
    """What the user asked to see; empty selections mean "all". Hashable for caching."""

    unit_pcode: str | None = None
    unit_level: int | None = None
    sectors: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    year_range: tuple[int, int] | None = None
    include_undated: bool = True
    source_types: tuple[str, ...] = ()
    precisions: tuple[int, ...] = field(default=())


def filter_projects(projects: gpd.GeoDataFrame, funding: pd.DataFrame, f: ProjectFilter) -> gpd.GeoDataFrame:
    """Projects matching every part of the filter (vectorised boolean masks).

    A project with no years passes the year range only when ``include_undated``;
    it is never treated as year 0.
    """
    mask = pd.Series(True, index=projects.index)
    if f.unit_pcode and f.unit_level in PCODE_COLUMN:
        mask &= projects[PCODE_COLUMN[f.unit_level]].astype("string").eq(f.unit_pcode).fillna(False)
    if f.sectors:
        mask &= projects["sector"].isin(f.sectors).fillna(False)
    if f.statuses:
        mask &= projects["status"].isin(f.statuses).fillna(False)
    if f.year_range:
        lo, hi = f.year_range
        start = projects["year_start"].astype("Float64")
        end = projects["year_end"].astype("Float64").fillna(start)
        dated = start.notna()
        overlaps = (start <= hi) & (end >= lo)
        mask &= (overlaps.fillna(False) & dated) | (~dated & f.include_undated)
    if f.source_types:
        ids = funding.loc[funding["source_type"].isin(f.source_types), "project_id"]
        mask &= projects["project_id"].isin(set(ids))
    if f.precisions:
        mask &= projects["location_precision"].isin(f.precisions).fillna(False)
    return projects[mask.astype(bool)]
