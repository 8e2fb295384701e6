"""Beneficiaries: missing stays missing, roll-ups, and people reached without double counting."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.beneficiaries import RULE_PEOPLE_REACHED, people_reached_by_place, per_project, rollup
from geo.errors import SchemaError

SEED = Path(__file__).resolve().parents[2] / "data" / "seed" / "projects.csv"


@pytest.fixture(scope="module")
def seed():
    raw = pd.read_csv(SEED, dtype=str, keep_default_na=False)
    projects = pd.DataFrame(
        {
            "project_id": raw["id"],
            "title": raw["project_name"],
            "sector": raw["sector"].replace("", pd.NA),
            "village": raw["village"].replace("", pd.NA),
            "oblast_pcode": raw["oblast"].replace("", pd.NA),
            "rayon_pcode": raw["rayon"].replace("", pd.NA),
            "aiyl_okmot_pcode": raw["aiyl_okmot"].replace("", pd.NA),
        }
    )
    beneficiaries = pd.DataFrame({"project_id": raw["id"]})
    for csv_col, col in [("beneficiaries_total", "total"), ("households", "households"), ("women", "women"),
                         ("men", "men"), ("children", "children"), ("students", "students")]:
        beneficiaries[col] = pd.to_numeric(raw[csv_col], errors="coerce")
    return raw, projects, beneficiaries


def test_airy_tam_pipe_beneficiaries(seed):
    raw, projects, beneficiaries = seed
    pid = raw.loc[raw["project_name"].str.contains("pipe to Airy-Tam"), "id"].item()
    row = per_project(projects, beneficiaries).set_index("project_id").loc[pid]
    assert (row["households"], row["women"], row["men"], row["children"]) == (143, 109, 155, 85)
    assert pd.isna(row["total"]) and pd.isna(row["students"])  # not stated: missing, not 0
    assert row["women_share"] == pytest.approx(109 / (109 + 155))


def test_kara_suu_rollup_against_population(seed):
    """JAP 2021 school item: 5910 pupils (3068 women, 2842 men) in an aimak of 7,037 people (004:49, 004:73)."""
    raw, projects, beneficiaries = seed
    pp = per_project(projects, beneficiaries)
    units = pd.DataFrame({"pcode": ["Kara-Suu AA"], "population": [7037.0]})
    row = rollup(pp, "aiyl_okmot", admin_units=units).set_index("pcode").loc["Kara-Suu AA"]
    assert row["total_sum"] == 5910 and row["total_n_reporting"] == 1
    assert row["women_share"] == pytest.approx(3068 / (3068 + 2842))
    assert row["reached_share_of_population"] == pytest.approx(5910 / 7037)
    assert row["n_projects"] == (raw["aiyl_okmot"] == "Kara-Suu AA").sum()


# -- hand-made fixtures ----------------------------------------------------------------------


@pytest.fixture
def frames():
    projects = pd.DataFrame(
        {
            "project_id": ["w1", "w2", "s1", "v1", "v2", "v3", "n1", "x1", "t1"],
            "sector": ["water_supply", "water_supply", "school", "school", "school", "school", "health", "health", "water_supply"],
            "settlement_id": ["gn:1", "gn:1", "gn:1", None, None, None, None, None, "gn:2"],
            "village": [None, None, None, "Mantysh", " mantysh", "Mantysh", None, None, None],
            "oblast_pcode": ["KG-N"] * 8 + ["KG-T"],
            "rayon_pcode": ["R1"] * 5 + ["R9"] + ["R1"] * 2 + ["R2"],
            "aiyl_okmot_pcode": ["A1"] * 5 + ["A9"] + ["A1"] * 2 + ["A2"],
        }
    )
    beneficiaries = pd.DataFrame(
        {
            "project_id": ["w1", "w2", "s1", "v1", "v2", "v3", "n1", "t1"],
            "total": [300.0, 500.0, 200.0, 100.0, 40.0, 70.0, 25.0, 90.0],
            "women": [100.0, None, 50.0, None, None, None, None, 40.0],
            "men": [150.0, None, 50.0, None, None, None, None, 50.0],
        }
    )
    settlements = pd.DataFrame({"settlement_id": ["gn:1", "gn:2"], "population": [600.0, None]})
    return projects, beneficiaries, settlements


def test_missing_project_record_stays_missing(frames):
    projects, beneficiaries, _ = frames
    pp = per_project(projects, beneficiaries).set_index("project_id")
    assert not pp.loc["x1", "has_beneficiary_record"]
    assert pp.loc["x1", ["total", "households", "women", "men", "children", "students"]].isna().all()
    assert pd.isna(pp.loc["w2", "women_share"])  # women and men unknown


def test_people_reached_takes_largest_per_settlement_and_sector_capped(frames):
    projects, beneficiaries, settlements = frames
    places = people_reached_by_place(per_project(projects, beneficiaries), settlements).set_index("place_key")
    # gn:1 water: max(300, 500) = 500; school 200; together 700, capped at 600 people.
    assert places.loc["gn:1", "reached_uncapped"] == 500 + 200
    assert places.loc["gn:1", "people_reached"] == 600 and places.loc["gn:1", "capped"]
    # gn:2 population unknown: no cap.
    assert places.loc["gn:2", "people_reached"] == 90 and not places.loc["gn:2", "capped"]
    # Village text, matched ignoring case and spaces, within its aiyl okmot: max(100, 40).
    mantysh_a1 = places[(places["place_kind"] == "village") & (places["aiyl_okmot_pcode"] == "A1")]
    assert mantysh_a1["people_reached"].tolist() == [100]


def test_rollup_plain_sum_and_people_reached(frames):
    projects, beneficiaries, settlements = frames
    pp = per_project(projects, beneficiaries)
    a1 = rollup(pp, "aiyl_okmot", settlements=settlements).set_index("pcode").loc["A1"]
    assert a1["total_sum"] == 300 + 500 + 200 + 100 + 40 + 25
    assert a1["total_n_reporting"] == 6 and a1["n_projects"] == 7
    # gn:1 capped 600 + Mantysh (A1) 100 + health project without a place 25.
    assert a1["people_reached"] == 600 + 100 + 25
    assert a1["n_places_capped"] == 1
    # Women's share only from projects that report both women and men.
    assert a1["women_share"] == pytest.approx((100 + 50) / (100 + 150 + 50 + 50))
    assert a1["n_projects_gender"] == 2


def test_same_village_name_in_two_aiyl_okmots_is_not_merged(frames):
    projects, beneficiaries, settlements = frames
    pp = per_project(projects, beneficiaries)
    oblast = rollup(pp, "oblast", settlements=settlements).set_index("pcode").loc["KG-N"]
    # Mantysh in A1 (100) and "Mantysh" in A9 (70) are different places.
    assert oblast["people_reached"] == 600 + 100 + 70 + 25


def test_rollup_share_of_population_and_unknowns(frames):
    projects, beneficiaries, settlements = frames
    pp = per_project(projects, beneficiaries)
    units = pd.DataFrame({"pcode": ["A1", "A2"], "name_en": ["One", "Two"], "population": [7250.0, None]})
    out = rollup(pp, "aiyl_okmot", admin_units=units, settlements=settlements).set_index("pcode")
    assert out.loc["A1", "reached_share_of_population"] == pytest.approx(725 / 7250)
    assert pd.isna(out.loc["A2", "reached_share_of_population"])  # population unknown
    assert pd.isna(out.loc["A1", "households_sum"]) and out.loc["A1", "households_n_reporting"] == 0
    assert out.loc["A1", "name_en"] == "One"


def test_unit_without_any_figures_has_na_not_zero():
    projects = pd.DataFrame({"project_id": ["p"], "sector": ["school"], "aiyl_okmot_pcode": ["A1"]})
    out = rollup(per_project(projects, pd.DataFrame({"project_id": []})), "aiyl_okmot").set_index("pcode")
    assert pd.isna(out.loc["A1", "total_sum"]) and pd.isna(out.loc["A1", "people_reached"])
    assert pd.isna(out.loc["A1", "women_share"])


def test_duplicate_beneficiary_rows_are_refused():
    projects = pd.DataFrame({"project_id": ["p"]})
    with pytest.raises(SchemaError):
        per_project(projects, pd.DataFrame({"project_id": ["p", "p"], "total": [1, 2]}))


def test_unknown_level_is_refused(frames):
    projects, beneficiaries, _ = frames
    with pytest.raises(SchemaError):
        rollup(per_project(projects, beneficiaries), "village")


def test_rule_is_stated():
    assert "largest" in RULE_PEOPLE_REACHED and "population" in RULE_PEOPLE_REACHED
