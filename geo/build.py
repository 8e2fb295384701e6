"""Create a store from the shipped data on first run (``python -m geo build``)."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.store import Store

REFERENCE_LAYERS = ("country", "admin_units", "settlements", "rivers", "lakes")
#: English names the shipped data writes in Kyrgyz transliteration ("shaary" is Kyrgyz for "city").
ENGLISH_NAMES = {"Bishkek Shaary": "Bishkek"}


def reference_frames() -> dict[str, gpd.GeoDataFrame]:
    """The shipped boundaries, settlements, rivers and lakes as store frames (EPSG:4326)."""
    read = lambda path: gpd.read_file(path, engine="pyogrio")  # noqa: E731
    admin = pd.concat([read(settings.OBLAST_FILE), read(settings.RAYON_FILE)], ignore_index=True)
    admin["name_en"] = admin["name_en"].replace(ENGLISH_NAMES)
    return {
        "country": read(settings.COUNTRY_FILE),
        "admin_units": gpd.GeoDataFrame(admin, geometry="geometry", crs=4326),
        "settlements": read(settings.SETTLEMENT_FILE),
        "rivers": read(settings.RIVER_FILE),
        "lakes": read(settings.LAKE_FILE),
    }


def build_store(store: Store, user: str = "build") -> dict[str, int]:
    """Write the shipped reference data, the documented projects and the indicative hazard
    layers into ``store``.

    Replaces those layers in one transaction (official hazard layers already in the
    store are kept); returns the number of rows per layer.
    """
    from geo.seed_projects import seed_frames

    frames = reference_frames()
    projects, funding, beneficiaries = seed_frames(frames["admin_units"], frames["settlements"])
    frames.update({"projects": projects, "funding": funding, "beneficiaries": beneficiaries})
    frames.update(_derived_frames(frames))
    indicative = indicative_hazard_zones(frames["country"], frames["lakes"])
    with store.transaction(user) as tx:
        for name, frame in frames.items():
            tx.replace(name, frame)
        frames["hazard_zones"] = _with_official_hazards(indicative, tx.read("hazard_zones"))
        tx.replace("hazard_zones", frames["hazard_zones"])
    return {name: len(frame) for name, frame in frames.items()}


def _derived_frames(frames: dict) -> dict:
    """Layers other modules derive from the reference data (the Voruh–Shurab canal case)."""
    from geo.canal_case import voruh_shurab_frames

    return dict(voruh_shurab_frames(frames["settlements"], frames["admin_units"]))


#: The indicative slope classes are generalised to blocks of this many × this many
#: cells of the shipped 15″ elevation grid (about 1.4 km × 1.0 km) before they are
#: stored. At full resolution the layer has about 600 000 vertices and one exposure
#: report on it takes minutes; at 3 × 3 it takes seconds. 1 stores the full resolution.
SLOPE_BLOCK_CELLS = 3


def indicative_hazard_zones(country: gpd.GeoDataFrame | None = None, lakes: gpd.GeoDataFrame | None = None,
                            block: int = SLOPE_BLOCK_CELLS) -> gpd.GeoDataFrame:
    """The shipped indicative hazard layers (slope classes, main-river bands) as hazard_zones rows.

    Made from the shipped elevation grid and rivers with :mod:`geo.indicative_hazard`
    and clipped to the land of ``country`` (default: the shipped country polygon)
    outside ``lakes`` (a flat lake surface is no "Very low" slope class). With
    ``block`` > 1 the slope classes are computed per cell as in
    :func:`geo.indicative_hazard.slope_zones` and then generalised: each block of
    ``block`` × ``block`` cells takes the class most of its cells have (ties go to
    the worse class); the layer's ``source`` says so. EPSG:4326.
    """
    from geo.indicative_hazard import indicative_layers, river_band_zones

    if country is None:
        country = gpd.read_file(settings.COUNTRY_FILE, engine="pyogrio")
    if block <= 1:
        return indicative_layers(settings.ELEVATION_FILE, settings.RIVER_FILE, settings.COUNTRY_FILE)
    land = _land(country, lakes)
    frames = [_generalised_slope_zones(land, block), river_band_zones(settings.RIVER_FILE, clip_to=land)]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=settings.STORAGE_CRS)


def _land(country: gpd.GeoDataFrame, lakes: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The country without its lakes, as one polygon (EPSG:4326)."""
    import shapely

    area = shapely.union_all(country.to_crs(settings.STORAGE_CRS).geometry.values)
    if lakes is not None and len(lakes):
        area = shapely.difference(area, shapely.union_all(lakes.to_crs(settings.STORAGE_CRS).geometry.values))
    return gpd.GeoDataFrame(geometry=[area], crs=settings.STORAGE_CRS)


def _majority_blocks(ranks: np.ndarray, block: int) -> np.ndarray:
    """Class ranks (0 none, 1 … 4) aggregated to ``block`` × ``block`` cells: the most
    frequent class among a block's classified cells, the worse one on a tie; 0 when
    no cell of the block has a class. Edge blocks may be partial."""
    rows = -(-ranks.shape[0] // block) * block
    cols = -(-ranks.shape[1] // block) * block
    padded = np.zeros((rows, cols), dtype=np.uint8)
    padded[: ranks.shape[0], : ranks.shape[1]] = ranks
    cells = padded.reshape(rows // block, block, cols // block, block).transpose(0, 2, 1, 3)
    counts = np.stack([(cells == rank).sum(axis=(2, 3)) for rank in (4, 3, 2, 1)], axis=-1)
    best = (4 - counts.argmax(axis=-1)).astype(np.uint8)  # first maximum = the worse class
    best[counts.max(axis=-1) == 0] = 0
    return best


def _generalised_slope_zones(land: gpd.GeoDataFrame, block: int) -> gpd.GeoDataFrame:
    """Indicative slope classes (landslide) generalised to ``block`` × ``block`` cells."""
    import shapely
    from affine import Affine

    from geo.hazards import ClassifiedRaster, make_mapping, vectorise_classes
    from geo.indicative_hazard import (
        INDICATIVE_NOTE, SLOPE_CLASSES_DEG, SLOPE_LAYER_NAME, _indicative_frame, slope_degrees,
    )

    slope, transform, crs = slope_degrees(settings.ELEVATION_FILE)
    mapping = make_mapping({"thresholds": SLOPE_CLASSES_DEG, "higher_is_worse": True})
    ranks = mapping.ranks(slope.ravel()).reshape(slope.shape).astype(np.uint8)
    coarse = ClassifiedRaster(_majority_blocks(ranks, block), transform @ Affine.scale(block), crs)
    area = shapely.union_all(land.to_crs(crs.to_wkt()).geometry.values)
    polygons = vectorise_classes(coarse, sieve_cells=4, clip_to=area)
    source = (
        f"Slope derived by Aimak Atlas from the GEBCO_2023 elevation grid ({settings.ELEVATION_FILE.name}), "
        f"classes generalised to {block} × {block} cells (majority class, ties to the worse class); "
        f"{INDICATIVE_NOTE}"
    )
    values = pd.Series(np.nan, index=polygons.index, dtype="Float64")
    return _indicative_frame(polygons, values, "landslide", SLOPE_LAYER_NAME, source, "2023",
                             "GEBCO Grid: public domain")


def _with_official_hazards(indicative: gpd.GeoDataFrame, current: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The new indicative layers plus the official layers already in the store (a rebuild
    keeps imported hazard layers; they still replace the indicative layer of their type)."""
    from geo.hazards import replace_indicative

    official = current[~current["indicative"].fillna(False).astype(bool)] if len(current) else current
    if len(official) == 0:
        return indicative
    return replace_indicative(indicative, gpd.GeoDataFrame(official, geometry="geometry", crs=settings.STORAGE_CRS))


def ensure_store(store: Store) -> bool:
    """Build the store if it has no boundaries yet; True when it was built now."""
    if "admin_units" in store.layer_names():
        return False
    build_store(store)
    return True
