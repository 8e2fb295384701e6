"""Flow balance of a canal: design capacity, allocations, outlets and measured arrivals.

All flows are litres per second (l/s). Tables are plain DataFrames (no geometry).
Unknown stays empty: a village whose found outlets are not broken down in the source
shows an empty ``outlets_found``, never 0, and a range as written ("10–15 l/s") is
carried as ``*_min``/``*_max`` with no single value invented.

Records with no village (canal-level aggregates such as "110 outlets found along
the canal") are kept in their own row with ``scope == "canal"``; records with a
village have ``scope == "village"``. In the per-country table, records with no
country form a row with an empty ``country``.

Allocated flow counts each allocation once: an outlet's ``allowed_flow_lps`` plus
``outlet_allocations`` rows that are not tied to one outlet (such as the 1965
protocol's 10 l/s to Kyrgyzstan). Allocation rows that link an outlet to an
agreement are not added again.
"""
from __future__ import annotations

import pandas as pd

from geo import canals

STATUS_COLUMNS = {status: f"outlets_{status}" for status in canals.OUTLET_STATUSES}


def _for_canal(frame: pd.DataFrame, canal_id: str | None) -> pd.DataFrame:
    frame = pd.DataFrame(frame)
    if "geometry" in frame:
        frame = frame.drop(columns="geometry")
    if canal_id is not None and len(frame):
        frame = frame[frame["canal_id"] == canal_id]
    return frame.reset_index(drop=True)


def _sum_or_na(series: pd.Series, by: list[pd.Series]) -> pd.Series:
    """Group sums that stay NA when every value in the group is NA."""
    return pd.to_numeric(series, errors="coerce").astype("Float64").groupby(by, dropna=False).sum(min_count=1)


def _keys(frame: pd.DataFrame, keys: list[str]) -> list[pd.Series]:
    return [frame[k].astype("string").rename(k) for k in keys]


def _outlet_counts(outlets: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Outlets per status for each group; NA where the group has no record of that status."""
    columns = list(STATUS_COLUMNS.values())
    if outlets.empty:
        return pd.DataFrame(columns=columns, dtype="Int64")
    count = pd.to_numeric(outlets["count"], errors="coerce").fillna(1)
    table = count.groupby(_keys(outlets, keys) + [outlets["status"].astype("string").rename("status")],
                          dropna=False).sum().unstack("status")
    table = table.reindex(columns=list(STATUS_COLUMNS)).rename(columns=STATUS_COLUMNS)
    return table.round().astype("Int64")


def _allocated(outlets: pd.DataFrame, allocations: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Known allocated flow (l/s) per group: outlet allowed flows + allocations not tied to an outlet."""
    parts = []
    if len(outlets):
        parts.append(outlets[keys + ["allowed_flow_lps"]].rename(columns={"allowed_flow_lps": "flow"}))
    if len(allocations):
        loose = allocations[allocations["outlet_id"].isna()]
        parts.append(loose[keys + ["flow_lps"]].rename(columns={"flow_lps": "flow"}))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.Series(dtype="Float64", name="allocated_lps")
    joined = pd.concat(parts, ignore_index=True)
    return _sum_or_na(joined["flow"], _keys(joined, keys)).rename("allocated_lps")


def _measured(measurements: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Lowest and highest measured flow (l/s), number of measurements and latest date per group."""
    columns = ["measured_lps_min", "measured_lps_max", "measurements", "last_measured"]
    if measurements.empty:
        return pd.DataFrame(columns=columns)
    low = pd.to_numeric(measurements["flow_lps_min"], errors="coerce").astype("Float64")
    high = pd.to_numeric(measurements["flow_lps_max"], errors="coerce").astype("Float64")
    single = pd.to_numeric(measurements["flow_lps"], errors="coerce").astype("Float64")
    low, high = low.fillna(single), high.fillna(single)
    by = _keys(measurements, keys)
    return pd.DataFrame({
        "measured_lps_min": low.groupby(by, dropna=False).min(),
        "measured_lps_max": high.groupby(by, dropna=False).max(),
        "measurements": low.groupby(by, dropna=False).size().astype("Int64"),
        "last_measured": measurements["date"].astype("string").groupby(by, dropna=False).max(),
    })


def _table(keys: list[str], pieces: list[pd.DataFrame | pd.Series]) -> pd.DataFrame:
    pieces = [p.to_frame() if isinstance(p, pd.Series) else p for p in pieces]
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return pd.DataFrame(columns=keys)
    out = pd.concat(pieces, axis=1).reset_index()
    return out.rename(columns={f"level_{i}": k for i, k in enumerate(keys)})


def village_balance(outlets: pd.DataFrame, allocations: pd.DataFrame, measurements: pd.DataFrame,
                    canal_id: str | None = None) -> pd.DataFrame:
    """Outlets by status, allocated flow and measured flow per village (l/s).

    Returns one row per (village, country) with ``scope`` (``village`` or
    ``canal`` for records without a village), ``outlets_found``,
    ``outlets_unauthorised``, ``outlets_agreed``, ``outlets_closed`` (NA where no
    record), ``allocated_lps`` (NA when none is known), ``measured_lps_min``,
    ``measured_lps_max``, ``measurements`` and ``last_measured``. Village-level rows
    come first, by village name; the canal-level row last.
    """
    keys = ["village", "country"]
    outlets = _for_canal(outlets, canal_id)
    allocations = _for_canal(allocations, canal_id)
    measurements = _for_canal(measurements, canal_id)
    # allocations and measurements without a village belong to a country or the canal, not a village
    allocations = allocations[allocations["village"].notna()] if len(allocations) else allocations
    measurements = measurements[measurements["village"].notna()] if len(measurements) else measurements
    village_outlets = outlets.copy()
    if len(village_outlets):
        # canal-level records have no country either way: keep them in one canal row
        village_outlets.loc[village_outlets["village"].isna(), "country"] = pd.NA
    table = _table(keys, [_outlet_counts(village_outlets, keys), _allocated(village_outlets, allocations, keys),
                          _measured(measurements, keys)])
    return _finish(table, keys, scope_key="village")


def country_balance(outlets: pd.DataFrame, allocations: pd.DataFrame, measurements: pd.DataFrame,
                    canal_id: str | None = None) -> pd.DataFrame:
    """Outlets by status, allocated flow and measured arrivals at the tail per country (l/s).

    ``country`` is the ISO code (KG, TJ); records that give no country (canal-level
    aggregates) form a row with an empty ``country`` and ``scope == "canal"``. Only
    measurements at the tail (``canal_position == "tail"``) count as arrivals:
    ``tail_lps_min``/``tail_lps_max``.
    """
    keys = ["country"]
    outlets = _for_canal(outlets, canal_id)
    allocations = _for_canal(allocations, canal_id)
    measurements = _for_canal(measurements, canal_id)
    tail = measurements[measurements["canal_position"] == "tail"] if len(measurements) else measurements
    measured = _measured(tail, keys).rename(columns={
        "measured_lps_min": "tail_lps_min", "measured_lps_max": "tail_lps_max",
        "measurements": "tail_measurements", "last_measured": "tail_last_measured",
    })
    table = _table(keys, [_outlet_counts(outlets, keys), _allocated(outlets, allocations, keys), measured])
    return _finish(table, keys, scope_key="country")


def _finish(table: pd.DataFrame, keys: list[str], scope_key: str) -> pd.DataFrame:
    for col in list(STATUS_COLUMNS.values()):
        if col not in table:
            table[col] = pd.array([pd.NA] * len(table), dtype="Int64")
    for col in ("allocated_lps", "measured_lps_min", "measured_lps_max", "tail_lps_min", "tail_lps_max"):
        if col in table:
            table[col] = pd.to_numeric(table[col], errors="coerce").astype("Float64")
    for key in keys:
        table[key] = table[key].astype("string") if key in table else pd.Series(dtype="string")
    table.insert(0, "scope", table[scope_key].notna().map({True: scope_key, False: "canal"}).astype("string"))
    table = table.sort_values(["scope", *keys], key=lambda s: s.eq("canal") if s.name == "scope" else s,
                              na_position="last").reset_index(drop=True)
    return table


def canal_summary(canals_frame: pd.DataFrame, outlets: pd.DataFrame, allocations: pd.DataFrame,
                  measurements: pd.DataFrame, canal_id: str) -> pd.Series:
    """The whole-canal balance in l/s.

    Fields: ``design_capacity_lps``; ``allocated_lps`` (sum of known allocations, NA
    when none); ``tail_lps_min``/``tail_lps_max`` (measured arrivals at the tail);
    ``tail_share_pct_min``/``_max`` (arrivals as % of design capacity);
    ``not_at_tail_lps_min``/``_max`` (design capacity minus the arrivals: what the
    outlets, cuttings, losses and a lower source flow take together; derived, not
    measured); and outlet totals per status.
    """
    canal = _for_canal(canals_frame, canal_id)
    capacity = pd.to_numeric(canal["design_capacity_lps"], errors="coerce").astype("Float64")
    capacity = capacity.iloc[0] if len(canal) else pd.NA
    countries = country_balance(outlets, allocations, measurements, canal_id)
    totals = {col: (countries[col].sum(min_count=1) if len(countries) else pd.NA) for col in STATUS_COLUMNS.values()}
    allocated = countries["allocated_lps"].sum(min_count=1) if "allocated_lps" in countries else pd.NA
    low = countries["tail_lps_min"].min() if "tail_lps_min" in countries else pd.NA
    high = countries["tail_lps_max"].max() if "tail_lps_max" in countries else pd.NA

    def pct(value):
        if pd.isna(value) or pd.isna(capacity) or not capacity:
            return pd.NA
        return round(float(value) / float(capacity) * 100, 1)

    def rest(value):
        return pd.NA if pd.isna(value) or pd.isna(capacity) else float(capacity) - float(value)

    return pd.Series({
        "canal_id": canal_id, "design_capacity_lps": capacity, "allocated_lps": allocated,
        "tail_lps_min": low, "tail_lps_max": high,
        "tail_share_pct_min": pct(low), "tail_share_pct_max": pct(high),
        "not_at_tail_lps_min": rest(high), "not_at_tail_lps_max": rest(low),
        **totals,
    })


def agreed_vs_found(outlets: pd.DataFrame, canal_id: str | None = None) -> pd.DataFrame:
    """Per village: outlets agreed and outlets found (NA where the source gives no count)."""
    table = village_balance(outlets, pd.DataFrame(columns=["canal_id", "village", "country", "outlet_id", "flow_lps"]),
                            pd.DataFrame(columns=["canal_id", "village", "country", "flow_lps", "flow_lps_min",
                                                  "flow_lps_max", "date", "canal_position"]), canal_id)
    return table[["scope", "village", "country", "outlets_agreed", "outlets_found"]]


__all__ = ["agreed_vs_found", "canal_summary", "country_balance", "village_balance"]
