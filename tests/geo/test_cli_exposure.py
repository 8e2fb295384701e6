"""``python -m geo exposure``: a 2 km square hazard zone (in UTM 43N) around synthetic projects.

Worked out by hand: the square spans ±1000 m around P-IN. P-EDGE lies 10 m inside
its east edge, P-OUT 10 m outside it, P-NOLOC has no location. Two settlements lie
in the square, one with 500 people and one whose population is not known; one
settlement lies 5 km away with 2 000 people. P-IN has funding of 1 000 KGS and one
row without amount; P-OUT has 50 USD.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.cli import main

ROOT = Path(__file__).resolve().parents[2]
UTM43 = "EPSG:32643"
X0, Y0 = 500_000.0, 4_650_000.0  # about 75.0 E, 42.0 N (Kochkor area)
TABLES = {"legend", "by_class", "projects_by_sector", "funding_by_class", "by_unit", "by_unit_class",
          "projects_at_risk", "lines_by_class"}


def _utm_points(offsets):
    points = gpd.GeoSeries([None if o is None else Point(X0 + o[0], Y0 + o[1]) for o in offsets], crs=UTM43)
    return points.to_crs(4326)


@pytest.fixture
def store_path(tmp_path) -> Path:
    """A small GeoPackage store: one unit, four projects, three settlements, funding."""
    from geo.store.gpkg import GeoPackageStore

    path = tmp_path / "store.gpkg"
    store = GeoPackageStore(path)
    unit = gpd.GeoSeries([box(X0 - 20_000, Y0 - 20_000, X0 + 20_000, Y0 + 20_000)], crs=UTM43).to_crs(4326)
    admin = gpd.GeoDataFrame({"pcode": ["KG-T-TEST"], "level": [2], "parent_pcode": ["KG-T"],
                              "name_en": ["Test rayon"]}, geometry=unit.values, crs=4326)
    projects = gpd.GeoDataFrame(
        {"project_id": ["P-IN", "P-EDGE", "P-OUT", "P-NOLOC"], "title": ["Inside", "Edge", "Outside", "Nowhere"],
         "sector": ["school", "water_supply", "school", "road"], "rayon_pcode": ["KG-T-TEST"] * 4,
         "location_precision": [1, 1, 1, pd.NA]},
        geometry=_utm_points([(0, 0), (990, 0), (1010, 0), None]).values, crs=4326,
    )
    settlements = gpd.GeoDataFrame(
        {"settlement_id": ["s1", "s2", "s3"], "name_en": ["A", "B", "C"], "population": [500, pd.NA, 2000]},
        geometry=_utm_points([(100, 100), (-500, 300), (5000, 0)]).values, crs=4326,
    )
    funding = pd.DataFrame({"funding_id": ["f1", "f2", "f3"], "project_id": ["P-IN", "P-IN", "P-OUT"],
                            "amount": [1000.0, None, 50.0], "currency": ["KGS", None, "USD"]})
    with store.transaction("test") as tx:
        tx.replace("admin_units", admin)
        tx.replace("projects", projects)
        tx.replace("settlements", settlements)
        tx.replace("funding", funding)
    return path


@pytest.fixture
def zone_file(tmp_path) -> Path:
    """The 2 km square as a GeoPackage in UTM 43N (the import must reproject it)."""
    path = tmp_path / "square_mudflow.gpkg"
    zone = gpd.GeoDataFrame({"hazard_class": ["High"], "depth": [2.5]},
                            geometry=[box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000)], crs=UTM43)
    zone.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def _rows(table: list[dict], key: str = "hazard_class") -> dict:
    return {row[key]: row for row in table}


def test_json_has_every_table_and_hand_worked_figures(store_path, zone_file, capsys):
    assert main(["--store", str(store_path), "exposure", "--hazard", str(zone_file),
                 "--hazard-type", "mudflow"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"layer", "tables"}
    assert set(out["tables"]) == TABLES
    assert out["layer"]["hazard_type"] == "mudflow"
    assert out["layer"]["indicative"] is False

    by_class = _rows(out["tables"]["by_class"])
    assert by_class["High"]["projects"] == 2              # P-IN and P-EDGE (10 m inside)
    assert by_class["Outside zones"]["projects"] == 1     # P-OUT (10 m outside)
    assert by_class["No location"]["projects"] == 1
    assert by_class["High"]["settlements"] == 2
    assert by_class["High"]["people"] == 500               # the unknown population is not 0 …
    assert by_class["High"]["settlements_population_unknown"] == 1   # … it is counted apart
    assert by_class["Outside zones"]["people"] == 2000

    at_risk = [row["project_id"] for row in out["tables"]["projects_at_risk"]]
    assert sorted(at_risk) == ["P-EDGE", "P-IN"]

    funding = {(r["hazard_class"], r["currency"]): r for r in out["tables"]["funding_by_class"]}
    assert funding[("High", "KGS")]["amount"] == 1000
    assert funding[("High", None)]["amount"] is None and funding[("High", None)]["amount_unknown_rows"] == 1
    assert funding[("Outside zones", "USD")]["amount"] == 50

    unit = _rows(out["tables"]["by_unit"], "pcode")["KG-T-TEST"]
    assert unit["hazard_level"] == "High"
    assert unit["share_high"] == pytest.approx(4.0 / 1600.0, rel=0.01)  # 2 km × 2 km of 40 km × 40 km


def test_numeric_column_with_mapping_and_csv_table(store_path, zone_file, capsys):
    mapping = json.dumps({"High": 2.0, "Medium": 1.0})
    assert main(["--store", str(store_path), "exposure", "--hazard", str(zone_file), "--value-column", "depth",
                 "--mapping", mapping, "--hazard-type", "flood", "--format", "csv", "--table", "by_class"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(table["hazard_class"]) == ["High", "Medium", "Low", "Very low", "Outside zones", "No location"]
    assert table.set_index("hazard_class").loc["High", "projects"] == 2   # depth 2.5 ≥ 2.0 → High


def test_user_error_exits_2_with_message(store_path, zone_file, capsys):
    code = main(["--store", str(store_path), "exposure", "--hazard", str(zone_file), "--value-column", "nope"])
    assert code == 2
    assert "no column 'nope'" in capsys.readouterr().err


def test_command_line_prints_json(store_path, zone_file):
    done = subprocess.run([sys.executable, "-m", "geo", "--store", str(store_path), "exposure",
                           "--hazard", str(zone_file)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out["tables"]) == TABLES
    assert out["layer"]["hazard_type"] == "mudflow"  # guessed from the file name
