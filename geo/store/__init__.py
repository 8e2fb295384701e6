"""Open the configured store: PostGIS when ``AIMAK_DATABASE_URL`` is set, else a GeoPackage."""
from __future__ import annotations

from geo import settings
from geo.store.base import Store, Transaction, conform, frame_checksum

__all__ = ["Store", "Transaction", "conform", "frame_checksum", "open_store"]


def open_store(path: str | None = None, database_url: str | None = None) -> Store:
    """The store named by the arguments or, failing those, by the environment."""
    url = database_url or (None if path else settings.database_url())
    if url:
        from geo.store.postgis import PostGISStore

        return PostGISStore(url, schema=settings.database_schema())
    from geo.store.gpkg import GeoPackageStore

    return GeoPackageStore(path or settings.store_path())
