"""The base map: offline relief background, optional web basemaps, local assets only."""
from __future__ import annotations

import json
from pathlib import Path

import folium

from geo.settings import ELEVATION_FILE, STATIC_DIR
from layers.assets import localize

KYRGYZSTAN_CENTER = (41.25, 74.75)
KYRGYZSTAN_BOUNDS = [[39.15, 69.2], [43.3, 80.3]]

#: Web basemaps (need the internet). name → (tile URL, attribution)
WEB_BASEMAPS = {
    "OpenStreetMap": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "&copy; OpenStreetMap contributors"),
    "Satellite (Esri World Imagery)": (
        "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
        "Tiles &copy; Esri — Source: Esri, Maxar, Earthstar Geographics, and the GIS User Community",
    ),
    "Topographic (OpenTopoMap)": (
        "https://{s}.tile.opentopomap.org/{z}/{x}/{y}.png",
        "&copy; OpenStreetMap contributors, SRTM | style &copy; OpenTopoMap (CC-BY-SA)",
    ),
}

HILLSHADE_URL = "/app/static/generated/hillshade.png"


def ensure_hillshade(static_dir: Path = STATIC_DIR, max_width: int = 1400) -> tuple[str, list[list[float]]] | None:
    """Render the relief image from the shipped elevation grid once; return (URL, bounds)."""
    target = static_dir / "generated" / "hillshade.png"
    meta = target.with_suffix(".json")
    if not target.exists() or not meta.exists():
        if not ELEVATION_FILE.exists():
            return None
        from PIL import Image

        from geo.terrain import hillshade_rgba

        rgba, (south, west, north, east) = hillshade_rgba(max_width=max_width)
        target.parent.mkdir(parents=True, exist_ok=True)
        image = Image.fromarray(rgba, "RGBA").quantize(colors=96, method=Image.Quantize.FASTOCTREE)
        image.save(target, optimize=True)
        meta.write_text(json.dumps([[south, west], [north, east]]))
    return HILLSHADE_URL, json.loads(meta.read_text())


def new_map(basemap: str = "relief", relief_name: str = "Relief (offline)", plain_name: str = "Plain (offline)",
            center=KYRGYZSTAN_CENTER, zoom: float = 6.75, height: str = "100%") -> folium.Map:
    """An empty map of Kyrgyzstan with the base layers and every asset served locally.

    ``basemap`` chooses which base layer is shown first: "relief" (offline hillshade from
    the shipped elevation grid), "plain", or one of :data:`WEB_BASEMAPS`.
    """
    fmap = folium.Map(location=center, zoom_start=zoom, tiles=None, prefer_canvas=False,
                      control_scale=True, height=height)
    fmap.options.update({"minZoom": 5, "maxZoom": 18, "zoomSnap": 0.25})  # marker clustering needs a max zoom
    # Plain background (always works offline).
    folium.TileLayer(
        tiles="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==",
        attr="Aimak Atlas", name=plain_name, overlay=False, control=True, show=basemap == "plain",
    ).add_to(fmap)
    for name, (url, attr) in WEB_BASEMAPS.items():
        folium.TileLayer(tiles=url, attr=attr, name=name, overlay=False, control=True,
                         show=basemap == name, max_zoom=18).add_to(fmap)
    relief = ensure_hillshade()
    if relief:
        url, bounds = relief
        overlay = folium.raster_layers.ImageOverlay(
            image="data:,", bounds=bounds, name=relief_name, opacity=0.9 if basemap in ("relief", "plain") else 0.35,
            overlay=True, control=True, show=basemap in ("relief", "plain"), zindex=1,
        )
        overlay.url = url  # served by the app (folium would read a local path into a data URL)
        overlay.add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(
        "<style>.aimak-label{font:600 11px sans-serif;color:#222;text-align:center;white-space:nowrap;"
        "text-shadow:0 0 3px #fff,0 0 3px #fff}.aimak-label-icon{background:none;border:none}</style>"
    ))
    return fmap


def finish(fmap: folium.Map) -> folium.Map:
    """Add the layer control and point all resources at local copies (call last)."""
    folium.LayerControl(collapsed=True).add_to(fmap)
    return localize(fmap)
