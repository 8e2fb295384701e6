"""Currencies and conversion with a rates table the user can edit.

Amounts are kept in the currency they were stated in (KGS som, USD, EUR). They are
added up only within one currency; to add across currencies they are first
converted with :func:`convert`, which says next to every number which rate (and
rate date) was used. A currency without a rate is never guessed: its converted
amount stays empty (NA) and ``conversion_note`` says why.

The rates table
---------------
One row per rate, columns:

``currency``
    ISO 4217 code (``KGS``, ``USD``, ``EUR``).
``per_kgs``
    Som (KGS) per one unit of the currency, e.g. ``38.5`` for USD. Empty = no rate.
``rate_date``
    When the rate applies (ISO date or year, e.g. ``2006`` or ``2019-06-30``).
``source``
    Where the rate comes from (document reference, bank, user).
``note``
    Anything a reader should know (``approximately``).

Several rows may exist for one currency with different dates; :func:`convert`
then takes the one closest to each amount's date (or the latest without dates).

The default table (:data:`DEFAULT_RATES`) holds only what the source documents
state: US $1 = 38.5 som, "approximately", from the 2006 handbook glossary
(``001:40``). The documents give no euro rate, so EUR is listed without one.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError, SchemaError

__all__ = [
    "RATE_COLUMNS",
    "DEFAULT_RATES",
    "default_rates",
    "validate_rates",
    "load_rates",
    "save_rates",
    "rates_or_default",
    "convert",
    "summarise_conversion",
]

RATE_COLUMNS = ("currency", "per_kgs", "rate_date", "source", "note")

#: Notes written into ``conversion_note`` (stable English codes the UI may translate).
NOTE_SAME = "same currency"
NOTE_CONVERTED = "converted"
NOTE_NO_AMOUNT = "amount not stated"
NOTE_NO_CURRENCY = "currency not stated"
NOTE_NO_RATE = "no rate for {currency} in the rates table"
NOTE_NO_TARGET_RATE = "no rate for the target currency {currency} in the rates table"

_CODE = re.compile(r"^[A-Z]{3}$")
_YEAR = re.compile(r"(\d{4})")


def default_rates() -> pd.DataFrame:
    """The rates stated in the source documents (a fresh copy).

    Returns
    -------
    DataFrame
        KGS (1 som per som), USD (38.5 som per dollar, approximately, about 2006,
        handbook glossary ``001:40``) and EUR without a rate: the documents state
        none, so converting euros gives NA until a user enters a dated rate.
    """
    frame = pd.DataFrame(
        {
            "currency": ["KGS", "USD", "EUR"],
            "per_kgs": [1.0, 38.5, np.nan],
            "rate_date": ["", "2006", ""],
            "source": ["definition", "001:40 (handbook glossary)", ""],
            "note": [
                "the som itself",
                "approximately, about 2006 (001:40); the documents give no rate for 2018-2022",
                "no rate in the source documents; enter one with its date before converting euros",
            ],
        }
    )
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["currency"] = out["currency"].astype("string")
    out["per_kgs"] = pd.to_numeric(out["per_kgs"], errors="coerce").astype("Float64")
    for col in ("rate_date", "source", "note"):
        out[col] = out[col].astype("string").fillna("")
    return out[list(RATE_COLUMNS)].reset_index(drop=True)


#: The default rates table (do not modify in place; use :func:`default_rates`).
DEFAULT_RATES = default_rates()


def _rows(rows: list[int]) -> str:
    """Row numbers (counted from 1) for a message: ``2, 5``."""
    return ", ".join(str(r) for r in rows)


def validate_rates(rates: pd.DataFrame) -> pd.DataFrame:
    """Check and tidy a rates table; return a new, typed frame.

    Currency codes are stripped and upper-cased. ``per_kgs`` must be a positive
    number or empty. KGS, if listed, must be 1 (it is added when missing).
    Optional columns (``rate_date``, ``source``, ``note``) are added empty.

    Raises
    ------
    SchemaError
        With a message naming the bad rows, e.g. a rate written as text or a
        negative rate.
    """
    if "currency" not in rates.columns or "per_kgs" not in rates.columns:
        raise SchemaError(key="err.rates.columns", columns=", ".join(map(str, rates.columns)) or "—")
    frame = pd.DataFrame(rates).copy()
    for col in RATE_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    frame["currency"] = frame["currency"].astype("string").str.strip().str.upper()
    bad_code = frame["currency"].isna() | ~frame["currency"].fillna("").str.match(_CODE)
    if bad_code.any():
        rows = [int(i) + 1 for i in np.flatnonzero(bad_code.to_numpy())]
        raise SchemaError(key="err.rates.bad_code", rows=_rows(rows))
    raw = frame["per_kgs"]
    text = raw.astype("string").str.strip().str.replace(",", ".", regex=False)
    number = pd.to_numeric(text.replace("", pd.NA), errors="coerce")
    unreadable = text.fillna("").ne("") & number.isna()
    if unreadable.any():
        rows = [int(i) + 1 for i in np.flatnonzero(unreadable.to_numpy())]
        raise SchemaError(key="err.rates.not_a_number", rows=_rows(rows))
    nonpositive = number.notna() & (number <= 0)
    if nonpositive.any():
        rows = [int(i) + 1 for i in np.flatnonzero(nonpositive.to_numpy())]
        raise SchemaError(key="err.rates.not_positive", rows=_rows(rows))
    frame["per_kgs"] = number
    kgs = frame["currency"] == "KGS"
    if (kgs & frame["per_kgs"].notna() & (frame["per_kgs"] != 1)).any():
        raise SchemaError(key="err.rates.kgs_not_one")
    frame.loc[kgs, "per_kgs"] = 1.0
    if not kgs.any():
        frame = pd.concat([default_rates().iloc[[0]], frame], ignore_index=True)
    return _typed(frame)


def load_rates(path: str | Path) -> pd.DataFrame:
    """Read a rates table from a UTF-8 CSV file (columns as in :data:`RATE_COLUMNS`).

    Raises :class:`~geo.errors.InputError` if the file is missing and
    :class:`~geo.errors.SchemaError` if its content is not a valid rates table.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(key="err.rates.no_file", path=str(path))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return validate_rates(frame)


def save_rates(rates: pd.DataFrame, path: str | Path) -> Path:
    """Validate and write a rates table as UTF-8 CSV; returns the path."""
    path = Path(path)
    frame = validate_rates(rates)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def rates_or_default(path: str | Path | None) -> pd.DataFrame:
    """The rates saved at ``path``, or :func:`default_rates` when there is no such file."""
    if path is None or not Path(path).exists():
        return default_rates()
    return load_rates(path)


def _year_of(values: pd.Series) -> pd.Series:
    """The first four-digit year in each value (dates, years or numbers), as float."""
    text = values.astype("string")
    text = text.str.replace(r"\.0$", "", regex=True)
    return pd.to_numeric(text.str.extract(_YEAR, expand=False), errors="coerce").astype("float64")


def _pick(rates: pd.DataFrame, currency: pd.Series, when: pd.Series | None) -> pd.DataFrame:
    """One rate per element of ``currency``: nearest in date to ``when``, else the latest.

    Returns a frame aligned with ``currency`` with ``per_kgs`` and ``rate_date``.
    Rates without a value are used only when no valued rate exists for the currency.
    """
    left = pd.DataFrame({"_row": np.arange(len(currency)), "currency": currency.astype("string").to_numpy()})
    left["_when"] = _year_of(when).to_numpy() if when is not None else np.nan
    cand = rates[["currency", "per_kgs", "rate_date"]].copy()
    cand["_year"] = _year_of(cand["rate_date"])
    cand["_has"] = cand["per_kgs"].notna()
    merged = left.merge(cand, on="currency", how="left")
    gap = (merged["_when"] - merged["_year"]).abs()
    # Sort keys: valued rates first, then the nearest date (unknown dates last), then the latest.
    merged["_k1"] = ~merged["_has"].fillna(False).astype(bool)
    merged["_k2"] = gap.fillna(np.inf)
    merged["_k3"] = -merged["_year"].fillna(-np.inf)
    merged = merged.sort_values(["_row", "_k1", "_k2", "_k3"], kind="stable")
    first = merged.drop_duplicates("_row").set_index("_row").reindex(np.arange(len(currency)))
    out = pd.DataFrame(
        {"per_kgs": first["per_kgs"].astype("Float64").to_numpy(), "rate_date": first["rate_date"].astype("string").to_numpy()},
        index=currency.index,
    )
    return out


def convert(
    amounts: pd.DataFrame,
    rates: pd.DataFrame | None = None,
    to: str = "KGS",
    amount_col: str = "amount",
    currency_col: str = "currency",
    date_col: str | None = None,
) -> pd.DataFrame:
    """Convert amounts to one currency, row by row, saying which rate was used.

    Parameters
    ----------
    amounts
        Any frame with an amount column and a currency column (ISO codes).
    rates
        A rates table (see module docstring); default :func:`default_rates`.
    to
        Target currency code (default ``KGS``, som).
    amount_col, currency_col
        Column names of the amount and its currency.
    date_col
        Optional column with each amount's date or year; where a currency has
        several rates, the one with the nearest ``rate_date`` is used.

    Returns
    -------
    DataFrame
        A copy of ``amounts`` with

        * ``amount_converted`` — amount in ``to`` (Float64); NA when the amount,
          the currency or a needed rate is missing (never a guessed rate);
        * ``currency_converted`` — ``to``;
        * ``rate_used`` — units of ``to`` per one unit of the stated currency
          (``per_kgs`` of the currency divided by ``per_kgs`` of ``to``); 1 for
          the same currency;
        * ``rate_date`` — the date of the rate(s) used (``"2006"``; for a cross
          rate both dates as ``"<from> / <to>"``);
        * ``conversion_note`` — ``same currency``, ``converted``,
          ``amount not stated``, ``currency not stated`` or
          ``no rate for EUR in the rates table``.

    Examples
    --------
    >>> out = convert(pd.DataFrame({"amount": [100.0], "currency": ["USD"]}))
    >>> float(out["amount_converted"][0]), float(out["rate_used"][0]), out["rate_date"][0]
    (3850.0, 38.5, '2006')
    """
    to = str(to).strip().upper()
    table = validate_rates(default_rates() if rates is None else rates)
    out = amounts.copy()
    amount = pd.to_numeric(out[amount_col], errors="coerce").astype("Float64")
    currency = out[currency_col].astype("string").str.strip().str.upper()
    when = out[date_col] if date_col is not None else None

    src = _pick(table, currency, when)
    target = _pick(table, pd.Series([to] * len(out), index=out.index, dtype="string"), when)

    same = (currency == to).fillna(False).astype(bool)
    rate = (src["per_kgs"] / target["per_kgs"]).astype("Float64")
    rate = rate.mask(same, 1.0)
    converted = (amount * rate).astype("Float64")

    date = src["rate_date"].fillna("")
    tdate = target["rate_date"].fillna("")
    both = (date != "") & (tdate != "") & (to != "KGS")
    date = date.where(~both, date + " / " + tdate)
    date = date.mask((date == "") & (to != "KGS"), tdate)
    date = date.mask(same | rate.isna(), pd.NA).replace("", pd.NA).astype("string")

    note = pd.Series(NOTE_CONVERTED, index=out.index, dtype="string")
    note = note.mask(same, NOTE_SAME)
    no_target = target["per_kgs"].isna() & ~same
    note = note.mask(no_target, NOTE_NO_TARGET_RATE.format(currency=to))
    no_src = src["per_kgs"].isna() & ~same
    note = note.mask(no_src, "no rate for " + currency.fillna("?") + " in the rates table")
    note = note.mask(currency.isna(), NOTE_NO_CURRENCY)
    note = note.mask(amount.isna(), NOTE_NO_AMOUNT)

    unusable = currency.isna() | amount.isna()
    out["amount_converted"] = converted.mask(unusable, pd.NA)
    out["currency_converted"] = pd.Series(to, index=out.index, dtype="string")
    out["rate_used"] = rate.mask(currency.isna(), pd.NA)
    out["rate_date"] = date
    out["conversion_note"] = note
    return out


def summarise_conversion(converted: pd.DataFrame, amount_col: str = "amount", currency_col: str = "currency") -> pd.DataFrame:
    """Per stated currency: how much was stated, converted, and left out.

    Takes the output of :func:`convert`. Returns one row per stated currency with
    ``amount_stated`` (in that currency), ``amount_converted`` (in the target),
    ``rate_used``, ``rate_date``, ``n_rows``, ``n_converted`` and
    ``n_not_converted`` so a total can be shown with the rows it leaves out.
    """
    frame = converted.copy()
    frame["_cur"] = frame[currency_col].astype("string").str.strip().str.upper()
    frame["_ok"] = frame["amount_converted"].notna()
    frame["_stated"] = pd.to_numeric(frame[amount_col], errors="coerce").astype("Float64")
    grouped = frame.groupby("_cur", dropna=False, sort=True)
    out = pd.DataFrame(
        {
            "amount_stated": grouped["_stated"].sum(min_count=1),
            "amount_converted": grouped["amount_converted"].sum(min_count=1),
            "rate_used": grouped["rate_used"].first(),
            "rate_date": grouped["rate_date"].first(),
            "n_rows": grouped.size(),
            "n_converted": grouped["_ok"].sum(),
        }
    )
    out["n_not_converted"] = out["n_rows"] - out["n_converted"]
    out.index.name = "currency"
    return out.reset_index()
