"""The canal map: schematic canal line with flow direction, the state border near it,
outlets by status and flow measurements, with a legend. Every asset is local.

Frames are in EPSG:4326 (see :mod:`geo.canals` for the layers). Distances (the
border stretch, arrow spacing, the view) are measured in a metric CRS chosen by
:func:`geo.crs.to_metric`. Texts come from the message catalogues in ``lang``;
every text from data is escaped before it reaches map HTML.

Flow direction is drawn as small SVG triangles (Leaflet ``DivIcon``) along the line
in the order of its vertices, which is the order the source lists the villages
(source in Kyrgyzstan → tail at Shurab); no plugin or CDN is used.
"""
from __future__ import annotations

import html
import math

import folium
import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, box

from geo.crs import to_metric
from geo.i18n import format_number, t
from layers.base_map import finish, new_map
from layers.legend import Legend, line_swatch

#: outlet status → marker colour (found, unauthorised, agreed, closed)
STATUS_COLOURS = {"found": "#ff7f00", "unauthorised": "#e31a1c", "agreed": "#33a02c", "closed": "#636363"}
CANAL_COLOUR = "#2166ac"
BORDER_COLOUR = "#b2182b"
MEASUREMENT_COLOUR = "#6a3d9a"

#: The border is highlighted within this distance (km) of the drawn canal, outlets and measurements.
BORDER_STRETCH_KM = 5.0
#: The view shows the drawn features with this margin (km).
VIEW_MARGIN_KM = 7.0
#: Opacity of the offline relief on this map (it is drawn for the whole country and looks blocky here).
RELIEF_OPACITY = 0.35
#: Fallback area (lon_min, lat_min, lon_max, lat_max) when nothing is located: the Isfara/Batken border area.
DEFAULT_AREA = (70.2, 39.7, 71.0, 40.35)


def status_label(status, lang: str) -> str:
    """An outlet status in the user's language (the raw value when there is no message for it)."""
    return _label(f"canals.status.{status}", status, lang)


def country_label(code, lang: str) -> str:
    """A country code (KG, TJ) as a name in the user's language."""
    return _label(f"canals.country.{code}", code, lang)


def _label(key: str, raw, lang: str) -> str:
    if raw is None or (not isinstance(raw, str) and pd.isna(raw)):
        return "—"
    text = t(key, lang)
    return str(raw) if text == key else text


def _count(value) -> int:
    return int(value) if pd.notna(value) else 1


def _located(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame is None or len(frame) == 0:
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    return frame[frame.geometry.notna() & ~frame.geometry.is_empty]


def _has_line(canal: pd.Series) -> bool:
    geom = canal.get("geometry")
    return geom is not None and not geom.is_empty and isinstance(geom, LineString)


def arrow_positions(line: LineString, max_arrows: int = 12, every_km: float = 1.5) -> list[tuple[float, float, float]]:
    """Where to draw flow arrows along a line (EPSG:4326), in the line's direction.

    Returns ``(lat, lon, angle)`` triples, ``angle`` in degrees clockwise from east as
    seen on a north-up map (the CSS rotation of an arrow pointing east). Arrows sit
    at the middle of equal parts of the line, one per ``every_km`` (at least 2, at
    most ``max_arrows``); spacing and angles are taken in a metric CRS.
    """
    if line is None or line.is_empty or line.length == 0:
        return []
    metric = to_metric(gpd.GeoDataFrame(geometry=[line], crs=4326))
    mline = metric.geometry.iloc[0]
    n = max(2, min(max_arrows, int(round(mline.length / 1000 / every_km))))
    out = []
    for i in range(n):
        d = mline.length * (i + 0.5) / n
        step = min(mline.length / (4 * n), 50.0)
        a, b = mline.interpolate(max(d - step, 0)), mline.interpolate(min(d + step, mline.length))
        angle = -math.degrees(math.atan2(b.y - a.y, b.x - a.x))
        point = gpd.GeoSeries([mline.interpolate(d)], crs=metric.crs).to_crs(4326).iloc[0]
        out.append((point.y, point.x, round(angle, 1)))
    return out


def _arrow_svg(angle: float, size: int = 22) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 16 16" '
            f'style="transform:rotate({angle:.1f}deg);display:block">'
            f'<path d="M3,2 L14,8 L3,14 L6,8 Z" fill="{CANAL_COLOUR}" stroke="#fff" stroke-width="1.2"/></svg>')


def border_near(country: gpd.GeoDataFrame, features: list, km: float = BORDER_STRETCH_KM) -> gpd.GeoDataFrame:
    """The country's border within ``km`` of the given geometries (EPSG:4326), or in :data:`DEFAULT_AREA`."""
    if country is None or len(country) == 0:
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    border = gpd.GeoDataFrame(geometry=country.boundary, crs=4326)
    features = [g for g in features if g is not None and not g.is_empty]
    if features:
        metric = to_metric(gpd.GeoDataFrame(geometry=features, crs=4326))
        zone = gpd.GeoSeries([metric.buffer(km * 1000).union_all()], crs=metric.crs).to_crs(4326).iloc[0]
    else:
        zone = box(*DEFAULT_AREA)
    near = border.clip(zone)
    return near[~near.geometry.is_empty]


def border_crossings(line, country: gpd.GeoDataFrame) -> list:
    """Points where the drawn canal line crosses the country's border (EPSG:4326)."""
    if line is None or line.is_empty or country is None or len(country) == 0:
        return []
    hits = line.intersection(country.boundary.union_all())
    return [p for p in shapely.get_parts(hits) if p.geom_type == "Point"]


def _view_bounds(features: list) -> list[list[float]]:
    features = [g for g in features if g is not None and not g.is_empty]
    if not features:
        w, s, e, n = DEFAULT_AREA
        return [[s, w], [n, e]]
    metric = to_metric(gpd.GeoDataFrame(geometry=features, crs=4326))
    area = gpd.GeoSeries([metric.buffer(VIEW_MARGIN_KM * 1000).union_all()], crs=metric.crs).to_crs(4326)
    w, s, e, n = area.total_bounds
    return [[s, w], [n, e]]


def outlet_tooltip(row: pd.Series, lang: str) -> str:
    """Escaped tooltip text of one outlet record."""
    parts = [f"{status_label(row['status'], lang)}: {format_number(_count(row['count']), lang)}"]
    if pd.notna(row.get("village")):
        parts.append(str(row["village"]))
    if pd.notna(row.get("country")):
        parts.append(country_label(row["country"], lang))
    if pd.notna(row.get("allowed_flow_lps")):
        parts.append(t("canals.flow_value", lang, value=format_number(row["allowed_flow_lps"], lang, 1)))
    if pd.notna(row.get("source_ref")):
        parts.append(f"[{row['source_ref']}]")
    return html.escape(" · ".join(parts))


def _measurement_tooltip(row: pd.Series, lang: str) -> str:
    low, high = row.get("flow_lps_min"), row.get("flow_lps_max")
    if pd.notna(low) and pd.notna(high) and low != high:
        flow = f"{format_number(low, lang, 1)}–{format_number(high, lang, 1)}"
    else:
        flow = format_number(row.get("flow_lps") if pd.notna(row.get("flow_lps")) else low, lang, 1)
    parts = [str(row["place"]) if pd.notna(row.get("place")) else "", t("canals.flow_value", lang, value=flow)]
    if pd.notna(row.get("date")):
        parts.append(str(row["date"]))
    return html.escape(" · ".join(p for p in parts if p))


def _dot(colour: str, size: int = 12) -> str:
    return (f'<span style="display:inline-block;width:{size}px;height:{size}px;border-radius:50%;'
            f'background:{colour};border:1px solid #444;vertical-align:middle"></span>')


def canal_map(canal: pd.Series, outlets: gpd.GeoDataFrame, measurements: gpd.GeoDataFrame,
              country: gpd.GeoDataFrame, lang: str, clicked: tuple[float, float] | None = None,
              basemap: str = "relief") -> folium.Map:
    """The map of one canal.

    ``canal`` is one row of the ``canals`` layer; ``outlets`` and ``measurements``
    the canal's rows of ``canal_outlets`` and ``flow_measurements`` (rows without a
    position are left out here: the page lists them beside the map); ``country``
    the ``country`` layer. ``clicked`` is a ``(lon, lat)`` the editor clicked.
    """
    fmap = new_map(basemap=basemap, relief_name=t("map.base.relief", lang), plain_name=t("map.base.plain", lang))
    for child in fmap._children.values():  # the country-wide relief is coarse at canal scale: keep it faint
        if isinstance(child, folium.raster_layers.ImageOverlay):
            child.options["opacity"] = RELIEF_OPACITY
    line = canal.get("geometry") if _has_line(canal) else None
    placed = _located(outlets)
    placed_m = _located(measurements)
    features = [line, *placed.geometry, *placed_m.geometry]

    if country is not None and len(country):
        border = gpd.GeoDataFrame(geometry=country.boundary, crs=4326)
        folium.GeoJson(border.__geo_interface__, name=t("canals.layer.border", lang), interactive=False,
                       style_function=lambda _: {"color": BORDER_COLOUR, "weight": 1.5, "opacity": 0.6}).add_to(fmap)
        near = border_near(country, features)
        if len(near):
            label = t("canals.layer.border_area", lang, km=format_number(BORDER_STRETCH_KM, lang))
            folium.GeoJson(near.__geo_interface__, name=label, tooltip=html.escape(label),
                           style_function=lambda _: {"color": BORDER_COLOUR, "weight": 6, "opacity": 0.85}).add_to(fmap)

    if line is not None:
        group = folium.FeatureGroup(name=t("canals.layer.canal", lang))
        tip = html.escape(f"{canal['name']} — {t('canals.layer.canal', lang)}")
        folium.PolyLine([(y, x) for x, y in line.coords], color="#ffffff", weight=8, opacity=0.8,
                        interactive=False).add_to(group)
        folium.PolyLine([(y, x) for x, y in line.coords], color=CANAL_COLOUR, weight=4, dash_array="8 6",
                        tooltip=tip).add_to(group)
        for lat, lon, angle in arrow_positions(line):
            folium.Marker([lat, lon], interactive=False, icon=folium.DivIcon(
                html=_arrow_svg(angle), icon_size=(22, 22), icon_anchor=(11, 11), class_name="aimak-flow-arrow",
            )).add_to(group)
        for point in border_crossings(line, country):
            folium.CircleMarker([point.y, point.x], radius=8, color=BORDER_COLOUR, weight=3, fill=True,
                                fill_color="#ffffff", fill_opacity=1,
                                tooltip=html.escape(t("canals.layer.crossing", lang))).add_to(group)
        group.add_to(fmap)

    group = folium.FeatureGroup(name=t("canals.layer.outlets", lang))
    for _, row in placed.iterrows():
        count = _count(row["count"])
        folium.CircleMarker([row.geometry.y, row.geometry.x], radius=6 + min(count, 25) ** 0.5 * 2,
                            color="#333333", fill_color=STATUS_COLOURS.get(row["status"], "#7f7f7f"), fill=True,
                            fill_opacity=0.9, weight=1, tooltip=outlet_tooltip(row, lang)).add_to(group)
    group.add_to(fmap)
    if len(placed_m):
        group = folium.FeatureGroup(name=t("canals.layer.measurements", lang))
        for _, row in placed_m.iterrows():
            folium.RegularPolygonMarker([row.geometry.y, row.geometry.x], number_of_sides=3, radius=8,
                                        color=MEASUREMENT_COLOUR, fill=True, fill_opacity=0.8,
                                        tooltip=_measurement_tooltip(row, lang)).add_to(group)
        group.add_to(fmap)
    if clicked:
        folium.CircleMarker([clicked[1], clicked[0]], radius=7, color="#000000", weight=2, fill=False,
                            tooltip=html.escape(t("canals.layer.clicked", lang))).add_to(fmap)

    entries = [
        (line_swatch(CANAL_COLOUR, 3, dash="8 6"), t("canals.layer.canal", lang)),
        (_arrow_svg(0, 14).replace("display:block", "display:inline-block;vertical-align:middle"),
         t("canals.layer.flow", lang)),
        (line_swatch(BORDER_COLOUR, 5), t("canals.layer.border_area", lang, km=format_number(BORDER_STRETCH_KM, lang))),
        (line_swatch(BORDER_COLOUR, 1), t("canals.layer.border", lang)),
    ]
    if line is not None and border_crossings(line, country):
        entries.append((f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
                        f'border:3px solid {BORDER_COLOUR};background:#fff;vertical-align:middle"></span>',
                        t("canals.layer.crossing", lang)))
    entries += [(_dot(colour), status_label(status, lang)) for status, colour in STATUS_COLOURS.items()]
    if len(placed_m):
        entries.append((f'<span style="color:{MEASUREMENT_COLOUR};font-size:13px">&#9650;</span>',
                        t("canals.layer.measurements", lang)))
    precision = int(canal["location_precision"]) if pd.notna(canal.get("location_precision")) else "—"
    note = t("canals.legend.note", lang, precision=precision)
    Legend(t("canals.legend", lang), entries, note=note, position="bottom:30px; right:10px").add_to(fmap)
    fmap.fit_bounds(_view_bounds(features))
    return finish(fmap)


__all__ = ["STATUS_COLOURS", "arrow_positions", "border_crossings", "border_near", "canal_map", "country_label",
           "outlet_tooltip", "status_label"]
