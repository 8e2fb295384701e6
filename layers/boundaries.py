"""Admin boundaries as light, topology-preserving GeoJSON layers with labels."""
from __future__ import annotations

import html

import folium
from folium.map import Layer
from jinja2 import Template
import geopandas as gpd
import pandas as pd
import shapely

from geo.crs import KYRGYZSTAN_EQUAL_AREA
from layers.safe_json import script_json
from layers.styles import LEVEL_STYLES

#: Simplification tolerance in metres per level, for the national view.
TOLERANCE_M = {0: 400.0, 1: 400.0, 2: 250.0, 3: 120.0}


def simplify_units(units: gpd.GeoDataFrame, tolerance_m: float, decimals: int = 5) -> gpd.GeoDataFrame:
    """Simplify a polygon coverage for display, keeping shared edges shared.

    Simplification runs in the Kyrgyzstan equal-area CRS with ``tolerance_m`` metres
    (``shapely.coverage_simplify``, so neighbours stay gap- and overlap-free), then the
    result goes back to EPSG:4326 with coordinates rounded to ``decimals`` (5 ≈ 1 m).
    Every unit is kept: a unit that would vanish keeps its original outline.
    """
    if units.empty:
        return units.copy()
    metric = units.to_crs(KYRGYZSTAN_EQUAL_AREA)
    geoms = shapely.make_valid(metric.geometry.values)
    simplified = shapely.coverage_simplify(geoms, tolerance_m)
    broken = shapely.is_empty(simplified) | ~shapely.is_valid(simplified) | (shapely.area(simplified) <= 0)
    simplified[broken] = geoms[broken]
    out = metric.copy()
    out.geometry = gpd.GeoSeries(simplified, index=metric.index, crs=metric.crs)
    out = out.to_crs(4326)
    out.geometry = shapely.set_precision(out.geometry.values, 10 ** -decimals)
    still_empty = out.geometry.is_empty
    if still_empty.any():
        out.loc[still_empty, "geometry"] = units.loc[still_empty, "geometry"]
    return out


def unit_name(units: gpd.GeoDataFrame, lang: str, mark: bool = True) -> pd.Series:
    """Each unit's name in ``lang``; where the data has none, the name in another language
    marked with it, e.g. ``Kochkor (en)`` (order as :func:`geo.i18n.place_name`: Kyrgyz falls
    back to Russian first), then the P-code. ``mark=False`` leaves the marker out."""
    from geo.i18n import NAME_FALLBACK

    out = pd.Series(pd.NA, index=units.index, dtype=object)
    for i, code in enumerate(NAME_FALLBACK.get(lang, (lang, "en", "ru", "ky"))):
        column = f"name_{code}"
        if column not in units:
            continue
        names = units[column].astype("string").str.strip()
        names = names.where(names.notna() & (names != ""))
        if i and mark:
            names = names + f" ({code})"
        out = out.where(out.notna(), names.astype(object))
    return out.where(out.notna(), units["pcode"].astype(str)).astype(str)


def boundary_layer(units: gpd.GeoDataFrame, level: int, name: str, lang: str,
                   tooltip_label: str, selected: str | None = None, show: bool = True) -> folium.GeoJson:
    """A clickable GeoJSON layer of one level; names are HTML-escaped for the tooltip."""
    colour, weight, dash = LEVEL_STYLES.get(level, LEVEL_STYLES[3])
    data = units[["pcode", "level", "geometry"]].copy()
    data["label"] = unit_name(units, lang).map(html.escape)

    def style(feature):
        chosen = feature["properties"]["pcode"] == selected
        return {
            "color": "#d7301f" if chosen else colour, "weight": weight + (1.5 if chosen else 0),
            "dashArray": dash, "fillColor": "#ffffff", "fillOpacity": 0.01,
        }

    return folium.GeoJson(
        data.to_json(drop_id=True), name=name, style_function=style, show=show,
        highlight_function=lambda _: {"weight": weight + 2, "color": "#08519c", "fillOpacity": 0.06},
        tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[tooltip_label], sticky=True),
        smooth_factor=1.0,
    )


class UnitLabels(Layer):
    """Unit names as text labels drawn in the browser from one JSON array (set as text, not HTML)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  var group = L.layerGroup();
  {{ this.labels_json }}.forEach(function (item) {
    var icon = L.divIcon({className: 'aimak-label-icon', html: '', iconSize: [140, 16], iconAnchor: [70, 8]});
    var marker = L.marker([item[0], item[1]], {icon: icon, interactive: false, keyboard: false});
    marker.on('add', function () {
      var el = marker.getElement();
      if (el) { el.textContent = ''; var d = document.createElement('div'); d.className = 'aimak-label';
        d.style.fontSize = item[3] + 'px'; d.textContent = item[2]; el.appendChild(d); }
    });
    group.addLayer(marker);
  });
  return group;
})();
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}
"""
    )

    def __init__(self, labels: list, name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "UnitLabels"
        self.labels_json = script_json(labels)


def label_layer(units: gpd.GeoDataFrame, lang: str, name: str, size_px: int = 11, show: bool = True) -> UnitLabels:
    """Unit names as text labels at each unit's representative point."""
    points = units.geometry.representative_point()
    labels = [[round(p.y, 5), round(p.x, 5), label, size_px] for label, p in zip(unit_name(units, lang), points)]
    return UnitLabels(labels, name=name, show=show)
