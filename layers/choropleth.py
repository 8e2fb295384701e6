"""Units coloured by a figure, with a classed legend where "no data" is hatched and zero is white."""
from __future__ import annotations

import html

import folium
import geopandas as gpd
import pandas as pd

from geo.i18n import format_number, t
from layers.boundaries import unit_name
from layers.legend import Legend, fill_swatch

#: light → dark blues for classes 1…5
CLASS_COLOURS = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
ZERO_COLOUR = "#ffffff"


def choropleth_layer(units: gpd.GeoDataFrame, metrics: pd.DataFrame, metric: str, classes: pd.Series,
                     metric_label: str, lang: str) -> folium.GeoJson:
    """A GeoJSON layer of ``units`` filled by ``classes`` (aligned with ``metrics`` rows by pcode)."""
    data = units[["pcode", "geometry"]].merge(metrics[["pcode", metric]].assign(cls=classes.values), on="pcode", how="left")
    value_text = data[metric].map(lambda v: t("no_data", lang) if pd.isna(v) else format_number(v, lang))
    data["label"] = (unit_name(units, lang).values + ": " + value_text).map(html.escape)
    data["cls"] = data["cls"].astype("Float64").fillna(-1).astype(int)
    data = data.drop(columns=[metric])

    def style(feature):
        c = feature["properties"]["cls"]
        if c < 0:
            return {"color": "#777", "weight": 0.6, "fillColor": "#bdbdbd", "fillOpacity": 0.55, "dashArray": "3 3"}
        colour = ZERO_COLOUR if c == 0 else CLASS_COLOURS[min(c, len(CLASS_COLOURS)) - 1]
        return {"color": "#555", "weight": 0.6, "fillColor": colour, "fillOpacity": 0.75}

    return folium.GeoJson(
        data.to_json(drop_id=True), name=metric_label, style_function=style,
        highlight_function=lambda _: {"weight": 2, "color": "#08519c"},
        tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[metric_label], sticky=True),
    )


def choropleth_legend(metric_label: str, bounds: list[float], lang: str, note: str = "") -> Legend:
    """Class ranges, then zero, then no data."""
    entries = []
    lower = 0.0
    for i, upper in enumerate(bounds):
        entries.append((fill_swatch(CLASS_COLOURS[min(i, len(CLASS_COLOURS) - 1)]),
                        f"{format_number(lower, lang)} – {format_number(upper, lang)}"))
        lower = upper
    entries.append((fill_swatch(ZERO_COLOUR), "0"))
    entries.append((fill_swatch("#bdbdbd", hatched=True), t("no_data", lang)))
    return Legend(metric_label, entries, note=note, position="bottom:34px; right:10px")
