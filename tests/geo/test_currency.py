"""Currency rates and conversion: the documents' rate, no guessed EUR rate, user-edited tables."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.currency import convert, default_rates, load_rates, rates_or_default, save_rates, summarise_conversion, validate_rates
from geo.errors import InputError, SchemaError

SEED = Path(__file__).resolve().parents[2] / "data" / "seed" / "projects.csv"


def _amounts(*pairs):
    return pd.DataFrame({"amount": [a for a, _ in pairs], "currency": [c for _, c in pairs]})


def test_default_table_holds_only_the_documents_rate():
    rates = default_rates().set_index("currency")
    assert float(rates.loc["USD", "per_kgs"]) == 38.5
    assert rates.loc["USD", "rate_date"] == "2006"
    assert "001:40" in rates.loc["USD", "source"]
    assert "approximately" in rates.loc["USD", "note"]
    assert pd.isna(rates.loc["EUR", "per_kgs"])  # no EUR rate in the documents
    assert "no rate" in rates.loc["EUR", "note"]
    assert float(rates.loc["KGS", "per_kgs"]) == 1.0


def test_usd_converted_at_38_5_with_rate_and_date_shown():
    out = convert(_amounts((1230.0, "USD"), (100.0, "usd")))
    assert out["amount_converted"].tolist() == [1230 * 38.5, 3850.0]
    assert out["rate_used"].tolist() == [38.5, 38.5]
    assert out["rate_date"].tolist() == ["2006", "2006"]
    assert (out["currency_converted"] == "KGS").all()
    assert (out["conversion_note"] == "converted").all()


def test_eur_is_never_guessed():
    out = convert(_amounts((7506.0, "EUR"), (1000.0, "KGS")))
    assert pd.isna(out.loc[0, "amount_converted"])
    assert pd.isna(out.loc[0, "rate_used"])
    assert out.loc[0, "conversion_note"] == "no rate for EUR in the rates table"
    assert out.loc[1, "amount_converted"] == 1000.0
    assert out.loc[1, "conversion_note"] == "same currency"


def test_missing_amount_or_currency_stays_missing():
    out = convert(_amounts((None, "KGS"), (5.0, None)))
    assert out["amount_converted"].isna().all()
    assert out["conversion_note"].tolist() == ["amount not stated", "currency not stated"]


def test_convert_to_usd_uses_the_cross_rate():
    out = convert(_amounts((3850.0, "KGS"), (10.0, "USD")), to="USD")
    assert out["amount_converted"].tolist() == pytest.approx([100.0, 10.0])
    assert out.loc[0, "rate_used"] == pytest.approx(1 / 38.5)


def test_user_rate_for_eur_is_used_and_nearest_date_wins():
    rates = pd.concat(
        [
            default_rates(),
            pd.DataFrame({"currency": ["EUR", "USD"], "per_kgs": [90.0, 84.0], "rate_date": ["2020-01-01", "2019"],
                          "source": ["user", "user"], "note": ["", ""]}),
        ],
        ignore_index=True,
    )
    frame = _amounts((10.0, "EUR"), (10.0, "USD"), (10.0, "USD")).assign(year=[2005, 2005, 2018])
    out = convert(frame, rates, date_col="year")
    # EUR: the only valued rate (the empty default row is not used).
    assert out.loc[0, "amount_converted"] == 900.0
    # USD 2005 is nearest to the 2006 rate, USD 2018 to the 2019 one.
    assert out.loc[1, "amount_converted"] == 385.0 and out.loc[1, "rate_date"] == "2006"
    assert out.loc[2, "amount_converted"] == 840.0 and out.loc[2, "rate_date"] == "2019"


def test_without_dates_the_latest_rate_is_used():
    rates = pd.concat([default_rates(), pd.DataFrame({"currency": ["USD"], "per_kgs": [87.0], "rate_date": ["2023"]})])
    out = convert(_amounts((1.0, "USD")), rates)
    assert out.loc[0, "amount_converted"] == 87.0


def test_rates_round_trip_through_csv(tmp_path):
    edited = default_rates()
    edited.loc[edited["currency"] == "EUR", ["per_kgs", "rate_date", "source"]] = [95.5, "2021-06-30", "NBKR"]
    path = save_rates(edited, tmp_path / "rates.csv")
    back = load_rates(path).set_index("currency")
    assert float(back.loc["EUR", "per_kgs"]) == 95.5
    assert back.loc["EUR", "rate_date"] == "2021-06-30"
    assert float(back.loc["USD", "per_kgs"]) == 38.5
    assert rates_or_default(tmp_path / "missing.csv").equals(default_rates())
    with pytest.raises(InputError):
        load_rates(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    "table, words",
    [
        (pd.DataFrame({"currency": ["USD"], "per_kgs": ["about 40"]}), "must be a number"),
        (pd.DataFrame({"currency": ["USD"], "per_kgs": [-1.0]}), "greater than zero"),
        (pd.DataFrame({"currency": ["KGS"], "per_kgs": [2.0]}), "KGS must have per_kgs = 1"),
        (pd.DataFrame({"currency": ["dollars"], "per_kgs": [38.5]}), "3-letter code"),
        (pd.DataFrame({"code": ["USD"]}), "needs the columns"),
    ],
)
def test_bad_rates_are_refused_with_a_reason(table, words):
    with pytest.raises(SchemaError, match=words):
        validate_rates(table)


def test_kgs_is_added_when_missing():
    out = validate_rates(pd.DataFrame({"currency": ["USD"], "per_kgs": ["38,5"]}))
    assert set(out["currency"]) == {"KGS", "USD"}
    assert float(out.set_index("currency").loc["USD", "per_kgs"]) == 38.5


def test_seed_anticorruption_project_mixes_three_currencies():
    """P144 (001): OSCE €7506, ElTR TV $1230, Interbilim $1300 — dollars converted, euros left out."""
    raw = pd.read_csv(SEED, dtype=str, keep_default_na=False)
    entries = raw.loc[raw["id"] == "P144", "funding_sources"].iloc[0].split(";")
    parts = pd.DataFrame([e.rsplit(":", 2) for e in entries], columns=["source", "amount", "currency"])
    parts["amount"] = pd.to_numeric(parts["amount"], errors="coerce")
    parts["currency"] = parts["currency"].replace("", pd.NA)
    summary = summarise_conversion(convert(parts)).set_index("currency")
    assert summary.loc["USD", "amount_stated"] == 1230 + 1300
    assert summary.loc["USD", "amount_converted"] == pytest.approx((1230 + 1300) * 38.5)
    assert summary.loc["EUR", "amount_stated"] == 7506
    assert pd.isna(summary.loc["EUR", "amount_converted"])
    assert summary.loc["EUR", "n_not_converted"] == 1


def test_refused_rates_are_explained_in_russian_and_kyrgyz():
    with pytest.raises(SchemaError) as info:
        validate_rates(pd.DataFrame({"currency": ["USD", "dollars"], "per_kgs": [38.5, 38.5]}))
    assert info.value.key == "err.rates.bad_code"
    assert str(info.value) == "Rates table rows 2: the currency must be a 3-letter code such as USD."
    assert info.value.text("ru") == "Таблица курсов, строки 2: валюта должна быть трёхбуквенным кодом, например USD."
    assert info.value.text("ky") == "Курстар таблицасы, 2-саптар: валюта үч тамгалуу код болушу керек, мисалы USD."
