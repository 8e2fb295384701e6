"""GeoPackage back end: one SQLite file, written copy-on-write so a failed write leaves it intact.

A transaction copies the file beside itself, writes the changed layers into the copy,
flushes it to disk and then swaps it in with an atomic rename. Readers always see
either the old or the new file, never a half-written one. A lock file serialises
writers from several processes.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.errors import StoreError
from geo.store.base import Frame, Store, layer_spec


def _writable(frame: Frame) -> Frame:
    """Plain numpy/object dtypes that every GDAL driver accepts."""
    out = frame.copy()
    for col in out.columns:
        if col == "geometry":
            continue
        dtype = str(out[col].dtype)
        if dtype in ("string", "str") or dtype.startswith("string"):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        elif dtype == "Int64":
            out[col] = out[col].astype("Float64").astype(float) if out[col].isna().any() else out[col].astype("int64")
        elif dtype == "Float64":
            out[col] = out[col].astype(float)
        elif dtype == "boolean":
            # as Python objects GDAL would store the text "True"; keep them numbers (1/0, empty unknown)
            out[col] = out[col].astype("Float64").astype(float) if out[col].isna().any() else out[col].astype(bool)
    return out


class GeoPackageStore(Store):
    """The default store: a GeoPackage file at ``path``."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def describe(self) -> str:
        return f"GeoPackage {self.path}"

    def layer_names(self) -> list[str]:
        if not self.path.exists():
            return []
        try:
            return [str(name) for name, _ in pyogrio.list_layers(self.path)]
        except Exception as exc:  # pyogrio raises DataSourceError for a broken file
            raise StoreError(key="err.store.cannot_open", path=str(self.path), detail=str(exc)) from exc

    def revision(self) -> str:
        if not self.path.exists():
            return "empty"
        stat = self.path.stat()
        return f"{stat.st_mtime_ns}-{stat.st_size}-{stat.st_ino}"

    def _load(self, name: str) -> Frame | None:
        if name not in self.layer_names():
            return None
        frame = pyogrio.read_dataframe(self.path, layer=name, use_arrow=True)
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is None:
            frame = frame.set_crs(4326)
        return frame

    @contextmanager
    def _lock(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(str(self.path) + ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _commit_transaction(self, tx) -> None:
        """Under the writer lock: if someone saved since ``tx`` began, re-apply its row
        changes on the current data (a row changed by both is refused), then write."""
        with self._lock():
            if self.revision() == tx.base_revision:
                frames = tx.changed_frames()
            else:
                frames = tx.rebased_frames(self)
            if frames:
                self._write(frames)

    def _commit(self, frames: dict[str, Frame]) -> None:
        with self._lock():
            self._write(frames)

    def _write(self, frames: dict[str, Frame]) -> None:
        """Copy, write the layers into the copy, swap it in (caller holds the lock)."""
        fd, tmp_name = tempfile.mkstemp(prefix=".aimak-", suffix=".gpkg", dir=self.path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            if self.path.exists():
                shutil.copy2(self.path, tmp)
            else:
                tmp.unlink()
            for name, frame in frames.items():
                spec = layer_spec(name)
                data = _writable(frame)
                if spec.geometry is None:
                    data = pd.DataFrame(data)
                pyogrio.write_dataframe(
                    data, tmp, layer=name, driver="GPKG",
                    geometry_type=None if spec.geometry is None else spec.geometry,
                    promote_to_multi=spec.geometry in ("MultiPolygon", "MultiLineString"),
                )
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def backup(self, folder: str | os.PathLike | None = None) -> Path:
        """Copy the store to ``<store>.backups/<UTC time>.gpkg`` and return that path."""
        target_dir = Path(folder) if folder else Path(str(self.path) + ".backups")
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / (datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + ".gpkg")
        with self._lock():
            shutil.copy2(self.path, target)
        return target

    def restore(self, backup: str | os.PathLike) -> None:
        """Put a backup back in place atomically."""
        with self._lock():
            tmp = self.path.with_suffix(".restore.tmp")
            shutil.copy2(backup, tmp)
            os.replace(tmp, self.path)
