"""Messages of the import report read in Russian and Kyrgyz, whole sentences (TEST-ONLY SYNTHETIC files):
an unreadable GeoJSON geometry, merged cells of a workbook, a bad funding cell, coordinates and IATI values."""
from __future__ import annotations

import json

from geo.project_import import preview_import


def _one(preview, code):
    found = [m for m in preview.report.messages if m.code == code]
    assert len(found) == 1, (code, preview.report.to_text())
    return found[0]


def test_unreadable_geojson_geometry_in_russian_and_kyrgyz(tmp_path, store):
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"project_id": "G-1", "title": "Школа"},
         "geometry": {"type": "Point", "coordinates": [74.25, 41.5]}},
        {"type": "Feature", "properties": {"project_id": "G-2", "title": "Мост"},
         "geometry": {"type": "Polygon", "coordinates": [[[74.2, 41.5], [74.3, 41.5]]]}},
    ]}), encoding="utf-8")
    # With the CRS chosen by hand the features are read as written, one by one (GDAL would refuse the file).
    message = _one(preview_import(store, path, crs="EPSG:4326"), "geometry_unreadable")
    detail = message.fields["detail"]  # shapely's own words, kept as detail
    assert detail and message.key == "err.import.geometry_unreadable"
    assert message.text() == f"Feature 2, column 'geometry': the geometry cannot be read: {detail}."
    assert message.text("ru") == f"Объект 2, столбец 'geometry': геометрию не удаётся прочитать: {detail}."
    assert message.text("ky") == f"2-объект, 'geometry' тилкеси: геометрияны окуу мүмкүн эмес: {detail}."


def test_merged_cells_of_a_workbook_in_russian_and_kyrgyz(tmp_path, store):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Данные"
    ws.append(["Проекты 2020", None, None, None, None])
    ws.merge_cells("A1:E1")
    ws.append(["ID", "Название", "Сектор", "Широта", "Долгота"])
    ws.append(["X-1", "Школа", "Мектеп", 41.5, 74.25])
    ws.append(["X-2", "Клиника", None, 41.5, 74.75])
    ws.merge_cells("C3:C4")
    ws.append(["X-3", "Мост", "Мост", 41.6, 74.5])
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    preview = preview_import(store, path)

    header = _one(preview, "xlsx_header_row")
    assert header.text() == ("Sheet 'Данные': row 1 above the column names (merged cells A1:E1; text: 'Проекты 2020') "
                             "was skipped; column names were taken from row 2.")
    assert header.text("ru") == ("Лист 'Данные': строка 1 над названиями столбцов (объединённые ячейки A1:E1; "
                                 "текст: 'Проекты 2020') пропущена; названия столбцов взяты из строки 2.")
    assert header.text("ky") == ("'Данные' барагы: тилкелердин аталыштарынан жогорку 1-сап (бириктирилген уячалар "
                                 "A1:E1; текст: 'Проекты 2020') өткөрүлүп жиберилди; тилкелердин аталыштары "
                                 "2-саптан алынды.")
    merged = _one(preview, "xlsx_merged_cells")
    assert merged.text() == "Sheet 'Данные': cells C3:C4 are merged; the value 'Мектеп' was used for each of rows 3–4."
    assert merged.text("ru") == ("Лист 'Данные': ячейки C3:C4 объединены; значение 'Мектеп' использовано для каждой "
                                 "из строк 3–4.")
    assert merged.text("ky") == ("'Данные' барагы: C3:C4 уячалары бириктирилген; 'Мектеп' мааниси 3–4-саптардын "
                                 "ар биринде колдонулду.")
    assert "объединены" in preview.report.to_frame("ru").loc[lambda f: f["code"] == "xlsx_merged_cells", "message"].iloc[0]


def test_a_bad_funding_cell_in_russian_and_kyrgyz(tmp_path, store):
    path = tmp_path / "funding.csv"
    path.write_text("ID;Название;Широта;Долгота;Источник финансирования\n"
                    "F-1;Школа;41,5;74,25;\"Местный бюджет:250 000:KGS;UNDP:12abc:USD\"\n", encoding="utf-8")
    message = _one(preview_import(store, path), "funding_amount_invalid")
    assert message.severity == "error"
    cell = "Местный бюджет:250 000:KGS;UNDP:12abc:USD"
    assert message.text() == (f"Row 2, column 'Источник финансирования': the funding amount in '{cell}': "
                              "'12abc' is not a number.")
    assert message.text("ru") == (f"Строка 2, столбец 'Источник финансирования': сумма финансирования в '{cell}': "
                                  "'12abc' — не число.")
    assert message.text("ky") == (f"2-сап, 'Источник финансирования' тилкеси: '{cell}' ичиндеги каржылоо суммасы: "
                                  "'12abc' — сан эмес.")


def test_coordinates_currency_and_years_in_russian_and_kyrgyz(tmp_path, store):
    path = tmp_path / "cells.csv"
    path.write_text("ID;Название;Широта;Долгота;Валюта;Год начала;Завершение\n"
                    "C-1;Школа;north;74,25;KGS;2020;2021\n"
                    "C-2;Мост;41,5;74,75;тенге;2022;2019\n", encoding="utf-8")
    preview = preview_import(store, path)
    coordinate = _one(preview, "coordinate_unreadable")
    assert coordinate.text() == "Row 2, column 'Широта': 'north' is not a coordinate (latitude)."
    assert coordinate.text("ru") == "Строка 2, столбец 'Широта': 'north' — не координата (широта)."
    assert coordinate.text("ky") == "2-сап, 'Широта' тилкеси: 'north' — координата эмес (кеңдик)."
    currency = _one(preview, "currency_unknown")
    assert currency.text("ru").startswith("Строка 3, столбец 'Валюта': 'тенге' — неизвестная приложению валюта (")
    assert currency.text("ky").endswith("); валюта бош калтырылды.")
    years = _one(preview, "years_reversed")
    assert years.problem_text("ru") == "год окончания 2019 раньше года начала 2022."
    assert years.problem_text("ky") == "бүтүү жылы (2019) башталуу жылынан (2022) мурун."


def test_iati_budget_and_position_problems_in_russian_and_kyrgyz(tmp_path, store):
    path = tmp_path / "iati.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">'
        '<iati-activity default-currency="USD"><iati-identifier>XM-1</iati-identifier>'
        '<title><narrative>School</narrative></title>'
        '<budget><value>12abc</value></budget>'
        '<location><point srsName="http://www.opengis.net/def/crs/EPSG/0/4326"><pos>41.5 74.25</pos></point></location>'
        '</iati-activity>'
        '<iati-activity default-currency="USD"><iati-identifier>XM-2</iati-identifier>'
        '<title><narrative>Bridge</narrative></title>'
        '<location><point><pos>north east</pos></point></location>'
        '<location><point><pos>41.6 74.3</pos></point></location>'
        '</iati-activity></iati-activities>\n', encoding="utf-8")
    preview = preview_import(store, path)
    budget = _one(preview, "iati_budget_value")
    assert budget.text() == "Activity 1 ('XM-1'), column 'budget/value': budget value '12abc' is not a number."
    assert budget.text("ru") == "Мероприятие 1 ('XM-1'), столбец 'budget/value': значение бюджета: '12abc' — не число."
    assert budget.text("ky") == "1-иш-чара ('XM-1'), 'budget/value' тилкеси: бюджеттин мааниси: '12abc' — сан эмес."
    pos = _one(preview, "iati_pos")
    assert pos.problem_text("ru") == "location/point/pos: 'north east' — не 'широта долгота'."
    assert pos.problem_text("ky") == "location/point/pos: 'north east' — 'кеңдик узундук' эмес."


def test_a_long_list_of_unused_columns_ends_in_the_readers_language(tmp_path, store):
    extra = [f"x{k}" for k in range(25)]
    path = tmp_path / "wide.csv"
    path.write_text("project_id,title,lat,lon," + ",".join(extra) + "\nW-1,School,41.5,74.25" + ",1" * 25 + "\n",
                    encoding="utf-8")
    message = _one(preview_import(store, path), "unused_columns")
    assert "'x19' and 5 more" in message.text()
    assert "'x19' и ещё 5" in message.text("ru") and "and 5 more" not in message.text("ru")
    assert "'x19' жана дагы 5" in message.text("ky")
