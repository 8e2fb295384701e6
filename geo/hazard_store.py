"""Hazard layers in the store: import one, delete one, restore the shipped indicative layers.

The store's ``hazard_zones`` layer holds every hazard layer, told apart by
``layer_name``. Imported (official) layers replace the shipped indicative layer of
their hazard type (:func:`geo.hazards.replace_indicative`); deleting the last
official layer of a type brings the indicative layer of that type back, rebuilt
from the shipped elevation grid and rivers exactly as ``python -m geo build`` makes
it (:func:`geo.build.indicative_hazard_zones`), clipped to the store's country
without its lakes.

Only administrators import or delete hazard layers (:func:`geo.auth.require`,
action ``import_hazards``). Each change is one store transaction: it is stored
whole or not at all, and the audit log records it (one ``delete`` row per removed
zone with its old values, and a ``replace`` row when an indicative layer is
restored).

Shipped indicative layers cannot be deleted: they are the fallback shown when no
official map exists, and they disappear by themselves when an official layer of
their type is imported. Deleting them would leave a hazard type with no layer and
no way to get it back short of rebuilding the store.

All geometries are EPSG:4326.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import auth
from geo.errors import InputError, PermissionDeniedError, Phrase
from geo.settings import STORAGE_CRS

LAYER = "hazard_zones"
#: Hazard types that have a shipped indicative layer.
INDICATIVE_TYPES = ("landslide", "flood")


def _require_admin(store, user, action_key: str) -> auth.User:
    """The acting user if they may change hazard layers, else a keyed PermissionDeniedError."""
    acting = auth.as_user(store, user)
    if not auth.can(acting, auth.IMPORT_HAZARDS):
        role = Phrase(f"role.{acting.role}") if acting.role in auth.ROLES else acting.role
        raise PermissionDeniedError(key=action_key, user=acting.label, role=role)
    return acting


def _flag(frame: pd.DataFrame) -> pd.Series:
    return frame["indicative"].fillna(False).astype(bool)


def indicative_zones(hazard_type: str, country: gpd.GeoDataFrame | None = None,
                     lakes: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The shipped indicative layer of one hazard type as hazard_zones rows (EPSG:4326).

    Built as :func:`geo.build.indicative_hazard_zones` builds it (slope classes for
    ``landslide``, main-river bands for ``flood``), clipped to ``country`` without
    ``lakes`` (default: the shipped country polygon). Other types have no indicative
    layer: the result is empty.
    """
    from geo.build import indicative_hazard_zones
    from geo.store.base import conform

    if hazard_type not in INDICATIVE_TYPES:
        return conform(gpd.GeoDataFrame({"zone_id": []}, geometry=gpd.GeoSeries([], crs=STORAGE_CRS)), LAYER)
    if country is not None and len(country) == 0:
        country = None
    if lakes is not None and len(lakes) == 0:
        lakes = None
    both = indicative_hazard_zones(country, lakes)
    return conform(both[both["hazard_type"] == hazard_type].reset_index(drop=True), LAYER)


def import_hazard_layer(store, user, path: str | Path, **kwargs) -> dict:
    """Import a hazard file into the store (admins only), replacing the indicative layer
    of its hazard type and any stored layer of the same name, in one transaction.

    ``kwargs`` are those of :func:`geo.hazards.read_hazard_layer` (``hazard_type``,
    ``mapping``, ``value_column``, ``band``, ``source``, ``source_date``, ``licence``,
    ``layer_name``). The chosen value → class rule is stored with every zone
    (``class_rule``). Returns ``{"layer_name", "hazard_type", "zones",
    "replaced_indicative": [layer names]}``.
    """
    from geo.hazards import read_hazard_layer, replace_indicative

    acting = _require_admin(store, user, "err.hazard.import_admin_only")
    imported = read_hazard_layer(path, **kwargs)
    hazard_type = str(imported["hazard_type"].iloc[0])
    with store.transaction(acting.username) as tx:
        current = tx.read(LAYER)
        replaced = sorted(set(current.loc[_flag(current) & current["hazard_type"].eq(hazard_type).fillna(False),
                                          "layer_name"].dropna()))
        tx.replace(LAYER, replace_indicative(current, imported))
    return {"layer_name": str(imported["layer_name"].iloc[0]), "hazard_type": hazard_type,
            "zones": int(len(imported)), "replaced_indicative": replaced}


def delete_hazard_layer(store, user, layer_name: str) -> dict:
    """Delete one imported hazard layer (all zones with this ``layer_name``); admins only.

    When no other official layer of its hazard type remains and the type has a
    shipped indicative layer (:data:`INDICATIVE_TYPES`), that indicative layer is
    restored in the same transaction. Indicative layers themselves are refused
    (see the module docstring). Returns ``{"layer_name", "hazard_type", "zones"
    (number deleted), "restored": indicative layer name or None}``.

    Raises :class:`~geo.errors.PermissionDeniedError` for viewers and editors and
    :class:`~geo.errors.InputError` for an unknown or indicative layer; then nothing
    is changed.
    """
    acting = _require_admin(store, user, "err.hazard.delete_admin_only")
    with store.transaction(acting.username) as tx:
        zones = tx.read(LAYER)
        mask = zones["layer_name"].eq(layer_name).fillna(False).astype(bool)
        if not mask.any():
            names = sorted(set(zones.loc[~_flag(zones), "layer_name"].dropna().astype(str)))
            raise InputError(key="err.hazard.no_layer", name=str(layer_name), names=", ".join(names) or "—")
        if _flag(zones)[mask].any():
            raise InputError(key="err.hazard.indicative_locked", name=str(layer_name))
        types = zones.loc[mask, "hazard_type"].dropna()
        hazard_type = str(types.iloc[0]) if len(types) else ""
        tx.delete(LAYER, zones.loc[mask, "zone_id"].astype(str).tolist())
        remaining = tx.read(LAYER)
        same_type = remaining["hazard_type"].eq(hazard_type).fillna(False).astype(bool)
        restored = None
        if hazard_type in INDICATIVE_TYPES and not same_type.any():
            back = indicative_zones(hazard_type, tx.read("country"), tx.read("lakes"))
            if len(back):
                joined = pd.concat([remaining, back], ignore_index=True)
                tx.replace(LAYER, gpd.GeoDataFrame(joined, geometry="geometry", crs=STORAGE_CRS))
                restored = str(back["layer_name"].iloc[0])
    return {"layer_name": str(layer_name), "hazard_type": hazard_type, "zones": int(mask.sum()),
            "restored": restored}


__all__ = ["INDICATIVE_TYPES", "indicative_zones", "import_hazard_layer", "delete_hazard_layer"]
