"""Project lines and areas: which projects become shapes, how they are lightened and escaped."""
import json

import geopandas as gpd
import shapely
from shapely.geometry import GeometryCollection, LineString, Point, Polygon, box

from layers.project_shapes import project_shape_layer, project_shapes


def _projects(geoms, titles=None):
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"project_id": [f"P{i}" for i in range(n)], "title": titles or [f"Project {i}" for i in range(n)],
         "sector": ["water_supply"] * n},
        geometry=geoms, crs=4326,
    )


def _features(layer):
    return json.loads(layer.data if isinstance(layer.data, str) else json.dumps(layer.data))["features"]


def test_points_and_empty_geometries_are_not_shapes():
    frame = _projects([Point(74.5, 41.5), LineString([(74, 41), (74.2, 41.1)]), box(75, 41, 75.1, 41.1), None,
                       Polygon()])
    shapes = project_shapes(frame)
    assert list(shapes["project_id"]) == ["P1", "P2"]
    assert list(shapes["shape"]) == ["line", "area"]


def test_collections_keep_their_lines_and_areas_only():
    mixed = GeometryCollection([Point(74, 41), LineString([(74, 41), (74.3, 41.2)])])
    shapes = project_shapes(_projects([mixed]))
    assert len(shapes) == 1 and shapes.geometry.iloc[0].geom_type == "LineString"
    assert shapes["shape"].iloc[0] == "line"


def test_layer_is_light_but_keeps_every_shape():
    # a wiggly 20 km pipe with 2,000 vertices along a parallel
    xs = [74.0 + i * 0.0001 for i in range(2000)]
    pipe = LineString([(x, 41.5 + (0.00001 if i % 2 else 0)) for i, x in enumerate(xs)])
    layer = project_shape_layer(_projects([pipe, box(75, 41, 75.01, 41.01)]), {}, "shapes")
    features = _features(layer)
    assert len(features) == 2
    coords = features[0]["geometry"]["coordinates"]
    assert len(coords) < 50                                   # simplified for the browser
    assert all(round(x, 5) == x and round(y, 5) == y for x, y in coords)
    # the simplified line still runs the whole length of the pipe
    assert abs(coords[0][0] - 74.0) < 1e-4 and abs(coords[-1][0] - xs[-1]) < 1e-4


def test_titles_are_escaped_in_tooltips():
    title = '<img src=x onerror="alert(1)"> canal'
    layer = project_shape_layer(_projects([LineString([(74, 41), (74.1, 41.1)])], [title]), {"water_supply": "Water"}, "s")
    label = _features(layer)[0]["properties"]["label"]
    assert "<img" not in label and "&lt;img" in label and label.endswith("— Water")


def test_no_layer_without_shapes():
    assert project_shape_layer(_projects([Point(74.5, 41.5)]), {}, "s") is None
    assert project_shape_layer(_projects([]), {}, "s") is None


def test_shapes_are_clipped_to_the_view():
    far = LineString([(70.0, 40.0), (70.1, 40.1)])
    near = LineString([(74.0, 41.0), (74.1, 41.1)])
    layer = project_shape_layer(_projects([far, near]), {}, "s", bounds=(73.9, 40.9, 74.2, 41.2))
    features = _features(layer)
    assert len(features) == 1
    assert shapely.geometry.shape(features[0]["geometry"]).intersects(near)
