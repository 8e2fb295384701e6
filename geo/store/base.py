"""The store interface: every layer is read and written through it.

Two back ends implement it: :mod:`geo.store.gpkg` (an embedded GeoPackage file, the
default) and :mod:`geo.store.postgis` (selected by ``AIMAK_DATABASE_URL``).

Writes happen only inside :meth:`Store.transaction`: either every change of the
transaction is stored or none is. Versioned layers carry ``version``,
``updated_at`` and ``updated_by`` per row; a save based on a stale version raises
:class:`~geo.errors.StaleVersionError` and the stored row is kept. Every change to a
versioned layer is written to ``audit_log`` in the same transaction.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema
from geo.errors import StaleVersionError, StoreError, UnknownLayerError
from geo.settings import STORAGE_CRS

Frame = pd.DataFrame | gpd.GeoDataFrame


def now_utc() -> str:
    """The current time as ISO 8601 UTC text, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def layer_spec(name: str) -> schema.Layer:
    """The schema of a layer, or :class:`UnknownLayerError`."""
    if name not in schema.LAYERS:
        schema.load_extensions()
    try:
        return schema.LAYERS[name]
    except KeyError:
        raise UnknownLayerError(key="err.store.unknown_layer", layer=name, layers=", ".join(sorted(schema.LAYERS))) from None


_DTYPES = {"str": "string", "int": "Int64", "float": "Float64", "bool": "boolean"}


def conform(frame: Frame, name: str) -> Frame:
    """Give a frame exactly the layer's columns, in order, with nullable types.

    Missing columns are added empty; unknown ones are kept after the schema's.
    Spatial layers are returned as GeoDataFrames in EPSG:4326.
    """
    spec = layer_spec(name)
    out = pd.DataFrame(frame).copy()
    for col, kind in spec.columns.items():
        if col not in out.columns:
            out[col] = pd.Series(pd.NA, index=out.index, dtype=_DTYPES[kind])
        else:
            series = out[col]
            if kind == "int":
                series = pd.to_numeric(series, errors="coerce").astype("Float64").round().astype("Int64")
            elif kind == "float":
                series = pd.to_numeric(series, errors="coerce").astype("Float64")
            elif kind == "bool":
                series = series.astype("boolean")
            else:
                series = series.astype("string")
            out[col] = series
    extras = [c for c in out.columns if c not in spec.columns and c != "geometry"]
    ordered = list(spec.columns) + extras
    if spec.geometry is None:
        return out[ordered].reset_index(drop=True)
    geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else out.get("geometry")
    crs = frame.crs if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None else STORAGE_CRS
    gdf = gpd.GeoDataFrame(out[ordered], geometry=gpd.GeoSeries(geometry, index=out.index), crs=crs)
    if gdf.crs.to_string() != STORAGE_CRS:
        gdf = gdf.to_crs(STORAGE_CRS)
    return gdf.reset_index(drop=True)


def frame_checksum(frame: Frame) -> str:
    """A stable SHA-256 of a frame's content (rows sorted by all columns)."""
    data = pd.DataFrame(frame).copy()
    if "geometry" in data.columns:
        data["geometry"] = gpd.GeoSeries(data["geometry"]).to_wkb(hex=True)
    data = data.astype("string").fillna("<NA>")
    data = data.reindex(sorted(data.columns), axis=1)
    data = data.sort_values(list(data.columns)).reset_index(drop=True)
    digest = hashlib.sha256()
    digest.update("|".join(data.columns).encode())
    digest.update(pd.util.hash_pandas_object(data, index=False).values.tobytes())
    return digest.hexdigest()


def _jsonable(row: pd.Series | None) -> str:
    if row is None:
        return ""
    values = {}
    for key, value in row.items():
        if key == "geometry":
            value = None if value is None else getattr(value, "wkt", str(value))
        elif value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            value = None
        elif isinstance(value, (np.integer,)):
            value = int(value)
        elif isinstance(value, (np.floating,)):
            value = float(value)
        values[key] = value
    return json.dumps(values, ensure_ascii=False, default=str)


class Transaction:
    """Changes staged against a store; applied all together on commit.

    Layers are loaded from the back end on first use and kept in memory until the
    transaction ends, so reads inside it see its own writes.
    """

    def __init__(self, store: "Store", user: str):
        self.store = store
        self.user = user
        self._frames: dict[str, Frame] = {}
        self._snapshots: dict[str, Frame] = {}
        self._replaced: set[str] = set()
        self._dirty: set[str] = set()
        self._audit: list[dict] = []
        #: the store's revision when the transaction began (see Store._commit_transaction)
        self.base_revision = store.revision()

    # -- reading -----------------------------------------------------------------
    def read(self, name: str) -> Frame:
        """The layer as it stands inside this transaction."""
        if name not in self._frames:
            self._frames[name] = self.store.read(name)
            self._snapshots[name] = self._frames[name]
        return self._frames[name]

    # -- writing -----------------------------------------------------------------
    def replace(self, name: str, frame: Frame) -> None:
        """Replace a whole layer (used for reference data and imports of boundaries)."""
        replaced = _checked_keys(conform(frame, name), name)
        if layer_spec(name).versioned:
            fresh = replaced["version"].isna()
            replaced.loc[fresh, "version"] = 1
            replaced.loc[fresh & replaced["updated_at"].isna(), "updated_at"] = now_utc()
            replaced.loc[fresh & replaced["updated_by"].isna(), "updated_by"] = self.user
        self._frames[name] = replaced
        self._replaced.add(name)
        self._dirty.add(name)
        self._log("replace", name, "*", None, None, note=f"{len(frame)} rows")

    def append(self, name: str, frame: Frame) -> None:
        """Add new rows; their keys must not exist yet."""
        spec = layer_spec(name)
        new = _checked_keys(conform(frame, name), name)
        current = self.read(name)
        clash = set(new[spec.key].dropna()) & set(current[spec.key].dropna())
        if clash:
            raise StoreError(key="err.store.already_has", layer=name, key_column=spec.key, keys=str(sorted(clash)[:5]))
        if spec.versioned:
            new["version"] = pd.array([1] * len(new), dtype="Int64")
            new["updated_at"] = now_utc()
            new["updated_by"] = self.user
            for _, row in new.iterrows():
                self._log("insert", name, row[spec.key], None, row)
        self._frames[name] = _concat(current, new, name)
        self._dirty.add(name)

    def update(self, name: str, frame: Frame) -> None:
        """Update existing rows by key.

        For versioned layers each row's ``version`` must equal the stored one
        (optimistic locking); the stored version then goes up by one.
        """
        spec = layer_spec(name)
        changes = conform(frame, name)
        current = self.read(name).copy()
        index = pd.Index(current[spec.key])
        for _, row in changes.iterrows():
            key = row[spec.key]
            if key not in index:
                raise StoreError(key="err.store.no_row", layer=name, key_column=spec.key, key_value=str(key))
            position = index.get_loc(key)
            old = current.iloc[position].copy()
            if spec.versioned:
                if pd.isna(row["version"]) or int(row["version"]) != int(old["version"]):
                    raise StaleVersionError(key="err.store.stale", layer=name, key_value=str(key),
                                            user=str(old["updated_by"]), at=str(old["updated_at"]),
                                            version=str(old["version"]), yours=str(row["version"]))
                row["version"] = int(old["version"]) + 1
                row["updated_at"] = now_utc()
                row["updated_by"] = self.user
            for col in changes.columns:
                current.at[current.index[position], col] = row[col]
            self._log("update", name, key, old, current.iloc[position])
        self._frames[name] = current
        self._dirty.add(name)

    def delete(self, name: str, keys: Iterable[str], expected_versions: dict[str, int] | None = None) -> None:
        """Delete rows by key, checking versions where given."""
        spec = layer_spec(name)
        current = self.read(name)
        keys = list(keys)
        mask = current[spec.key].isin(keys)
        missing = set(keys) - set(current.loc[mask, spec.key])
        if missing:
            raise StoreError(key="err.store.no_rows", layer=name, key_column=spec.key, keys=str(sorted(missing)))
        for _, old in current[mask].iterrows():
            if expected_versions and spec.versioned:
                expected = expected_versions.get(old[spec.key])
                if expected is not None and int(expected) != int(old["version"]):
                    raise StaleVersionError(key="err.store.stale_delete", layer=name, key_value=str(old[spec.key]),
                                            user=str(old["updated_by"]), at=str(old["updated_at"]))
            self._log("delete", name, old[spec.key], old, None)
        self._frames[name] = current[~mask].reset_index(drop=True)
        self._dirty.add(name)

    def _log(self, action: str, name: str, key, old, new, note: str = "") -> None:
        if name == schema.AUDIT_LOG.name:
            return
        self._audit.append({
            "audit_id": uuid.uuid4().hex, "at": now_utc(), "user": self.user, "action": action,
            "layer": name, "row_key": str(key),
            "old_values": _jsonable(old) if old is not None else note,
            "new_values": _jsonable(new) if new is not None else "",
        })

    # -- ending ------------------------------------------------------------------
    def rebased_frames(self, current: "Store") -> dict[str, Frame]:
        """The changed layers re-applied on top of what ``current`` holds now.

        Used when the store changed after this transaction began (another user or
        process saved meanwhile): rows this transaction added, changed or deleted are
        applied to the current rows, so the other changes are kept. A row both changed
        raises :class:`StaleVersionError`. Whole-layer replacements win as they are.
        """
        frames = self.changed_frames()
        out = {}
        for name, ours in frames.items():
            if name in self._replaced or name not in self._snapshots:
                out[name] = ours
                continue
            out[name] = rebase(name, ours, self._snapshots[name], current.read(name))
        return out

    def changed_frames(self) -> dict[str, Frame]:
        """Every layer this transaction changed, with the audit log appended to."""
        frames = {name: self._frames[name] for name in self._dirty}
        if self._audit:
            log = self._frames[schema.AUDIT_LOG.name] if schema.AUDIT_LOG.name in self._dirty else self.read(schema.AUDIT_LOG.name)
            frames[schema.AUDIT_LOG.name] = _concat(log, conform(pd.DataFrame(self._audit), schema.AUDIT_LOG.name), schema.AUDIT_LOG.name)
        return frames


def _row_hashes(frame: Frame, key: str) -> pd.Series:
    """A hash per row (geometry as WKB), indexed by the row's key."""
    data = pd.DataFrame(frame).copy()
    if "geometry" in data.columns:
        data["geometry"] = gpd.GeoSeries(data["geometry"]).to_wkb(hex=True)
    data = data.astype("string").fillna("<NA>")
    data = data.reindex(sorted(data.columns), axis=1)
    return pd.Series(pd.util.hash_pandas_object(data, index=False).values, index=data[key].values)


def rebase(name: str, ours: Frame, snapshot: Frame, current: Frame) -> Frame:
    """Apply the row changes ``snapshot`` → ``ours`` to ``current`` (see Transaction.rebased_frames)."""
    key = layer_spec(name).key
    snap, mine, now = _row_hashes(snapshot, key), _row_hashes(ours, key), _row_hashes(current, key)
    added = mine.index.difference(snap.index)
    deleted = snap.index.difference(mine.index)
    both = mine.index.intersection(snap.index)
    changed = both[(mine[both] != snap[both]).to_numpy()]
    touched = changed.append(deleted)
    moved = [k for k in touched if k not in now.index or now[k] != snap[k]]
    if moved:
        raise StaleVersionError(key="err.store.changed_meanwhile", layer=name, keys=", ".join(map(str, moved[:5])))
    clash = added.intersection(now.index)
    if len(clash):
        raise StaleVersionError(key="err.store.added_meanwhile", layer=name, keys=", ".join(map(str, clash[:5])))
    keep = current[~current[key].isin(touched)]
    new_rows = ours[ours[key].isin(changed.append(added))]
    return _concat(keep, new_rows, name)


def _checked_keys(frame: Frame, name: str) -> Frame:
    """The frame, if every row has a key and no key repeats; else :class:`StoreError`."""
    key = layer_spec(name).key
    keys = frame[key]
    if keys.isna().any() or (keys.astype("string").str.strip() == "").any():
        raise StoreError(key="err.store.missing_keys", layer=name, count=int(keys.isna().sum()), key_column=key)
    repeated = keys[keys.duplicated()].unique().tolist()
    if repeated:
        raise StoreError(key="err.store.repeated_keys", layer=name, key_column=key, keys=", ".join(map(str, repeated[:5])))
    return frame


def _concat(a: Frame, b: Frame, name: str) -> Frame:
    if len(a) == 0:
        return b.reset_index(drop=True)
    if len(b) == 0:
        return a.reset_index(drop=True)
    joined = pd.concat([a, b], ignore_index=True)
    if layer_spec(name).geometry is not None:
        joined = gpd.GeoDataFrame(joined, geometry="geometry", crs=STORAGE_CRS)
    return joined


class Store(ABC):
    """Reads and writes the app's layers; see the module docstring."""

    @abstractmethod
    def layer_names(self) -> list[str]:
        """Names of the layers that hold data in this store."""

    @abstractmethod
    def _load(self, name: str) -> Frame | None:
        """The stored layer, or None if it was never written."""

    @abstractmethod
    def _commit(self, frames: dict[str, Frame]) -> None:
        """Store every frame (whole layers) atomically: all or none."""

    @abstractmethod
    def revision(self) -> str:
        """A token that changes whenever anything in the store changes (for caches)."""

    @abstractmethod
    def describe(self) -> str:
        """Where the data lives, for people (no passwords)."""

    def exists(self) -> bool:
        """Whether the store holds any data yet."""
        return bool(self.layer_names())

    def read(self, name: str) -> Frame:
        """A layer with the schema's columns; an empty frame when it has no data."""
        layer_spec(name)
        frame = self._load(name)
        if frame is None:
            frame = pd.DataFrame(columns=list(layer_spec(name).columns))
            if layer_spec(name).geometry is not None:
                frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS)
        return conform(frame, name)

    def checksum(self, name: str) -> str:
        """SHA-256 of a layer's content, to prove a failed write changed nothing."""
        return frame_checksum(self.read(name))

    @contextmanager
    def transaction(self, user: str = "system") -> Iterator[Transaction]:
        """Stage changes; they are stored together when the block ends without error."""
        tx = Transaction(self, user)
        yield tx
        self._commit_transaction(tx)

    def _commit_transaction(self, tx: Transaction) -> None:
        """Store a finished transaction (back ends may check for concurrent changes here)."""
        frames = tx.changed_frames()
        if frames:
            self._commit(frames)

    def write_layer(self, name: str, frame: Frame, user: str = "system") -> None:
        """Replace one layer in its own transaction."""
        with self.transaction(user) as tx:
            tx.replace(name, frame)
