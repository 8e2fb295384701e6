"""Scripts, stylesheets and fonts for the map, served by the app itself (offline first).

folium loads Leaflet, jQuery, Bootstrap and icon fonts from public CDNs by default;
with no internet the map stays blank. :func:`install_static_assets` copies what the
map uses out of the installed XStatic packages into ``static/vendor/`` (Streamlit
serves ``static/`` at ``/app/static/``), and :func:`localize` rewrites every folium
element's resource links to those local copies before the map is rendered. A link
with no local copy raises :class:`ExternalAssetError` so an online-only dependency
cannot slip in unnoticed.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import xstatic.pkg.font_awesome as font_awesome
import xstatic.pkg.jquery as jquery
import xstatic.pkg.leaflet as leaflet
import xstatic.pkg.leaflet_markercluster as markercluster

from geo.settings import STATIC_DIR

#: URL prefix under which Streamlit serves ``static/``.
STATIC_URL = "/app/static/vendor"

#: (package data dir, files or folders to copy, target subfolder)
_SOURCES = [
    (Path(leaflet.BASE_DIR), ["leaflet.js", "leaflet.css", "images"], "leaflet"),
    (Path(markercluster.BASE_DIR), ["leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"], "markercluster"),
    (Path(jquery.BASE_DIR), ["jquery.min.js"], "jquery"),
    (Path(font_awesome.BASE_DIR), ["css/all.min.css", "webfonts"], "fontawesome"),
]

#: folium resource names → local file (relative to STATIC_URL); None = not needed, dropped.
LOCAL_JS = {
    "leaflet": "leaflet/leaflet.js",
    "jquery": "jquery/jquery.min.js",
    "leaflet.markercluster.js": "markercluster/leaflet.markercluster.js",
    "markerclusterjs": "markercluster/leaflet.markercluster.js",
    "bootstrap": None,
    "awesome_markers": None,
}
LOCAL_CSS = {
    "leaflet_css": "leaflet/leaflet.css",
    "markerclustercss": "markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "markercluster/MarkerCluster.Default.css",
    "leaflet.markercluster.css": "markercluster/MarkerCluster.css",
    "leaflet.markercluster.default.css": "markercluster/MarkerCluster.Default.css",
    "awesome_markers_font_css": "fontawesome/css/all.min.css",
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
}


class ExternalAssetError(RuntimeError):
    """A map element asks for a script or stylesheet that is not served locally."""


def install_static_assets(static_dir: Path = STATIC_DIR) -> Path:
    """Copy the map's scripts, stylesheets and fonts into ``static_dir/vendor`` (idempotent)."""
    vendor = static_dir / "vendor"
    for base, names, sub in _SOURCES:
        for name in names:
            source = base / name
            target = vendor / sub / name
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
    return vendor


def _local(name: str, url: str, table: dict[str, str | None]) -> str | None:
    if url.startswith(STATIC_URL):
        return url
    if name not in table:
        raise ExternalAssetError(f"map resource '{name}' ({url}) has no local copy; add it to layers/assets.py")
    path = table[name]
    return None if path is None else f"{STATIC_URL}/{path}"


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def localize(folium_map):
    """Point every element of a folium map at the locally served copies; returns the map."""
    for element in _walk(folium_map):
        for attr, table in (("default_js", LOCAL_JS), ("default_css", LOCAL_CSS)):
            links = getattr(element, attr, None)
            if not links:
                continue
            local = [(name, _local(name, url, table)) for name, url in links]
            setattr(element, attr, [(name, url) for name, url in local if url])
    return folium_map
