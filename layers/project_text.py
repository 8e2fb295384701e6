"""Ready-to-show text about projects (place, years, funding, beneficiaries) in a language."""
from __future__ import annotations

import pandas as pd

from geo.i18n import format_number, t


def _clean(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def place_text(projects: pd.DataFrame) -> pd.Series:
    """'village, aiyl okmot, rayon, oblast' as written in the source, empty parts skipped."""
    columns = [projects[c].astype("string").fillna("").str.strip().tolist()
               for c in ("village", "aiyl_okmot_name", "rayon_name", "oblast_name")]
    return pd.Series([", ".join(p for p in parts if p) for parts in zip(*columns)], index=projects.index, dtype=object)


def years_text(projects: pd.DataFrame) -> pd.Series:
    """'2014', '2014–2016' or '' when no year is known."""
    start = projects["year_start"].map(_clean)
    end = projects["year_end"].map(_clean)
    return pd.Series(
        [s if (not e or e == s) else (f"{s}–{e}" if s else f"–{e}") for s, e in zip(start, end)],
        index=projects.index,
    )


def funding_text(projects: pd.DataFrame, funding: pd.DataFrame, lang: str) -> pd.Series:
    """Each project's sources as 'name: 250 000 KGS; name: 48 %; name (amount not stated)'."""
    if funding.empty:
        return pd.Series("", index=projects.index)
    f = funding.copy()
    amount = [
        f"{format_number(a, lang)} {c}" if pd.notna(a) else (f"{format_number(s, lang)} %" if pd.notna(s) else t("amount_not_stated", lang))
        for a, c, s in zip(f["amount"], f["currency"].fillna(""), f["share_pct"])
    ]
    f["line"] = f["source_name"].fillna("?").astype(str) + ": " + pd.Series(amount, index=f.index)
    joined = f.groupby("project_id")["line"].agg("; ".join)
    return projects["project_id"].map(joined).fillna("")


BENEFICIARY_FIELDS = ("total", "households", "women", "men", "children", "students")


def beneficiaries_text(projects: pd.DataFrame, beneficiaries: pd.DataFrame, lang: str) -> pd.Series:
    """'households 143, women 109, …' with only the figures that are known."""
    if beneficiaries.empty:
        return pd.Series("", index=projects.index)
    b = beneficiaries.set_index("project_id")
    lines = {}
    for pid, row in b.iterrows():
        bits = [f"{t('beneficiaries.' + k, lang)} {format_number(row[k], lang)}" for k in BENEFICIARY_FIELDS if pd.notna(row[k])]
        lines[pid] = ", ".join(bits)
    return projects["project_id"].map(lines).fillna("")


def popup_table(projects: pd.DataFrame, funding: pd.DataFrame, beneficiaries: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The popup lines (layers.project_markers.POPUP_FIELDS) for each project."""
    precision = projects["location_precision"].map(
        lambda code: f"{int(code)} — {t(f'precision.{int(code)}', lang)}" if pd.notna(code) else t("unknown", lang)
    )
    return pd.DataFrame({
        "place": place_text(projects),
        "sector": projects["sector"].map(lambda s: t(f"sector.{s}", lang) if isinstance(s, str) else ""),
        "years": years_text(projects),
        "precision": precision,
        "funding": funding_text(projects, funding, lang),
        "beneficiaries": beneficiaries_text(projects, beneficiaries, lang),
        "source": projects["source_ref"].map(_clean),
    }, index=projects.index)
