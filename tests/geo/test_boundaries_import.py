"""Importing OCHA COD-AB boundaries (TEST-ONLY SYNTHETIC fixtures) into a GeoPackage store."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from geo import boundaries_import as bi  # noqa: E402
from geo.boundaries_import import has_level, import_boundaries, level_loaded, read_codab  # noqa: E402
from geo.errors import (  # noqa: E402
    CRSUnresolvedError, InputError, NotGeodataError, OutsideCountryError, SchemaError,
)
from geo.io.archives import ArchiveTooLargeError, UnsafeArchiveError  # noqa: E402
from geo.store.gpkg import GeoPackageStore  # noqa: E402
from tests.fixtures import codab as fx  # noqa: E402

LAYERS = ("admin_units", "settlements", "projects", "audit_log")


def _formats():
    for fmt in fx.FORMATS:
        marks = []
        if fmt == "gdb_zip" and not fx.gdb_writable():
            marks = [pytest.mark.skip(reason="this GDAL cannot write a file geodatabase to build the fixture")]
        yield pytest.param(fmt, marks=marks, id=fmt)


FORMATS = list(_formats())


@pytest.fixture
def store(tmp_path):
    store = GeoPackageStore(tmp_path / "store" / "aimak.gpkg")
    fx.seed_store(store)
    return store


def _checksums(store) -> dict[str, str]:
    return {name: store.checksum(name) for name in LAYERS}


def _by(frame, key):
    return frame.set_index(key)


# -- read_codab ----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_read_codab_level3_every_format(tmp_path, fmt):
    path = fx.write(fx.level3_frame(), fmt, tmp_path)
    level, units = read_codab(path)
    assert level == 3
    assert units.crs.to_epsg() == 4326
    assert list(units.columns[:9]) == ["pcode", "level", "parent_pcode", "name_en", "name_ru", "name_ky",
                                       "population", "source", "note"]
    rows = _by(units, "pcode")
    assert sorted(rows.index) == [fx.level3_pcode(i) for i in range(8)]
    first = rows.loc[fx.level3_pcode(0)]
    assert first["level"] == 3
    assert first["parent_pcode"] == fx.ADM2_PCODES[0]
    assert (first["name_en"], first["name_ru"], first["name_ky"]) == fx.AA_NAMES[0]
    assert rows.loc[fx.level3_pcode(5), "name_ky"] == "Жаңы-Талап"
    assert units["population"].isna().all()
    assert first["source"] == f"OCHA COD-AB (CC BY-IGO), file {path.name}, date 2018-08-27"
    assert "TEST-ONLY SYNTHETIC" in first["note"] and "also called Kok-Jar" in first["note"]
    assert set(shapely.get_type_id(units.geometry.values)) == {6}  # MultiPolygon
    assert rows.loc[fx.level3_pcode(3)].geometry.symmetric_difference(fx.cell(3)).area < 1e-12  # gdb grid-snaps
    assert units.attrs["warnings"] == []


def test_read_codab_levels_1_and_2(tmp_path):
    level, units = read_codab(fx.write(fx.level2_frame(), "geojson", tmp_path, stem="adm2"))
    assert level == 2 and sorted(units["pcode"]) == list(fx.ADM2_PCODES)
    assert set(units["parent_pcode"]) == {fx.ADM1_PCODE}
    level, units = read_codab(fx.write(fx.level1_frame(), "geojson", tmp_path, stem="adm1"))
    assert level == 1 and list(units["pcode"]) == [fx.ADM1_PCODE]
    assert list(units["parent_pcode"]) == ["KG"]
    assert list(units["name_ky"]) == [fx.OBLAST_NAME[2]]


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp_zip"])
def test_lower_case_field_names(tmp_path, fmt):
    level, units = read_codab(fx.write(fx.level3_frame(lowercase=True), fmt, tmp_path))
    assert level == 3
    assert sorted(units["pcode"]) == [fx.level3_pcode(i) for i in range(8)]
    assert set(units["name_ky"]) == {n[2] for n in fx.AA_NAMES}


@pytest.mark.parametrize("fmt", ["gpkg", "shp_zip"])
def test_projected_utm43n_is_reprojected(tmp_path, fmt):
    level, units = read_codab(fx.write_utm(tmp_path, fmt))
    assert level == 3
    assert units.attrs["reprojected"] and "32643" in units.attrs["source_crs"]
    np.testing.assert_allclose(units.total_bounds, fx.BOX, atol=1e-7)


def test_invalid_geometry_is_repaired_and_says_so(tmp_path):
    path = fx.write(fx.level3_frame(invalid=True), "geojson", tmp_path)
    _, units = read_codab(path)
    rows = _by(units, "pcode")
    bowtie = rows.loc[fx.level3_pcode(0)]
    assert bowtie.geometry.is_valid and bowtie.geometry.geom_type == "MultiPolygon"
    assert bowtie.geometry.area > 0
    assert "repaired with make_valid" in bowtie["note"]
    assert "make_valid" not in rows.loc[fx.level3_pcode(1), "note"]
    assert units.attrs["repaired"] == 1
    assert any("make_valid" in w and fx.level3_pcode(0) in w for w in units.attrs["warnings"])


def test_date_falls_back_to_valid_on(tmp_path):
    frame = fx.level3_frame().drop(columns=["date"])
    _, units = read_codab(fx.write(frame, "geojson", tmp_path))
    assert units["source"].str.endswith("date 2022-05-01").all()
    frame = frame.drop(columns=["validOn"])
    _, units = read_codab(fx.write(frame, "geojson", tmp_path / "nodate"))
    assert units["source"].str.endswith("kgz_admbnda_adm3_test.geojson").all()


def test_multilayer_file_takes_the_finest_polygon_level(tmp_path):
    path = fx.write_all_levels_gpkg(tmp_path)
    level, units = read_codab(path)
    assert level == 3 and len(units) == 8
    assert units.attrs["source_layer"] == "kgz_admbnda_adm3"
    assert any("4 layers" in w and "kgz_admbnda_adm3" in w for w in units.attrs["warnings"])
    level, units = read_codab(path, layer="kgz_admbnda_adm2")
    assert level == 2 and len(units) == 2


# -- bad inputs: specific errors, clear messages, store unchanged ----------------------------

BAD_INPUTS = [
    pytest.param(fx.write_no_pcode, SchemaError, r"none of the fields ADM1_PCODE, ADM2_PCODE, ADM3_PCODE", id="no-pcode-fields"),
    pytest.param(fx.write_duplicate_pcodes, SchemaError, r"not unique.*KG99999999001", id="duplicate-pcodes"),
    pytest.param(fx.write_missing_pcode, SchemaError, r"1 of 8 features have no ADM3_PCODE", id="missing-pcode"),
    pytest.param(fx.write_outside_country, OutsideCountryError, r"8 of 8 features lie outside Kyrgyzstan", id="outside"),
    pytest.param(fx.write_swapped_axes, OutsideCountryError, r"latitude/longitude swapped", id="swapped-axes"),
    pytest.param(fx.write_lines, SchemaError, r"must be polygons.*lines", id="lines"),
    pytest.param(fx.write_traversal_zip, UnsafeArchiveError, r"path traversal", id="zip-traversal"),
    pytest.param(fx.write_symlink_zip, UnsafeArchiveError, r"symbolic link", id="zip-symlink"),
    pytest.param(fx.write_zip_bomb, ArchiveTooLargeError, r"zip bomb", id="zip-bomb"),
    pytest.param(fx.write_empty_file, NotGeodataError, r"is empty \(0 bytes\)", id="empty-file"),
    pytest.param(fx.write_shp_zip_without_prj, CRSUnresolvedError, r"\.prj file is missing", id="shp-zip-no-prj"),
]


@pytest.mark.parametrize("builder, error, message", BAD_INPUTS)
def test_bad_input_raises_specific_error_and_leaves_store_unchanged(tmp_path, store, builder, error, message):
    path = builder(tmp_path / "bad")
    before = _checksums(store)
    revision = store.revision()
    with pytest.raises(error, match=message) as err:
        import_boundaries(store, path)
    assert isinstance(err.value, InputError)
    assert path.name in str(err.value)  # the message names the file
    assert _checksums(store) == before
    assert store.revision() == revision
    assert not has_level(store, 3)


def test_failure_inside_the_transaction_changes_nothing(tmp_path, store, monkeypatch):
    """admin_units is already staged when re-assigning settlements fails: nothing is stored."""
    path = fx.write(fx.level3_frame(), "gpkg", tmp_path)
    before = _checksums(store)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bi, "assign_admin_pcodes", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_boundaries(store, path)
    assert _checksums(store) == before
    assert not has_level(store, 3)


def test_pcode_clash_with_another_level_is_refused(tmp_path, store):
    frame = fx.level3_frame()
    frame.loc[0, "ADM3_PCODE"] = fx.SHIPPED_RAYON  # a level-2 code in the store
    path = fx.write(frame, "geojson", tmp_path)
    before = _checksums(store)
    with pytest.raises(SchemaError, match="KG-N-KOCHKOR already belong to units of another level"):
        import_boundaries(store, path)
    assert _checksums(store) == before


# -- import into the store --------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_import_level3_every_format(tmp_path, store, fmt):
    path = fx.write(fx.level3_frame(), fmt, tmp_path)
    assert not has_level(store, 3)
    summary = import_boundaries(store, path, user="aigul")
    assert summary["level"] == 3 and summary["count"] == 8 and summary["replaced"] == 0
    assert summary["file"] == path.name
    assert summary["source"].startswith("OCHA COD-AB (CC BY-IGO)")
    assert any("not a level-2 unit in the store" in w for w in summary["warnings"])
    assert has_level(store, 3)

    admin = store.read("admin_units")
    assert level_loaded(admin, 3) and level_loaded(admin, 1) and level_loaded(admin, 2)
    codes = _by(admin, "pcode")
    assert {fx.SHIPPED_OBLAST, fx.SHIPPED_RAYON, fx.OTHER_OBLAST, fx.OTHER_RAYON} <= set(codes.index)
    assert (codes["level"] == 3).sum() == 8
    assert codes.loc[fx.level3_pcode(6), "name_ky"] == "Көңүл"

    settlements = _by(store.read("settlements"), "settlement_id")
    assert settlements.loc["gn:1", "aiyl_okmot_pcode"] == fx.level3_pcode(0)
    assert settlements.loc["gn:2", "aiyl_okmot_pcode"] == fx.level3_pcode(6)
    assert settlements.loc["gn:3", "aiyl_okmot_pcode"] == fx.level3_pcode(0)  # 0.8 km outside: snapped
    assert pd.isna(settlements.loc["gn:4", "aiyl_okmot_pcode"])
    assert settlements.loc["gn:4", "rayon_pcode"] == fx.OTHER_RAYON
    assert summary["settlements_updated"] == 3

    projects = _by(store.read("projects"), "project_id")
    assert projects.loc["p-point", "aiyl_okmot_pcode"] == fx.level3_pcode(5)
    assert projects.loc["p-point", "rayon_pcode"] == fx.SHIPPED_RAYON
    assert projects.loc["p-point", "oblast_pcode"] == fx.SHIPPED_OBLAST
    assert projects.loc["p-line", "aiyl_okmot_pcode"] in (fx.level3_pcode(1), fx.level3_pcode(2))
    assert pd.isna(projects.loc["p-rayon", "aiyl_okmot_pcode"])  # precision 4: no aiyl okmot from a placeholder
    assert pd.isna(projects.loc["p-national", "aiyl_okmot_pcode"])
    assert summary["projects_updated"] == 2
    assert projects.loc["p-point", "version"] == 2 and projects.loc["p-point", "updated_by"] == "aigul"
    assert projects.loc["p-rayon", "version"] == 1
    audit = store.read("audit_log")
    updates = audit[(audit["action"] == "update") & (audit["layer"] == "projects")]
    assert sorted(updates["row_key"]) == ["p-line", "p-point"] and set(updates["user"]) == {"aigul"}


def test_reimport_replaces_the_level_and_is_idempotent(tmp_path, store):
    path = fx.write(fx.level3_frame(), "geojson", tmp_path)
    import_boundaries(store, path)
    after_first = _checksums(store)
    summary = import_boundaries(store, path)
    assert summary["replaced"] == 8 and summary["count"] == 8
    assert summary["settlements_updated"] == 0 and summary["projects_updated"] == 0
    for name in ("settlements", "projects"):
        assert store.checksum(name) == after_first[name]
    # a smaller file of the same level replaces every old unit of that level
    frame = fx.level3_frame().iloc[:4]
    summary = import_boundaries(store, fx.write(frame, "geojson", tmp_path / "half"))
    admin = store.read("admin_units")
    assert summary["replaced"] == 8
    assert sorted(admin.loc[admin["level"] == 3, "pcode"]) == [fx.level3_pcode(i) for i in range(4)]
    settlements = _by(store.read("settlements"), "settlement_id")
    assert pd.isna(settlements.loc["gn:2", "aiyl_okmot_pcode"])  # cell 6 is no longer covered
    assert any("gn:2" in w and "lost their aiyl_okmot_pcode" in w for w in summary["warnings"])


def test_import_level2_replaces_shipped_rayons_and_maps_unlocated_projects(tmp_path, store):
    import_boundaries(store, fx.write(fx.level3_frame(), "gpkg", tmp_path / "l3"))
    summary = import_boundaries(store, fx.write(fx.level2_frame(), "gpkg", tmp_path / "l2", stem="adm2"))
    assert summary["level"] == 2 and summary["count"] == 2 and summary["replaced"] == 2

    admin = _by(store.read("admin_units"), "pcode")
    assert fx.SHIPPED_RAYON not in admin.index and fx.OTHER_RAYON not in admin.index
    assert (admin["level"] == 3).sum() == 8  # aiyl okmotus kept
    assert {fx.SHIPPED_OBLAST, fx.OTHER_OBLAST} <= set(admin.index)  # oblasts kept

    projects = _by(store.read("projects"), "project_id")
    # located projects: rayon is now the parent of their aiyl okmot
    assert projects.loc["p-point", "rayon_pcode"] == fx.ADM2_PCODES[fx.rayon_of_cell(5)]
    assert projects.loc["p-rayon", "rayon_pcode"] == fx.ADM2_PCODES[fx.rayon_of_cell(3)]
    # a project without geometry named the shipped Kochkor rayon: mapped by largest overlap, noted
    assert projects.loc["p-nogeom", "rayon_pcode"] == fx.ADM2_PCODES[0]
    assert "mapped to KG99999001000 by boundary overlap" in projects.loc["p-nogeom", "location_note"]
    assert any("overlaps it most" in w for w in summary["warnings"])

    settlements = _by(store.read("settlements"), "settlement_id")
    assert settlements.loc["gn:2", "rayon_pcode"] == fx.ADM2_PCODES[1]
    assert pd.isna(settlements.loc["gn:4", "rayon_pcode"])  # the shipped Alamudun rayon is gone
    assert any("gn:4" in w for w in summary["warnings"])


def test_import_level1_relinks_shipped_rayons(tmp_path, store):
    summary = import_boundaries(store, fx.write(fx.level1_frame(), "geojson", tmp_path, stem="adm1"))
    assert summary["level"] == 1 and summary["replaced"] == 2
    assert summary["relinked_children"] == 2
    admin = _by(store.read("admin_units"), "pcode")
    assert admin.loc[fx.SHIPPED_RAYON, "parent_pcode"] == fx.ADM1_PCODE
    assert "parent_pcode set by location" in admin.loc[fx.SHIPPED_RAYON, "note"]
    assert pd.isna(admin.loc[fx.OTHER_RAYON, "parent_pcode"])  # outside the imported oblast
    settlements = _by(store.read("settlements"), "settlement_id")
    assert settlements.loc["gn:1", "oblast_pcode"] == fx.ADM1_PCODE


def test_all_three_levels_link_up(tmp_path, store):
    for frame, stem in ((fx.level1_frame(), "adm1"), (fx.level2_frame(), "adm2"), (fx.level3_frame(), "adm3")):
        summary = import_boundaries(store, fx.write(frame, "gpkg", tmp_path / stem, stem=stem))
        assert not any("not a level" in w for w in summary["warnings"]), summary["warnings"]
    admin = store.read("admin_units")
    codab = admin[admin["pcode"].str.startswith("KG9999")]
    parents = set(codab["parent_pcode"])
    assert parents <= set(codab["pcode"]) | {"KG"}
    settlements = _by(store.read("settlements"), "settlement_id")
    assert tuple(settlements.loc["gn:2", ["oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode"]]) == (
        fx.ADM1_PCODE, fx.ADM2_PCODES[1], fx.level3_pcode(6))


def test_bulk_loaded_projects_get_a_version_and_changed_ones_are_bumped(tmp_path):
    store = GeoPackageStore(tmp_path / "s.gpkg")
    with store.transaction("loader") as tx:
        tx.replace("admin_units", fx.seed_admin_units())
        tx.replace("projects", fx.seed_projects())  # bulk load: the store gives version 1
    summary = import_boundaries(store, fx.write(fx.level3_frame(), "geojson", tmp_path))
    assert summary["projects_updated"] == 2
    projects = _by(store.read("projects"), "project_id")
    assert projects.loc["p-point", "version"] == 2 and projects.loc["p-point", "updated_by"] == "admin"
    assert projects.loc["p-rayon", "version"] == 1 and projects.loc["p-rayon", "updated_by"] == "loader"


def test_import_into_an_empty_store(tmp_path):
    store = GeoPackageStore(tmp_path / "new.gpkg")
    summary = import_boundaries(store, fx.write(fx.level3_frame(), "geojson", tmp_path))
    assert summary["count"] == 8 and has_level(store, 3) and not has_level(store, 2)


def test_summary_is_json_serialisable(tmp_path, store):
    summary = import_boundaries(store, fx.write_utm(tmp_path))
    assert summary["reprojected"] is True
    json.dumps(summary)


def test_refusals_are_explained_in_russian_and_kyrgyz(tmp_path, store):
    path = fx.write_missing_pcode(tmp_path / "bad")
    with pytest.raises(SchemaError) as err:
        import_boundaries(store, path)
    assert err.value.key == "err.boundaries.no_pcode"
    ru = err.value.text("ru")
    assert f"{path.name}: у 1 из 8 объектов нет ADM3_PCODE" in ru and "должен быть P-код" in ru
    assert "8 объекттин 1 объектинде ADM3_PCODE жок" in err.value.text("ky")

    path = fx.write_swapped_axes(tmp_path / "swapped")
    with pytest.raises(OutsideCountryError) as err:
        import_boundaries(store, path)
    ru = err.value.text("ru")
    assert "за пределами Кыргызстана" in ru and "широта и долгота перепутаны" in ru
    assert "outside" not in ru and "," in ru.split("файл охватывает ")[1][:8]  # decimals written 42,10


def test_warnings_of_a_shapefile_import_read_in_russian_and_kyrgyz(tmp_path, store):
    """An invalid polygon in a zipped shapefile is repaired; the page's warnings are whole sentences in ru/ky."""
    path = fx.write(fx.level3_frame(invalid=True), "shp_zip", tmp_path)
    summary = import_boundaries(store, path)
    pcode = fx.level3_pcode(0)
    repaired = next(w for w in summary["warnings"] if getattr(w, "key", "") == "err.boundaries.warn_repaired")
    assert str(repaired) == f"1 invalid boundaries were repaired with make_valid ({pcode}); their note says so."
    assert repaired.text("ru") == (f"Некорректных границ исправлено с помощью make_valid: 1 ({pcode}); "
                                   "это отмечено в их примечании.")
    assert repaired.text("ky") == (f"make_valid аркылуу оңдолгон туура эмес чек аралар: 1 ({pcode}); "
                                   "бул алардын эскертмесинде көрсөтүлгөн.")
    parents = next(w for w in summary["warnings"] if getattr(w, "key", "") == "err.boundaries.warn_unknown_parents")
    assert "(единицы уровня «район» в хранилище имеют другие коды)" in parents.text("ru")
    assert "(сактагычтагы «район» бирдиктеринин коддору башка)" in parents.text("ky")
    assert "level-2 unit" not in parents.text("ru")


def test_every_warning_of_the_boundary_import_is_a_catalogue_phrase(tmp_path, store):
    """Re-importing half the units loses settlements and projects: those warnings are translated too, counts
    and the 2 km distance in the reader's convention, level names in the reader's language."""
    from geo.errors import Phrase

    import_boundaries(store, fx.write(fx.level3_frame(), "geojson", tmp_path / "all"))
    summary = import_boundaries(store, fx.write(fx.level3_frame().iloc[:4], "geojson", tmp_path / "half"))
    assert summary["warnings"] and all(isinstance(w, Phrase) for w in summary["warnings"])
    lost = next(w for w in summary["warnings"] if w.key == "err.boundaries.warn_settlements_lost")
    ru = lost.text("ru")
    assert ru.startswith("Населённых пунктов, не попавших ни в одну из импортированных единиц уровня «айыл окмоту» "
                         "(дальше 2 км от всех): ")
    assert "у них больше нет aiyl_okmot_pcode: " in ru and "gn:2" in ru
    assert lost.text("ky").startswith("Импорттолгон «айыл өкмөтү» бирдиктеринин бирине да кирбеген калктуу конуштар "
                                      "(баарынан 2 км ашык алыс): ")
