"""PDF reports (issue 9): a documented unit's report carries its figures, in the language's format.

Kochkor rayon (KG-N-KOCHKOR) holds Kara-Suu aiyl aimak's projects from the seed
document 004 (Bolot Sadykov's presentation), e.g. the new school for 240 students in
Mantysh (P009): 6,970,000 som (Assanabil Charitable Foundation) + 9,758,000 som
(T. Kurtkaev Charitable Foundation) + 524,000 som (local budget) = 17,252,000 som.
The store is built once per session from the shipped data (``python -m geo build``).
"""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.errors import InputError
from geo.i18n import t
from geo.reports import collect, sections
from geo.reports.fonts import font_paths, missing_glyphs
from geo.reports.pdf import render_pdf, report_pdf
from geo.reports.static_map import map_figure, render_png, scale_bar_length, sunflower_offsets

pypdf = pytest.importorskip("pypdf")

KOCHKOR = "KG-N-KOCHKOR"
DAY = dt.date(2025, 3, 5)


@pytest.fixture(scope="session")
def store(built_store):
    """The store built from the shipped data and the seed projects (tests/conftest.py), read only."""
    from geo.store.gpkg import GeoPackageStore

    return GeoPackageStore(built_store)


@pytest.fixture(scope="session")
def pdf_texts(store):
    """Kochkor's report in each language: (pdf bytes, extracted text with NBSP turned into spaces)."""
    out = {}
    for lang in ("ky", "ru", "en"):
        data = report_pdf(store, unit=KOCHKOR, lang=lang, today=DAY)
        out[lang] = (data, extract(data))
    return out


def extract(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


@pytest.mark.parametrize("lang, figures", [
    ("ru", ["6 970 000", "9 758 000", "524 000", "17 252 000", "52 067 000", "79 886 076"]),
    ("ky", ["6 970 000", "9 758 000", "524 000", "17 252 000", "52 067 000", "79 886 076"]),
    ("en", ["6,970,000", "9,758,000", "524,000", "17,252,000", "52,067,000", "79,886,076"]),
])
def test_report_has_the_documented_figures_in_the_language_format(pdf_texts, lang, figures):
    data, text = pdf_texts[lang]
    assert data.startswith(b"%PDF")
    for figure in figures:
        assert figure in text, figure
    if lang != "en":
        assert "6,970,000" not in text


def test_kyrgyz_report_is_in_kyrgyz_with_its_letters(pdf_texts):
    _, text = pdf_texts["ky"]
    for letter in "ңөү":
        assert letter in text
    assert t("report.section.summary", "ky") in text  # "Негизги көрсөткүчтөр"
    assert "Кочкорский район (ru)" in text  # no Kyrgyz name in the data: the fallback is marked
    assert "05.03.2025" in text


def test_report_texts_come_from_the_catalogue(pdf_texts):
    for lang, (_, text) in pdf_texts.items():
        assert re.findall(r"\b(?:report|currency|hazard|sector|level|precision|col)\.[a-z_]+", text) == [], lang
        for key in ("report.section.projects", "report.section.beneficiaries", "report.section.sources",
                    "report.section.precision", "report.section.by_source_type", "report.section.by_sector"):
            assert t(key, lang) in text, (lang, key)
    assert "Подготовлено 05.03.2025" in pdf_texts["ru"][1]
    assert "Prepared on 5 March 2025" in pdf_texts["en"][1]


def test_report_lists_the_units_projects_sources_and_precision(store, pdf_texts):
    _, text = pdf_texts["ru"]
    projects = store.read("projects")
    ids = sorted(projects.loc[projects["rayon_pcode"] == KOCHKOR, "project_id"])
    assert len(ids) == 11
    for pid in ids:
        assert pid in text
    assert "Assanabil Charitable Foundation" in text
    for licence in ("CC BY 4.0", "LGPL-3.0-or-later", "общественное достояние"):
        assert licence in text
    assert "GeoNames" in text and "GEBCO 2023" in text and "004_04ae24d055d2eeb6.txt" in text
    assert t("precision.4", "ru") in text
    # hazard exposure: one section per hazard layer in the store, or a line saying none is loaded
    zones = store.read("hazard_zones")
    if len(zones):
        flat = " ".join(text.split())
        for layer in zones["layer_name"].dropna().unique():
            assert " ".join(t("report.section.exposure_layer", "ru", layer=layer).split()) in flat
    else:
        assert t("report.no_hazard", "ru") in text


def test_missing_beneficiaries_print_as_dash_never_zero(store):
    report = collect(store, unit=KOCHKOR, lang="en", today=DAY)
    table = next(s for s in sections(report) if s.key == "beneficiaries").frame
    p009 = table[table["project_id"] == "P009"].iloc[0]
    assert p009["students"] == 240 and p009["total"] is not None
    from geo.reports import display_value

    assert display_value(p009["total"], "int", "en") == "—"
    assert display_value(0, "int", "en") == "0"
    text = extract(render_pdf(report))
    assert "—" in text


def test_font_is_embedded_and_has_the_kyrgyz_letters(pdf_texts):
    assert missing_glyphs("ңөүҢӨҮ—\u00a0") == []
    assert set(font_paths()) == {"", "B"}
    reader = pypdf.PdfReader(io.BytesIO(pdf_texts["ky"][0]))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descendant["/FontDescriptor"].get_object()
    assert fonts and all("DejaVu" in name for name in fonts)
    assert all(fonts.values())  # embedded, not referenced


def test_first_page_carries_the_static_map(pdf_texts):
    reader = pypdf.PdfReader(io.BytesIO(pdf_texts["ru"][0]))
    images = list(reader.pages[0].images)
    assert images, "no map image on the first page"
    assert max(img.image.size[0] for img in images) >= 1200


def test_donor_report(store):
    text = extract(report_pdf(store, donor="Assanabil Charitable Foundation", lang="ru", today=DAY))
    assert t("report.title", "ru", name="Assanabil Charitable Foundation") in text
    assert "6 970 000" in text
    assert t("report.section.by_oblast", "ru") in text
    assert "P009" in text and "P010" not in text


def test_oblast_report_counts_all_its_projects(store):
    projects = store.read("projects")
    naryn = projects[projects["oblast_pcode"] == "KG-N"]
    report = collect(store, unit="KG-N", lang="en", today=DAY)
    assert sorted(report.projects["project_id"]) == sorted(naryn["project_id"])
    assert report.parent is None or isinstance(report.parent, str)
    assert extract(render_pdf(report)).count("Naryn") >= 1


def test_hazard_exposure_is_reported_when_a_layer_is_loaded(store):
    """A test-only hazard zone around the point where Kochkor's projects are placed."""
    frames = {name: store.read(name) for name in ("admin_units", "projects", "funding", "beneficiaries", "settlements",
                                                  "rivers", "lakes")}
    centre = frames["projects"].loc[frames["projects"]["project_id"] == "P009"].geometry.iloc[0]
    frames["hazard_zones"] = gpd.GeoDataFrame({
        "zone_id": ["test-1"], "hazard_type": ["mudflow"], "hazard_class": ["High"], "value": [None],
        "layer_name": ["Test mudflow"], "source": ["test fixture"], "source_date": [None], "licence": ["CC0"],
        "indicative": [False],
    }, geometry=[Point(centre.x, centre.y).buffer(0.05)], crs=4326)
    report = collect(frames, unit=KOCHKOR, lang="ru", today=DAY)
    assert len(report.exposure) == 1
    table = report.exposure[0]["table"].set_index("hazard_class")
    assert int(table.loc["High", "projects"]) == 11
    assert report.exposure[0]["hazard_level"] == "High"
    text = extract(render_pdf(report))
    assert t("report.section.exposure_layer", "ru", layer="Test mudflow") in text
    assert t("hazard.class.High", "ru") in text and "CC0" in text


def test_unknown_unit_or_no_subject_is_refused(store):
    with pytest.raises(InputError):
        collect(store, unit="KG-X-NOWHERE")
    with pytest.raises(InputError):
        collect(store)
    with pytest.raises(InputError):
        collect(store, donor="Nobody at all")


# -- the static map ------------------------------------------------------------------------------


def test_static_map_is_drawn_in_a_metric_crs_with_a_round_scale_bar(store):
    admin, projects = store.read("admin_units"), store.read("projects")
    fig, info = map_figure(admin, projects[projects["rayon_pcode"] == KOCHKOR], selected=KOCHKOR,
                           rivers=store.read("rivers"), lakes=store.read("lakes"), lang="ky")
    assert info["crs"].to_epsg() == 32643  # UTM 43N for Kochkor
    assert info["crs"].axis_info[0].unit_name == "metre"
    minx, miny, maxx, maxy = info["extent"]
    unit = admin[admin["pcode"] == KOCHKOR].to_crs(info["crs"]).total_bounds
    assert minx < unit[0] and miny < unit[1] and maxx > unit[2] and maxy > unit[3]
    assert info["scale_m"] in (10_000, 20_000, 50_000)
    assert info["spread"] == 11  # all at the rayon centre, spread around it
    texts = [tx.get_text() for ax in fig.axes for tx in ax.texts]
    assert t("report.map.north", "ky") in texts
    assert any(tx.endswith(t("report.map.km", "ky")) for tx in texts)


def test_static_map_png_and_helpers(store):
    admin, projects = store.read("admin_units"), store.read("projects")
    png = render_png(admin, projects.head(30), lang="en", dpi=80)
    assert png.startswith(b"\x89PNG")
    assert scale_bar_length(118_000) == 20_000
    assert scale_bar_length(900_000) == 200_000
    offsets = sunflower_offsets(12, 1.0)
    assert len({(round(x, 6), round(y, 6)) for x, y in offsets}) == 12
    assert sunflower_offsets(1, 1.0).tolist() == [[0.0, 0.0]]
