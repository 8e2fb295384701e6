"""Row checks: CRS detection, locations, numbers, dates, IDs and markup."""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon

from geo.errors import CRSUnresolvedError
from geo.project_import import checks
from geo.project_import.report import ImportReport
from tests.fixtures import bad_inputs as fx

POINTS = [(p[3], p[4]) for p in fx.PROJECTS]


def _xy(epsg):
    t = Transformer.from_crs(4326, epsg, always_xy=True)
    xs, ys = zip(*(t.transform(lon, lat) for lon, lat in POINTS))
    return np.array(xs), np.array(ys)


# -- CRS ------------------------------------------------------------------------------------------

def test_the_kyrgyz_systems_proj_knows_are_offered():
    codes = dict(checks.kyrgyz_crs_choices())
    for code in (4326, 32642, 32643, 32644, 28412, 28413, 28414, 7686, 7692, 7694, 7696):
        assert code in codes
    assert "Kyrg-06" in codes[7694] and "Gauss-Kruger zone 13" in codes[28413]


@pytest.mark.parametrize("epsg", [28413, 7694, 2541])
def test_self_identifying_systems_are_detected(epsg):
    xs, ys = _xy(epsg)
    report = ImportReport("t", labels=["r"] * 3)
    choice = checks.choose_crs(xs, ys, source="t.csv", report=report)
    assert choice.crs.to_epsg() == epsg and choice.how == "detected"
    assert any(m.code == "crs_detected" and m.severity == "warning" for m in report.messages)
    lon, lat = checks.transform_xy(xs, ys, choice)
    assert np.allclose(lon, [p[0] for p in POINTS], atol=1e-6)


def test_utm_metres_without_a_crs_are_asked_for_with_candidates():
    xs, ys = _xy(32643)
    with pytest.raises(CRSUnresolvedError, match="they could be") as info:
        checks.choose_crs(xs, ys, source="t.csv")
    codes = [c.epsg for c in info.value.candidates]
    assert 32643 in codes and 2503 in codes  # UTM 43N and Pulkovo 1942 / Gauss-Kruger CM 75E both fit
    assert "EPSG:32643 (WGS 84 / UTM zone 43N)" in str(info.value)


def test_northing_written_first_is_detected_as_swapped_axes():
    xs, ys = _xy(28413)
    choice = checks.choose_crs(ys, xs, source="t.csv")
    assert choice.crs.to_epsg() == 28413 and choice.swapped
    lon, lat = checks.transform_xy(ys, xs, choice)
    assert np.allclose(lat, [p[1] for p in POINTS], atol=1e-6)


def test_coordinates_fitting_no_system_are_refused():
    with pytest.raises(CRSUnresolvedError, match="neither degrees nor metres"):
        checks.choose_crs(np.array([9.9e6, 9.8e6]), np.array([1.0e3, 2.0e3]), source="t.csv")


def test_given_crs_wins_and_bad_crs_text_is_refused():
    xs, ys = _xy(32643)
    assert checks.choose_crs(xs, ys, given="32643").crs.to_epsg() == 32643
    assert checks.choose_crs(xs, ys, given="EPSG:32643").how == "given"
    with pytest.raises(CRSUnresolvedError, match="not a coordinate reference system PROJ knows"):
        checks.resolve_crs("EPSG:999999")


def test_degrees_are_assumed_wgs84():
    xs, ys = np.array([74.5]), np.array([41.5])
    report = ImportReport("t")
    choice = checks.choose_crs(xs, ys, report=report)
    assert choice.crs.to_epsg() == 4326 and choice.how == "assumed"
    assert report.messages[0].severity == "info"


# -- locations ---------------------------------------------------------------------------------------

def _check(geoms, store=None):
    report = ImportReport("t", labels=[f"row {i + 2}" for i in range(len(geoms))])
    fixed, notes = checks.check_locations(gpd.GeoSeries(geoms, crs=4326), report, store=store, column="lat/lon")
    return fixed, notes, report


def test_swapped_points_are_exchanged_and_reported():
    fixed, notes, report = _check([Point(41.5, 74.25), Point(74.75, 41.5)])
    assert (fixed.iloc[0].x, fixed.iloc[0].y) == (74.25, 41.5)
    assert (fixed.iloc[1].x, fixed.iloc[1].y) == (74.75, 41.5)
    [msg] = [m for m in report.messages if m.code == "latlon_swapped"]
    assert msg.row == 0 and msg.text().startswith("Row 2, column 'lat/lon': the latitude and longitude")
    assert "swapped" in notes[0][0] and notes[1] == []


def test_points_outside_kyrgyzstan_are_errors_and_near_the_border_warnings():
    fixed, _, report = _check([Point(*fx.ALMATY), Point(74.25, 41.5)])
    assert fixed.iloc[0] is None and fixed.iloc[1] is not None
    [err] = report.errors
    assert err.code == "outside_country" and "29 km" in err.problem
    # 1 km beyond the drawn border north of Bishkek: outside the line but within the tolerance.
    from shapely.ops import nearest_points

    from geo.crs import KYRGYZSTAN_EQUAL_AREA

    to_m = Transformer.from_crs(4326, KYRGYZSTAN_EQUAL_AREA, always_xy=True)
    to_deg = Transformer.from_crs(KYRGYZSTAN_EQUAL_AREA, 4326, always_xy=True)
    country_m = gpd.GeoSeries([checks.country_shape()], crs=4326).to_crs(KYRGYZSTAN_EQUAL_AREA).iloc[0]
    outside_m = Point(to_m.transform(74.6, 43.3))
    edge = nearest_points(country_m.boundary, outside_m)[0]
    dx, dy = outside_m.x - edge.x, outside_m.y - edge.y
    length = (dx * dx + dy * dy) ** 0.5
    near = Point(to_deg.transform(edge.x + dx / length * 1000, edge.y + dy / length * 1000))
    _, _, report = _check([near])
    assert [m.code for m in report.messages] == ["near_border"]
    assert "1.0 km outside" in report.messages[0].problem


def test_out_of_range_coordinates():
    fixed, _, report = _check([Point(74.5, 200), Point(500, 41)])
    assert list(fixed) == [None, None]
    assert "latitude 200 is outside −90…90" in report.errors[0].problem
    assert "longitude 500 is outside −180…180" in report.errors[1].problem


def test_invalid_geometries_are_repaired_and_reported():
    bowtie = Polygon([(74.1, 41.1), (74.4, 41.4), (74.4, 41.1), (74.1, 41.4), (74.1, 41.1)])
    fixed, notes, report = _check([bowtie])
    assert fixed.iloc[0].is_valid and fixed.iloc[0].geom_type == "MultiPolygon"
    assert len(fixed.iloc[0].geoms) == 2 and fixed.iloc[0].area == pytest.approx(0.045)
    [msg] = report.warnings
    assert msg.code == "geometry_repaired" and "Self-intersection" in msg.problem
    assert "repaired" in notes[0][0]


def test_mixed_types_and_collections():
    from shapely.geometry import GeometryCollection

    geoms = [Point(74.25, 41.5), LineString([(74.3, 41.5), (74.4, 41.6)]),
             GeometryCollection([Point(74.25, 41.5), LineString([(74.3, 41.5), (74.4, 41.6)])])]
    fixed, _, report = _check(geoms)
    assert fixed.iloc[2] is None and report.errors[0].code == "geometry_collection"
    assert any(m.code == "mixed_geometry_types" and "1 point, 1 line" in m.problem for m in report.warnings)


def test_country_from_the_store_layer(store):
    """A store with its own country outline is checked against that (here a small box)."""
    from shapely.geometry import box

    store.write_layer("country", gpd.GeoDataFrame({"iso_3166_1": ["KG"]}, geometry=[box(74, 41, 75, 42)], crs=4326))
    _, _, report = _check([Point(75.5, 41.5)], store=store)
    assert report.errors[0].code == "outside_country"


# -- IDs, values ------------------------------------------------------------------------------------

def test_ids():
    report = ImportReport("t", labels=["row 2", "row 3", "row 4", "row 5"])
    ids = checks.check_ids(["A", 17.0, "A", " "], report, "ID")
    assert ids == ["A", "17", "A", None]
    assert [(m.row, m.code) for m in report.errors] == [(3, "id_empty"), (0, "id_duplicate"), (2, "id_duplicate")]
    assert "row 4" in report.errors[1].problem


@pytest.mark.parametrize("text, kind, value, currency", [
    ("1 150 000 сом", "money", 1150000, "KGS"),
    ("1 150 000,50", "money", 1150000.5, None),
    ("1\u00a0150\u00a0000,50 сом", "money", 1150000.5, "KGS"),
    ("1.150.000", "money", 1150000, None),
    ("1,150,000.75", "money", 1150000.75, None),
    ("1.150.000,75", "money", 1150000.75, None),
    ("$12 000", "money", 12000, "USD"),
    ("12 000 долл.", "money", 12000, "USD"),
    ("5 000 EUR", "money", 5000, "EUR"),
    ("2,5 млн сом", "money", 2500000, "KGS"),
    ("150 тыс.", "money", 150000, None),
    ("4,5", "decimal", 4.5, None),
    ("около 500", "count", 500, None),
    (1200, "count", 1200, None),
    ("", "money", None, None),
])
def test_numbers(text, kind, value, currency):
    parsed = checks.parse_number(text, kind)
    assert parsed.problem is None
    assert parsed.value == (pytest.approx(value) if value is not None else None)
    assert parsed.currency == currency


def test_number_notes_and_problems():
    assert "approximate" in checks.parse_number("около 500", "count").note
    assert "thousands separator" in checks.parse_number("1,150", "money").note
    assert checks.parse_number("1,150", "decimal").value == 1.15
    assert checks.parse_number("-5 000", "money").problem.endswith("cannot be below zero")
    assert checks.parse_number("12abc34", "money").problem == "'12abc34' is not a number"
    assert checks.parse_number("12 5", "money").problem  # spaces must group thousands
    assert checks.parse_number("2.5", "count").problem == "'2.5' is not a whole number"


@pytest.mark.parametrize("text, expected", [
    ("15.03.2021", dt.date(2021, 3, 15)), ("15/03/2021", dt.date(2021, 3, 15)), ("2021-03-15", dt.date(2021, 3, 15)),
    ("2021-03-15T10:00:00Z", dt.date(2021, 3, 15)), ("15.03.21", dt.date(2021, 3, 15)),
    (dt.datetime(2021, 3, 15, 9), dt.date(2021, 3, 15)), ("15.03.2021 г.", dt.date(2021, 3, 15)),
])
def test_dates(text, expected):
    assert checks.parse_date(text) == (expected, None)


def test_impossible_dates():
    assert checks.parse_date("31.02.2020")[1].startswith("'31.02.2020' is not a real date")
    assert "not a date" in checks.parse_date("весна 2020")[1]


@pytest.mark.parametrize("text, expected", [
    ("2019", (2019, None)), (2019, (2019, None)), (2019.0, (2019, None)), ("2019 г.", (2019, None)),
    ("2019–2021", (2019, 2021)), ("2019-21", (2019, 2021)), ("15.03.2020", (2020, None)), ("2019 жылы", (2019, None)),
])
def test_years(text, expected):
    start, end, problem = checks.parse_years(text)
    assert (start, end, problem) == (*expected, None)


def test_bad_years():
    assert "plausible" in checks.parse_years("1850")[2]
    assert "ends before it starts" in checks.parse_years("2021-2019")[2]
    assert "not a year" in checks.parse_years("soon")[2]


@pytest.mark.parametrize("text, flagged", [
    ("<script>alert(1)</script>", True), ("<b>bold</b>", True), ('<img src=x onerror="x">', True),
    ("javascript:alert(1)", True), ("a < b and c > d", False), ("Водопровод 4,5 км", False), (None, False),
])
def test_markup(text, flagged):
    assert checks.has_markup(text) is flagged


def test_parse_problems_are_translated_whole():
    from geo.project_import.checks import parse_date, parse_number, parse_years

    problem = parse_number("12abc34", "money").problem
    assert problem == "'12abc34' is not a number"
    assert problem.text("ru") == "'12abc34' — не число" and problem.text("ky") == "'12abc34' — сан эмес"
    assert parse_date("31.02.2021")[1].text("ru").startswith("'31.02.2021' — несуществующая дата (")
    assert parse_years("2021–2019")[2].text("ky") == "'2021–2019' башталганга чейин бүтөт"
    note = parse_number("около 1,150", "money").note
    assert note.text("ru") == ("приблизительно (записано как 'около 1,150'); 'около 1,150' прочитано как 1\u00a0150 "
                               "(',' принят за разделитель тысяч)")
