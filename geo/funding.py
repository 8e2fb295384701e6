"""Where the funds went: amounts, shares, splits across places, totals and flows.

Inputs are the store layers (see :mod:`geo.schema`):

* ``funding`` — one row per source of a project: ``project_id``, ``source_name``,
  ``source_type``, ``amount`` (in ``currency``), ``currency`` (``KGS`` som,
  ``USD``, ``EUR``), ``share_pct`` (percent of the project's total, 0–100).
* ``projects`` — ``project_id``, ``sector``, ``year_start``/``year_end``,
  ``oblast_pcode``/``rayon_pcode``/``aiyl_okmot_pcode``, ``total_cost``. The
  schema has no currency for ``total_cost``; an optional ``total_cost_currency``
  column is used when present (see :func:`resolve_amounts`).

Rules applied everywhere here
-----------------------------
* **Currencies stay apart.** Every total is per currency. With a rates table
  (:mod:`geo.currency`) amounts are converted first and the rate is reported;
  amounts that cannot be converted (EUR has no rate in the documents) stay in
  their own currency in their own row, never added in.
* **Unknown stays unknown.** Sums use ``min_count=1``: a group where no amount is
  stated has an empty (NA) total, never 0, and every total says how many rows
  had no amount (``n_without_amount``).
* **Shares stay shares** until the project total is known
  (:func:`resolve_amounts`).
* **Splits are stated.** A project over several places is split by per-location
  percentages where given, else equally (AidData method); the ``split_rule``
  column says which, next to every number (:func:`split_across_locations`).

No geometry is needed here and no CRS is involved: these are tables.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.currency import convert
from geo.errors import Phrase, SchemaError

__all__ = [
    "FUNDING_DIMENSIONS",
    "PLACE_COLUMNS",
    "BASIS_STATED",
    "BASIS_FROM_SHARE",
    "BASIS_SHARE_ONLY",
    "BASIS_UNKNOWN",
    "UNKNOWN_LABEL",
    "NOT_SPLIT_RULE",
    "resolve_amounts",
    "project_locations",
    "split_across_locations",
    "totals",
    "funds_per_beneficiary",
    "sankey_flows",
    "select_funding",
    "DonorSummary",
    "donor_summary",
]

PLACE_COLUMNS = ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode")
#: Columns :func:`totals` can group by.
FUNDING_DIMENSIONS = ("source_name", "source_type", "sector", "year", "project_id", *PLACE_COLUMNS)

#: ``amount_basis`` values written by :func:`resolve_amounts`.
BASIS_STATED = "stated"
BASIS_FROM_SHARE = "from_share"  # share_pct × project total_cost
BASIS_SHARE_ONLY = "share_only"  # a percentage, the project total is not known
BASIS_UNKNOWN = "unknown"  # neither amount nor share stated

#: ``split_rule`` of amounts counted wholly at the project's own record (no locations table given).
NOT_SPLIT_RULE = "not split: the project's own record"

#: Label used in link tables for a missing donor, sector or oblast.
UNKNOWN_LABEL = "unknown"

#: ``split_rule_code`` values written by :func:`split_across_locations`.
SPLIT_CODES = ("single", "percentage", "percentage_rescaled", "percentage_rest_equal", "equal", "equal_bad_percentages", "no_location", "not_split")

_PROJECT_ATTRS = ("title", "sector", "year", *PLACE_COLUMNS)
_TEXT_FUNDING = ("funding_id", "project_id", "source_name", "source_type", "currency", "note")


# -- preparing inputs ---------------------------------------------------------------


def _prepare_funding(funding: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(funding).drop(columns="geometry", errors="ignore").copy()
    if "project_id" not in out.columns:
        raise SchemaError(key="err.table.needs_column", table=Phrase("err.table.funding"), column="project_id")
    for col in _TEXT_FUNDING:
        if col not in out.columns:
            out[col] = pd.NA
        out[col] = out[col].astype("string")
    out["currency"] = out["currency"].str.strip().str.upper().replace("", pd.NA)
    for col in ("amount", "share_pct"):
        if col not in out.columns:
            out[col] = pd.NA
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Float64")
    return out


def _prepare_projects(projects: pd.DataFrame) -> pd.DataFrame:
    """Project attributes as a plain table, one row per project_id (first kept).

    ``year`` is ``year_start``, or ``year_end`` when the start is not known.
    """
    out = pd.DataFrame(projects).drop(columns="geometry", errors="ignore").copy()
    if "project_id" not in out.columns:
        raise SchemaError(key="err.table.needs_column", table=Phrase("err.table.projects"), column="project_id")
    for col in ("title", "sector", "village", "settlement_id", "total_cost_currency", *PLACE_COLUMNS):
        if col not in out.columns:
            out[col] = pd.NA
        out[col] = out[col].astype("string")
    for col in ("year_start", "year_end"):
        if col not in out.columns:
            out[col] = pd.NA
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Float64").round().astype("Int64")
    out["year"] = out["year_start"].fillna(out["year_end"])
    out["total_cost"] = pd.to_numeric(out.get("total_cost", pd.Series(pd.NA, index=out.index)), errors="coerce").astype("Float64")
    out["project_id"] = out["project_id"].astype("string")
    return out.drop_duplicates("project_id").reset_index(drop=True)


def _attach(left: pd.DataFrame, right: pd.DataFrame, cols) -> pd.DataFrame:
    """Left-join ``cols`` of ``right`` on project_id, replacing same-named columns."""
    cols = [c for c in cols if c in right.columns and c != "project_id"]
    base = left.drop(columns=[c for c in cols if c in left.columns])
    return base.merge(right[["project_id", *cols]], on="project_id", how="left")


# -- amounts and shares -------------------------------------------------------------


def resolve_amounts(
    funding: pd.DataFrame,
    projects: pd.DataFrame,
    default_total_cost_currency: str = "KGS",
) -> pd.DataFrame:
    """Give every funding row an amount where one can honestly be derived.

    A row with ``amount`` keeps it. A row with only ``share_pct`` (e.g. "UNDP
    48%") stays a share unless the project's ``total_cost`` is known; then
    ``amount_from_share = share_pct / 100 × total_cost`` and the row is flagged
    ``from_share``. Nothing else is filled in.

    The currency of ``total_cost`` is, in order: the project's
    ``total_cost_currency`` column if present and filled ("stated"); else the one
    currency of the project's stated amounts ("from funding rows"); else
    ``default_total_cost_currency`` ("assumed, not stated"). Which one was used
    is in ``total_cost_currency_basis``.

    Parameters
    ----------
    funding, projects
        The ``funding`` and ``projects`` layers.
    default_total_cost_currency
        Currency assumed for a ``total_cost`` with no other clue (default KGS).

    Returns
    -------
    DataFrame
        The funding rows (same order) with ``project_total_cost``,
        ``total_cost_currency``, ``total_cost_currency_basis``,
        ``amount_from_share`` (Float64, in ``total_cost_currency``),
        ``from_share`` (bool), ``amount_resolved`` (stated amount, else the one
        from the share, else NA), ``currency_resolved`` and ``amount_basis``
        (``stated``, ``from_share``, ``share_only`` or ``unknown``).

    Examples
    --------
    >>> f = pd.DataFrame({"project_id": ["p"], "source_name": ["UNDP"], "amount": [None],
    ...                   "currency": [None], "share_pct": [48.0]})
    >>> resolve_amounts(f, pd.DataFrame({"project_id": ["p"], "total_cost": [None]}))["amount_basis"][0]
    'share_only'
    >>> r = resolve_amounts(f, pd.DataFrame({"project_id": ["p"], "total_cost": [1000.0]}))
    >>> float(r["amount_resolved"][0]), r["currency_resolved"][0], bool(r["from_share"][0])
    (480.0, 'KGS', True)
    """
    added = ("project_total_cost", "total_cost_currency", "total_cost_currency_basis", "amount_from_share",
             "from_share", "amount_resolved", "currency_resolved", "amount_basis")
    f = _prepare_funding(funding).drop(columns=[c for c in added if c in funding.columns], errors="ignore")
    p = _prepare_projects(projects)

    stated_amounts = f[f["amount"].notna() & f["currency"].notna()]
    grouped = stated_amounts.groupby("project_id")["currency"]
    single = grouped.first().where(grouped.nunique() == 1)
    p["_cur_from_rows"] = p["project_id"].map(single).astype("string")
    stated_cur = p["total_cost_currency"].str.strip().str.upper().replace("", pd.NA)
    p["_tc_cur"] = stated_cur.fillna(p["_cur_from_rows"]).fillna(str(default_total_cost_currency).upper())
    p["_tc_basis"] = np.where(
        stated_cur.notna(), "stated", np.where(p["_cur_from_rows"].notna(), "from funding rows", "assumed, not stated")
    )
    p.loc[p["total_cost"].isna(), ["_tc_cur", "_tc_basis"]] = pd.NA

    out = f.merge(
        p[["project_id", "total_cost", "_tc_cur", "_tc_basis"]].rename(
            columns={"total_cost": "project_total_cost", "_tc_cur": "total_cost_currency", "_tc_basis": "total_cost_currency_basis"}
        ),
        on="project_id",
        how="left",
    )
    out["total_cost_currency"] = out["total_cost_currency"].astype("string")
    out["total_cost_currency_basis"] = out["total_cost_currency_basis"].astype("string")
    has_amount = out["amount"].notna()
    has_share = out["share_pct"].notna()
    has_total = out["project_total_cost"].notna()
    use_share = ~has_amount & has_share & has_total
    out["amount_from_share"] = (out["share_pct"] / 100.0 * out["project_total_cost"]).where(use_share, pd.NA).astype("Float64")
    out["from_share"] = use_share.astype(bool)
    out["amount_resolved"] = out["amount"].fillna(out["amount_from_share"]).astype("Float64")
    out["currency_resolved"] = out["currency"].where(has_amount, out["total_cost_currency"].where(use_share, pd.NA)).astype("string")
    out["amount_basis"] = pd.Series(
        np.select([has_amount, use_share, has_share], [BASIS_STATED, BASIS_FROM_SHARE, BASIS_SHARE_ONLY], BASIS_UNKNOWN),
        index=out.index,
        dtype="string",
    )
    return out


# -- locations and splits -------------------------------------------------------------


def project_locations(projects: pd.DataFrame, column: str = "settlement_id", sep: str | None = ";") -> pd.DataFrame:
    """A locations table (one row per project and place) built from the projects layer.

    ``column`` may hold several places separated by ``sep`` (e.g. the seed's
    ``village`` "Kyzyl-Dobo; Mantysh; Kara-Moinok; Ak-Talaa"); each becomes a row.
    The project's oblast/rayon/aiyl okmot P-codes are carried along. No
    percentages are known from the projects layer, so ``location_pct`` is empty
    and :func:`split_across_locations` will split equally. Projects with an empty
    ``column`` get no row.
    """
    p = _prepare_projects(projects)
    if column not in p.columns:
        raise SchemaError(key="err.table.no_column", table=Phrase("err.table.projects"), column=str(column))
    values = p[column].astype("string")
    parts = values.str.split(sep) if sep else values.map(lambda v: [v] if pd.notna(v) else np.nan)
    keep = [c for c in PLACE_COLUMNS if c != column]
    out = p[["project_id", *keep]].assign(**{column: parts}).explode(column)
    out[column] = out[column].astype("string").str.strip().replace("", pd.NA)
    out = out[out[column].notna()].drop_duplicates(["project_id", column])
    out["location_pct"] = pd.array([pd.NA] * len(out), dtype="Float64")
    return out[["project_id", column, *keep, "location_pct"]].reset_index(drop=True)


def split_across_locations(
    funding: pd.DataFrame,
    locations: pd.DataFrame,
    amount_col: str | None = None,
    pct_col: str = "location_pct",
) -> pd.DataFrame:
    """Split each funding row across its project's locations, with the rule used.

    Rule per project (AidData geocoding method):

    * one location → the whole amount (``single``);
    * every location has a percentage adding up to 100 → by percentage
      (``percentage``); adding up to something else → percentages rescaled to 100
      (``percentage_rescaled``);
    * some have percentages adding up to less than 100 → those, and the rest of
      100 % split equally over the others (``percentage_rest_equal``);
    * no percentages → equal split over the N locations (``equal``); percentages
      given for some but already ≥ 100 % → equal split (``equal_bad_percentages``);
    * the project has no location row → the whole amount with no place
      (``no_location``).

    Parameters
    ----------
    funding
        Funding rows, usually from :func:`resolve_amounts`.
    locations
        One row per project and place: ``project_id``, place columns (e.g.
        ``oblast_pcode``, ``settlement_id``) and optionally ``pct_col`` (percent of
        the project at that place, 0–100). Place columns replace same-named
        columns of ``funding``.
    amount_col
        Amount to split; default ``amount_resolved`` if present, else ``amount``.

    Returns
    -------
    DataFrame
        One row per funding row and location with ``split_share`` (0–1),
        ``amount_split`` (Float64, same currency as the amount), ``split_rule``
        (a sentence), ``split_rule_code`` and ``split_n`` (locations of the
        project). Splitting keeps totals: the ``amount_split`` of one funding row
        add up to its amount.
    """
    if amount_col is None:
        amount_col = "amount_resolved" if "amount_resolved" in funding.columns else "amount"
    loc = pd.DataFrame(locations).drop(columns="geometry", errors="ignore").copy()
    if "project_id" not in loc.columns:
        raise SchemaError(key="err.table.needs_column", table=Phrase("err.table.locations"), column="project_id")
    loc["project_id"] = loc["project_id"].astype("string")
    pct = pd.to_numeric(loc[pct_col], errors="coerce").astype("float64") if pct_col in loc.columns else pd.Series(np.nan, index=loc.index)
    if ((pct < 0) | (pct > 100)).any():
        raise SchemaError(key="err.funding.pct_range", column=str(pct_col))
    by = loc.groupby("project_id")["project_id"]
    n = by.transform("size").astype("int64")
    n_pct = pct.notna().groupby(loc["project_id"]).transform("sum").astype("int64")
    sum_pct = pct.groupby(loc["project_id"]).transform("sum")

    all_pct = n_pct == n
    some_pct = (n_pct > 0) & ~all_pct
    exact = (sum_pct - 100).abs() <= 0.5
    rest = (100 - sum_pct) / (n - n_pct).where(n - n_pct > 0, 1)
    conditions = [n == 1, all_pct & exact, all_pct & ~exact, some_pct & (sum_pct < 100), some_pct, n_pct == 0]
    codes = ["single", "percentage", "percentage_rescaled", "percentage_rest_equal", "equal_bad_percentages", "equal"]
    shares = [
        pd.Series(1.0, index=loc.index),
        pct / 100,
        pct / sum_pct.where(sum_pct > 0, np.nan),
        pct.fillna(rest) / 100,
        1.0 / n,
        1.0 / n,
    ]
    loc["split_rule_code"] = np.select(conditions, codes, "equal")
    loc["split_share"] = np.select(conditions, [s.to_numpy(dtype="float64") for s in shares], np.nan)
    loc["split_n"] = n.to_numpy()
    n_text = n.astype(str)
    sum_text = sum_pct.round(1).map("{:g}".format)
    texts = {
        "single": pd.Series("one location: whole amount", index=loc.index),
        "percentage": pd.Series("per-location percentage", index=loc.index),
        "percentage_rescaled": "per-location percentages rescaled to 100% (they add up to " + sum_text + "%)",
        "percentage_rest_equal": "per-location percentage where given, the rest split equally",
        "equal": "equal split across " + n_text + " locations (AidData method)",
        "equal_bad_percentages": "equal split across " + n_text + " locations (the given percentages add up to " + sum_text + "%)",
    }
    rule = pd.Series("", index=loc.index, dtype="string")
    for code, text in texts.items():
        mask = loc["split_rule_code"] == code
        rule = rule.mask(mask, text if isinstance(text, str) else text.astype("string"))
    loc["split_rule"] = rule
    place_cols = [c for c in loc.columns if c not in ("project_id", pct_col, "split_rule_code", "split_share", "split_n", "split_rule")]

    f = pd.DataFrame(funding).copy()
    f["project_id"] = f["project_id"].astype("string")
    f = f.drop(columns=[c for c in [*place_cols, "split_share", "split_rule", "split_rule_code", "split_n", "amount_split"] if c in f.columns])
    keep_cols = ["project_id", *place_cols, "split_share", "split_rule", "split_rule_code", "split_n"]
    if pct_col in loc.columns:
        keep_cols.insert(1 + len(place_cols), pct_col)
    out = f.merge(loc[keep_cols], on="project_id", how="left")
    none = out["split_share"].isna() & out["split_rule_code"].isna()
    out.loc[none, "split_share"] = 1.0
    out.loc[none, "split_n"] = 0
    out["split_rule_code"] = out["split_rule_code"].astype("string").mask(none, "no_location")
    out["split_rule"] = out["split_rule"].astype("string").mask(none, "no location recorded: whole amount without a place")
    out["split_share"] = out["split_share"].astype("float64")
    out["split_n"] = out["split_n"].astype("int64")
    amount = pd.to_numeric(out[amount_col], errors="coerce").astype("Float64")
    out["amount_split"] = (amount * out["split_share"]).astype("Float64")
    return out


# -- conversion shared by totals, flows and per-beneficiary figures ---------------------------


def _values(frame: pd.DataFrame, amount_col: str, rates: pd.DataFrame | None, to: str) -> pd.DataFrame:
    """Add ``_value``/``_currency``/``converted``/``rate_text`` (converted when rates are given).

    Rows that cannot be converted keep their own amount and currency, so they
    are summed only with rows of the same currency.
    """
    out = frame.copy()
    value = pd.to_numeric(out[amount_col], errors="coerce").astype("Float64")
    currency = out["currency_resolved"].astype("string") if "currency_resolved" in out.columns else out["currency"].astype("string")
    if rates is None:
        out["_value"], out["_currency"] = value, currency
        out["converted"] = False
        out["rate_text"] = pd.Series(pd.NA, index=out.index, dtype="string")
        return out
    conv = convert(
        pd.DataFrame({"a": value, "c": currency, "y": out["year"] if "year" in out.columns else pd.NA}, index=out.index),
        rates, to=to, amount_col="a", currency_col="c", date_col="y",
    )
    ok = conv["amount_converted"].notna()
    out["_value"] = conv["amount_converted"].where(ok, value).astype("Float64")
    out["_currency"] = conv["currency_converted"].where(ok, currency).astype("string")
    out["converted"] = ok.to_numpy()
    crossed = ok & (currency != conv["currency_converted"]).fillna(False)
    text = currency + " 1 = " + conv["rate_used"].round(6).astype("string") + " " + str(to) + " (" + conv["rate_date"].fillna("date not stated") + ")"
    out["rate_text"] = text.where(crossed, pd.NA).astype("string")
    out["conversion_note"] = conv["conversion_note"]
    return out


def _join(values: pd.Series) -> str:
    return "; ".join(sorted({str(v) for v in values.dropna()}))


def _group(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, dropna=False, sort=True)
    out = grouped.agg(
        amount=("_value", lambda s: s.sum(min_count=1)),
        n_rows=("_value", "size"),
        n_with_amount=("_value", "count"),
        n_from_share=("from_share", "sum"),
        n_projects=("project_id", "nunique"),
        split_rule=("split_rule", _join),
        rates_used=("rate_text", _join),
    ).reset_index()
    out["amount"] = out["amount"].astype("Float64")
    out["n_without_amount"] = out["n_rows"] - out["n_with_amount"]
    return out


def _prepared(funding, projects, project_locations_, rates, to, amount_split_needed):
    r = resolve_amounts(funding, projects)
    p = _prepare_projects(projects)
    r = _attach(r, p, _PROJECT_ATTRS)
    if amount_split_needed and project_locations_ is not None:
        r = split_across_locations(r, project_locations_, amount_col="amount_resolved")
        amount_col = "amount_split"
    else:
        r["split_rule"] = pd.Series(NOT_SPLIT_RULE, index=r.index, dtype="string")
        r["split_rule_code"] = pd.Series("not_split", index=r.index, dtype="string")
        amount_col = "amount_resolved"
    return _values(r, amount_col, rates, to)


def totals(
    funding: pd.DataFrame,
    projects: pd.DataFrame,
    by: str | list[str] | tuple[str, ...] = "source_type",
    rates: pd.DataFrame | None = None,
    to: str = "KGS",
    locations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Funding totals per group and per currency.

    Parameters
    ----------
    funding, projects
        The ``funding`` and ``projects`` layers.
    by
        One or more of :data:`FUNDING_DIMENSIONS`: ``source_name``,
        ``source_type``, ``sector``, ``year`` (project start, else end year),
        ``project_id``, ``oblast_pcode``, ``rayon_pcode``, ``aiyl_okmot_pcode``.
        An empty list gives totals per currency only.
    rates
        Optional rates table: amounts are converted to ``to`` first; rows that
        cannot be converted (no rate) stay in their own currency, in their own row.
    locations
        Optional table of project locations (``project_id``, place columns,
        ``location_pct``): when grouping by place, projects over several places
        are split by :func:`split_across_locations`. Without it each project
        counts wholly at its own record's P-code.

    Returns
    -------
    DataFrame
        Columns ``by…``, ``currency``, ``amount`` (sum; NA when no row of the
        group states an amount), ``n_rows``, ``n_with_amount``,
        ``n_without_amount``, ``n_from_share``, ``n_projects``, ``converted``
        (bool), ``rates_used`` and ``split_rule``. Groups with a missing key (no
        year, no place) are kept with an empty key.
    """
    keys = [by] if isinstance(by, str) else list(by)
    unknown = [k for k in keys if k not in FUNDING_DIMENSIONS]
    if unknown:
        raise SchemaError(key="err.funding.unknown_dimension", unknown=", ".join(map(str, unknown)),
                          dimensions=", ".join(FUNDING_DIMENSIONS))
    needs_split = any(k in PLACE_COLUMNS for k in keys)
    if needs_split and locations is not None:
        missing = [k for k in keys if k in PLACE_COLUMNS and k not in locations.columns]
        if missing:
            raise SchemaError(key="err.funding.no_total_column", columns=", ".join(map(str, missing)))
    frame = _prepared(funding, projects, locations, rates, to, needs_split)
    frame = frame.drop(columns="currency").rename(columns={"_currency": "currency"})
    out = _group(frame, [*keys, "currency", "converted"])
    return out[[*keys, "currency", "amount", "n_rows", "n_with_amount", "n_without_amount", "n_from_share",
                "n_projects", "converted", "rates_used", "split_rule"]]


# -- per beneficiary, flows, donors -------------------------------------------------------------


def funds_per_beneficiary(
    funding: pd.DataFrame,
    projects: pd.DataFrame,
    beneficiaries: pd.DataFrame,
    rates: pd.DataFrame | None = None,
    to: str = "KGS",
    beneficiary_column: str = "total",
) -> pd.DataFrame:
    """Funds per beneficiary for each project, per currency.

    ``per_beneficiary = amount / beneficiaries`` where ``amount`` is the sum of
    the project's stated (or share-derived) amounts in one currency (converted to
    ``to`` when ``rates`` are given) and ``beneficiaries`` is the project's
    ``beneficiary_column`` (default ``total``; e.g. ``households`` or
    ``students``). It is NA when either is missing or beneficiaries are 0.
    ``complete`` is False when some source of the project has no amount or its
    amounts are in more than one currency: the figure then understates the
    funds. Amounts are in ``currency`` (som for KGS).
    """
    frame = _prepared(funding, projects, None, rates, to, False)
    known = frame[frame["_value"].notna()]
    per = known.groupby(["project_id", "_currency"], dropna=False).agg(amount=("_value", "sum")).reset_index()
    per = per.rename(columns={"_currency": "currency"})
    stats = frame.groupby("project_id").agg(
        n_sources=("_value", "size"),
        n_sources_with_amount=("_value", "count"),
    )
    stats["n_sources_without_amount"] = stats["n_sources"] - stats["n_sources_with_amount"]
    stats["n_currencies"] = known.groupby("project_id")["_currency"].nunique().reindex(stats.index).fillna(0).astype("int64")
    stats = stats.reset_index()
    out = stats.merge(per, on="project_id", how="left")
    p = _prepare_projects(projects)
    out = _attach(out, p, ("title", "sector", "year"))
    b = pd.DataFrame(beneficiaries).drop(columns="geometry", errors="ignore").copy()
    if beneficiary_column not in b.columns and beneficiary_column == "total" and "beneficiaries_total" in b.columns:
        b = b.rename(columns={"beneficiaries_total": "total"})
    if beneficiary_column not in b.columns:
        raise SchemaError(key="err.table.no_column", table=Phrase("err.table.beneficiaries"),
                          column=str(beneficiary_column))
    b["project_id"] = b["project_id"].astype("string")
    b = b.drop_duplicates("project_id")
    out = out.merge(
        b[["project_id", beneficiary_column]].rename(columns={beneficiary_column: "beneficiaries"}), on="project_id", how="left"
    )
    out["beneficiaries"] = pd.to_numeric(out["beneficiaries"], errors="coerce").astype("Float64")
    out["amount"] = out["amount"].astype("Float64")
    positive = out["beneficiaries"].fillna(0) > 0
    out["per_beneficiary"] = (out["amount"] / out["beneficiaries"].where(positive, pd.NA)).astype("Float64")
    out["complete"] = (out["n_sources_without_amount"] == 0) & (out["n_currencies"] == 1)
    out["beneficiary_column"] = beneficiary_column
    return out[["project_id", "title", "sector", "year", "currency", "amount", "beneficiaries", "per_beneficiary",
                "beneficiary_column", "complete", "n_sources", "n_sources_without_amount", "n_currencies"]]


def sankey_flows(
    funding: pd.DataFrame,
    projects: pd.DataFrame,
    admin_units: pd.DataFrame | None = None,
    rates: pd.DataFrame | None = None,
    to: str = "KGS",
    donor_by: str = "source_name",
    name_col: str = "name_en",
    locations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Link table for a Sankey diagram: donor → sector → oblast, per currency.

    Only rows with an amount (stated or from a share) carry value; amounts are
    never added across currencies (convert with ``rates`` to get one currency;
    unconvertible rows keep their currency). With ``locations`` (must have
    ``oblast_pcode``) a project over several oblasts is split by
    :func:`split_across_locations`.

    Returns
    -------
    DataFrame
        ``stage`` (``donor_sector`` or ``sector_oblast``), ``source``, ``target``
        (labels; the oblast label is ``admin_units[name_col]`` when known, else
        the P-code; missing ones are :data:`UNKNOWN_LABEL`), ``source_kind``,
        ``target_kind`` (``donor``/``sector``/``oblast``), ``value`` (sum in
        ``currency``), ``currency``, ``n_projects``, ``split_rule``. For each
        sector and currency the flows in equal the flows out.
    """
    if donor_by not in ("source_name", "source_type"):
        raise SchemaError(key="err.funding.donor_by")
    frame = _prepared(funding, projects, locations, rates, to, locations is not None)
    frame = frame[frame["_value"].notna()].copy()
    labels = {}
    if admin_units is not None and len(admin_units):
        units = pd.DataFrame(admin_units).drop(columns="geometry", errors="ignore")
        col = name_col if name_col in units.columns else "pcode"
        labels = dict(zip(units["pcode"].astype(str), units[col].astype("string").fillna(units["pcode"].astype("string"))))
    oblast = frame["oblast_pcode"].astype("string")
    frame["_oblast"] = oblast.map(lambda v: labels.get(v, v) if pd.notna(v) else pd.NA).astype("string").fillna(UNKNOWN_LABEL)
    frame["_donor"] = frame[donor_by].astype("string").fillna(UNKNOWN_LABEL)
    frame["_sector"] = frame["sector"].astype("string").fillna(UNKNOWN_LABEL)
    links = []
    for stage, src, dst, skind, dkind in (
        ("donor_sector", "_donor", "_sector", "donor", "sector"),
        ("sector_oblast", "_sector", "_oblast", "sector", "oblast"),
    ):
        g = frame.groupby([src, dst, "_currency"], dropna=False).agg(
            value=("_value", "sum"), n_projects=("project_id", "nunique"), split_rule=("split_rule", _join)
        ).reset_index()
        g = g.rename(columns={src: "source", dst: "target", "_currency": "currency"})
        g.insert(0, "stage", stage)
        g["source_kind"], g["target_kind"] = skind, dkind
        links.append(g)
    out = pd.concat(links, ignore_index=True)
    out["value"] = out["value"].astype("Float64")
    return out[["stage", "source", "target", "source_kind", "target_kind", "value", "currency", "n_projects", "split_rule"]]


def select_funding(
    funding: pd.DataFrame, donor: str | None = None, source_type: str | None = None, match: str = "contains"
) -> pd.DataFrame:
    """The funding rows of one donor (``source_name``) and/or source type.

    ``match='contains'`` (default) keeps names containing ``donor``
    (case-insensitive, plain text, so "UNDP" finds "UNDP (initial)");
    ``match='exact'`` compares whole names, case-insensitive. ``source_type``
    is always compared exactly (case-insensitive).
    """
    f = _prepare_funding(funding)
    mask = pd.Series(True, index=f.index)
    if donor is not None and str(donor).strip():
        names = f["source_name"].str.strip().str.casefold()
        wanted = str(donor).strip().casefold()
        if match == "exact":
            mask &= (names == wanted).fillna(False)
        elif match == "contains":
            mask &= names.str.contains(wanted, regex=False).fillna(False)
        else:
            raise SchemaError(key="err.funding.match")
    if source_type is not None and str(source_type).strip():
        mask &= (f["source_type"].str.strip().str.casefold() == str(source_type).strip().casefold()).fillna(False)
    return pd.DataFrame(funding).loc[mask.to_numpy()].reset_index(drop=True)


@dataclass
class DonorSummary:
    """What :func:`donor_summary` returns: tables about one donor or donor type.

    All amounts are per ``currency`` (som for KGS) unless converted with a rates
    table; see each frame's ``rates_used`` and ``split_rule`` columns.
    """

    rows: pd.DataFrame
    totals: pd.DataFrame
    by_sector: pd.DataFrame
    by_year: pd.DataFrame
    by_oblast: pd.DataFrame
    per_beneficiary: pd.DataFrame
    n_projects: int


def donor_summary(
    funding: pd.DataFrame,
    projects: pd.DataFrame,
    beneficiaries: pd.DataFrame | None = None,
    donor: str | None = None,
    source_type: str | None = None,
    match: str = "contains",
    rates: pd.DataFrame | None = None,
    to: str = "KGS",
    locations: pd.DataFrame | None = None,
) -> DonorSummary:
    """Where one donor's (or donor type's) money went.

    ``rows`` are the selected funding rows with their project (title, sector,
    year, P-codes, village, settlement, location precision), resolved amount and
    the project's beneficiaries total. ``per_beneficiary`` divides the donor's
    own contribution to a project by all of that project's beneficiaries. The
    other frames are :func:`totals` over the selected rows.
    """
    selected = select_funding(funding, donor=donor, source_type=source_type, match=match)
    resolved = resolve_amounts(selected, projects)
    p = _prepare_projects(projects)
    extra = [c for c in ("village", "settlement_id", "location_precision") if c in p.columns]
    rows = _attach(resolved, p, (*_PROJECT_ATTRS, *extra))
    if beneficiaries is not None:
        b = pd.DataFrame(beneficiaries).drop(columns="geometry", errors="ignore").copy()
        if "total" not in b.columns and "beneficiaries_total" in b.columns:
            b = b.rename(columns={"beneficiaries_total": "total"})
        b["project_id"] = b["project_id"].astype("string")
        if "total" in b.columns:
            rows = rows.merge(b[["project_id", "total"]].drop_duplicates("project_id").rename(columns={"total": "beneficiaries_total"}),
                              on="project_id", how="left")
        per_ben = funds_per_beneficiary(selected, projects, b, rates=rates, to=to)
    else:
        per_ben = pd.DataFrame()
    return DonorSummary(
        rows=rows,
        totals=totals(selected, projects, by=[], rates=rates, to=to),
        by_sector=totals(selected, projects, by="sector", rates=rates, to=to),
        by_year=totals(selected, projects, by="year", rates=rates, to=to),
        by_oblast=totals(selected, projects, by="oblast_pcode", rates=rates, to=to, locations=locations),
        per_beneficiary=per_ben,
        n_projects=int(rows["project_id"].nunique()),
    )
