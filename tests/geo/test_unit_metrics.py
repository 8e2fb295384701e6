import pandas as pd
import pytest

from geo.unit_metrics import classify, unit_metrics


@pytest.fixture
def frames():
    units = pd.DataFrame({"pcode": ["A", "B", "C"], "level": [1, 1, 1], "population": [1000.0, None, 50.0]})
    projects = pd.DataFrame({"project_id": ["P1", "P2", "P3"], "oblast_pcode": ["A", "A", "B"]})
    funding = pd.DataFrame({
        "project_id": ["P1", "P1", "P2", "P3"],
        "amount": [1000.0, 10.0, None, 5.0],
        "currency": ["KGS", "USD", None, "EUR"],
    })
    beneficiaries = pd.DataFrame({"project_id": ["P1", "P3"], "total": [100.0, None]})
    return units, projects, funding, beneficiaries


def test_counts_money_and_people_keep_no_data_apart_from_zero(frames):
    m = unit_metrics(*frames).set_index("pcode")
    assert m.loc["A", "projects"] == 2 and m.loc["B", "projects"] == 1 and m.loc["C", "projects"] == 0
    assert m.loc["A", "funding_kgs"] == pytest.approx(1000 + 10 * 38.5)  # default USD rate from the documents
    assert pd.isna(m.loc["B", "funding_kgs"])  # EUR has no rate: no data, not zero
    assert m.loc["B", "funding_unconverted"] == 1
    assert m.loc["C", "funding_kgs"] == 0  # no projects: nothing recorded
    assert m.loc["A", "beneficiaries"] == 100 and pd.isna(m.loc["B", "beneficiaries"])
    assert m.loc["A", "funding_per_inhabitant"] == pytest.approx(1.385)
    assert pd.isna(m.loc["B", "funding_per_inhabitant"])  # population unknown


def test_classify_quantiles_zero_and_missing():
    values = pd.Series([0, 1, 2, 3, 4, 100, None])
    classes, bounds = classify(values, n_classes=5)
    assert classes.iloc[0] == 0 and pd.isna(classes.iloc[6])
    assert classes.iloc[5] == len(bounds) and classes.iloc[1] == 1
    assert bounds[-1] == 100
