"""Hazard zones drawn by class (ThinkHazard levels), indicative layers marked as such."""
from __future__ import annotations

import html

import folium
import geopandas as gpd

from geo.i18n import t

#: class → fill colour (ThinkHazard-like ramp)
HAZARD_COLOURS = {"High": "#d7191c", "Medium": "#fdae61", "Low": "#ffffbf", "Very low": "#abd9e9"}


def hazard_layer(zones: gpd.GeoDataFrame, lang: str, name: str | None = None) -> folium.GeoJson:
    """A GeoJSON layer of hazard zones coloured by ``hazard_class``; tooltips escaped."""
    data = zones[["hazard_type", "hazard_class", "layer_name", "geometry"]].copy()
    indicative = zones["indicative"].fillna(False).astype(bool) if "indicative" in zones else False
    data["label"] = (
        data["hazard_type"].fillna("").astype(str) + " — " + data["hazard_class"].fillna("?").astype(str)
        + " (" + data["layer_name"].fillna("").astype(str) + ")"
    ).map(html.escape)
    data["indicative"] = indicative
    return folium.GeoJson(
        data.drop(columns=["layer_name"]).to_json(drop_id=True),
        name=name or t("map.layer.hazards", lang),
        style_function=lambda f: {
            "color": "#555", "weight": 0.3,
            "fillColor": HAZARD_COLOURS.get(f["properties"]["hazard_class"], "#cccccc"),
            "fillOpacity": 0.45, "dashArray": "3 3" if f["properties"].get("indicative") else None,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[t("hazard.zone", lang)], sticky=True),
    )
