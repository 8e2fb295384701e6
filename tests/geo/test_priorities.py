"""JAP priorities register: the Kara-Suu lists of FACTS.md (004:122-129) and extending the register."""
from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import SchemaError
from geo.priorities import (
    REGISTER_COLUMNS,
    append_priorities,
    load_priorities,
    match_projects,
    priorities_by_year,
    priorities_for,
    save_priorities,
)

# The lists as FACTS.md gives them (004:122-129), in order.
KARA_SUU = {
    2018: ["internal roads", "drinking water", "culture", "street lighting", "waste management", "learning conditions", "library"],
    2019: ["pre-school", "sport", "drinking water", "internal roads", "electricity", "medical services", "learning conditions"],
    2021: ["internal roads", "drinking water", "medical services", "pre-school", "waste management", "electricity"],
}


def test_shipped_register_holds_the_kara_suu_lists():
    reg = load_priorities()
    assert list(reg.columns) == list(REGISTER_COLUMNS)
    rows = priorities_for(reg, unit_name="Kara-Suu AA")
    for year, issues in KARA_SUU.items():
        listed = rows[rows["year"] == year].sort_values("rank")
        assert listed["priority"].tolist() == issues
        assert listed["rank"].tolist() == list(range(1, len(issues) + 1))
    assert (rows["source_ref"] == "004:122-129").all()
    assert (rows["rayon_pcode"] == "KG-N-KOCHKOR").all()


def test_name_matching_and_same_named_units():
    reg = load_priorities()
    assert len(priorities_for(reg, unit_name="kara suu")) == 20
    assert len(priorities_for(reg, unit_name="Kara-Suu aiyl okmotu", rayon_pcode="KG-N-KOCHKOR")) == 20
    assert priorities_for(reg, unit_name="Kara-Suu", rayon_pcode="KG-O-KARA-SUU").empty
    assert priorities_for(reg, unit_name="Kochkor").empty


def test_by_year_table():
    table = priorities_by_year(priorities_for(load_priorities(), unit_name="Kara-Suu"))
    assert table.loc["drinking water"].tolist() == [2, 3, 2]
    assert pd.isna(table.loc["library", 2019]) and table.loc["library", 2018] == 7


def test_append_returns_a_new_register_with_ranks():
    reg = load_priorities()
    before = reg.copy()
    new = append_priorities(
        reg,
        [
            {"unit_name": "Kara-Suu AA", "rayon_pcode": "KG-N-KOCHKOR", "year": 2021, "priority": "library", "source_ref": "aiyl kenesh"},
            {"unit_name": "Kara-Suu AA", "rayon_pcode": "KG-N-KOCHKOR", "year": 2022, "priority": "sport"},
            {"unit_name": "Kara-Suu AA", "rayon_pcode": "KG-N-KOCHKOR", "year": 2022, "priority": "drinking water"},
        ],
    )
    pd.testing.assert_frame_equal(reg, before)  # input untouched
    assert len(new) == len(reg) + 3
    added = new.iloc[len(reg):]
    assert added["rank"].tolist() == [7, 1, 2]  # after 2021's six; a new year starts at 1


@pytest.mark.parametrize(
    "row, words",
    [
        ({"unit_name": "Kara-Suu AA", "rayon_pcode": "KG-N-KOCHKOR", "year": 2021, "priority": "Drinking Water"}, "repeat a priority"),
        ({"unit_name": "Kara-Suu AA", "rayon_pcode": "KG-N-KOCHKOR", "year": 2021, "priority": "bridges", "rank": 2}, "repeat a rank"),
        ({"unit_name": "Kara-Suu AA", "year": "next year", "priority": "bridges"}, "year between"),
        ({"year": 2022, "priority": "bridges"}, "name no unit"),
        ({"unit_name": "Kara-Suu AA", "year": 2022, "priority": " "}, "no priority"),
        ({"unit_name": "Kara-Suu AA", "year": 2022, "priority": "bridges", "rank": 0}, "rank"),
    ],
)
def test_append_refuses_bad_rows(row, words):
    with pytest.raises(SchemaError, match=words):
        append_priorities(load_priorities(), [row])


def test_save_and_load_round_trip(tmp_path):
    new = append_priorities(load_priorities(), [{"unit_pcode": "KG0401", "unit_name": "Test AO", "year": 2023, "priority": "roads"}])
    back = load_priorities(save_priorities(new, tmp_path / "jap.csv"))
    pd.testing.assert_frame_equal(back, new)


def test_match_projects_by_name_and_sector():
    rows = priorities_for(load_priorities(), unit_name="Kara-Suu")
    projects = pd.DataFrame(
        {
            "project_id": ["P014", "P009", "X1", "X2"],
            "sector": ["water_supply", "school", "water_supply", "health"],
            "aiyl_okmot_name": ["Kara-Suu AA", "Kara-Suu AA", "Kara-Suu", "Kara-Suu AA"],
            "rayon_pcode": ["KG-N-KOCHKOR", None, "KG-O-KARA-SUU", "KG-N-KOCHKOR"],
        }
    )
    out = match_projects(rows, projects)
    water_2018 = out[(out["year"] == 2018) & (out["priority"] == "drinking water")].iloc[0]
    assert water_2018["project_ids"] == "P014"  # X1 is in another rayon
    health_2021 = out[(out["year"] == 2021) & (out["priority"] == "medical services")].iloc[0]
    assert health_2021["n_projects"] == 1
    roads = out[out["priority"] == "internal roads"]
    assert (roads["n_projects"] == 0).all()


def test_refused_rows_are_named_in_russian_and_kyrgyz():
    with pytest.raises(SchemaError) as info:
        append_priorities(load_priorities(), [{"unit_name": "Kara-Suu AA", "year": "next year", "priority": "bridges"}])
    assert str(info.value) == "New priorities (rows counted from 1): rows 1 need a year between 1991 and 2100."
    assert info.value.text("ru") == "Новые приоритеты (строки считаются с 1): в строках 1 нужен год от 1991 до 2100."
    assert info.value.text("ky") == "Жаңы артыкчылыктар (саптар 1ден саналат): 1-саптарда 1991ден 2100гө чейинки жыл керек."
