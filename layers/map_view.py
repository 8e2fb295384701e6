"""Composing the main map from frames: boundaries for the chosen level, projects, context layers."""
from __future__ import annotations

import html
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd

from geo.i18n import t
from layers.base_map import finish, new_map
from layers.boundaries import TOLERANCE_M, boundary_layer, label_layer, simplify_units
from layers.legend import Legend, fill_swatch, icon_swatch, line_swatch
from layers.project_markers import POPUP_FIELDS, ProjectMarkers, marker_rows
from layers.project_shapes import project_shape_layer, project_shapes
from layers.styles import LEVEL_STYLES, SECTOR_STYLES, sector_style

#: Above this many projects in view, markers are replaced by counts per unit.
MAX_MARKERS = 20_000


@dataclass
class MapContext:
    """Everything the map shows; frames are in EPSG:4326."""

    admin_units: gpd.GeoDataFrame
    projects: gpd.GeoDataFrame
    popups: pd.DataFrame | None = None
    settlements: gpd.GeoDataFrame | None = None
    rivers: gpd.GeoDataFrame | None = None
    lakes: gpd.GeoDataFrame | None = None
    hazard_zones: gpd.GeoDataFrame | None = None
    selected: str | None = None
    lang: str = "ru"
    basemap: str = "relief"
    simplified: dict[int, gpd.GeoDataFrame] | None = None
    #: (metric column, label, note, per-unit metrics frame with pcode) for choropleth mode
    choropleth: tuple[str, str, str, pd.DataFrame] | None = None

    def simplified_units(self) -> gpd.GeoDataFrame:
        """All levels, simplified for display (from ``simplified`` when given)."""
        parts = self.simplified or prepare_units(self.admin_units)
        return gpd.GeoDataFrame(pd.concat(list(parts.values()), ignore_index=True), geometry="geometry", crs=4326)


def prepare_units(admin_units: gpd.GeoDataFrame) -> dict[int, gpd.GeoDataFrame]:
    """Display copies of each level, simplified once (cache this per store revision)."""
    return {
        int(level): simplify_units(units, TOLERANCE_M.get(int(level), 100.0))
        for level, units in admin_units.groupby("level")
    }


def visible_units(admin_units: gpd.GeoDataFrame, selected: str | None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None, int]:
    """(context units drawn as outlines, the selected unit or None, the level of the children shown).

    National view: oblasts (level 1) and their rayons. A selected unit shows its children.
    """
    if not selected or selected not in set(admin_units["pcode"]):
        return admin_units[admin_units["level"] == 1], None, 2
    unit = admin_units[admin_units["pcode"] == selected]
    level = int(unit["level"].iloc[0])
    return child_units(admin_units, selected), unit, level + 1


def child_units(admin_units: gpd.GeoDataFrame, pcode: str) -> gpd.GeoDataFrame:
    """Units one level below ``pcode``: by parent P-code, or, when the levels come from
    different sources (e.g. COD-AB aiyl okmotus under shipped rayons), by location of
    each unit's representative point."""
    unit = admin_units[admin_units["pcode"] == pcode]
    if unit.empty:
        return admin_units.iloc[0:0]
    below = admin_units[admin_units["level"] == int(unit["level"].iloc[0]) + 1]
    by_parent = below[below["parent_pcode"] == pcode]
    if len(by_parent) or below.empty:
        return by_parent
    inside = below.geometry.representative_point().within(unit.geometry.iloc[0])
    return below[inside.values]


def _aggregate_layer(projects: gpd.GeoDataFrame, units: gpd.GeoDataFrame, level: int, lang: str) -> folium.FeatureGroup:
    """Project counts per unit as sized circles (used when there are too many markers)."""
    from layers.boundaries import unit_name

    column = {1: "oblast_pcode", 2: "rayon_pcode", 3: "aiyl_okmot_pcode"}.get(level, "oblast_pcode")
    counts = projects.groupby(column).size()
    group = folium.FeatureGroup(name=t("map.layer.projects_aggregated", lang))
    shown = units[units["pcode"].isin(counts.index)]
    points = shown.geometry.representative_point()
    names = unit_name(shown, lang)
    for pcode, point, name in zip(shown["pcode"], points, names):
        n = int(counts[pcode])
        folium.CircleMarker(
            [round(point.y, 5), round(point.x, 5)], radius=min(40, 6 + n ** 0.5 / 2),
            color="#08519c", fill=True, fill_opacity=0.55, weight=1,
            tooltip=html.escape(f"{name}: {n}"),
        ).add_to(group)
    return group


def build_map(ctx: MapContext) -> folium.Map:
    """The folium map for the current view (see the module docstring)."""
    lang = ctx.lang
    fmap = new_map(basemap=ctx.basemap, relief_name=t("map.base.relief", lang), plain_name=t("map.base.plain", lang))
    units = ctx.simplified_units()
    children, unit, child_level = visible_units(units, ctx.selected)

    if ctx.lakes is not None and len(ctx.lakes):
        folium.GeoJson(ctx.lakes[["geometry"]].to_json(drop_id=True), name=t("map.layer.lakes", lang),
                       style_function=lambda _: {"color": "#4a90c2", "weight": 0.5, "fillColor": "#9ecae1", "fillOpacity": 0.8},
                       interactive=False).add_to(fmap)
    if ctx.rivers is not None and len(ctx.rivers):
        folium.GeoJson(ctx.rivers[["geometry"]].to_json(drop_id=True), name=t("map.layer.rivers", lang),
                       style_function=lambda _: {"color": "#3182bd", "weight": 1.2, "opacity": 0.8},
                       interactive=False).add_to(fmap)
    view_bounds = None
    if ctx.selected and ctx.selected in set(units["pcode"]):
        view_bounds = tuple(units[units["pcode"] == ctx.selected].total_bounds)
    hazard_entries: list[tuple[str, str]] = []
    if ctx.hazard_zones is not None and len(ctx.hazard_zones):
        hazard_entries = _hazard_overlay(ctx.hazard_zones, lang, view_bounds, fmap)

    if unit is None:
        oblasts = units[units["level"] == 1]
        rayons = units[units["level"] == 2]
        if len(rayons):
            boundary_layer(rayons, 2, t("map.layer.rayons", lang), lang, t("level.2", lang)).add_to(fmap)
        boundary_layer(oblasts, 1, t("map.layer.oblasts", lang), lang, t("level.1", lang)).add_to(fmap)
        label_layer(oblasts, lang, t("map.layer.labels", lang), size_px=12).add_to(fmap)
    else:
        level = int(unit["level"].iloc[0])
        shown = children
        if len(shown):
            boundary_layer(shown, child_level, t(f"map.layer.level{child_level}", lang), lang, t(f"level.{child_level}", lang)).add_to(fmap)
            label_layer(shown, lang, t("map.layer.labels", lang)).add_to(fmap)
        boundary_layer(unit, level, t(f"level.{level}", lang), lang, t(f"level.{level}", lang), selected=ctx.selected).add_to(fmap)
        minx, miny, maxx, maxy = unit.total_bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    if ctx.choropleth is not None:
        from geo.unit_metrics import classify
        from layers.choropleth import choropleth_layer, choropleth_legend

        metric, label, note, metrics = ctx.choropleth
        coloured = units[units["pcode"].isin(metrics["pcode"])]
        ordered = metrics.set_index("pcode").loc[coloured["pcode"]].reset_index()
        classes, bounds = classify(ordered[metric])
        choropleth_layer(coloured, ordered, metric, classes, label, lang).add_to(fmap)
        choropleth_legend(label, bounds, lang, note).add_to(fmap)

    if ctx.settlements is not None and len(ctx.settlements):
        _settlement_layer(ctx.settlements, lang).add_to(fmap)

    projects = ctx.projects
    if len(projects) > MAX_MARKERS:
        agg_units = units[units["level"] == (child_level if unit is not None else 2)]
        _aggregate_layer(projects, agg_units, int(agg_units["level"].iloc[0]) if len(agg_units) else 1, lang).add_to(fmap)
    elif len(projects):
        sector_labels = {s: t(f"sector.{s}", lang) for s in SECTOR_STYLES}
        rows, sectors = marker_rows(projects, ctx.popups, sector_labels)
        labels = [t(f"popup.{field}", lang) for field in POPUP_FIELDS]
        ProjectMarkers(rows, sectors, labels, name=t("map.layer.projects", lang)).add_to(fmap)
    shapes = project_shapes(projects) if 0 < len(projects) <= MAX_MARKERS else projects.iloc[0:0]
    if len(shapes):
        sector_labels = {s: t(f"sector.{s}", lang) for s in SECTOR_STYLES}
        layer = project_shape_layer(shapes, sector_labels, t("map.layer.project_shapes", lang), view_bounds)
        if layer is not None:
            layer.add_to(fmap)

    present = sorted(set(projects["sector"].fillna("other")) if len(projects) else set(),
                     key=lambda s: list(SECTOR_STYLES).index(s) if s in SECTOR_STYLES else 99)
    entries = [(icon_swatch(*sector_style(s)), t(f"sector.{s}", lang)) for s in present]
    entries += [(line_swatch(LEVEL_STYLES[1][0], 2), t("level.1", lang)), (line_swatch(LEVEL_STYLES[2][0], 1, "4 3"), t("level.2", lang))]
    if len(shapes):
        kinds = set(shapes["shape"])
        if "line" in kinds:
            entries.append((line_swatch("#555555", 4), t("legend.project_lines", lang)))
        if "area" in kinds:
            entries.append((fill_swatch("#bbbbbb"), t("legend.project_areas", lang)))
    if child_level == 3 and len(children):
        entries.append((line_swatch(LEVEL_STYLES[3][0], 1, "2 3"), t("level.3", lang)))
    entries += hazard_entries
    note = t("legend.precision_note", lang)
    if ctx.hazard_zones is not None and len(ctx.hazard_zones) and _indicative(ctx.hazard_zones).any():
        note += " " + t("risk.indicative_note", lang)
    Legend(t("legend.title", lang), entries, note=note).add_to(fmap)
    return finish(fmap)


def _indicative(zones: pd.DataFrame) -> pd.Series:
    return zones["indicative"].fillna(False).astype(bool) if "indicative" in zones else pd.Series(False, index=zones.index)


def _hazard_overlay(zones: gpd.GeoDataFrame, lang: str, bounds, fmap: folium.Map) -> list[tuple[str, str]]:
    """Add one hazard layer (shown, clipped to the view) and return its legend entries by class."""
    from layers.hazard_style import HAZARD_COLOURS, INDICATIVE_DASH, class_label, hazard_layer

    hazard_layer(zones, lang, show=True, bounds=bounds).add_to(fmap)
    dashed = bool(_indicative(zones).all())
    present = set(zones["hazard_class"].dropna())
    return [(fill_swatch(colour) if not dashed else line_swatch(colour, 3, INDICATIVE_DASH),
             t("legend.hazard_class", lang, cls=class_label(cls, lang)))
            for cls, colour in HAZARD_COLOURS.items() if cls in present]


def _settlement_layer(settlements: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    """Settlements as circles sized by population (unknown population: small hollow circle)."""
    from layers.boundaries import unit_name

    group = folium.FeatureGroup(name=t("map.layer.settlements", lang), show=False)
    names = unit_name(settlements.assign(pcode=settlements["settlement_id"]), lang)
    for name, pop, geom in zip(names, settlements["population"], settlements.geometry):
        known = pd.notna(pop)
        radius = 2.5 + (float(pop) ** 0.5) / 60 if known else 3
        label = f"{name}: {int(pop):,}".replace(",", "\u00a0") if known else f"{name}: {t('population_unknown', lang)}"
        folium.CircleMarker([round(geom.y, 5), round(geom.x, 5)], radius=min(radius, 18), weight=1, color="#54278f",
                            fill=known, fill_opacity=0.5, tooltip=html.escape(label)).add_to(group)
    return group
