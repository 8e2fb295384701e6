"""Hazard zones, unit hazard levels and projects at risk as folium layers, with a legend by class.

Colours are ThinkHazard!'s four levels (GFDRR ThinkHazard!, ``static/less/variables.less``):
High ``#db0026``, Medium ``#f03b20``, Low ``#fd8d3c``, Very low ``#fecc5c``.

Indicative layers (``indicative`` True: derived from elevation and rivers, not an
official hazard map) are drawn with dashed outlines, and their tooltips and legend
say so. Every text that comes from data is HTML-escaped here; legend labels are
escaped by :class:`layers.legend.Legend`.

Zone polygons are simplified for the browser (:func:`display_zones`): a tolerance in
degrees chosen from the extent shown, coordinates rounded to 5 decimals (about 1 m).
Analysis never uses these copies.
"""
from __future__ import annotations

import html
from collections.abc import Iterable

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.i18n import t
from layers.legend import Legend

#: class → fill colour (ThinkHazard! levels)
HAZARD_COLOURS = {"High": "#db0026", "Medium": "#f03b20", "Low": "#fd8d3c", "Very low": "#fecc5c"}
#: Fill of a unit that lies in no zone of the layer (not "no data": the layer covers it and finds nothing).
NO_LEVEL_COLOUR = "#f4f4f4"
#: Outline dash of indicative zones.
INDICATIVE_DASH = "5 4"
CLASSES = tuple(HAZARD_COLOURS)


def _t(key: str, lang: str, fallback: str | None = None) -> str:
    """A message, or ``fallback`` when the catalogue has no such key."""
    text = t(key, lang)
    return fallback if (text == key and fallback is not None) else text


def class_label(hazard_class, lang: str) -> str:
    """A hazard class (``High`` … ``Very low``, ``Outside zones``, ``No location``) in ``lang``."""
    if hazard_class is None or hazard_class is pd.NA or (isinstance(hazard_class, float) and np.isnan(hazard_class)):
        return t("risk.level.none", lang)
    return _t(f"hazard.class.{hazard_class}", lang, str(hazard_class))


def hazard_type_label(hazard_type, lang: str) -> str:
    """A hazard type (``mudflow``, ``flood`` …) in ``lang``; unknown types as given."""
    if hazard_type is None or hazard_type is pd.NA or (isinstance(hazard_type, float) and np.isnan(hazard_type)):
        return ""
    return _t(f"hazard.type.{hazard_type}", lang, str(hazard_type))


def display_tolerance(bounds: Iterable[float]) -> float:
    """Simplification tolerance in degrees for an extent (lon/lat bounds): about 1/1500 of its
    width, between 0.0003° (≈ 30 m) and 0.008° (≈ 700 m)."""
    minx, miny, maxx, maxy = bounds
    return float(np.clip(max(maxx - minx, maxy - miny) / 1500.0, 0.0003, 0.008))


def display_zones(zones: gpd.GeoDataFrame, bounds: Iterable[float] | None = None,
                  tolerance: float | None = None) -> gpd.GeoDataFrame:
    """A light copy of hazard zones (EPSG:4326) for drawing: clipped to ``bounds`` (lon/lat,
    with a margin), simplified (:func:`display_tolerance`) and rounded to 5 decimals."""
    frame = zones.to_crs(4326) if zones.crs is not None and not zones.crs.equals("EPSG:4326") else zones
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        pad = 0.1 * max(maxx - minx, maxy - miny, 0.05)
        geoms = shapely.clip_by_rect(geoms, minx - pad, miny - pad, maxx + pad, maxy + pad)
    extent = bounds if bounds is not None else frame.total_bounds
    geoms = shapely.simplify(geoms, tolerance if tolerance is not None else display_tolerance(extent),
                             preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, 5))
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = frame.drop(columns=frame.geometry.name).loc[keep].copy()
    return gpd.GeoDataFrame(out, geometry=list(geoms[keep]), crs=4326).reset_index(drop=True)


def hazard_layer(zones: gpd.GeoDataFrame, lang: str, name: str | None = None, show: bool = False,
                 simplify: bool = True, bounds: Iterable[float] | None = None) -> folium.GeoJson:
    """A GeoJSON layer of hazard zones filled by ``hazard_class``; indicative zones dashed.

    Hidden until switched on in the layer control unless ``show`` (on the main map
    the zones would cover the projects; the risk page shows them).

    With ``simplify`` (default) the zones are first made light for the browser with
    :func:`display_zones` (``bounds`` clips them to the extent shown). Tooltips
    name the hazard type and class in ``lang`` and the layer name, escaped.
    """
    if simplify:
        zones = display_zones(zones, bounds)
    data = gpd.GeoDataFrame(
        {"hazard_class": zones["hazard_class"].astype(object).where(zones["hazard_class"].notna(), None)},
        geometry=zones.geometry.values, crs=4326,
    )
    indicative = (zones["indicative"].fillna(False).astype(bool).to_numpy()
                  if "indicative" in zones else np.zeros(len(zones), dtype=bool))
    types = zones["hazard_type"] if "hazard_type" in zones else pd.Series("", index=zones.index)
    layer_names = zones["layer_name"] if "layer_name" in zones else pd.Series("", index=zones.index)
    labels = []
    for hazard_type, hazard_class, layer_name, flag in zip(types, zones["hazard_class"], layer_names, indicative):
        text = f"{hazard_type_label(hazard_type, lang)}: {class_label(hazard_class, lang)}"
        if flag:
            text += f" — {t('risk.indicative_short', lang)}"
        elif isinstance(layer_name, str) and layer_name:
            text += f" ({layer_name})"
        labels.append(html.escape(text))
    data["label"] = labels
    data["indicative"] = indicative

    def style(feature):
        props = feature["properties"]
        dashed = bool(props.get("indicative"))
        colour = HAZARD_COLOURS.get(props.get("hazard_class"), "#cccccc")
        return {
            "color": colour, "weight": 1.2, "opacity": 0.9, "dashArray": INDICATIVE_DASH if dashed else None,
            "fillColor": colour, "fillOpacity": 0.45,
        }

    return folium.GeoJson(
        data.to_json(drop_id=True), name=name or t("map.layer.hazards", lang), style_function=style, show=show,
        tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[t("hazard.zone", lang)], sticky=True),
        smooth_factor=1.0,
    )


def hazard_level_layer(units: gpd.GeoDataFrame, levels: pd.Series, lang: str, name: str,
                       show: bool = True, indicative: bool = False) -> folium.GeoJson:
    """Units filled by their hazard level (the worst class present; ThinkHazard!'s rule).

    ``levels`` maps P-code → class (empty: in no zone). Tooltips give the unit name
    and level, escaped; features keep ``pcode`` so a click selects the unit.
    """
    from layers.boundaries import unit_name

    level = units["pcode"].map(levels)
    level = level.astype(object).where(level.notna(), None)
    names = unit_name(units, lang)
    data = gpd.GeoDataFrame(
        {"pcode": units["pcode"].astype(str).to_numpy(), "level_class": level.to_numpy()},
        geometry=units.geometry.values, crs=4326,
    )
    suffix = f" ({t('risk.indicative_short', lang)})" if indicative else ""
    data["label"] = [html.escape(f"{n}: {class_label(c, lang)}{suffix}") for n, c in zip(names, level)]

    def style(feature):
        cls = feature["properties"].get("level_class")
        return {"color": "#333", "weight": 0.9, "dashArray": INDICATIVE_DASH if indicative else None,
                "fillColor": HAZARD_COLOURS.get(cls, NO_LEVEL_COLOUR), "fillOpacity": 0.7}

    return folium.GeoJson(
        data.to_json(drop_id=True), name=name, style_function=style, show=show,
        highlight_function=lambda _: {"weight": 2.5, "color": "#08519c"},
        tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[t("risk.col.hazard_level", lang)], sticky=True),
    )


def at_risk_layer(points: pd.DataFrame, lang: str, name: str, show: bool = True) -> folium.GeoJson:
    """Projects at risk as circles filled by their class.

    ``points`` needs ``lon``, ``lat``, ``hazard_class`` and ``label`` (plain text,
    escaped here); rows without coordinates are left out.
    """
    frame = points[points["lon"].notna() & points["lat"].notna()]
    data = gpd.GeoDataFrame(
        {"hazard_class": frame["hazard_class"].astype(object).to_numpy(),
         "label": [html.escape(str(v)) for v in frame["label"]]},
        geometry=gpd.points_from_xy(frame["lon"].astype(float).round(5), frame["lat"].astype(float).round(5)),
        crs=4326,
    )

    def style(feature):
        return {"color": "#1a1a1a", "weight": 1.5, "fill": True, "fillOpacity": 0.95, "radius": 6,
                "fillColor": HAZARD_COLOURS.get(feature["properties"].get("hazard_class"), "#999999")}

    return folium.GeoJson(
        data.to_json(drop_id=True), name=name, style_function=style, show=show,
        marker=folium.CircleMarker(radius=6), highlight_function=lambda _: {"weight": 3},
        tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[t("risk.legend.project_at_risk", lang)], sticky=True),
    )


def zone_swatch(colour: str, dashed: bool = False, outline: str | None = None) -> str:
    """A filled square; a dashed outline marks an indicative layer."""
    line = outline or colour
    border = f"1.5px dashed {line}" if dashed else f"1px solid {line}"
    return (f'<span style="display:inline-block;width:14px;height:12px;background:{colour}b3;'
            f'border:{border};vertical-align:middle;box-sizing:border-box"></span>')


def circle_swatch(colour: str) -> str:
    """A round marker sample."""
    return (f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;background:{colour};'
            f'border:1.5px solid #1a1a1a;vertical-align:middle;margin:0 2px"></span>')


def hazard_legend(lang: str, classes: Iterable[str] = CLASSES, indicative: bool = False, title: str | None = None,
                  with_no_level: bool = False, with_markers: bool = False,
                  position: str = "bottom:34px; right:10px") -> Legend:
    """The legend by class (ThinkHazard! colours, worst first).

    ``indicative`` draws dashed swatches and adds the note "indicative, derived from
    elevation and rivers — not an official hazard map"; ``with_no_level`` adds the
    fill of units in no zone; ``with_markers`` the project-at-risk circle.
    """
    entries = [(zone_swatch(HAZARD_COLOURS[c], indicative), class_label(c, lang)) for c in CLASSES if c in set(classes)]
    if with_no_level:
        entries.append((zone_swatch(NO_LEVEL_COLOUR, outline="#888888"), t("risk.level.none", lang)))
    if with_markers:
        entries.append((circle_swatch(HAZARD_COLOURS["High"]), t("risk.legend.project_at_risk", lang)))
    note = t("risk.indicative_note", lang) if indicative else ""
    return Legend(title or t("risk.legend.title", lang), entries, note=note, position=position)
