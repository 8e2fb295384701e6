"""Choosing metric CRSs with pyproj. Distances and areas are never taken in degrees."""
from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
from pyproj import CRS
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

#: Equal-area projection centred on Kyrgyzstan, for areas (km², ha) and for
#: distances over the whole country (error well under 1 % inside the country).
KYRGYZSTAN_EQUAL_AREA = CRS.from_proj4(
    "+proj=aea +lat_1=39 +lat_2=43 +lat_0=41 +lon_0=75 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
)


@lru_cache(maxsize=64)
def utm_crs_for(lon: float, lat: float) -> CRS:
    """The WGS 84 UTM zone CRS containing a point (Kyrgyzstan spans zones 42N to 44N)."""
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(lon, lat, lon, lat),
    )
    return CRS.from_epsg(infos[0].code)


def metric_crs_for(frame: gpd.GeoDataFrame) -> CRS:
    """A metric CRS suited to a frame's extent.

    A frame within one UTM zone (about 6° of longitude) gets that zone; a wider one
    gets the Kyrgyzstan equal-area projection.
    """
    if frame.crs is None:
        raise ValueError("frame has no CRS")
    lon_min, lat_min, lon_max, lat_max = frame.to_crs(4326).total_bounds
    if lon_max - lon_min <= 5.5:
        return utm_crs_for(round((lon_min + lon_max) / 2, 3), round((lat_min + lat_max) / 2, 3))
    return KYRGYZSTAN_EQUAL_AREA


def to_metric(frame: gpd.GeoDataFrame, crs: CRS | None = None) -> gpd.GeoDataFrame:
    """Reproject a frame to a metric CRS (metres), the given one or one chosen for it."""
    return frame.to_crs(crs or metric_crs_for(frame))
