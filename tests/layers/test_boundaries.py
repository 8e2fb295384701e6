import geopandas as gpd
import shapely
from shapely.geometry import Polygon

from geo.crs import KYRGYZSTAN_EQUAL_AREA
from layers.boundaries import boundary_layer, simplify_units


def _wiggly_pair():
    """Two units sharing a jagged edge (test-only geometry)."""
    edge = [(75.0 + (0.002 if i % 2 else 0), 41.0 + i * 0.01) for i in range(101)]
    left = Polygon([(74.0, 41.0), *edge, (74.0, 42.0)])
    right = Polygon([*edge, (76.0, 42.0), (76.0, 41.0)])
    tiny = Polygon([(74.1, 41.1), (74.1001, 41.1), (74.1001, 41.1001), (74.1, 41.1001)])
    return gpd.GeoDataFrame({"pcode": ["L", "R", "T"], "level": [2, 2, 2], "name_en": ["L", "R", "<i>T</i>"]},
                            geometry=[left.difference(tiny), right, tiny], crs=4326)


def test_simplification_keeps_every_unit_and_shared_edges():
    units = _wiggly_pair()
    simple = simplify_units(units, tolerance_m=500)
    assert len(simple) == len(units)
    assert not simple.geometry.is_empty.any() and simple.geometry.is_valid.all()
    assert sum(len(shapely.get_coordinates(g)) for g in simple.geometry) < sum(len(shapely.get_coordinates(g)) for g in units.geometry)
    metric = simple.to_crs(KYRGYZSTAN_EQUAL_AREA)
    overlap = metric.geometry.iloc[0].intersection(metric.geometry.iloc[1]).area
    union = metric.union_all()
    assert overlap < 1.0  # m²: no overlapping slivers between neighbours
    assert len(union.interiors) == 0 if union.geom_type == "Polygon" else False  # no gaps inside
    original = units.to_crs(KYRGYZSTAN_EQUAL_AREA).union_all()
    assert original.symmetric_difference(union).area / original.area < 0.005


def test_boundary_tooltip_names_are_escaped():
    layer = boundary_layer(_wiggly_pair(), 2, "Rayons", "en", "Rayon")
    assert "&lt;i&gt;T&lt;/i&gt;" in layer.data if isinstance(layer.data, str) else "&lt;i&gt;" in str(layer.data)
    assert "<i>T</i>" not in str(layer.data)


def test_unit_names_fall_back_visibly_to_another_language():
    import pandas as pd

    from layers.boundaries import unit_name

    units = pd.DataFrame({"pcode": ["A", "B", "C", "D"], "name_en": ["Kochkor", "Bishkek", None, None],
                          "name_ru": [None, "Бишкек", None, "Ош"], "name_ky": [None, " ", None, None]})
    assert unit_name(units, "ky").tolist() == ["Kochkor (en)", "Бишкек (ru)", "C", "Ош (ru)"]
    assert unit_name(units, "ru").tolist() == ["Kochkor (en)", "Бишкек", "C", "Ош"]
    assert unit_name(units, "en").tolist() == ["Kochkor", "Bishkek", "C", "Ош (ru)"]
    assert unit_name(units, "ky", mark=False).tolist() == ["Kochkor", "Бишкек", "C", "Ош"]


def test_shipped_bishkek_has_an_english_name():
    from geo.build import reference_frames

    admin = reference_frames()["admin_units"].set_index("pcode")
    assert admin.loc["KG-GB", "name_en"] == "Bishkek"
    assert admin.loc["KG-GB", "name_ky"] == "Бишкек шаары"
