"""Create a store from the shipped data on first run (``python -m geo build``)."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.store import Store

REFERENCE_LAYERS = ("country", "admin_units", "settlements", "rivers", "lakes")


def reference_frames() -> dict[str, gpd.GeoDataFrame]:
    """The shipped boundaries, settlements, rivers and lakes as store frames (EPSG:4326)."""
    read = lambda path: gpd.read_file(path, engine="pyogrio")  # noqa: E731
    admin = pd.concat([read(settings.OBLAST_FILE), read(settings.RAYON_FILE)], ignore_index=True)
    return {
        "country": read(settings.COUNTRY_FILE),
        "admin_units": gpd.GeoDataFrame(admin, geometry="geometry", crs=4326),
        "settlements": read(settings.SETTLEMENT_FILE),
        "rivers": read(settings.RIVER_FILE),
        "lakes": read(settings.LAKE_FILE),
    }


def build_store(store: Store, user: str = "build") -> dict[str, int]:
    """Write the shipped reference data and the documented projects into ``store``.

    Replaces those layers in one transaction; returns the number of rows per layer.
    """
    from geo.seed_projects import seed_frames

    frames = reference_frames()
    projects, funding, beneficiaries = seed_frames(frames["admin_units"], frames["settlements"])
    frames.update({"projects": projects, "funding": funding, "beneficiaries": beneficiaries})
    frames.update(_optional_frames(frames))
    with store.transaction(user) as tx:
        for name, frame in frames.items():
            tx.replace(name, frame)
    return {name: len(frame) for name, frame in frames.items()}


def _optional_frames(frames: dict) -> dict:
    """Layers other modules derive from the reference data (canal case, indicative hazards)."""
    extra: dict = {}
    try:
        from geo.canal_case import voruh_shurab_frames
    except ImportError:
        return extra
    extra.update(voruh_shurab_frames(frames["settlements"], frames["admin_units"]))
    return extra


def ensure_store(store: Store) -> bool:
    """Build the store if it has no boundaries yet; True when it was built now."""
    if "admin_units" in store.layer_names():
        return False
    build_store(store)
    return True
