"""How hazard layers are named in pickers, in the chosen language."""
from __future__ import annotations

import pandas as pd

from geo.hazards import hazard_layers
from layers.hazard_style import hazard_type_label
from ui.common import lang, tr


def layer_table(zones: pd.DataFrame) -> pd.DataFrame:
    """One row per hazard layer in ``zones`` (official layers first, then indicative)."""
    table = hazard_layers(zones)
    if len(table) == 0:
        return table
    table["indicative"] = table["indicative"].fillna(False).astype(bool)
    return table.sort_values(["indicative", "hazard_type", "layer_name"], kind="stable").reset_index(drop=True)


def layer_label(row: pd.Series) -> str:
    """A layer's name for a picker: indicative layers by their translated name and marked as such."""
    kind = hazard_type_label(row["hazard_type"], lang())
    if bool(row["indicative"]):
        name = tr("risk.layer.slope") if row["hazard_type"] == "landslide" else (
            tr("risk.layer.river") if row["hazard_type"] == "flood" else str(row["layer_name"]))
        return f"{name} — {kind} ({tr('risk.indicative_short')})"
    return f"{row['layer_name']} — {kind}"
