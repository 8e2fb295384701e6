"""A static map for printed reports, drawn on the server from the store's data (no tiles).

What is drawn: admin boundaries (neighbours in grey, the selected unit highlighted,
its children dashed and labelled), lakes and rivers, the largest settlements, the
projects as markers coloured by sector (:data:`layers.styles.SECTOR_STYLES`), a
legend, a scale bar in kilometres, a north arrow and an attribution line.

Everything is drawn in a metric CRS chosen by :func:`geo.crs.metric_crs_for` for the
area shown (a UTM zone for a rayon or oblast, the Kyrgyzstan equal-area projection
for the whole country), so the scale bar is measured in metres on the map plane and
is true at the map's centre. The north arrow points to true north at the centre
(grid north of a projected CRS can differ by a few degrees).

Projects that share one point (e.g. all placed at a rayon's centre because their
village is not in the gazetteer) are spread on a small sunflower spiral around that
point and tied to it with thin lines; the legend says so. Square markers are
projects placed at a unit's centre (location precision 3–6), circles those at or
near their settlement (1–2); see :data:`geo.schema.PRECISION_CODES`.
"""
from __future__ import annotations

import io
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.crs import KYRGYZSTAN_EQUAL_AREA, metric_crs_for
from geo.i18n import place_name, t
from geo.reports.fonts import use_in_matplotlib
from layers.styles import SECTOR_STYLES, sector_style

#: Colours of the map furniture.
#: Limits of the map's height in inches when it is chosen from the area's shape.
MIN_HEIGHT_IN, MAX_HEIGHT_IN = 4.4, 5.6
SELECTED_FILL, SELECTED_EDGE = "#fff3c4", "#c0392b"
CONTEXT_FILL, CONTEXT_EDGE = "#f4f4f2", "#9a9a9a"
WATER_FILL, WATER_EDGE, RIVER = "#bcdcf0", "#5b9bd5", "#5b9bd5"
#: Short attribution of the shipped layers drawn on the map (see data/SOURCES.md); {pd} = "public domain".
ATTRIBUTION = "Natural Earth ({pd}); geoBoundaries, Runfola et al. 2020; GeoNames (CC BY 4.0); GSHHG/WDBII (LGPL-3.0)"


class _Placer:
    """Greedy label placement: boxes in map metres; a label goes to the first free candidate spot."""

    def __init__(self, per_pt: float):
        self.per_pt = per_pt
        self.boxes: list[tuple[float, float, float, float]] = []

    def occupy(self, x: float, y: float, w_pt: float, h_pt: float) -> None:
        hw, hh = w_pt * self.per_pt / 2, h_pt * self.per_pt / 2
        self.boxes.append((x - hw, y - hh, x + hw, y + hh))

    def free(self, box) -> bool:
        return not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in self.boxes)

    def place(self, x: float, y: float, w_pt: float, h_pt: float, candidates, offsets_in_pt: bool = False):
        """Centre of the first free spot (offsets in label heights, or in points) and mark it taken; None if none."""
        hw, hh = w_pt * self.per_pt / 2, h_pt * self.per_pt / 2
        for dx, dy in candidates:
            cx = x + (dx * self.per_pt if offsets_in_pt else dx * 2 * hw)
            cy = y + (dy * h_pt * self.per_pt if offsets_in_pt else dy * 2 * hh)
            box = (cx - hw, cy - hh, cx + hw, cy + hh)
            if self.free(box):
                self.boxes.append(box)
                return cx, cy
        return None


def _nice_length(target_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^n metres) not above ``target_m``."""
    if target_m <= 0:
        return 1000.0
    exponent = math.floor(math.log10(target_m))
    for step in (5, 2, 1):
        value = step * 10 ** exponent
        if value <= target_m:
            return float(value)
    return float(10 ** exponent)


def scale_bar_length(width_m: float, fraction: float = 0.25) -> float:
    """Length in metres of a scale bar about ``fraction`` of a map ``width_m`` metres wide."""
    return _nice_length(width_m * fraction)


def sunflower_offsets(n: int, spacing: float) -> np.ndarray:
    """``n`` (dx, dy) offsets on a sunflower spiral, about ``spacing`` apart; the first at 0, 0 when n == 1."""
    if n <= 1:
        return np.zeros((max(n, 0), 2))
    i = np.arange(n) + 0.5
    radius = spacing * np.sqrt(i) * 0.62
    angle = i * math.radians(137.508)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def _true_north_angle(crs, x: float, y: float) -> float:
    """Angle (radians, from the +y axis, clockwise positive) of true north at map point x, y."""
    to_geo = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    to_map = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    x2, y2 = to_map.transform(lon, lat + 0.05)
    return math.atan2(x2 - x, y2 - y)


def _crs_label(crs) -> str:
    if crs == KYRGYZSTAN_EQUAL_AREA or getattr(crs, "name", "") == "unknown":
        return "Albers equal-area, Kyrgyzstan (WGS 84)"
    return str(getattr(crs, "name", crs))


def _fit_extent(bounds, aspect: float, pad: float = 0.08) -> tuple[float, float, float, float]:
    """Bounds padded by ``pad`` and widened to the axes' ``aspect`` (width / height)."""
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1000.0), max(maxy - miny, 1000.0)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _plot_frame(ax, frame: gpd.GeoDataFrame | None, **kwargs) -> None:
    if frame is None or len(frame) == 0:
        return
    geoms = frame.geometry[frame.geometry.notna() & ~frame.geometry.is_empty]
    if len(geoms):
        gpd.GeoSeries(geoms, crs=frame.crs).plot(ax=ax, **kwargs)


def map_figure(
    admin_units: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    *,
    selected: str | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    settlements: gpd.GeoDataFrame | None = None,
    lang: str = "ru",
    width_in: float = 7.1,
    height_in: float | None = None,
    max_settlement_labels: int = 12,
):
    """The map as a matplotlib Figure (see the module docstring for what is drawn).

    ``admin_units`` is the store layer (EPSG:4326); ``selected`` a P-code (None: the
    whole country, e.g. for a donor). ``projects`` are the projects to mark (any
    geometry; a representative point is used). Returns ``(figure, info)`` where
    ``info`` holds ``crs`` (the metric CRS), ``extent`` (metres), ``scale_m`` (scale
    bar length in metres), ``spread`` (number of markers moved off a shared point) and
    ``size_in`` (width, height in inches; the height follows the area's shape unless given).
    """
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: thread-safe in a web server
    from matplotlib.lines import Line2D
    import matplotlib.patches
    from matplotlib.patches import Patch, Rectangle

    units = admin_units[admin_units.geometry.notna()].copy()
    unit = units[units["pcode"] == selected] if selected else units.iloc[0:0]
    level = int(unit["level"].iloc[0]) if len(unit) else 0
    located = projects[projects.geometry.notna() & ~projects.geometry.is_empty] if len(projects) else projects

    if len(unit):
        focus = unit
    else:
        top = units[units["level"] == units["level"].min()] if len(units) else units
        focus = top if len(top) else located
    crs = metric_crs_for(focus) if len(focus) else KYRGYZSTAN_EQUAL_AREA
    focus_m = focus.to_crs(crs)
    if height_in is None:  # as tall as the area needs, within limits that keep the legend readable
        fx0, fy0, fx1, fy1 = focus_m.total_bounds if len(focus_m) else (0, 0, 1, 1)
        wanted = (0.70 * width_in) * max(fy1 - fy0, 1.0) / max(fx1 - fx0, 1.0) / 0.915
        height_in = float(min(max(wanted, MIN_HEIGHT_IN), MAX_HEIGHT_IN))

    with matplotlib.rc_context(use_in_matplotlib()):
        fig = Figure(figsize=(width_in, height_in), dpi=100)
        ax = fig.add_axes((0.005, 0.075, 0.70, 0.915))
        lax = fig.add_axes((0.715, 0.075, 0.28, 0.915))
        lax.axis("off")
        ax.set_facecolor("#ffffff")
        bbox = ax.get_position()
        aspect = (bbox.width * width_in) / (bbox.height * height_in)
        extent = _fit_extent(focus_m.total_bounds if len(focus_m) else (0, 0, 1e5, 1e5), aspect)
        minx, miny, maxx, maxy = extent
        view = shapely.box(*extent)
        view_geo = gpd.GeoSeries([view], crs=crs).to_crs(4326).iloc[0].buffer(0.05)

        def _in_view(frame):
            if frame is None or len(frame) == 0:
                return None
            frame = frame[frame.geometry.notna()]
            return frame[frame.intersects(view_geo)].to_crs(crs)

        # context: every unit of the selected level (or oblasts) and the parent outlines
        context_level = level if level else 1
        context = _in_view(units[units["level"] == context_level])
        _plot_frame(ax, context, facecolor=CONTEXT_FILL, edgecolor=CONTEXT_EDGE, linewidth=0.6, zorder=1)
        if level >= 2:
            parents = _in_view(units[units["level"] == 1])
            _plot_frame(ax, parents, facecolor="none", edgecolor="#555555", linewidth=1.1, zorder=3)
        if len(unit):
            _plot_frame(ax, unit.to_crs(crs), facecolor=SELECTED_FILL, edgecolor="none", zorder=2)
        children = units[(units["level"] == level + 1) & (units["parent_pcode"] == selected)] if len(unit) else units.iloc[0:0]
        children_m = children.to_crs(crs) if len(children) else None
        _plot_frame(ax, children_m, facecolor="none", edgecolor="#777777", linewidth=0.7, linestyle=(0, (4, 2)), zorder=4)

        lakes_m = _in_view(lakes)
        _plot_frame(ax, lakes_m, facecolor=WATER_FILL, edgecolor=WATER_EDGE, linewidth=0.5, zorder=5)
        rivers_m = _in_view(rivers)
        _plot_frame(ax, rivers_m, color=RIVER, linewidth=0.9, zorder=5)
        if len(unit):
            _plot_frame(ax, unit.to_crs(crs), facecolor="none", edgecolor=SELECTED_EDGE, linewidth=2.0, zorder=6)

        # projects first: labels are then placed where they do not hide markers
        spread = 0
        sectors_present: list[str] = []
        shapes_present: set[str] = set()
        per_pt = (maxx - minx) / (bbox.width * width_in * 72)  # map metres per typographic point
        placer = _Placer(per_pt)
        if len(located):
            pts = located.to_crs(crs).geometry.representative_point()
            frame = pd.DataFrame({
                "x": pts.x.to_numpy(), "y": pts.y.to_numpy(),
                "sector": located["sector"].astype("string").fillna("other").to_numpy(),
                "precision": pd.to_numeric(located.get("location_precision"), errors="coerce").to_numpy(dtype="float64")
                if "location_precision" in located.columns else np.full(len(located), np.nan),
            })
            frame["key"] = frame["x"].round(0).astype(str) + "," + frame["y"].round(0).astype(str)
            frame = frame.sort_values(["key", "sector"], kind="stable")
            spacing = per_pt * 7.5
            for _, group in frame.groupby("key", sort=False):
                x0, y0 = float(group["x"].iloc[0]), float(group["y"].iloc[0])
                offsets = sunflower_offsets(len(group), spacing)
                if len(group) > 1:
                    spread += len(group)
                    ax.plot(x0, y0, marker="o", markersize=2.2, color="black", zorder=9)
                for (dx, dy), (_, p) in zip(offsets, group.iterrows()):
                    x, y = x0 + dx, y0 + dy
                    placer.occupy(x, y, 6, 6)
                    if len(group) > 1:
                        ax.plot([x0, x], [y0, y], color="#555555", linewidth=0.35, zorder=9)
                    approx = not (p["precision"] in (1, 2))
                    shape = "s" if approx else "o"
                    shapes_present.add(shape)
                    colour = sector_style(p["sector"])[0]
                    ax.plot(x, y, marker=shape, markersize=5.2, markerfacecolor=colour, markeredgecolor="black",
                            markeredgewidth=0.5, linestyle="none", zorder=10)
                    if p["sector"] not in sectors_present:
                        sectors_present.append(p["sector"])

        # unit labels: children of the unit, or the context units when there are none
        labelled = children_m if children_m is not None and len(children_m) else context
        if labelled is not None and len(labelled) and len(labelled) <= 60:
            points = labelled.geometry.representative_point()
            for (_, row), pt in zip(labelled.iterrows(), points):
                if not (minx < pt.x < maxx and miny < pt.y < maxy):
                    continue
                is_sel = row["pcode"] == selected
                if is_sel and len(located):
                    continue  # the legend names it; its centre is often where projects sit
                text = place_name(row, lang, fallback=row["pcode"], mark=False)
                size = 7.5 if is_sel else 6.5
                w, h = len(text) * size * 0.56 + 3, size + 3
                spot = placer.place(pt.x, pt.y, w, h, [(0, 0), (0, -1.3), (0, 1.3), (0, -2.6), (0, 2.6)])
                if spot is None:
                    spot = (pt.x, pt.y)  # a unit keeps its name even where crowded
                ax.text(spot[0], spot[1], text, fontsize=size, ha="center", va="center",
                        color="#333333" if not is_sel else "#7b241c", fontweight="bold" if is_sel else "normal",
                        zorder=7, clip_on=True,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.6})

        # settlements: the largest inside the unit (or view); a name that would cover another is left out
        if settlements is not None and len(settlements):
            inside = settlements[settlements.geometry.notna()]
            inside = inside[inside.within(unit.geometry.iloc[0])] if len(unit) else inside[inside.intersects(view_geo)]
            inside = inside.assign(_pop=pd.to_numeric(inside["population"], errors="coerce").astype("float64"))
            inside = inside.sort_values("_pop", ascending=False, na_position="last").head(max_settlement_labels).to_crs(crs)
            for (_, row), pt in zip(inside.iterrows(), inside.geometry):
                if not (minx < pt.x < maxx and miny < pt.y < maxy):
                    continue
                ax.plot(pt.x, pt.y, marker="o", markersize=2.6, color="#222222", zorder=8)
                text = place_name(row, lang, fallback=row["settlement_id"], mark=False)
                w, h = len(text) * 5.8 * 0.56 + 2, 7.5
                half = w / 2 + 2.5
                spot = placer.place(pt.x, pt.y, w, h, [(half, 0.55), (half, -0.55), (-half, 0.55), (-half, -0.55)],
                                    offsets_in_pt=True)
                if spot is None:
                    continue
                ax.text(spot[0], spot[1], text, fontsize=5.8, ha="center", va="center", color="#222222", zorder=8,
                        clip_on=True)

        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        for spine in ax.spines.values():
            spine.set_edgecolor("#666666")
            spine.set_linewidth(0.6)

        # scale bar (lower left), in metres of the metric CRS
        width_m = maxx - minx
        scale_m = scale_bar_length(width_m)
        x0, y0 = minx + width_m * 0.04, miny + (maxy - miny) * 0.045
        seg = scale_m / 2
        bar_h = (maxy - miny) * 0.012
        ax.add_patch(Rectangle((x0 - width_m * 0.015, y0 - bar_h * 1.4), scale_m + width_m * 0.09, bar_h * 5.2,
                               facecolor="white", edgecolor="none", alpha=0.8, zorder=11))
        for i in range(2):
            ax.add_patch(Rectangle((x0 + i * seg, y0), seg, bar_h, facecolor="black" if i == 0 else "white",
                                   edgecolor="black", linewidth=0.6, zorder=12))
        km = t("report.map.km", lang)
        label_y = y0 + bar_h * 1.6
        ax.text(x0, label_y, "0", fontsize=6.5, ha="center", va="bottom", zorder=12)
        scale_km = scale_m / 1000
        scale_text = f"{scale_km:g} {km}" if scale_km >= 1 else f"{scale_m:g} m"
        ax.text(x0 + scale_m, label_y, scale_text, fontsize=6.5, ha="left", va="bottom", zorder=12)

        # north arrow (upper left), towards true north at the map centre
        angle = _true_north_angle(crs, (minx + maxx) / 2, (miny + maxy) / 2)
        ax_len = 0.075
        ax_x, ax_y = 0.06, 0.86
        dx, dy = math.sin(angle) * ax_len, math.cos(angle) * ax_len
        ax.add_patch(matplotlib.patches.Circle((ax_x, ax_y + 0.012), 0.062, transform=ax.transAxes, facecolor="white",
                                               edgecolor="none", alpha=0.8, zorder=11))
        ax.annotate("", xy=(ax_x + dx / 2, ax_y + dy / 2), xytext=(ax_x - dx / 2, ax_y - dy / 2), xycoords="axes fraction",
                    arrowprops={"arrowstyle": "-|>,head_width=0.35,head_length=0.7", "color": "black", "linewidth": 1.4},
                    zorder=12)
        ax.text(ax_x + dx * 0.75, ax_y + dy * 0.75, t("report.map.north", lang), transform=ax.transAxes, fontsize=9,
                fontweight="bold", ha="center", va="center", zorder=12)

        # legend (right)
        handles, labels = [], []
        if len(unit):
            handles.append(Patch(facecolor=SELECTED_FILL, edgecolor=SELECTED_EDGE, linewidth=1.5))
            labels.append(place_name(unit.iloc[0], lang, fallback=selected))
        if level >= 2:
            handles.append(Line2D([], [], color="#555555", linewidth=1.1))
            labels.append(t("level.1", lang))
        if children_m is not None and len(children_m):
            handles.append(Line2D([], [], color="#777777", linewidth=0.8, linestyle=(0, (4, 2))))
            labels.append(t(f"level.{level + 1}", lang))
        handles.append(Patch(facecolor=CONTEXT_FILL, edgecolor=CONTEXT_EDGE, linewidth=0.6))
        labels.append(t(f"level.{context_level}", lang))
        if lakes_m is not None and len(lakes_m):
            handles.append(Patch(facecolor=WATER_FILL, edgecolor=WATER_EDGE, linewidth=0.5))
            labels.append(t("map.layer.lakes", lang))
        if rivers_m is not None and len(rivers_m):
            handles.append(Line2D([], [], color=RIVER, linewidth=1.0))
            labels.append(t("map.layer.rivers", lang))
        ordered = sorted(sectors_present, key=lambda s: list(SECTOR_STYLES).index(s) if s in SECTOR_STYLES else 99)
        for sector in ordered:
            handles.append(Line2D([], [], marker="o", markersize=6, markerfacecolor=sector_style(sector)[0],
                                  markeredgecolor="black", markeredgewidth=0.5, linestyle="none"))
            labels.append(t(f"sector.{sector}", lang))
        if "o" in shapes_present:
            handles.append(Line2D([], [], marker="o", markersize=6, markerfacecolor="white", markeredgecolor="black",
                                  linestyle="none"))
            labels.append(t("report.map.precise", lang))
        if "s" in shapes_present:
            handles.append(Line2D([], [], marker="s", markersize=6, markerfacecolor="white", markeredgecolor="black",
                                  linestyle="none"))
            labels.append(t("report.map.approximate", lang))
        legend = lax.legend(handles, [_wrap(x, 26) for x in labels], loc="upper left", fontsize=6.6, frameon=False,
                            title=t("legend.title", lang), title_fontsize=7.5, alignment="left", borderaxespad=0.2,
                            handlelength=1.6, labelspacing=0.55)
        notes = []
        if spread:
            notes.append(t("report.map.spread_note", lang))
        notes.append(t("report.map.names_note", lang))
        lax.text(0.0, 0.0, "\n".join(_wrap(n, 40) for n in notes), transform=lax.transAxes, fontsize=5.6,
                 va="bottom", ha="left", color="#444444")
        del legend

        fig.text(0.008, 0.035, _wrap(t("report.map.attribution", lang, crs=_crs_label(crs),
                                   sources=ATTRIBUTION.format(pd=t("report.src.licence.public_domain", lang))), 150),
                 fontsize=5.2, color="#444444", ha="left", va="center")
    info = {"crs": crs, "extent": extent, "scale_m": scale_m, "spread": spread, "size_in": (width_in, height_in)}
    return fig, info


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width=width, break_long_words=False)) or str(text)


def render_png(admin_units: gpd.GeoDataFrame, projects: gpd.GeoDataFrame, *, dpi: int = 220, **kwargs) -> bytes:
    """The map of :func:`map_figure` as PNG bytes."""
    import matplotlib

    fig, _ = map_figure(admin_units, projects, **kwargs)
    buffer = io.BytesIO()
    with matplotlib.rc_context(use_in_matplotlib()):
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()
