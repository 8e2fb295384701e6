"""Counts that say what a store holds."""
from __future__ import annotations

from geo import schema
from geo.store import Store


def store_stats(store: Store) -> dict:
    """Feature counts per layer and admin units per level (1 oblast, 2 rayon, 3 aiyl okmot)."""
    schema.load_extensions()
    present = set(store.layer_names())
    counts = {name: len(store.read(name)) for name in schema.LAYERS if name in present}
    per_level = {str(level): 0 for level in (1, 2, 3)}
    if "admin_units" in present:
        levels = store.read("admin_units")["level"].value_counts()
        per_level.update({str(int(level)): int(n) for level, n in levels.items()})
    return {"store": store.describe(), "layers": counts, "admin_units_per_level": per_level}
