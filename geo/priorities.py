"""Joint action plan (JAP) priorities: a small register a planner can read and extend.

The register is a table, one row per priority issue of a unit in a year:

``unit_pcode``
    P-code of the aiyl okmot (empty until level-3 boundaries are imported).
``unit_name``
    Name of the unit as the source gives it (``Kara-Suu AA``).
``rayon_pcode``, ``oblast_pcode``
    The unit's rayon and oblast P-codes, to tell same-named units apart.
``year``
    Year of the plan (integer).
``rank``
    Position of the issue in that year's list (1 = first).
``priority``
    The issue in the source's words (``drinking water``).
``sector``
    Project sector it corresponds to (``water_supply``), or empty. This mapping is
    Aimak Atlas's, not the source's.
``source_ref``
    Where the row comes from (``004:122-129``, a council resolution …).
``note``
    Anything else.

The shipped register ``data/seed/jap_priorities.csv`` holds the Kara-Suu AA
(Kochkor rayon, Naryn oblast) lists for 2018, 2019 and 2021 from the Kara-Suu
presentation (``004:122-129``); ``rank`` there is the order in which the
presentation lists the issues. Functions here never change a frame in place:
they return a new one.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from geo.errors import InputError, Join, Phrase, SchemaError
from geo.settings import DATA_DIR

__all__ = [
    "REGISTER_COLUMNS",
    "PRIORITIES_FILE",
    "validate_priorities",
    "load_priorities",
    "save_priorities",
    "append_priorities",
    "priorities_for",
    "priorities_by_year",
    "match_projects",
]

REGISTER_COLUMNS = (
    "unit_pcode", "unit_name", "rayon_pcode", "oblast_pcode", "year", "rank", "priority", "sector", "source_ref", "note",
)
_TEXT = ("unit_pcode", "unit_name", "rayon_pcode", "oblast_pcode", "priority", "sector", "source_ref", "note")

#: The shipped register.
PRIORITIES_FILE = DATA_DIR / "seed" / "jap_priorities.csv"

_SUFFIX = re.compile(r"\b(aa|ao|aiyl aimak|aiyl okmotu|aiyl okmot|ayil okmot|ayil okmotu|lsg|aimak)\b")


def _unit_key(frame: pd.DataFrame) -> pd.Series:
    """P-code where given, else ``name:<normalised name>@<rayon P-code>``."""
    return frame["unit_pcode"].where(
        frame["unit_pcode"].notna(), "name:" + _norm_name(frame["unit_name"]) + "@" + frame["rayon_pcode"].fillna("")
    )


def _norm_name(names: pd.Series) -> pd.Series:
    """Name without 'AA'/'AO'/'aiyl okmotu' …, case, spaces and hyphens: 'Kara-Suu AA' → 'karasuu'."""
    text = names.astype("string").str.casefold().str.replace(_SUFFIX, "", regex=True)
    return text.str.replace(r"[^0-9a-zа-яёөүң]", "", regex=True)


def validate_priorities(frame: pd.DataFrame) -> pd.DataFrame:
    """Check and type a register; returns a new frame with :data:`REGISTER_COLUMNS`.

    Every row needs a ``priority``, a ``year`` (1991–2100) and a unit
    (``unit_pcode`` or ``unit_name``). ``rank`` must be a whole number ≥ 1 or
    empty. Within one unit and year, a priority or a rank may appear only once.

    Raises
    ------
    SchemaError
        Naming the rows (1-based) that break a rule.
    """
    out = pd.DataFrame(frame).copy()
    for col in REGISTER_COLUMNS:
        if col not in out.columns:
            out[col] = pd.NA
    for col in _TEXT:
        out[col] = out[col].astype("string").str.strip().replace("", pd.NA)
    problems = []

    def rows(mask) -> str:
        return ", ".join(str(i + 1) for i, bad in enumerate(mask.to_numpy()) if bad)

    if (bad := out["priority"].isna()).any():
        problems.append(Phrase("err.priorities.no_priority", rows=rows(bad)))
    if (bad := out["unit_pcode"].isna() & out["unit_name"].isna()).any():
        problems.append(Phrase("err.priorities.no_unit", rows=rows(bad)))
    year = pd.to_numeric(out["year"], errors="coerce")
    if (bad := year.isna() | (year % 1 != 0) | (year < 1991) | (year > 2100)).any():
        problems.append(Phrase("err.priorities.year", rows=rows(bad)))
    rank = pd.to_numeric(out["rank"], errors="coerce")
    rank_given = out["rank"].astype("string").str.strip().replace("", pd.NA).notna()
    if (bad := rank_given & (rank.isna() | (rank % 1 != 0) | (rank < 1))).any():
        problems.append(Phrase("err.priorities.rank", rows=rows(bad)))
    if problems:
        raise SchemaError(key="err.priorities.invalid", problems=Join(problems, "; "))
    out["year"] = year.astype("Int64")
    out["rank"] = rank.astype("Int64")
    key = _unit_key(out)
    dup_priority = pd.DataFrame({"k": key, "y": out["year"], "p": out["priority"].str.casefold()}).duplicated(keep="first")
    if dup_priority.any():
        problems.append(Phrase("err.priorities.repeat_priority", rows=rows(dup_priority)))
    ranked = out["rank"].notna()
    dup_rank = pd.DataFrame({"k": key, "y": out["year"], "r": out["rank"]})[ranked].duplicated(keep="first")
    if dup_rank.any():
        problems.append(Phrase("err.priorities.repeat_rank",
                               rows=", ".join(str(i + 1) for i in dup_rank[dup_rank].index)))
    if problems:
        raise SchemaError(key="err.priorities.invalid", problems=Join(problems, "; "))
    return out[list(REGISTER_COLUMNS)].reset_index(drop=True)


def load_priorities(path: str | Path = PRIORITIES_FILE) -> pd.DataFrame:
    """Read and validate a register CSV (UTF-8); default the shipped one."""
    path = Path(path)
    if not path.exists():
        raise InputError(key="err.priorities.no_file", path=str(path))
    return validate_priorities(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8"))


def save_priorities(register: pd.DataFrame, path: str | Path) -> Path:
    """Validate and write a register as UTF-8 CSV; returns the path."""
    path = Path(path)
    frame = validate_priorities(register)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def append_priorities(register: pd.DataFrame, rows: pd.DataFrame | Iterable[Mapping]) -> pd.DataFrame:
    """A new register with ``rows`` added after validation (the input is not changed).

    Rows without a ``rank`` are numbered after the last rank of their unit and
    year, in the order given. Raises :class:`~geo.errors.SchemaError` when a row
    is incomplete or repeats a priority or rank of its unit and year.

    Examples
    --------
    >>> reg = append_priorities(pd.DataFrame(columns=REGISTER_COLUMNS),
    ...     [{"unit_name": "Kara-Suu AA", "year": 2022, "priority": "drinking water", "source_ref": "aiyl kenesh"}])
    >>> int(reg["rank"][0])
    1
    """
    base = validate_priorities(register)
    new = pd.DataFrame(rows if isinstance(rows, pd.DataFrame) else list(rows)).copy()
    if new.empty:
        return base
    for col in REGISTER_COLUMNS:
        if col not in new.columns:
            new[col] = pd.NA
    for col in _TEXT:
        new[col] = new[col].astype("string").str.strip().replace("", pd.NA)
    try:
        validate_priorities(new)
    except SchemaError as exc:
        raise SchemaError(key="err.priorities.new_invalid", problems=exc.fields.get("problems", str(exc))) from None
    new["year"] = pd.to_numeric(new["year"], errors="coerce")
    rank_text = new["rank"].astype("string").str.strip().replace("", pd.NA)
    new["rank"] = pd.to_numeric(rank_text, errors="coerce").where(rank_text.notna(), pd.NA)
    # Number unranked rows after the highest rank of their unit and year.
    new_key = _unit_key(new)
    old_max = base.assign(_k=_unit_key(base)).groupby(["_k", "year"])["rank"].max()
    keys = pd.MultiIndex.from_arrays([new_key, new["year"].astype("Int64")])
    start = pd.Series(old_max.reindex(keys).to_numpy(), index=new.index).astype("Float64").fillna(0)
    given_max = new.assign(_k=new_key).groupby(["_k", "year"])["rank"].transform("max").astype("Float64").fillna(0)
    start = start.where(start >= given_max, given_max)
    unranked = new["rank"].isna()
    order = new[unranked].assign(_k=new_key[unranked]).groupby(["_k", "year"]).cumcount() + 1
    new.loc[unranked, "rank"] = (start[unranked] + order).astype("float64")
    return validate_priorities(pd.concat([base, new[list(REGISTER_COLUMNS)].astype({"year": "float64"})], ignore_index=True))


def priorities_for(
    register: pd.DataFrame, unit_pcode: str | None = None, unit_name: str | None = None, rayon_pcode: str | None = None
) -> pd.DataFrame:
    """The priorities of one unit, sorted by year and rank.

    Matches ``unit_pcode`` exactly, or else ``unit_name`` ignoring case, spaces,
    hyphens and suffixes such as "AA", "AO", "aiyl okmotu" (so "Kara-Suu AA"
    matches "Kara-Suu"); give ``rayon_pcode`` to tell same-named units apart
    (Kara-Suu AA in Kochkor rayon is not Kara-Suu rayon in Osh oblast).
    """
    reg = validate_priorities(register)
    mask = pd.Series(False, index=reg.index)
    if unit_pcode:
        mask |= (reg["unit_pcode"] == str(unit_pcode).strip()).fillna(False)
    if unit_name:
        wanted = _norm_name(pd.Series([unit_name], dtype="string"))[0]
        mask |= (_norm_name(reg["unit_name"]) == wanted).fillna(False)
    if rayon_pcode:
        mask &= (reg["rayon_pcode"] == rayon_pcode).fillna(True)
    return reg[mask.to_numpy()].sort_values(["year", "rank"], kind="stable").reset_index(drop=True)


def priorities_by_year(rows: pd.DataFrame) -> pd.DataFrame:
    """Priorities (rows) × years (columns) with the rank as value, NA where not listed.

    Give it the output of :func:`priorities_for` for one unit. Rows are ordered by
    the best rank an issue ever had, then by name.
    """
    if rows.empty:
        return pd.DataFrame()
    table = rows.pivot_table(index="priority", columns="year", values="rank", aggfunc="min")
    table = table.astype("Int64")
    order = table.min(axis=1).sort_values(kind="stable")
    table = table.loc[order.index]
    table.columns.name = "year"
    return table


def match_projects(rows: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """For each priority row, the projects of the same unit and sector.

    A project belongs to the unit when its ``aiyl_okmot_pcode`` equals the row's
    ``unit_pcode``, or (without P-codes) when its ``aiyl_okmot_name`` matches
    ``unit_name`` as in :func:`priorities_for` and, where both are known, its
    ``rayon_pcode`` too. Priorities without a ``sector`` get no match. Adds
    ``n_projects`` (0 when none matched) and ``project_ids`` (``;``-separated);
    this shows what exists, not that the priority was met.
    """
    reg = rows.copy().reset_index(drop=True)
    reg["_row"] = reg.index
    p = pd.DataFrame(projects).drop(columns="geometry", errors="ignore").copy()
    for col in ("project_id", "sector", "aiyl_okmot_pcode", "aiyl_okmot_name", "rayon_pcode"):
        if col not in p.columns:
            p[col] = pd.NA
        p[col] = p[col].astype("string")
    p["_name"] = _norm_name(p["aiyl_okmot_name"])
    reg["_name"] = _norm_name(reg["unit_name"].astype("string"))
    # pandas joins missing keys to each other, so rows without a key are left out first.
    by_code = reg[reg["unit_pcode"].notna() & reg["sector"].notna()].merge(
        p.loc[p["aiyl_okmot_pcode"].notna(), ["project_id", "sector", "aiyl_okmot_pcode"]],
        left_on=["unit_pcode", "sector"], right_on=["aiyl_okmot_pcode", "sector"], how="inner",
    )
    by_name = reg[reg["unit_pcode"].isna() & reg["_name"].notna() & reg["sector"].notna()].merge(
        p.loc[p["_name"].notna() & p["sector"].notna(), ["project_id", "sector", "_name", "rayon_pcode"]].rename(
            columns={"rayon_pcode": "_p_rayon"}
        ),
        on=["_name", "sector"], how="inner",
    )
    same_rayon = by_name["rayon_pcode"].isna() | by_name["_p_rayon"].isna() | (by_name["rayon_pcode"] == by_name["_p_rayon"])
    hits = pd.concat([by_code[["_row", "project_id"]], by_name.loc[same_rayon.fillna(True).to_numpy(), ["_row", "project_id"]]])
    hits = hits[hits["project_id"].notna()].drop_duplicates()
    agg = hits.sort_values("project_id").groupby("_row")["project_id"].agg(["size", lambda s: ";".join(s)])
    agg.columns = ["n_projects", "project_ids"]
    out = reg.join(agg, on="_row")
    out["n_projects"] = out["n_projects"].fillna(0).astype("int64")
    out["project_ids"] = out["project_ids"].astype("string")
    return out.drop(columns=["_row", "_name"])
