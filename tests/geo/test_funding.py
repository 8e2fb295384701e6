"""Funding rules on hand-made fixtures, and checks against the seed documents (projects.csv)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from geo.currency import default_rates
from geo.errors import SchemaError
from geo.funding import (
    donor_summary,
    funds_per_beneficiary,
    project_locations,
    resolve_amounts,
    sankey_flows,
    select_funding,
    split_across_locations,
    totals,
)

SEED = Path(__file__).resolve().parents[2] / "data" / "seed" / "projects.csv"


# -- a minimal, independent reading of the seed CSV (FACTS.md conventions) -------------------


def _source_type(name: str) -> str:
    text = name.casefold()
    if "republican budget" in text:
        return "republican budget"
    if "local budget" in text or "aiyl okmot" in text or "lsg" in text:
        return "local budget"
    if "youth" in text or "parents" in text or "community" in text:
        return "community contribution"
    if "charit" in text or "company" in text or "jsc" in text:
        return "private"
    return "donor grant"


@pytest.fixture(scope="module")
def seed():
    raw = pd.read_csv(SEED, dtype=str, keep_default_na=False)
    cost = raw["total_cost"].str.extract(r"^([0-9]+(?:\.[0-9]+)?) (KGS|USD|EUR)\b")
    projects = pd.DataFrame(
        {
            "project_id": raw["id"],
            "title": raw["project_name"],
            "sector": raw["sector"].replace("", pd.NA),
            "year_start": pd.to_numeric(raw["year_start"], errors="coerce"),
            "year_end": pd.to_numeric(raw["year_end"], errors="coerce"),
            # Names stand in for P-codes: enough to group by place.
            "oblast_pcode": raw["oblast"].replace("", pd.NA),
            "rayon_pcode": raw["rayon"].replace("", pd.NA),
            "aiyl_okmot_pcode": raw["aiyl_okmot"].replace("", pd.NA),
            "village": raw["village"].replace("", pd.NA),
            "total_cost": pd.to_numeric(cost[0], errors="coerce"),
            "total_cost_currency": cost[1],
        }
    )
    entries = raw[["id", "funding_sources"]].assign(entry=raw["funding_sources"].str.split(";")).explode("entry")
    entries = entries[entries["entry"].str.strip() != ""]
    parts = entries["entry"].str.rsplit(":", n=2, expand=True)
    share = parts[1].str.fullmatch(r"[0-9.]+%") & (parts[2] == "share")
    funding = pd.DataFrame(
        {
            "funding_id": [f"F{i:03d}" for i in range(len(entries))],
            "project_id": entries["id"].to_numpy(),
            "source_name": parts[0].str.strip().to_numpy(),
            "amount": pd.to_numeric(parts[1].where(~share), errors="coerce").to_numpy(),
            "currency": parts[2].where(parts[2].isin(["KGS", "USD", "EUR"])).to_numpy(),
            "share_pct": pd.to_numeric(parts[1].where(share).str.rstrip("%"), errors="coerce").to_numpy(),
        }
    )
    funding["source_type"] = funding["source_name"].map(_source_type)
    beneficiaries = pd.DataFrame(
        {"project_id": raw["id"], "total": pd.to_numeric(raw["beneficiaries_total"], errors="coerce"),
         "households": pd.to_numeric(raw["households"], errors="coerce")}
    )
    return raw, projects, funding, beneficiaries


def _project_total(funding, projects, pid, **kw):
    out = totals(funding[funding["project_id"] == pid], projects, by="project_id", **kw)
    return out.set_index("currency")


# -- seed checks ------------------------------------------------------------------------------


def test_mantysh_new_school_totals_three_sources(seed):
    raw, projects, funding, _ = seed
    pid = raw.loc[raw["project_name"].str.contains("new school for 240 students in Mantysh"), "id"].item()
    out = _project_total(funding, projects, pid)
    assert list(out.index) == ["KGS"]
    assert out.loc["KGS", "amount"] == 6_970_000 + 9_758_000 + 524_000
    assert out.loc["KGS", "n_rows"] == 3 and out.loc["KGS", "n_without_amount"] == 0


def test_kara_suu_club_hall_adds_up_to_its_stated_total(seed):
    raw, projects, funding, _ = seed
    pid = raw.loc[raw["project_name"].str.contains("hall in the village club of Mantysh"), "id"].item()
    out = _project_total(funding, projects, pid)
    assert out.loc["KGS", "amount"] == 150_000 + 1_000_000
    stated = projects.set_index("project_id").loc[pid, "total_cost"]
    assert out.loc["KGS", "amount"] == stated


def test_donor_summary_finds_assanabil_in_mantysh(seed):
    _, projects, funding, beneficiaries = seed
    summary = donor_summary(funding, projects, beneficiaries, donor="assanabil")
    assert summary.n_projects == 1
    assert summary.totals.set_index("currency").loc["KGS", "amount"] == 6_970_000
    assert summary.rows["village"].tolist() == ["Mantysh"]
    assert summary.by_oblast["oblast_pcode"].tolist() == ["Naryn"]


def test_airy_tam_pipe_sources_have_no_amount_so_total_stays_missing(seed):
    raw, projects, funding, _ = seed
    pid = raw.loc[raw["project_name"].str.contains("pipe to Airy-Tam"), "id"].item()
    out = totals(funding[funding["project_id"] == pid], projects, by="project_id")
    assert len(out) == 1
    assert pd.isna(out["amount"].iloc[0])  # not 0
    assert out["n_without_amount"].iloc[0] == 3


def test_undp_shares_stay_shares_without_total(seed):
    """P157: UNDP 48% / local 52% (001:7366); no project total, so no amounts appear."""
    _, projects, funding, _ = seed
    rows = resolve_amounts(funding[funding["project_id"] == "P157"], projects)
    undp = rows[rows["source_name"] == "UNDP (initial)"].iloc[0]
    assert undp["share_pct"] == 48
    assert pd.isna(undp["amount_resolved"]) and undp["amount_basis"] == "share_only"
    assert not rows["from_share"].any()


def test_share_becomes_amount_when_total_is_known(seed):
    """P036: CBOs and local authorities over 60% of KGS 63,000,000 (000:303)."""
    _, projects, funding, _ = seed
    rows = resolve_amounts(funding[funding["project_id"] == "P036"], projects)
    row = rows.iloc[0]
    assert row["amount_basis"] == "from_share" and bool(row["from_share"])
    assert row["amount_resolved"] == pytest.approx(0.60 * 63_000_000)
    assert row["currency_resolved"] == "KGS" and row["total_cost_currency_basis"] == "stated"
    assert pd.isna(row["amount"])  # the stated amount column is left as it was


def test_mixed_currencies_are_never_added(seed):
    _, projects, funding, _ = seed
    out = _project_total(funding, projects, "P144")
    assert out.loc["EUR", "amount"] == 7506
    assert out.loc["USD", "amount"] == 1230 + 1300
    converted = _project_total(funding, projects, "P144", rates=default_rates())
    assert converted.loc["KGS", "amount"] == pytest.approx((1230 + 1300) * 38.5)
    assert "USD 1 = 38.5 KGS (2006)" in converted.loc["KGS", "rates_used"]
    assert converted.loc["EUR", "amount"] == 7506 and not converted.loc["EUR", "converted"]


def test_kara_suu_kindergartens_split_equally_over_four_villages(seed):
    """P011: Japan grant 1,196,000 som for kindergartens in 4 villages."""
    _, projects, funding, _ = seed
    locs = project_locations(projects[projects["project_id"] == "P011"], column="village")
    assert sorted(locs["village"]) == ["Ak-Talaa", "Kara-Moinok", "Kyzyl-Dobo", "Mantysh"]
    rows = resolve_amounts(funding[funding["project_id"] == "P011"], projects)
    split = split_across_locations(rows, locs)
    japan = split[split["source_name"].str.startswith("Government of Japan")]
    assert japan["amount_split"].tolist() == [1_196_000 / 4] * 4
    assert (japan["split_rule"] == "equal split across 4 locations (AidData method)").all()


# -- hand-made fixtures --------------------------------------------------------------------------


@pytest.fixture
def small():
    projects = pd.DataFrame(
        {
            "project_id": ["a", "b", "c", "d"],
            "sector": ["school", "water_supply", "school", None],
            "year_start": [2019, None, None, None],
            "year_end": [None, 2003, None, None],
            "oblast_pcode": ["KG-N", "KG-N", "KG-T", None],
            "total_cost": [None, 1000.0, None, None],
        }
    )
    funding = pd.DataFrame(
        {
            "project_id": ["a", "a", "b", "b", "c", "d"],
            "source_name": ["Local budget", "UNDP", "UNDP", "Parents", "Soros", "UNDP"],
            "source_type": ["local budget", "donor grant", "donor grant", "community contribution", "donor grant", "donor grant"],
            "amount": [100.0, 200.0, None, None, 50.0, None],
            "currency": ["KGS", "KGS", None, None, "USD", None],
            "share_pct": [None, None, 48.0, None, None, 30.0],
        }
    )
    return projects, funding


def test_totals_by_source_type_and_year(small):
    projects, funding = small
    by_type = totals(funding, projects, "source_type").set_index(["source_type", "currency"])
    assert by_type.loc[("donor grant", "KGS"), "amount"] == 200 + 480  # UNDP in a, 48% of 1000 in b
    assert by_type.loc[("donor grant", "KGS"), "n_from_share"] == 1
    assert by_type.loc[("donor grant", "USD"), "amount"] == 50
    by_year = totals(funding, projects, "year")
    assert by_year.loc[by_year["year"] == 2019, "amount"].item() == 300
    assert by_year.loc[by_year["year"] == 2003, "amount"].dropna().item() == 480  # year_end used
    assert by_year["year"].isna().any()  # projects without a year are kept, not dropped


def test_group_with_no_amount_is_na_not_zero(small):
    projects, funding = small
    out = totals(funding, projects, "source_type").set_index("source_type")
    row = out.loc["community contribution"]
    assert pd.isna(row["amount"]) and row["n_without_amount"] == 1


def test_unknown_dimension_is_refused(small):
    projects, funding = small
    with pytest.raises(SchemaError):
        totals(funding, projects, "colour")


def _fund(project, amount=1200.0):
    return pd.DataFrame({"project_id": [project], "source_name": ["X"], "amount": [amount], "currency": ["KGS"]})


@pytest.mark.parametrize(
    "pcts, expected, code",
    [
        ([None, None, None], [400.0, 400.0, 400.0], "equal"),
        ([50.0, 25.0, 25.0], [600.0, 300.0, 300.0], "percentage"),
        ([30.0, 30.0, 60.0], [300.0, 300.0, 600.0], "percentage_rescaled"),
        ([50.0, None, None], [600.0, 300.0, 300.0], "percentage_rest_equal"),
        ([80.0, 40.0, None], [400.0, 400.0, 400.0], "equal_bad_percentages"),
    ],
)
def test_split_rules(pcts, expected, code):
    locs = pd.DataFrame({"project_id": ["p"] * 3, "rayon_pcode": ["R1", "R2", "R3"], "location_pct": pcts})
    out = split_across_locations(_fund("p"), locs)
    assert out["amount_split"].tolist() == pytest.approx(expected)
    assert (out["split_rule_code"] == code).all()
    assert out["split_rule"].str.len().gt(0).all()
    assert out["amount_split"].sum() == pytest.approx(1200.0)  # splitting keeps the total


def test_split_single_and_no_location():
    locs = pd.DataFrame({"project_id": ["p"], "rayon_pcode": ["R1"]})
    funding = pd.concat([_fund("p"), _fund("q", 90.0)], ignore_index=True)
    out = split_across_locations(funding, locs).set_index("project_id")
    assert out.loc["p", "amount_split"] == 1200.0 and out.loc["p", "split_rule_code"] == "single"
    assert out.loc["q", "amount_split"] == 90.0 and out.loc["q", "split_rule_code"] == "no_location"
    assert pd.isna(out.loc["q", "rayon_pcode"])


def test_split_keeps_missing_amounts_missing():
    locs = pd.DataFrame({"project_id": ["p", "p"], "rayon_pcode": ["R1", "R2"]})
    out = split_across_locations(_fund("p", None), locs)
    assert out["amount_split"].isna().all()


def test_totals_by_place_use_the_split(small):
    projects, funding = small
    locs = pd.DataFrame({"project_id": ["a", "a"], "oblast_pcode": ["KG-N", "KG-T"], "location_pct": [75.0, 25.0]})
    out = totals(funding[funding["project_id"] == "a"], projects, "oblast_pcode", locations=locs).set_index("oblast_pcode")
    assert out.loc["KG-N", "amount"] == 225.0 and out.loc["KG-T", "amount"] == 75.0
    assert (out["split_rule"] == "per-location percentage").all()


def test_funds_per_beneficiary(small):
    projects, funding = small
    ben = pd.DataFrame({"project_id": ["a", "b", "c"], "total": [30.0, 0.0, None]})
    out = funds_per_beneficiary(funding, projects, ben).set_index("project_id")
    assert out.loc["a", "per_beneficiary"] == pytest.approx(300 / 30)
    assert bool(out.loc["a", "complete"])
    assert pd.isna(out.loc["b", "per_beneficiary"])  # zero beneficiaries: no figure, not infinity
    assert not bool(out.loc["b", "complete"])  # "Parents" gave an unstated amount
    assert pd.isna(out.loc["c", "per_beneficiary"])  # beneficiaries unknown
    assert pd.isna(out.loc["d", "amount"])  # share only, no total cost


def test_sankey_flows_conserve_money(small):
    projects, funding = small
    units = pd.DataFrame({"pcode": ["KG-N", "KG-T"], "name_en": ["Naryn", "Talas"]})
    links = sankey_flows(funding, projects, units)
    into = links[links["stage"] == "donor_sector"].groupby(["target", "currency"])["value"].sum()
    out_of = links[links["stage"] == "sector_oblast"].groupby(["source", "currency"])["value"].sum()
    pd.testing.assert_series_equal(into, out_of, check_names=False)
    school = links[(links["stage"] == "sector_oblast") & (links["source"] == "school")].set_index("target")
    assert school.loc["Naryn", "value"] == 300 and school.loc["Naryn", "currency"] == "KGS"
    assert school.loc["Talas", "value"] == 50 and school.loc["Talas", "currency"] == "USD"
    assert links["value"].notna().all()


def test_select_funding_contains_and_exact(small):
    _, funding = small
    assert len(select_funding(funding, donor="undp")) == 3
    assert len(select_funding(funding, donor="UNDP", match="exact")) == 3
    assert len(select_funding(funding, donor="UND", match="exact")) == 0
    assert len(select_funding(funding, source_type="Local Budget")) == 1


def test_same_checks_on_the_project_seed_loader():
    """The store's own seed frames (geo.seed_projects) give the same document figures."""
    seed_projects = pytest.importorskip("geo.seed_projects")
    import geopandas as gpd

    from geo import settings

    files = (settings.OBLAST_FILE, settings.RAYON_FILE, settings.SETTLEMENT_FILE)
    if not all(Path(f).exists() for f in files):
        pytest.skip("shipped boundary and settlement files are not built")
    admin_units = pd.concat([gpd.read_file(settings.OBLAST_FILE), gpd.read_file(settings.RAYON_FILE)], ignore_index=True)
    projects, funding, _ = seed_projects.seed_frames(admin_units, gpd.read_file(settings.SETTLEMENT_FILE))
    school = projects.loc[projects["title"].str.contains("new school for 240 students in Mantysh"), "project_id"].item()
    club = projects.loc[projects["title"].str.contains("hall in the village club of Mantysh"), "project_id"].item()
    assert _project_total(funding, projects, school).loc["KGS", "amount"] == 6_970_000 + 9_758_000 + 524_000
    assert _project_total(funding, projects, club).loc["KGS", "amount"] == 150_000 + 1_000_000


def test_a_table_without_project_id_is_named_in_russian_and_kyrgyz():
    from geo.errors import SchemaError
    from geo.funding import totals

    with pytest.raises(SchemaError) as info:
        totals(pd.DataFrame({"amount": [1.0]}), pd.DataFrame({"project_id": ["P1"]}), by="sector")
    assert str(info.value) == "The funding table needs a 'project_id' column."
    assert info.value.text("ru") == "В таблице финансирования нужен столбец 'project_id'."
    assert info.value.text("ky") == "'project_id' тилкеси каржылоо таблицасында болушу керек."
