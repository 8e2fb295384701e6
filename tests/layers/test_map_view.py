import geopandas as gpd
from shapely.geometry import box

from layers.map_view import child_units, visible_units


def test_children_by_parent_code_then_by_location(two_oblasts):
    assert list(child_units(two_oblasts, "KG-A")["pcode"]) == ["KG-A-R1"]
    aos = gpd.GeoDataFrame({"pcode": ["KG0001", "KG0002"], "level": [3, 3], "parent_pcode": ["KG04", "KG04"],
                            "name_en": ["AO one", "AO two"]},
                           geometry=[box(74.1, 41.1, 74.4, 41.4), box(75.1, 41.1, 75.4, 41.4)], crs=4326)
    units = gpd.GeoDataFrame(gpd.pd.concat([two_oblasts, aos], ignore_index=True), crs=4326)
    # COD-AB level-3 parent codes do not match the shipped rayons: fall back to location
    assert list(child_units(units, "KG-A-R1")["pcode"]) == ["KG0001"]
    context, unit, level = visible_units(units, "KG-B-R1")
    assert list(context["pcode"]) == ["KG0002"] and level == 3 and unit["pcode"].iloc[0] == "KG-B-R1"


def test_national_view_shows_oblasts(two_oblasts):
    context, unit, level = visible_units(two_oblasts, None)
    assert unit is None and level == 2 and sorted(context["pcode"]) == ["KG-A", "KG-B"]
