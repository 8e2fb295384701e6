"""Writing store layers out as GeoPackage, GeoJSON or CSV."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.errors import InputError
from geo.store import Store
from geo.store.gpkg import _writable

FORMATS = ("gpkg", "geojson", "csv")


def table_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame ready for CSV: geometry as WKT plus longitude/latitude of a representative point."""
    if isinstance(frame, gpd.GeoDataFrame) and "geometry" in frame:
        out = pd.DataFrame(frame.drop(columns="geometry"))
        has = frame.geometry.notna() & ~frame.geometry.is_empty
        points = frame.geometry[has].representative_point()
        out["longitude"] = points.x.round(6)
        out["latitude"] = points.y.round(6)
        out["geometry_wkt"] = frame.geometry.to_wkt(rounding_precision=6)
        return out
    return pd.DataFrame(frame)


def export_layers(store: Store, target: str | Path, fmt: str, layers: list[str] | None = None) -> list[Path]:
    """Write layers to ``target`` and return the files written.

    By default every layer except the private ones (user accounts, sessions).

    gpkg: one file with every layer. geojson and csv: ``target`` is a folder with one
    file per layer (``<layer>.geojson`` / ``<layer>.csv``, UTF-8). Tables without
    geometry go to CSV also when GeoJSON is asked for.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(key="err.export.unknown_format", format=fmt, formats=", ".join(FORMATS))
    from geo.auth import PRIVATE_LAYERS

    names = layers or [name for name in store.layer_names() if name not in PRIVATE_LAYERS]
    target = Path(target)
    written: list[Path] = []
    if fmt == "gpkg":
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()
        for name in names:
            frame = store.read(name)
            pyogrio.write_dataframe(_writable(frame) if isinstance(frame, gpd.GeoDataFrame) else pd.DataFrame(_writable(frame)),
                                    target, layer=name, driver="GPKG")
        return [target]
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        frame = store.read(name)
        if fmt == "geojson" and isinstance(frame, gpd.GeoDataFrame):
            path = target / f"{name}.geojson"
            path.unlink(missing_ok=True)
            pyogrio.write_dataframe(_writable(frame), path, driver="GeoJSON")
        else:
            path = target / f"{name}.csv"
            table_for_csv(frame).to_csv(path, index=False, encoding="utf-8")
        written.append(path)
    return written
