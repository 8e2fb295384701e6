"""Reading every accepted vector format into EPSG:4326, and refusing bad files clearly."""
from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from geo.errors import CRSUnresolvedError, NotGeodataError, SchemaError  # noqa: E402
from geo.io.archives import UnsafeArchiveError  # noqa: E402
from geo.io.vector import list_layers, read_vector  # noqa: E402
from tests.fixtures import codab as fx  # noqa: E402


def _formats():
    for fmt in fx.FORMATS:
        marks = []
        if fmt == "gdb_zip" and not fx.gdb_writable():
            marks = [pytest.mark.skip(reason="this GDAL cannot write a file geodatabase to build the fixture")]
        yield pytest.param(fmt, marks=marks, id=fmt)


@pytest.mark.parametrize("fmt", list(_formats()))
def test_reads_every_format_in_wgs84_with_kyrgyz_text(tmp_path, fmt):
    path = fx.write(fx.level3_frame(), fmt, tmp_path)
    frame = read_vector(path)
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == 8
    assert sorted(frame["ADM3_PCODE"]) == [fx.level3_pcode(i) for i in range(8)]
    assert set(frame["ADM3_KY"]) == {n[2] for n in fx.AA_NAMES}  # ң ө ү survive every format
    np.testing.assert_allclose(frame.total_bounds, fx.BOX, atol=1e-9)
    assert frame.attrs["source_file"] == path.name
    assert frame.attrs["reprojected"] is False


@pytest.mark.parametrize("fmt", ["gpkg", "shp_zip"])
def test_projected_utm_is_reprojected(tmp_path, fmt):
    path = fx.write_utm(tmp_path, fmt)
    frame = read_vector(path)
    assert frame.crs.to_epsg() == 4326
    assert frame.attrs["reprojected"] is True
    assert "32643" in frame.attrs["source_crs"]
    original = fx.level3_frame()
    by_code = frame.set_index("ADM3_PCODE").loc[original["ADM3_PCODE"]]
    for a, b in zip(by_code.geometry, original.geometry):
        assert a.symmetric_difference(b).area < 1e-10  # same rectangles after the round trip


def test_pulkovo_datum_is_shifted_not_relabelled(tmp_path):
    """A layer in Pulkovo 1942 degrees (EPSG:4284) moves by the datum shift (~100 m), not zero."""
    frame = fx.level3_frame()
    pulkovo = frame.to_crs(4284)
    path = tmp_path / "pulkovo.gpkg"
    pulkovo.to_file(path, driver="GPKG")
    back = read_vector(path)
    shift = np.abs(back.total_bounds - frame.total_bounds).max()
    assert shift < 1e-6  # the round trip returns the original coordinates
    assert np.abs(pulkovo.total_bounds - frame.total_bounds).max() > 1e-4  # and the datums really differ


def test_geojson_without_crs_member_is_wgs84(tmp_path):
    path = tmp_path / "plain.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ADM3_PCODE": "KG99999999001"},
         "geometry": box(75, 42, 75.1, 42.1).__geo_interface__},
    ]}))
    assert read_vector(path).crs.to_epsg() == 4326


def test_metres_in_a_degrees_file_is_a_crs_error(tmp_path):
    path = tmp_path / "metres.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": 1},
         "geometry": box(500000, 4650000, 510000, 4660000).__geo_interface__},
    ]}))
    with pytest.raises(CRSUnresolvedError, match="metres.geojson.*look like metres"):
        read_vector(path)


def test_shapefile_zip_without_prj(tmp_path):
    with pytest.raises(CRSUnresolvedError) as err:
        read_vector(fx.write_shp_zip_without_prj(tmp_path))
    assert "noprj.zip" in str(err.value) and ".prj" in str(err.value)


def test_plain_shapefile_without_prj(tmp_path):
    shp = fx.write(fx.level3_frame(), "shp", tmp_path)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CRSUnresolvedError, match=r"\.prj file is missing"):
        read_vector(shp)


def test_shapefile_missing_dbf(tmp_path):
    shp = fx.write(fx.level3_frame(), "shp", tmp_path)
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(NotGeodataError, match=r"\.dbf \(attribute table\) missing"):
        read_vector(shp)


def test_zip_with_dbf_but_no_shp(tmp_path):
    path = tmp_path / "parts.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("adm3.dbf", b"x")
        zf.writestr("adm3.prj", b"x")
    with pytest.raises(NotGeodataError, match="no .shp file"):
        read_vector(path)


def test_zip_without_geodata_lists_what_it_holds(tmp_path):
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.pdf", b"%PDF")
    with pytest.raises(NotGeodataError, match=r"docs.zip contains no geodata \(it holds readme.pdf\)"):
        read_vector(path)


def test_shapefile_without_cpg_is_read_as_utf8(tmp_path):
    shp = fx.write(fx.level3_frame(), "shp", tmp_path)
    cpg = shp.with_suffix(".cpg")
    if cpg.exists():
        cpg.unlink()
    frame = read_vector(shp)
    assert set(frame["ADM3_KY"]) == {n[2] for n in fx.AA_NAMES}
    assert any(".cpg" in w for w in frame.attrs["warnings"])
    note = next(w for w in frame.attrs["warnings"] if ".cpg" in w)
    assert note.text("ru") == f"У {shp.name} нет файла .cpg с кодировкой текста; текст прочитан как UTF-8."
    assert "коддолушун" in note.text("ky")


@pytest.mark.parametrize("name", ["empty.geojson", "empty.gpkg", "empty.zip", "empty.shp"])
def test_empty_file(tmp_path, name):
    with pytest.raises(NotGeodataError, match=f"{name} is empty"):
        read_vector(fx.write_empty_file(tmp_path, name))


@pytest.mark.parametrize("name, content, message", [
    ("notes.geojson", b"hello world", "is not GeoJSON"),
    ("fake.gpkg", b"hello world, not sqlite", "is not a GeoPackage"),
    ("table.csv", b"a,b\n1,2\n", "not a supported geodata format"),
    ("broken.geojson", b'{"type": "FeatureCollection", "features": [', "cannot be read"),
])
def test_not_geodata(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(NotGeodataError, match=message) as err:
        read_vector(path)
    assert name in str(err.value)


def test_vrt_disguised_as_geojson_is_refused(tmp_path):
    """A VRT could make GDAL open other files on the server; only the GeoJSON driver is used."""
    path = tmp_path / "trick.geojson"
    path.write_text('<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource>'
                    "</OGRVRTLayer></OGRVRTDataSource>")
    with pytest.raises(NotGeodataError, match="is not GeoJSON"):
        read_vector(path)


def test_no_features(tmp_path):
    path = tmp_path / "none.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(NotGeodataError, match="none.geojson contains no features"):
        read_vector(path)
    assert len(read_vector(path, allow_empty=True)) == 0


def test_multilayer_gpkg_needs_a_choice(tmp_path):
    path = fx.write_all_levels_gpkg(tmp_path)
    names = [info.name for info in list_layers(path)]
    assert names == ["kgz_admbnda_adm1", "kgz_admbnda_adm2", "kgz_admbnda_adm3", "kgz_admbndp_adm3"]
    with pytest.raises(SchemaError, match="has 4 layers .*kgz_admbnda_adm2.*choose"):
        read_vector(path)
    assert len(read_vector(path, "kgz_admbnda_adm2")) == 2
    assert len(read_vector(path, choose_layer=lambda infos: infos[0].name)) == 1
    with pytest.raises(SchemaError, match="no layer 'adm9'"):
        read_vector(path, "adm9")


def test_zip_with_two_shapefiles_lists_both(tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    fx.level2_frame().to_file(folder / "adm2.shp")
    fx.level3_frame().to_file(folder / "adm3.shp")
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for p in folder.iterdir():
            zf.write(p, f"kgz/{p.name}")
    assert [i.name for i in list_layers(path)] == ["adm2", "adm3"]
    assert len(read_vector(path, "adm3")) == 8


def test_zipped_gdb_without_folder_suffix(tmp_path):
    if not fx.gdb_writable():
        pytest.skip("this GDAL cannot write a file geodatabase")
    gdb = tmp_path / "src.gdb"
    fx.level3_frame().to_file(gdb, driver="OpenFileGDB", layer="adm3")
    path = tmp_path / "content_only.zip"
    with zipfile.ZipFile(path, "w") as zf:  # the files of the .gdb at the zip's root
        for p in gdb.iterdir():
            zf.write(p, p.name)
    assert len(read_vector(path)) == 8


def test_unzipped_gdb_folder(tmp_path):
    if not fx.gdb_writable():
        pytest.skip("this GDAL cannot write a file geodatabase")
    gdb = tmp_path / "x.gdb"
    fx.level3_frame().to_file(gdb, driver="OpenFileGDB", layer="adm3")
    assert len(read_vector(gdb)) == 8


def test_unsafe_zip_is_refused_before_reading(tmp_path):
    with pytest.raises(UnsafeArchiveError, match="traversal"):
        read_vector(fx.write_traversal_zip(tmp_path))


def test_display_name_replaces_temporary_name(tmp_path):
    path = fx.write_shp_zip_without_prj(tmp_path)
    with pytest.raises(CRSUnresolvedError, match="my upload.zip"):
        read_vector(path, display_name="my upload.zip")


def test_engineering_crs_is_refused(tmp_path):
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[box(0, 0, 10, 10)], crs='ENGCRS["local",EDATUM["x"],'
                             'CS[Cartesian,2],AXIS["x",east,LENGTHUNIT["metre",1]],AXIS["y",north,LENGTHUNIT["metre",1]]]')
    path = tmp_path / "local.gpkg"
    frame.to_file(path, driver="GPKG")
    with pytest.raises(CRSUnresolvedError, match="local.gpkg"):
        read_vector(path)


def test_unreadable_extra_member_in_zip_is_skipped_with_a_warning(tmp_path):
    path = fx.write(fx.level3_frame(), "shp_zip", tmp_path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("metadata.json", b"not json at all")
    frame = read_vector(path)
    assert len(frame) == 8
    assert any("metadata.json" in w for w in frame.attrs["warnings"])


def test_zip_whose_only_layer_is_broken_reports_it(tmp_path):
    path = tmp_path / "only.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("adm3.geojson", b"not json at all")
    with pytest.raises(NotGeodataError, match="only.zip/adm3.geojson is not GeoJSON"):
        read_vector(path)
