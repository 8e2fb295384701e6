"""Downloads (issue 9): every table shown has CSV and XLSX (and GeoJSON/GeoPackage when spatial),
the files open with pandas/geopandas and hold what the page shows; the Reports page hands out a
PDF and an XLSX.

Page checks run in Streamlit's AppTest on a store built once per session from the shipped
data; ``download_buttons`` is wrapped to record the frames the pages pass to it.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon
from streamlit.testing.v1 import AppTest

from geo.i18n import format_number, t
from ui import downloads
from ui.downloads import csv_bytes, geojson_bytes, gpkg_bytes, is_spatial, numbers_back, safe_name, xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]


# -- the byte builders -----------------------------------------------------------------------------


@pytest.fixture
def spatial() -> gpd.GeoDataFrame:
    """A small shown-style table: translated headers, Cyrillic text, unknown values (test-only)."""
    return gpd.GeoDataFrame({
        "ID": ["P1", "P2", "P3"],
        "Долбоор": ["Мектеп <b>", "Көпүрө, «жаңы»", None],
        "Сумма": pd.array([1150000.0, None, 524000.5], dtype="Float64"),
        "Жыл": pd.array([2021, None, 2006], dtype="Int64"),
        "Толук": [True, False, True],
    }, geometry=[Point(75.58, 42.07), Point(74.6, 42.87), None], crs=4326)


def _read_geo(data: bytes, suffix: str, tmp_path: Path) -> gpd.GeoDataFrame:
    path = tmp_path / f"back{suffix}"
    path.write_bytes(data)
    return gpd.read_file(path)


def test_csv_round_trip(spatial):
    data = csv_bytes(spatial)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Cyrillic correctly
    back = pd.read_csv(io.BytesIO(data))
    assert list(back.columns[:5]) == ["ID", "Долбоор", "Сумма", "Жыл", "Толук"]
    assert back["Долбоор"].iloc[1] == "Көпүрө, «жаңы»"
    assert back["Сумма"].iloc[0] == 1150000.0 and pd.isna(back["Сумма"].iloc[1])
    assert pd.isna(back["Жыл"].iloc[1])
    assert back["longitude"].iloc[0] == pytest.approx(75.58) and back["latitude"].iloc[0] == pytest.approx(42.07)
    assert back["geometry_wkt"].iloc[0] == "POINT (75.58 42.07)"
    assert pd.isna(back["longitude"].iloc[2])


def test_xlsx_round_trip(spatial):
    back = pd.read_excel(io.BytesIO(xlsx_bytes(spatial, "Долбоорлор")))
    assert back["Долбоор"].tolist()[:2] == ["Мектеп <b>", "Көпүрө, «жаңы»"]
    assert pd.isna(back["Долбоор"].iloc[2]) and pd.isna(back["Сумма"].iloc[1])
    assert back["Сумма"].iloc[2] == 524000.5
    assert back["Жыл"].iloc[0] == 2021
    assert openpyxl.load_workbook(io.BytesIO(xlsx_bytes(spatial, "a/b:c"))).sheetnames == ["a b c"]


def test_xlsx_leaves_out_geometry_text_longer_than_excel_allows():
    ring = [(74 + 0.001 * np.cos(a), 42 + 0.001 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 3000)]
    frame = gpd.GeoDataFrame({"name": ["big"]}, geometry=[Polygon(ring)], crs=4326)
    back = pd.read_excel(io.BytesIO(xlsx_bytes(frame)))
    assert "geometry_wkt" not in back.columns and back["longitude"].iloc[0] == pytest.approx(74.0, abs=0.01)


def test_geojson_and_geopackage_round_trip(spatial, tmp_path):
    for data, suffix in ((geojson_bytes(spatial), ".geojson"), (gpkg_bytes(spatial, "проекты"), ".gpkg")):
        back = _read_geo(data, suffix, tmp_path)
        assert len(back) == 3 and back.crs.to_epsg() == 4326
        assert back["ID"].tolist() == ["P1", "P2", "P3"]
        assert back["Долбоор"].iloc[1] == "Көпүрө, «жаңы»"
        assert back["Сумма"].iloc[0] == 1150000.0 and pd.isna(back["Сумма"].iloc[1])
        assert back.geometry.iloc[0].equals(Point(75.58, 42.07))
        assert back.geometry.iloc[2] is None or back.geometry.iloc[2].is_empty


def test_geojson_is_written_in_wgs84(spatial, tmp_path):
    utm = spatial.dropna(subset=["geometry"]).to_crs(32643)
    back = _read_geo(geojson_bytes(utm), ".geojson", tmp_path)
    assert back.geometry.iloc[0].x == pytest.approx(75.58, abs=1e-6)
    assert _read_geo(gpkg_bytes(utm), ".gpkg", tmp_path).crs.to_epsg() == 32643


@pytest.mark.parametrize("lang", ["ru", "ky", "en"])
def test_numbers_formatted_for_display_come_back_as_numbers(lang):
    shown = pd.DataFrame({
        "amount": [format_number(6970000, lang), "—", format_number(524000.5, lang, 1)],
        "year": ["2021", "—", "2006"],
        "id": ["P009", "P010", "P011"],
        "mixed": ["1 / 11", "2", "x"],
    })
    back = numbers_back(shown, lang)
    assert back["amount"].tolist()[0] == 6970000 and pd.isna(back["amount"].iloc[1])
    assert back["amount"].iloc[2] == 524000.5
    assert back["year"].iloc[2] == 2006
    assert back["id"].tolist() == ["P009", "P010", "P011"]
    assert back["mixed"].tolist() == ["1 / 11", "2", "x"]
    assert numbers_back(shown, None) is shown


def test_helpers():
    assert safe_name("Кочкор / KG-N-KOCHKOR projects") == "KG-N-KOCHKOR_projects"
    assert safe_name("!!!") == "table"
    assert is_spatial(gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4326))
    assert not is_spatial(pd.DataFrame({"a": [1]}))


# -- pages ---------------------------------------------------------------------------------------------


#: Frames the pages passed to download_buttons in the last run: (frame, name, key, index).
RECORDED: list[tuple] = []


def _script(page: str) -> None:
    import importlib

    from tests_ui_recorder import recorder  # noqa: F401  (installed by the test below)

    module = importlib.import_module(f"ui.pages.{page}")
    module.download_buttons = recorder
    module.render()


def _install_recorder(monkeypatch) -> None:
    import types

    def recorder(frame, name, key, index=False, lang=None):
        RECORDED.append((frame, name, key, index))
        downloads.download_buttons(frame, name, key, index=index, lang=lang)

    module = types.ModuleType("tests_ui_recorder")
    module.recorder = recorder
    monkeypatch.setitem(sys.modules, "tests_ui_recorder", module)


def _run(page: str, lang: str, monkeypatch, **state) -> AppTest:
    RECORDED.clear()
    _install_recorder(monkeypatch)
    at = AppTest.from_function(_script, args=(page,), default_timeout=180)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown_frames(at: AppTest) -> list[pd.DataFrame]:
    """The result tables of the page (st.dataframe); input editors (st.data_editor) are left out."""
    return [df.value for df in at.dataframe if df.proto.editing_mode == 0]


def _same_table(shown: pd.DataFrame, given: pd.DataFrame, index: bool) -> bool:
    plain = pd.DataFrame(given).drop(columns="geometry", errors="ignore")
    if index:
        return list(shown.columns) == list(plain.columns) and len(shown) == len(plain)
    if list(map(str, shown.columns)) != list(map(str, plain.columns)) or len(shown) != len(plain):
        return False
    return shown.astype("string").fillna("").reset_index(drop=True).equals(
        plain.astype("string").fillna("").reset_index(drop=True))


@pytest.mark.parametrize("page, state", [
    ("boundaries", {}),
    ("about", {}),
    ("unit", {"unit": "KG-N-KOCHKOR"}),
    ("donors", {}),
])
def test_every_table_shown_has_downloads_that_open_and_match(store, monkeypatch, tmp_path, page, state):
    at = _run(page, "ru", monkeypatch, **state)
    shown = _shown_frames(at)
    assert RECORDED, "no download buttons on the page"
    # every recorded table is one of the tables shown, with the same columns and cells
    for frame, name, key, index in RECORDED:
        assert any(_same_table(s, frame, index) for s in shown), (page, name)
    # every table shown has a download
    without = [list(s.columns) for s in shown if not any(_same_table(s, f, i) for f, _, _, i in RECORDED)]
    assert without == []
    # the buttons: CSV and XLSX for each table, plus GeoJSON and GeoPackage for spatial ones
    labels = [b.proto.label for b in at.get("download_button")]
    n_spatial = sum(is_spatial(f) for f, *_ in RECORDED)
    assert labels.count(t("download.csv", "ru")) == len(RECORDED)
    assert labels.count(t("download.xlsx", "ru")) == len(RECORDED)
    assert labels.count(t("download.geojson", "ru")) == n_spatial
    assert labels.count(t("download.gpkg", "ru")) == n_spatial
    # the files open and hold the shown values (formatted numbers back as numbers)
    for frame, name, key, index in RECORDED:
        table = numbers_back(frame.reset_index() if index else frame, "ru")
        plain = pd.DataFrame(table).drop(columns="geometry", errors="ignore")
        back_csv = pd.read_csv(io.BytesIO(csv_bytes(table)))
        back_xlsx = pd.read_excel(io.BytesIO(xlsx_bytes(table)))
        for back in (back_csv, back_xlsx):
            assert list(back.columns[:plain.shape[1]]) == [str(c) for c in plain.columns]
            assert len(back) == len(plain)
            for col in plain.columns:
                expected = plain[col]
                got = back[str(col)]
                if pd.api.types.is_numeric_dtype(expected.dtype) and not pd.api.types.is_bool_dtype(expected.dtype):
                    assert np.allclose(got.astype(float).fillna(-1), expected.astype(float).fillna(-1)), (name, col)
                else:
                    assert got.astype("string").fillna("").tolist() == [
                        str(v) if pd.notna(v) else "" for v in expected.tolist()] or got.isna().all(), (name, col)
        if is_spatial(table):
            for data, suffix in ((geojson_bytes(table), ".geojson"), (gpkg_bytes(table, name), ".gpkg")):
                geo = _read_geo(data, suffix, tmp_path)
                assert len(geo) == len(table)
                assert geo.geometry.notna().sum() == table.geometry.notna().sum()


def test_unit_projects_download_is_spatial_and_matches_the_store(store, monkeypatch, tmp_path):
    _run("unit", "en", monkeypatch, unit="KG-N-KOCHKOR")
    frame = next(f for f, name, *_ in RECORDED if name == "unit_KG-N-KOCHKOR_projects")
    geo = _read_geo(gpkg_bytes(numbers_back(frame, "en")), ".gpkg", tmp_path)
    from geo.store.gpkg import GeoPackageStore

    projects = GeoPackageStore(store).read("projects")
    expected = projects[projects["rayon_pcode"] == "KG-N-KOCHKOR"]
    id_col = t("col.project_id", "en")
    assert sorted(geo[id_col]) == sorted(expected["project_id"])
    assert geo.geometry.iloc[0].equals_exact(expected.geometry.iloc[0], 1e-9)


def test_reports_page_prepares_pdf_and_xlsx(store, monkeypatch):
    # the page runs in Russian (AppTest evaluates format_func labels outside the session, i.e. in the
    # default language); the report itself is asked for in Kyrgyz
    at = _run("reports", "ru", monkeypatch)
    assert at.title[0].value == t("page.reports", "ru")
    assert at.selectbox(key="report_unit").value == "KG-N-KOCHKOR"
    assert at.get("download_button") == []  # nothing before the button is pressed
    at.radio(key="report_lang").set_value("ky").run()
    at.button(key="report_prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success and "Кочкорский район" in at.success[0].value
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [t("reports.download_pdf", "ru"), t("reports.download_xlsx", "ru")]
    choice, files = at.session_state["_report_files"]
    assert choice == ("unit", "KG-N-KOCHKOR", None, "ky")
    assert files["pdf"][0].startswith(b"%PDF")
    assert files["pdf"][1].startswith("aimak_report_KG-N-KOCHKOR_ky_") and files["pdf"][1].endswith(".pdf")
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"][0]))
    assert book.sheetnames[0] == t("report.sheet.summary", "ky")
    # another language: the report made for the old choice is no longer offered
    at.radio(key="report_lang").set_value("en").run()
    assert at.get("download_button") == []


def test_map_page_offers_the_projects_shown(store, monkeypatch, tmp_path):
    at = _run("map", "ru", monkeypatch)
    frame = next(f for f, name, *_ in RECORDED if name == "projects_shown")
    assert is_spatial(frame)
    caption = " ".join(c.value for c in at.caption)
    assert t("map.count", "ru", shown=format_number(len(frame), "ru"), total=format_number(len(frame), "ru")) in caption
    back = _read_geo(geojson_bytes(frame), ".geojson", tmp_path)
    assert sorted(back["project_id"]) == sorted(frame["project_id"])
