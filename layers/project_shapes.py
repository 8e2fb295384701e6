"""Project lines (pipes, canals, dams, roads) and areas drawn as such on the map.

Projects whose stored geometry is a line or polygon (imported from KML, GeoJSON,
KoboToolbox geotrace/geoshape, WKT) are drawn in their sector's colour; every project
also keeps its clustered marker at a representative point, which carries the popup.
Point projects are not part of this layer.

The shapes are lightened for the browser: clipped to the view, simplified to about
1/1500 of the view's width and rounded to 5 decimals (≈ 1 m), all in EPSG:4326.
Tooltip texts are HTML-escaped here, so a title with markup shows literally.
"""
from __future__ import annotations

import html
from collections.abc import Iterable

import folium
import geopandas as gpd
import shapely

from layers.hazard_style import display_zones
from layers.styles import sector_style

LINE_KINDS = ("LineString", "MultiLineString")
AREA_KINDS = ("Polygon", "MultiPolygon")


def project_shapes(projects: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The projects (EPSG:4326) whose geometry is a line or an area, with a ``shape`` column
    ``"line"`` or ``"area"``; points, empty and missing geometries are left out.
    Geometry collections are reduced to their lines and polygons."""
    if len(projects) == 0:
        return projects.iloc[0:0].assign(shape=[])
    geoms = projects.geometry.values
    kinds = shapely.get_type_id(geoms)
    # 1 LineString, 2 LinearRing, 5 MultiLineString, 3 Polygon, 6 MultiPolygon, 7 collection
    keep = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms) & (
        (kinds == 1) | (kinds == 2) | (kinds == 3) | (kinds == 5) | (kinds == 6) | (kinds == 7))
    shapes = projects[keep].copy()
    if len(shapes) == 0:
        return shapes.assign(shape=[])
    parts = shapes.geometry.values
    collections = shapely.get_type_id(parts) == 7
    if collections.any():
        parts = parts.copy()
        for i in collections.nonzero()[0]:
            members = [g for g in shapely.get_parts(parts[i]) if g.geom_type in LINE_KINDS + AREA_KINDS]
            parts[i] = shapely.union_all(members) if members else None
        shapes = shapes.set_geometry(list(parts), crs=shapes.crs)
        shapes = shapes[shapes.geometry.notna() & ~shapes.geometry.is_empty]
    is_area = shapely.area(shapes.geometry.values) > 0
    return shapes.assign(shape=["area" if a else "line" for a in is_area])


def project_shape_layer(projects: gpd.GeoDataFrame, sector_labels: dict[str, str], name: str,
                        bounds: Iterable[float] | None = None) -> folium.GeoJson | None:
    """A GeoJSON layer of the line and area projects in ``projects`` (EPSG:4326), coloured by
    sector; None when there are none. ``bounds`` (lon/lat) clip the shapes to the view."""
    shapes = project_shapes(projects)
    if len(shapes) == 0:
        return None
    light = display_zones(shapes[["project_id", "title", "sector", "shape", "geometry"]], bounds)
    if len(light) == 0:
        return None
    sectors = light["sector"].astype("string").fillna("other")
    data = gpd.GeoDataFrame(
        {
            "colour": [sector_style(s)[0] for s in sectors],
            "shape": light["shape"].to_numpy(),
            "label": [html.escape(f"{title} — {sector_labels.get(s, s)}") for title, s in
                      zip(light["title"].fillna("").astype(str), sectors)],
        },
        geometry=light.geometry.values, crs=4326,
    )

    def style(feature):
        props = feature["properties"]
        area = props.get("shape") == "area"
        return {"color": props.get("colour", "#555555"), "weight": 2 if area else 4, "opacity": 0.9,
                "fillColor": props.get("colour", "#555555"), "fillOpacity": 0.25 if area else 0}

    return folium.GeoJson(
        data.to_json(drop_id=True), name=name, style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False, sticky=True),
    )
