"""Projects as clustered markers, one icon and colour per sector.

Marker data travel as one compact JSON array; popups and tooltips are built in the
browser with ``textContent`` so every title, name or note shows as text and no HTML
or script in the data can run.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from jinja2 import Template

from layers.safe_json import script_json
from layers.styles import SECTOR_STYLES, sector_style

#: The popup lines after the title, in this order (keys are message keys).
POPUP_FIELDS = ("place", "sector", "years", "precision", "funding", "beneficiaries", "source")


class ProjectMarkers(JSCSSMixin, Layer):
    """A marker-cluster layer of projects (see the module docstring).

    Parameters
    ----------
    rows : list of lists
        ``[lat, lon, sector_index, project_id, title, *POPUP_FIELDS values]``.
    sectors : list of ``[colour, icon, label]``, indexed by ``sector_index``.
    labels : list of str, the popup labels of POPUP_FIELDS in the user's language.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  var sectors = {{ this.sectors_json }};
  var labels = {{ this.labels_json }};
  var dicts = {{ this.dicts_json }};
  var rows = {{ this.rows_json }};
  function field(r, i) { var v = r[5 + i]; return dicts[i] ? dicts[i][v] : v; }
  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }
  function popupFor(r) {
    var box = document.createElement('div');
    box.className = 'aimak-popup';
    box.appendChild(text('b', r[4]));
    box.appendChild(text('div', 'ID: ' + r[3], 'aimak-id'));
    for (var i = 0; i < labels.length; i++) {
      var v = field(r, i);
      if (v === null || v === undefined || v === '') { continue; }
      var line = document.createElement('div');
      line.appendChild(text('span', labels[i] + ': ', 'aimak-label'));
      line.appendChild(document.createTextNode(String(v)));
      box.appendChild(line);
    }
    return box;
  }
  var group = L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 45, showCoverageOnHover: false});
  var markers = new Array(rows.length);
  for (var k = 0; k < rows.length; k++) {
    (function (r) {
      var s = sectors[r[2]];
      var icon = L.divIcon({
        className: 'aimak-pin',
        html: '<span style="background:' + s[0] + '"><i class="fa-solid fa-' + s[1] + '"></i></span>',
        iconSize: [24, 24], iconAnchor: [12, 12], popupAnchor: [0, -10]
      });
      var m = L.marker([r[0], r[1]], {icon: icon});
      m.on('click', function () { m.setPopupContent(popupFor(r)); });
      m.bindPopup('', {maxWidth: 320});
      m.bindTooltip(text('span', r[4]), {direction: 'top', offset: [0, -10]});
      markers[k] = m;
    })(rows[k]);
  }
  group.addLayers(markers);
  return group;
})();
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}
{% macro header(this, kwargs) %}
<style>
.aimak-pin span { display:flex; align-items:center; justify-content:center; width:22px; height:22px;
  border-radius:50%; border:1px solid #fff; box-shadow:0 0 2px #333; color:#fff; font-size:11px; }
.aimak-popup { font: 12px/1.35 sans-serif; } .aimak-popup b { font-size:13px; }
.aimak-popup .aimak-id { color:#555; } .aimak-popup .aimak-label { color:#555; }
</style>
{% endmacro %}
"""
    )
    default_js = [("markerclusterjs", "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js")]
    default_css = [
        ("markerclustercss", "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css"),
        ("markerclusterdefaultcss", "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css"),
        ("awesome_markers_font_css", "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.2.0/css/all.min.css"),
    ]

    def __init__(self, rows, sectors, labels, name="Projects", overlay=True, control=True, show=True):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "ProjectMarkers"
        rows, dicts = dictionary_encode(rows, first=5)
        self.rows_json = script_json(rows)
        self.dicts_json = script_json(dicts)
        self.sectors_json = script_json(sectors)
        self.labels_json = script_json(list(labels))


def dictionary_encode(rows: list[list], first: int) -> tuple[list[list], list]:
    """Replace repeated text in columns ``first…`` by indexes into per-column tables.

    A column is encoded when it has fewer distinct values than half its rows; the
    table list holds None for columns left as they are. Keeps the payload small.
    """
    if not rows:
        return rows, []
    width = len(rows[0])
    dicts: list = []
    columns = [list(col) for col in zip(*rows)]
    for i in range(first, width):
        values = columns[i]
        uniques = list(dict.fromkeys(values))
        if len(uniques) * 2 < len(values):
            index = {v: k for k, v in enumerate(uniques)}
            columns[i] = [index[v] for v in values]
            dicts.append(uniques)
        else:
            dicts.append(None)
    return [list(r) for r in zip(*columns)], dicts


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def marker_rows(projects: gpd.GeoDataFrame, popup_values: pd.DataFrame | None = None,
                sector_labels: dict[str, str] | None = None) -> tuple[list, list]:
    """The data array and sector table for :class:`ProjectMarkers`.

    ``projects`` must be in EPSG:4326 with ``project_id``, ``title`` and ``sector``;
    ``popup_values`` (same index) may hold the POPUP_FIELDS columns as ready text.
    Projects without a geometry are left out (they cannot be drawn).
    """
    projects = projects[projects.geometry.notna() & ~projects.geometry.is_empty]
    points = projects.geometry.representative_point()
    sector_names = list(SECTOR_STYLES)
    sector_index = {name: i for i, name in enumerate(sector_names)}
    codes = projects["sector"].astype("string").fillna("other").map(lambda s: sector_index.get(s, sector_index["other"]))
    labels = sector_labels or {}
    sectors = [[*sector_style(name), labels.get(name, name)] for name in sector_names]
    columns = [
        points.y.round(5).tolist(), points.x.round(5).tolist(), codes.astype(int).tolist(),
        projects["project_id"].map(_text).tolist(), projects["title"].map(_text).tolist(),
    ]
    for field in POPUP_FIELDS:
        if popup_values is not None and field in popup_values:
            columns.append(popup_values.loc[projects.index, field].map(_text).tolist())
        else:
            columns.append([""] * len(projects))
    rows = [list(row) for row in zip(*columns)] if len(projects) else []
    return rows, sectors
