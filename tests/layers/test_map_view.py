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


def _map_html(ctx):
    from layers.map_view import build_map

    return build_map(ctx).get_root().render()


def test_line_projects_are_drawn_as_lines_with_a_legend_entry(two_oblasts, few_projects):
    from shapely.geometry import LineString

    from layers.map_view import MapContext

    pipe = LineString([(74.1, 41.1), (74.6, 41.7), (74.9, 41.9)])
    projects = gpd.GeoDataFrame(gpd.pd.concat([few_projects, gpd.GeoDataFrame(
        {"project_id": ["P4"], "title": ["Pipe <b>4</b>"], "sector": ["water_supply"], "oblast_pcode": ["KG-A"],
         "rayon_pcode": ["KG-A-R1"], "location_precision": [1]}, geometry=[pipe], crs=4326)], ignore_index=True), crs=4326)
    page = _map_html(MapContext(admin_units=two_oblasts, projects=projects, lang="en"))
    assert "[74.6, 41.7]" in page.replace("[74.6,41.7]", "[74.6, 41.7]")    # the line's middle vertex
    assert "Project line" in page
    assert "Pipe \\u0026lt;b\\u0026gt;4" in page          # escaped in the tooltip data (JSON-encoded &)
    assert "<b>4</b>" not in page                              # never raw markup anywhere in the page
    points_only = _map_html(MapContext(admin_units=two_oblasts, projects=few_projects, lang="en"))
    assert "Project line" not in points_only


def test_hazard_zones_are_shown_with_class_legend(two_oblasts, few_projects):
    from layers.map_view import MapContext

    zones = gpd.GeoDataFrame({"hazard_class": ["High", "Low"], "hazard_type": ["mudflow", "mudflow"],
                              "layer_name": ["MoES", "MoES"], "indicative": [False, False]},
                             geometry=[box(74.2, 41.2, 74.4, 41.4), box(75.2, 41.2, 75.4, 41.4)], crs=4326)
    page = _map_html(MapContext(admin_units=two_oblasts, projects=few_projects, hazard_zones=zones, lang="en"))
    assert "#db0026" in page and "#fd8d3c" in page               # High and Low fills
    assert "Hazard: High" in page and "Hazard: Low" in page and "Hazard: Medium" not in page
    assert "not an official hazard map" not in page
    indicative = zones.assign(indicative=True)
    page = _map_html(MapContext(admin_units=two_oblasts, projects=few_projects, hazard_zones=indicative, lang="en"))
    assert "not an official hazard map" in page
