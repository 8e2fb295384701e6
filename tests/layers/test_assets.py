import re

import folium
import pytest
from folium.plugins import MarkerCluster

from layers.assets import STATIC_URL, ExternalAssetError, install_static_assets, localize

EXTERNAL = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")


def test_localized_map_html_has_no_external_scripts_or_styles():
    fmap = folium.Map(tiles=None)
    MarkerCluster().add_to(fmap)
    folium.Marker([41, 75], icon=folium.Icon(icon="info-sign")).add_to(fmap)
    html = localize(fmap).get_root().render()
    assert not EXTERNAL.findall(html), EXTERNAL.findall(html)
    assert f"{STATIC_URL}/leaflet/leaflet.js" in html


def test_unknown_online_resource_is_refused():
    class Plugin(folium.MacroElement):
        default_js = [("some_cdn_plugin", "https://cdn.example.org/plugin.js")]

    fmap = folium.Map(tiles=None)
    fmap.add_child(Plugin())
    with pytest.raises(ExternalAssetError, match="some_cdn_plugin"):
        localize(fmap)


def test_every_local_asset_exists(tmp_path):
    from layers.assets import LOCAL_CSS, LOCAL_JS

    vendor = install_static_assets(tmp_path)
    for rel in [*LOCAL_JS.values(), *LOCAL_CSS.values()]:
        if rel:
            assert (vendor / rel).is_file(), rel
    css = (vendor / "fontawesome/css/all.min.css").read_text()
    for font in re.findall(r"url\(\.\./webfonts/([^)]+?\.woff2)\)", css):
        assert (vendor / "fontawesome/webfonts" / font).is_file()
