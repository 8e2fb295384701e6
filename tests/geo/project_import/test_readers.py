"""Reading import files and guessing column mappings (TEST-ONLY SYNTHETIC files)."""
from __future__ import annotations

import pytest
import shapely

from geo.errors import NotGeodataError, SchemaError
from geo.project_import import readers
from geo.project_import.columns import guess_mapping, normalise_header, normalise_sector, resolve_mapping
from tests.fixtures import bad_inputs as fx


# -- column mapping -------------------------------------------------------------------------------

def test_russian_headers_are_guessed():
    columns = ["№", "Название проекта", "Сектор", "Широта", "Долгота", "Сумма (сом)", "Год", "Айыл окмоту",
               "Источник финансирования", "Женщины", "Кол-во дворов"]
    mapping = guess_mapping(columns)
    assert mapping["title"] == "Название проекта"
    assert mapping["sector"] == "Сектор"
    assert (mapping["lat"], mapping["lon"]) == ("Широта", "Долгота")
    assert mapping["total_cost"] == "Сумма (сом)"
    assert mapping["year"] == "Год"
    assert mapping["aiyl_okmot_name"] == "Айыл окмоту"
    assert mapping["funding_source"] == "Источник финансирования"
    assert mapping["women"] == "Женщины"
    assert "project_id" not in mapping  # a running number "№" is not an ID


def test_english_and_kobo_headers_are_guessed():
    mapping = guess_mapping(["Project ID", "Name", "lat", "lng", "group_a/_gps_latitude", "_uuid", "_id"])
    assert mapping["project_id"] == "Project ID"
    assert mapping["title"] == "Name"
    assert (mapping["lat"], mapping["lon"]) == ("lat", "lng")
    kobo = guess_mapping(["group/name", "group/_gps_latitude", "group/_gps_longitude", "_id", "_uuid"])
    assert (kobo["lat"], kobo["lon"]) == ("group/_gps_latitude", "group/_gps_longitude")
    assert kobo["project_id"] == "_uuid"


def test_coordinate_columns_are_recognised_by_content():
    import pandas as pd

    frame = pd.DataFrame({
        "место": ["41.5 74.5 1200 5", "41.6 74.6 1100 4"],
        "трасса": ["41.5 74.5 0 0;41.6 74.6 0 0", "41.5 74.5 0 0;41.7 74.7 0 0"],
        "участок": ["41.5 74.5 0 0;41.6 74.5 0 0;41.6 74.6 0 0;41.5 74.5 0 0"] * 2,
        "location": ["near the school", "by the river"],
    }, dtype=object)
    mapping = guess_mapping(list(frame.columns), frame)
    assert mapping["geopoint"] == "место"
    assert mapping["geotrace"] == "трасса"
    assert mapping["geoshape"] == "участок"
    assert "location" not in mapping.values()  # a text column named "location" is not a geopoint


def test_mapping_overrides_and_unknown_columns():
    columns = ["A", "B", "Широта", "Долгота"]
    mapping = resolve_mapping(columns, {"title": "A", "lat": "Долгота", "lon": "Широта"})
    assert mapping["title"] == "A" and mapping["lat"] == "Долгота" and mapping["lon"] == "Широта"
    assert "title" not in resolve_mapping(columns, {"title": None})
    with pytest.raises(SchemaError, match="'Z' chosen for title is not in the file"):
        resolve_mapping(columns, {"title": "Z"})
    with pytest.raises(SchemaError, match="Unknown field"):
        resolve_mapping(columns, {"colour": "A"})


@pytest.mark.parametrize("text, code", [
    ("Водоснабжение", "water_supply"), ("Питьевая вода", "water_supply"), ("Ичүүчү суу", "water_supply"),
    ("Школа", "school"), ("Детский сад", "kindergarten"), ("ФАП", "health"), ("Дамба", "dam_flood_protection"),
    ("Ирригация", "irrigation"), ("Арык", "irrigation"), ("Ремонт дороги", "road"), ("Уличное освещение", "street_lighting"),
    ("water_supply", "water_supply"),
])
def test_sector_words(text, code):
    assert normalise_sector(text) == (code, True)


def test_unknown_sector_is_kept_as_written():
    assert normalise_sector("Спортзал") == ("Спортзал", False)


def test_normalise_header():
    assert normalise_header("Сумма (сом)") == "summa"
    assert normalise_header("group_x/Project ID") == "projectid"


# -- formats ---------------------------------------------------------------------------------------

def test_cp1251_and_utf16_csv(tmp_path):
    text = fx.csv_text()
    cp = tmp_path / "cp.csv"
    cp.write_bytes(text.encode("cp1251"))
    table = readers.read_source(cp)
    assert list(table.frame.columns)[1] == "Название"
    assert any(n[4] == "encoding_cp1251" for n in table.notes)
    u16 = tmp_path / "u16.txt"
    u16.write_bytes(text.replace(";", "\t").encode("utf-16"))
    table = readers.read_source(u16)
    assert table.frame.iloc[0]["Название"] == "Test water pipe"
    assert table.labels == ["row 2", "row 3", "row 4"]


def test_csv_keeps_file_line_numbers_and_skips_blank_lines(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("id,name,lat,lon\n\nA,One,41.5,74.5\n\n\nB,\"Two, with comma\",41.6,74.6\n", encoding="utf-8")
    table = readers.read_source(path)
    assert table.lines == [3, 6]
    assert table.frame.iloc[1]["name"] == "Two, with comma"


def test_xlsx_title_row_and_merged_data_cells(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Проекты 2020", None, None, None])
    ws.merge_cells("A1:D1")
    ws.append(["Название", "Сектор", "Широта", "Долгота"])
    ws.append(["Test one", "Школа", 41.5, 74.25])
    ws.append(["Test two", None, 41.5, 74.75])
    ws.merge_cells("B3:B4")
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    table = readers.read_source(path)
    assert list(table.frame.columns) == ["Название", "Сектор", "Широта", "Долгота"]
    assert list(table.frame["Сектор"]) == ["Школа", "Школа"]
    assert table.labels == ["row 3", "row 4"]
    texts = [n[1] for n in table.notes]
    assert any("merged cells A1:D1" in t and "taken from row 2" in t for t in texts)
    assert any("cells B3:B4 are merged" in t for t in texts)


def test_xlsx_sheet_choice(tmp_path):
    path = fx.xlsx(tmp_path / "two.xlsx", fx.xlsx_rows(), extra_sheets={"2021": fx.xlsx_rows()[:2]})
    assert readers.list_source_layers(path) == ["projects", "2021"]
    assert len(readers.read_source(path, layer="2021").frame) == 1
    with pytest.raises(SchemaError, match="no sheet 'nope'"):
        readers.read_source(path, layer="nope")


def test_kobo_repeat_groups_are_joined_to_their_parent(tmp_path):
    table = readers.read_source(fx.kobo_xlsx(tmp_path / "kobo.xlsx"))
    assert table.format == "kobo-xlsx"
    repeat = table.children["funding"]
    assert list(repeat["_row"]) == [0, 0, 2]  # joined by _parent_index → _index
    assert list(repeat["funding/source_name"]) == ["Local budget", "Community (ashar)", "UNDP"]


def test_kobo_coordinate_strings():
    assert readers.parse_geopoint("41.5 74.25 1200 4.5").coords[0] == (74.25, 41.5)
    assert readers.parse_geopoint("[41.5, 74.25]").coords[0] == (74.25, 41.5)
    line = readers.parse_geotrace("41.5 74.25 0 0;41.6 74.35 0 0;")
    assert line.geom_type == "LineString" and list(line.coords) == [(74.25, 41.5), (74.35, 41.6)]
    area = readers.parse_geotrace("41.5 74.2 0 0;41.6 74.2 0 0;41.6 74.3 0 0;41.5 74.2 0 0", closed=True)
    assert area.geom_type == "Polygon" and area.is_valid
    with pytest.raises(ValueError):
        readers.parse_geotrace("41.5 74.2 0 0", closed=False)


def test_wkt_and_ewkt():
    geom, srid = readers.parse_wkt("SRID=32643;POINT (437403 4594536)")
    assert srid == 32643 and geom.x == 437403
    with pytest.raises(ValueError, match="not valid WKT"):
        readers.parse_wkt("POINT (banana)")


@pytest.mark.parametrize("text, value", [
    ("41.5", 41.5), ("41,5", 41.5), (41.5, 41.5), ("41°30'00\" N", 41.5), ("74° 15′ 0″ E", 74.25),
    ("41 30 0", 41.5), ("-41.5", -41.5), ("41°30' S", -41.5), ("", None),
])
def test_coordinates(text, value):
    assert readers.parse_coordinate(text) == (pytest.approx(value) if value is not None else None)


def test_bad_coordinate_text():
    with pytest.raises(ValueError, match="not a coordinate"):
        readers.parse_coordinate("north of the school")


def test_kml_placemarks_with_extended_data_and_multigeometry(tmp_path):
    placemarks = (
        "<Placemark><name>Test canal</name><description>lined &lt;b&gt;canal&lt;/b&gt;</description>"
        "<ExtendedData><SchemaData><SimpleData name=\"project_id\">T-7</SimpleData></SchemaData></ExtendedData>"
        "<MultiGeometry><LineString><coordinates>74.1,41.1 74.2,41.2</coordinates></LineString>"
        "<LineString><coordinates>74.2,41.2 74.3,41.2</coordinates></LineString></MultiGeometry></Placemark>"
        "<Placemark><name>Test area</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        "74.1,41.1 74.2,41.1 74.2,41.2 74.1,41.1</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
    )
    path = tmp_path / "t.kml"
    path.write_text(fx.kml_text(placemarks), encoding="utf-8")
    table = readers.read_source(path)
    assert table.labels == ["placemark 1 ('Test canal')", "placemark 2 ('Test area')"]
    assert table.frame.iloc[0]["project_id"] == "T-7"
    assert table.frame.iloc[0]["description"] == "lined <b>canal</b>"
    assert [g.geom_type for g in table.geometry] == ["MultiLineString", "Polygon"]


def test_kmz_reads_doc_kml(tmp_path):
    path, _ = fx.build_good("kmz", tmp_path)
    table = readers.read_source(path)
    assert table.format == "kmz" and len(table.frame) == 3


def test_iati_activities(tmp_path):
    path, _ = fx.build_good("iati", tmp_path)
    table = readers.read_source(path)
    first = table.frame.iloc[0]
    assert first["project_id"] == "XM-TEST-T-1"
    assert first["title"] == "Test water pipe"  # the English narrative
    assert first["status"] == "implementation"
    assert first["sector"] == "water_supply"  # DAC 14030
    assert (first["total_cost"], first["currency"]) == (11500.0, "USD")
    assert (first["date_start"], first["date_end"]) == ("2019-03-01", "2020-12-31")
    assert table.geometry.iloc[0].coords[0] == (74.25, 41.5)  # pos is "lat lon"
    funding = table.funding[table.funding["_row"] == 0].iloc[0]
    assert funding["source_name"] == "Test Donor Fund" and funding["amount"] == 5750.0
    assert table.labels[0] == "activity 1 ('XM-TEST-T-1')"


def test_iati_several_locations_become_a_multipoint(tmp_path):
    text = fx.iati_text().replace(
        "</point><exactness code=\"1\"/></location>",
        "</point></location><location><point><pos>41.7 74.3</pos></point></location>", 1)
    path = tmp_path / "multi.xml"
    path.write_text(text, encoding="utf-8")
    table = readers.read_source(path)
    assert table.geometry.iloc[0].geom_type == "MultiPoint" and len(table.geometry.iloc[0].geoms) == 2


def test_vector_files_use_geo_io_and_report_reprojection(tmp_path):
    path, _ = fx.build_good("shapefile_zip_utm", tmp_path)
    table = readers.read_source(path)
    assert table.crs_fixed and table.crs.to_epsg() == 4326
    assert any("reprojected from EPSG:32643" in n[1] for n in table.notes)
    assert shapely.get_coordinates(table.geometry.iloc[0])[0] == pytest.approx((74.25, 41.5), abs=1e-6)


def test_gpkg_layers_are_listed(tmp_path):
    path, _ = fx.build_good("gpkg_layer", tmp_path)
    assert readers.list_source_layers(path) == ["projects", "other"]
    assert len(readers.read_source(path, layer="other").frame) == 1


def test_binary_content_is_named(tmp_path):
    path = tmp_path / "photo.kml"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 32)
    with pytest.raises(NotGeodataError, match="contains a JPEG image"):
        readers.read_source(path)
