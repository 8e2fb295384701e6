"""PostGIS back end: the same store interface on a PostgreSQL + PostGIS database.

Selected by ``AIMAK_DATABASE_URL`` (see :func:`geo.store.open_store` and docs/postgis.md).
Several app processes may share one database.

Layout (all in one database schema, ``aimak`` by default)
---------------------------------------------------------
* one table per layer, named like the layer, with the columns of :mod:`geo.schema`
  (``text``, ``bigint``, ``double precision``, ``boolean``), extra columns a frame carries
  (typed from their dtype), ``geometry`` (PostGIS ``geometry`` in EPSG:4326, SRID enforced
  by a check constraint, GiST index) for spatial layers, a primary key on the layer's key
  and a hidden ``_aimak_fid`` identity column that keeps the row order;
* ``store_state``: one row with the store's id and a revision counter;
* ``schema_version``: the migrations applied.

The geometry column is ``geometry`` with ``CHECK (ST_SRID(geometry) = 4326)`` rather
than ``geometry(Geometry, 4326)``: that type modifier refuses Z coordinates, which the
GeoPackage back end keeps (GPS imports carry them). Multi-polygon and multi-line layers
promote single parts to multi on write, as the GeoPackage back end does.

Transactions
------------
:meth:`PostGISStore._commit` writes every changed layer and bumps the revision in one
database transaction; any error rolls back all of it. Commits of all app processes on
a schema are serialised by an advisory lock, and the written tables are locked
``IN SHARE ROW EXCLUSIVE MODE`` (readers are never blocked; other writers such as QGIS
wait). A statement trigger on every layer table bumps the revision too, so changes
made outside the app also invalidate caches.

Concurrent editors: a transaction's reads (through :meth:`Store.transaction`) record a
snapshot of each layer (a hash of every row as stored, and the row versions of
versioned layers). On commit the store works out what the transaction changed
compared with what it read (rows added, changed, deleted) and applies only that, after
checking under the locks that none of those rows was changed by someone else in the
meantime; if one was, :class:`~geo.errors.StaleVersionError` is raised and nothing is
written. Changes other processes made to other rows are kept. A layer written without
being read first (``Transaction.replace``) or whose columns change is rewritten whole.
"""
from __future__ import annotations

import contextvars
import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geopandas.array import GeometryDtype

from geo.errors import StaleVersionError, StoreError
from geo.settings import STORAGE_CRS
from geo.store.base import Frame, Store, conform, layer_spec

try:
    import psycopg
    import sqlalchemy as sa
    from psycopg import sql
    from sqlalchemy.engine import make_url
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise StoreError(
        "The PostGIS back end needs the 'postgis' extra: run  .venv/bin/pip install -e '.[postgis]'"
    ) from exc

#: Hidden column that keeps the order rows were written in.
FID = "_aimak_fid"
_POS = "_aimak_pos"
_RESERVED = {FID, _POS}
#: Tables of the store itself (not layers).
INTERNAL_TABLES = ("schema_version", "store_state")
#: EPSG code of the stored geometries.
SRID = int(STORAGE_CRS.split(":")[1])

_PG_TYPES = {"str": "text", "int": "bigint", "float": "double precision", "bool": "boolean", "datetime": "text"}
_MULTI = {"MultiPolygon": ("POLYGON",), "MultiLineString": ("LINESTRING",)}
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


# -- migrations ---------------------------------------------------------------------------
def _migration_1(cur: "psycopg.Cursor", schema: str, ext: str) -> None:
    s = sql.Identifier(schema)
    cur.execute(sql.SQL(
        "CREATE TABLE {}.store_state ("
        " id smallint PRIMARY KEY CHECK (id = 1),"
        " store_id text NOT NULL,"
        " revision bigint NOT NULL,"
        " changed_at timestamptz NOT NULL DEFAULT now())"
    ).format(s))
    cur.execute(sql.SQL("INSERT INTO {}.store_state (id, store_id, revision) VALUES (1, %s, 1)").format(s),
                (uuid.uuid4().hex[:12],))
    body = sql.SQL(
        "BEGIN UPDATE {}.store_state SET revision = revision + 1, changed_at = now() WHERE id = 1; "
        "RETURN NULL; END"
    ).format(s).as_string(cur)
    cur.execute(sql.SQL(
        "CREATE FUNCTION {}.bump_revision() RETURNS trigger LANGUAGE plpgsql AS {}"
    ).format(s, sql.Literal(body)))


#: (version, description, function(cursor, schema, postgis schema)); append, never edit.
MIGRATIONS = [
    (1, "store_state with the revision counter; bump_revision() trigger function", _migration_1),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

# Snapshots of what the transactions running in this context read: {id(store): {layer: _Snapshot}}.
_TX_SNAPSHOTS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("aimak_postgis_snapshots", default=None)


@dataclass
class _Snapshot:
    """What a transaction read of one layer."""

    table_columns: frozenset[str] | None  # None: the table did not exist
    db_hash: dict  # key -> md5 of the stored row
    frame: pd.DataFrame | None  # the layer as read (conformed), to see what the transaction changed
    versions: dict  # key -> version (versioned layers)


def _py(value):
    """A numpy scalar as a plain Python value (psycopg adapts only those)."""
    return value.item() if isinstance(value, np.generic) else value


def _norm_type(pg_type: str) -> str:
    """``public.geometry`` -> ``geometry``; other type names as they are."""
    return pg_type.rsplit(".", 1)[-1].strip('"') if "geometry" in pg_type else pg_type


def _same_geometries(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise: both missing, or the same type and exactly the same coordinates (Z too)."""
    missing_a, missing_b = shapely.is_missing(a), shapely.is_missing(b)
    both = ~missing_a & ~missing_b
    same = missing_a & missing_b
    if both.any():
        identical = getattr(shapely, "equals_identical", None)  # shapely >= 2.1
        if identical is not None:
            same[both] = identical(a[both], b[both])
        else:
            same[both] = shapely.to_wkb(a[both], hex=True) == shapely.to_wkb(b[both], hex=True)
    return same


def _changed_rows(base: pd.DataFrame, mine: pd.DataFrame, key: str) -> tuple[list, list, list]:
    """Keys of the rows ``mine`` adds, changes and deletes compared with ``base``.

    Both frames are conformed and have the same columns and unique keys. Values are
    compared exactly (missing equals missing; geometries coordinate by coordinate), so
    a changed row is never taken for an unchanged one.
    """
    base_keys = pd.Index(base[key].to_numpy(dtype=object))
    mine_keys = pd.Index(mine[key].to_numpy(dtype=object))
    inserted = mine_keys.difference(base_keys, sort=False)
    deleted = base_keys.difference(mine_keys, sort=False)
    common = mine_keys.intersection(base_keys, sort=False)
    changed = np.zeros(len(common), dtype=bool)
    if len(common):
        left = base.set_axis(base_keys).loc[common]
        right = mine.set_axis(mine_keys).loc[common]
        for col in mine.columns:
            a, b = left[col], right[col]
            if isinstance(a.dtype, GeometryDtype) or isinstance(b.dtype, GeometryDtype):
                same = _same_geometries(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
            else:
                na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
                try:
                    equal = (a == b).fillna(False).to_numpy(dtype=bool)
                except (TypeError, ValueError):
                    equal = np.zeros(len(a), dtype=bool)  # incomparable: write the rows
                same = (na_a & na_b) | (~na_a & ~na_b & equal)
            changed |= ~same
    return ([_py(k) for k in inserted], [_py(k) for k in common[changed]], [_py(k) for k in deleted])


def _dtype_pg_type(series: pd.Series) -> str:
    """The column type for an extra (non-schema) column, from its dtype."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(series.dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(series.dtype):
        return "double precision"
    return "text"


def _copy_values(series: pd.Series, pg_type: str) -> list:
    """Python values for COPY: None for every missing value (never 0 or 'nan')."""
    if pg_type == "geometry":
        geoms = np.asarray(series, dtype=object)
        geoms = np.array([None if g is None or (isinstance(g, float) and np.isnan(g)) else g for g in geoms], dtype=object)
        geoms = shapely.set_srid(geoms, SRID)
        return list(shapely.to_wkb(geoms, hex=True, include_srid=True))
    missing = series.isna().to_numpy()
    values = series.to_numpy(dtype=object)
    convert = {"bigint": int, "double precision": float, "boolean": bool}.get(pg_type, str)
    return [None if gone else convert(_py(value)) for value, gone in zip(values, missing)]


def _series_from_db(values: list, pg_type: str) -> pd.Series:
    """A nullable pandas column from values of one database column."""
    pg_type = _norm_type(pg_type)
    if pg_type in ("bigint", "integer", "smallint"):
        return pd.Series(values, dtype="Int64")
    if pg_type in ("double precision", "real"):
        return pd.Series(values, dtype="Float64")
    if pg_type == "numeric":
        return pd.Series([None if v is None else float(v) for v in values], dtype="Float64")
    if pg_type == "boolean":
        return pd.Series(values, dtype="boolean")
    if pg_type == "text" or pg_type.startswith("character"):
        return pd.Series(values, dtype="string")
    return pd.Series([None if v is None else str(v) for v in values], dtype="string")


class PostGISStore(Store):
    """Layers in a PostGIS database, in one schema (``aimak`` unless told otherwise).

    ``url`` is a PostgreSQL URL (``postgresql://user:password@host:5432/db``, libpq
    parameters such as ``?sslmode=require`` allowed); it is always used through
    SQLAlchemy with the psycopg 3 driver. Nothing is created until the first write.
    """

    def __init__(self, url: str, schema: str = "aimak"):
        if not _SCHEMA_NAME.match(schema or ""):
            raise StoreError(f"The database schema name '{schema}' is not allowed: use letters, digits and _ only.")
        try:
            parsed = make_url(url)
        except Exception as exc:  # sqlalchemy.exc.ArgumentError
            raise StoreError("AIMAK_DATABASE_URL is not a valid database URL; expected postgresql://user@host:5432/db.") from exc
        backend = parsed.drivername.split("+", 1)[0]
        if backend not in ("postgresql", "postgres", "postgis"):
            raise StoreError(f"AIMAK_DATABASE_URL must be a postgresql:// URL, not {backend}://.")
        self._url = parsed.set(drivername="postgresql+psycopg")
        self.schema = schema
        self._engine = sa.create_engine(
            self._url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            pool_recycle=1800,
            connect_args={"application_name": "aimak-atlas", "connect_timeout": 10},
        )
        digest = hashlib.sha256(f"aimak-atlas/{schema}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)
        self._ready = False
        self._ext: str | None = None

    # -- the interface -----------------------------------------------------------------
    def describe(self) -> str:
        u = self._url
        query = {k: v for k, v in u.query.items() if k.lower() not in ("password", "passfile")}
        shown = sa.URL.create("postgresql", username=u.username, host=u.host, port=u.port, database=u.database, query=query)
        return f"PostGIS {shown.render_as_string(hide_password=False)} (schema {self.schema})"

    def layer_names(self) -> list[str]:
        if not self._ensure(create=False):
            return []
        with self._cursor() as cur:
            cur.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT (c.relname = ANY(%s)) ORDER BY c.oid",
                (self.schema, list(INTERNAL_TABLES)),
            )
            return [row[0] for row in cur.fetchall()]

    def revision(self) -> str:
        if not self._ensure(create=False):
            return "empty"
        with self._cursor() as cur:
            cur.execute(sql.SQL("SELECT store_id, revision FROM {}.store_state WHERE id = 1").format(self._s))
            row = cur.fetchone()
        return "empty" if row is None else f"{row[0]}:{row[1]}"

    @contextmanager
    def transaction(self, user: str = "system") -> Iterator:
        """As :meth:`Store.transaction`; also records what the transaction reads (see module doc)."""
        snapshots = dict(_TX_SNAPSHOTS.get() or {})
        snapshots[id(self)] = {}
        token = _TX_SNAPSHOTS.set(snapshots)
        try:
            with super().transaction(user) as tx:
                yield tx
        finally:
            _TX_SNAPSHOTS.reset(token)

    def _load(self, name: str) -> Frame | None:
        spec = layer_spec(name)
        snapshots = self._snapshots()
        want_snapshot = snapshots is not None and name not in snapshots
        if not self._ensure(create=False):
            if want_snapshot:
                snapshots[name] = _Snapshot(None, {}, None, {})
            return None
        with self._cursor() as cur:
            columns = self._table_columns(cur, name)
            if columns is None:
                if want_snapshot:
                    snapshots[name] = _Snapshot(None, {}, None, {})
                return None
            names = list(columns)
            select = [sql.Identifier(c) for c in names]
            if want_snapshot:
                select.append(self._row_md5(names))
            cur.execute(sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
                sql.SQL(", ").join(select), self._table(name), sql.Identifier(FID)))
            rows = cur.fetchall()
        by_column = list(zip(*rows)) if rows else [()] * len(select)
        data = {}
        geometry = None
        for position, col in enumerate(names):
            values = list(by_column[position])
            if _norm_type(columns[col]) == "geometry":
                geometry = shapely.from_wkb(np.array(values, dtype=object)) if values else np.array([], dtype=object)
                if col != "geometry":
                    data[col] = pd.Series([None if g is None else g.wkt for g in geometry], dtype="string")
                    geometry = None
                continue
            data[col] = _series_from_db(values, columns[col])
        frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
        if geometry is not None:
            frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=frame.index, crs=STORAGE_CRS), crs=STORAGE_CRS)
        if want_snapshot:
            keys = list(by_column[names.index(spec.key)]) if spec.key in names else []
            md5s = list(by_column[len(names)])
            frame = conform(frame, name)
            usable = spec.key in names and not frame[spec.key].isna().any() and not frame[spec.key].duplicated().any()
            snapshots[name] = _Snapshot(
                table_columns=frozenset(names),
                db_hash=dict(zip(keys, md5s)),
                frame=frame.copy() if usable else None,
                versions=dict(zip(keys, frame["version"])) if spec.versioned else {},
            )
        return frame

    def _commit(self, frames: dict[str, Frame]) -> None:
        self._ensure(create=True)
        snapshots = self._snapshots() or {}
        names = sorted(frames)
        with self._cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
            columns = {name: self._table_columns(cur, name) for name in names}
            for name in names:
                if columns[name] is not None:
                    cur.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(self._table(name)))
            for name in names:
                self._write_layer(cur, name, frames[name], columns[name], snapshots.get(name))
            cur.execute(sql.SQL(
                "UPDATE {}.store_state SET revision = revision + 1, changed_at = now() WHERE id = 1"
            ).format(self._s))

    # -- maintenance -------------------------------------------------------------------
    def migrate(self) -> int:
        """Create the schema and apply pending migrations; returns the schema version."""
        self._ensure(create=True)
        return SCHEMA_VERSION

    def drop_schema(self) -> None:
        """Delete the store's schema with every layer in it (tests; irreversible)."""
        with self._cursor() as cur:
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(self._s))
        self._ready = False
        self._engine.dispose()

    def close(self) -> None:
        """Close the pooled database connections."""
        self._engine.dispose()

    # -- helpers -------------------------------------------------------------------------
    @property
    def _s(self) -> sql.Identifier:
        return sql.Identifier(self.schema)

    def _table(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(self._s, sql.Identifier(name))

    def _geometry_type(self) -> sql.Composable:
        return sql.SQL("{}.geometry").format(sql.Identifier(self._ext)) if self._ext else sql.SQL("geometry")

    def _func(self, name: str) -> sql.Composable:
        return sql.SQL("{}.{}").format(sql.Identifier(self._ext), sql.SQL(name)) if self._ext else sql.SQL(name)

    @staticmethod
    def _row_md5(columns) -> sql.Composed:
        return sql.SQL("md5(ROW({})::text)").format(sql.SQL(", ").join(sql.Identifier(c) for c in sorted(columns)))

    def _snapshots(self) -> dict | None:
        mapping = _TX_SNAPSHOTS.get()
        return None if mapping is None else mapping.get(id(self))

    @contextmanager
    def _cursor(self) -> Iterator["psycopg.Cursor"]:
        """A cursor in one database transaction: committed at the end, rolled back on any error."""
        try:
            with self._engine.begin() as conn:
                raw = conn.connection.driver_connection
                with raw.cursor() as cur:
                    yield cur
        except psycopg.Error as exc:
            raise StoreError(key="err.store.failed", store=self.describe(), detail=_first_line(exc)) from exc
        except sa.exc.SQLAlchemyError as exc:
            original = getattr(exc, "orig", None) or exc
            raise StoreError(key="err.store.unreachable", store=self.describe(), detail=_first_line(original)) from exc

    def _table_columns(self, cur, name: str) -> dict[str, str] | None:
        """{column: type} of a layer table in column order (without the hidden row id), or None."""
        cur.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p') "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (self.schema, name),
        )
        rows = cur.fetchall()
        if not rows:
            return None
        return {col: pg_type for col, pg_type in rows if col != FID}

    def _ensure(self, create: bool) -> bool:
        """Whether the schema exists at the current version; creates/migrates it when ``create``."""
        if self._ready:
            return True
        with self._cursor() as cur:
            cur.execute("SELECT to_regclass(%s)", (sql.SQL("{}.schema_version").format(self._s).as_string(cur),))
            exists = cur.fetchone()[0] is not None
            version = 0
            if exists:
                cur.execute(sql.SQL("SELECT coalesce(max(version), 0) FROM {}.schema_version").format(self._s))
                version = cur.fetchone()[0]
            cur.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis'")
            row = cur.fetchone()
            self._ext = row[0] if row else None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The database schema '{self.schema}' is at version {version}, newer than this app "
                f"understands ({SCHEMA_VERSION}). Upgrade the app before using this database."
            )
        if version == SCHEMA_VERSION and self._ext:
            self._ready = True
            return True
        if not create and not exists:
            return False
        self._migrate()
        self._ready = True
        return True

    def _migrate(self) -> None:
        with self._cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
            cur.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis'")
            row = cur.fetchone()
            if row is None:
                cur.execute("SAVEPOINT aimak_postgis")
                try:
                    cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                except psycopg.Error as exc:
                    cur.execute("ROLLBACK TO SAVEPOINT aimak_postgis")
                    raise StoreError(
                        "The database has no PostGIS extension and this user may not create it "
                        f"({_first_line(exc)}). Ask the database administrator to run "
                        "CREATE EXTENSION postgis; in this database."
                    ) from exc
                cur.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis'")
                row = cur.fetchone()
            self._ext = row[0]
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(self._s))
            cur.execute(sql.SQL(
                "CREATE TABLE IF NOT EXISTS {}.schema_version ("
                " version integer PRIMARY KEY, description text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            ).format(self._s))
            cur.execute(sql.SQL("SELECT coalesce(max(version), 0) FROM {}.schema_version").format(self._s))
            current = cur.fetchone()[0]
            for version, description, step in MIGRATIONS:
                if version <= current:
                    continue
                step(cur, self.schema, self._ext)
                cur.execute(sql.SQL("INSERT INTO {}.schema_version (version, description) VALUES (%s, %s)").format(self._s),
                            (version, description))

    # -- writing one layer -----------------------------------------------------------------
    def _desired_columns(self, name: str, frame: Frame) -> dict[str, str]:
        spec = layer_spec(name)
        wanted = {col: _PG_TYPES.get(kind, "text") for col, kind in spec.columns.items()}
        for col in frame.columns:
            if col in wanted or col == "geometry":
                continue
            if not isinstance(col, str) or not col:
                raise StoreError(f"Layer '{name}' has a column without a usable name ({col!r}); rename it.")
            if col in _RESERVED:
                raise StoreError(f"Layer '{name}' has a column named '{col}', which the PostGIS store reserves; rename it.")
            if len(col.encode()) > 63:
                raise StoreError(f"Layer '{name}': the column name '{col[:40]}…' is longer than PostgreSQL allows (63 bytes); shorten it.")
            wanted[col] = _dtype_pg_type(frame[col])
        if spec.geometry is not None:
            wanted["geometry"] = "geometry"
        return wanted

    def _write_layer(self, cur, name: str, frame: Frame, table_columns: dict[str, str] | None,
                     snapshot: _Snapshot | None) -> None:
        spec = layer_spec(name)
        key = spec.key
        mine = conform(frame, name)
        wanted = self._desired_columns(name, mine)
        keys = mine[key]
        if keys.isna().any():
            raise StoreError(f"Layer '{name}' has {int(keys.isna().sum())} row(s) without {key}; every row needs one.")
        dups = keys[keys.duplicated()].unique()
        if len(dups):
            raise StoreError(f"Layer '{name}' has more than one row with {key} {sorted(map(str, dups))[:5]}; keys must be unique.")

        same_structure = table_columns is not None and {c: _norm_type(t) for c, t in table_columns.items()} == wanted
        if (same_structure and snapshot is not None and snapshot.frame is not None
                and snapshot.table_columns == frozenset(wanted) and set(snapshot.frame.columns) == set(mine.columns)):
            self._merge(cur, name, mine, wanted, snapshot)
            return
        if same_structure and snapshot is not None and snapshot.table_columns is None:
            # The table did not exist when this transaction read it; someone created it since.
            self._merge(cur, name, mine, wanted, _Snapshot(frozenset(wanted), {}, mine.iloc[0:0], {}))
            return
        if snapshot is not None and table_columns is not None:
            self._check_layer_unchanged(cur, name, table_columns, snapshot)
        self._shape_table(cur, name, table_columns, wanted)
        stage = self._stage(cur, name, mine, wanted)
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in wanted)
        cur.execute(sql.SQL("DELETE FROM {}").format(self._table(name)))
        self._run(cur, name, sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ORDER BY {}").format(
            self._table(name), cols, cols, sql.Identifier(stage), sql.Identifier(_POS)))

    def _merge(self, cur, name: str, mine: Frame, wanted: dict[str, str], snapshot: _Snapshot) -> None:
        """Apply only what changed since the transaction read the layer, refusing conflicts."""
        spec = layer_spec(name)
        key = spec.key
        inserted_list, changed_list, deleted_list = _changed_rows(snapshot.frame, mine, key)

        # Conflicts, checked under the table lock: the rows this transaction changes or
        # deletes must still be as it read them, and the keys it adds must still be free.
        touched = changed_list + deleted_list
        if touched:
            extra = [sql.Identifier(c) for c in ("version", "updated_by", "updated_at")] if spec.versioned else []
            cur.execute(sql.SQL("SELECT {}, {} {} FROM {} WHERE {} = ANY(%s)").format(
                sql.Identifier(key), self._row_md5(wanted),
                sql.SQL("").join(sql.SQL(", ") + e for e in extra),
                self._table(name), sql.Identifier(key)), (touched,))
            now = {row[0]: row[1:] for row in cur.fetchall()}
            deleted_set = set(deleted_list)
            for k in touched:
                current = now.get(k)
                if current is None:
                    if k in deleted_set:
                        continue  # someone else deleted it already
                    raise StaleVersionError(key="err.store.deleted_meanwhile", layer=name, key_value=str(k))
                if current[0] != snapshot.db_hash.get(k):
                    raise self._conflict(name, k, current, snapshot)
        if inserted_list:
            cur.execute(sql.SQL("SELECT {} FROM {} WHERE {} = ANY(%s) LIMIT 5").format(
                sql.Identifier(key), self._table(name), sql.Identifier(key)), (inserted_list,))
            clash = [row[0] for row in cur.fetchall()]
            if clash:
                raise StaleVersionError(key="err.store.rows_added_meanwhile", layer=name, key_column=key, keys=str(clash))

        table = self._table(name)
        if deleted_list:
            cur.execute(sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(table, sql.Identifier(key)), (deleted_list,))
        write = mine[mine[key].isin(set(changed_list) | set(inserted_list))] if (changed_list or inserted_list) else mine.iloc[0:0]
        if len(write) == 0:
            return
        stage = self._stage(cur, name, write, wanted)
        st = sql.Identifier(stage)
        if changed_list:
            assignments = sql.SQL(", ").join(
                sql.SQL("{} = s.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in wanted if c != key)
            self._run(cur, name, sql.SQL("UPDATE {} AS t SET {} FROM {} AS s WHERE t.{} = s.{} AND s.{} = ANY(%s)").format(
                table, assignments, st, sql.Identifier(key), sql.Identifier(key), sql.Identifier(key)), (changed_list,))
        if inserted_list:
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in wanted)
            self._run(cur, name, sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} WHERE {} = ANY(%s) ORDER BY {}").format(
                table, cols, cols, st, sql.Identifier(key), sql.Identifier(_POS)), (inserted_list,))

    def _conflict(self, name: str, key, current: tuple, snapshot: _Snapshot) -> StaleVersionError:
        if layer_spec(name).versioned and len(current) >= 4:
            _, version, by, at = current[:4]
            opened = snapshot.versions.get(key)
            return StaleVersionError(key="err.store.stale", layer=name, key_value=str(key), user=str(by), at=str(at),
                                     version=str(version), yours=str(opened))
        return StaleVersionError(key="err.store.stale_unversioned", layer=name, key_value=str(key))

    def _check_layer_unchanged(self, cur, name: str, table_columns: dict[str, str], snapshot: _Snapshot) -> None:
        """For whole-layer rewrites after a read: refuse if anything in the layer changed since."""
        spec = layer_spec(name)
        if snapshot.table_columns is None:
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(self._table(name)))
            if cur.fetchone()[0]:
                raise StaleVersionError(key="err.store.layer_filled_meanwhile", layer=name)
            return
        if snapshot.table_columns != frozenset(table_columns):
            raise StaleVersionError(key="err.store.columns_changed_meanwhile", layer=name)
        cur.execute(sql.SQL("SELECT {}, {} FROM {}").format(
            sql.Identifier(spec.key), self._row_md5(table_columns), self._table(name)))
        now = dict(cur.fetchall())
        if now != snapshot.db_hash:
            changed = sorted(map(str, set(now.items()) ^ set(snapshot.db_hash.items())))[:1]
            raise StaleVersionError(key="err.store.layer_changed_meanwhile", layer=name, example=str(changed))

    def _shape_table(self, cur, name: str, table_columns: dict[str, str] | None, wanted: dict[str, str]) -> None:
        """Create the layer table, or alter its columns to ``wanted`` (the data is rewritten after)."""
        key = layer_spec(name).key
        table = self._table(name)

        def column_def(col: str, pg_type: str) -> sql.Composed:
            if pg_type == "geometry":
                return sql.SQL("{} {} CONSTRAINT {} CHECK ({}(geometry) = {})").format(
                    sql.Identifier(col), self._geometry_type(), sql.Identifier(f"{name}_geometry_srid"[:63]),
                    self._func("st_srid"), sql.Literal(SRID))
            return sql.SQL("{} {}").format(sql.Identifier(col), sql.SQL(pg_type))

        if table_columns is None:
            defs = [sql.SQL("{} bigint GENERATED ALWAYS AS IDENTITY").format(sql.Identifier(FID))]
            defs += [column_def(c, t) for c, t in wanted.items()]
            defs.append(sql.SQL("CONSTRAINT {} PRIMARY KEY ({})").format(sql.Identifier(f"{name}_pkey"[:63]), sql.Identifier(key)))
            cur.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(defs)))
            cur.execute(sql.SQL(
                "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {} "
                "FOR EACH STATEMENT EXECUTE FUNCTION {}.bump_revision()"
            ).format(sql.Identifier("aimak_bump_revision"), table, self._s))
        else:
            current = {c: _norm_type(t) for c, t in table_columns.items()}
            for col, pg_type in current.items():
                if wanted.get(col) != pg_type:
                    cur.execute(sql.SQL("ALTER TABLE {} DROP COLUMN {}").format(table, sql.Identifier(col)))
            for col, pg_type in wanted.items():
                if current.get(col) != pg_type:
                    cur.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {}").format(table, column_def(col, pg_type)))
            cur.execute(
                "SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_constraint k "
                "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey) "
                "WHERE k.conrelid = to_regclass(%s) AND k.contype = 'p'",
                (table.as_string(cur),))
            if (cur.fetchone()[0] or []) != [key]:
                cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(table, sql.Identifier(f"{name}_pkey"[:63])))
                cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})").format(
                    table, sql.Identifier(f"{name}_pkey"[:63]), sql.Identifier(key)))
        if "geometry" in wanted:
            cur.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist ({})").format(
                sql.Identifier(f"{name}_geometry_gist"[:63]), table, sql.Identifier("geometry")))

    def _stage(self, cur, name: str, frame: Frame, wanted: dict[str, str]) -> str:
        """COPY rows into a temporary table dropped at commit; returns its name."""
        stage = f"aimak_stage_{uuid.uuid4().hex[:12]}"
        defs = [sql.SQL("{} bigint").format(sql.Identifier(_POS))]
        for col, pg_type in wanted.items():
            type_sql = self._geometry_type() if pg_type == "geometry" else sql.SQL(pg_type)
            defs.append(sql.SQL("{} {}").format(sql.Identifier(col), type_sql))
        cur.execute(sql.SQL("CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP").format(
            sql.Identifier(stage), sql.SQL(", ").join(defs)))
        columns = [list(range(len(frame)))]
        for col, pg_type in wanted.items():
            columns.append(_copy_values(frame[col], pg_type))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(stage), sql.SQL(", ").join(sql.Identifier(c) for c in [_POS, *wanted]))
        try:
            with cur.copy(copy_sql) as copy:
                for row in zip(*columns):
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise StoreError(key="err.store.write_failed", layer=name, detail=_first_line(exc)) from exc
        multi = _MULTI.get(layer_spec(name).geometry or "")
        if multi and "geometry" in wanted:
            cur.execute(sql.SQL("UPDATE {} SET geometry = {}(geometry) WHERE {}(geometry) = ANY(%s)").format(
                sql.Identifier(stage), self._func("st_multi"), self._func("geometrytype")), (list(multi),))
        return stage

    def _run(self, cur, name: str, statement: sql.Composable, params=None) -> None:
        """Execute a write; database refusals become StoreError naming the layer."""
        try:
            cur.execute(statement, params)
        except psycopg.errors.IntegrityError as exc:
            detail = exc.diag.message_detail or _first_line(exc)
            raise StoreError(key="err.store.write_failed", layer=name, detail=detail) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
