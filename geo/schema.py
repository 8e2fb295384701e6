"""Layer names and their columns: the contract every back end and page relies on.

Column types: ``str`` text, ``int`` nullable integer, ``float`` nullable number,
``bool``, ``datetime`` (ISO 8601 UTC text). Spatial layers are stored in EPSG:4326.
An empty cell means "not known"; it is never filled with zero.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Layer:
    """A store layer: its name, key, columns and geometry type (None for a table)."""

    name: str
    key: str
    columns: dict[str, str]
    geometry: str | None = "Unknown"
    versioned: bool = False
    extra: dict[str, str] = field(default_factory=dict)


VERSION_COLUMNS = {"version": "int", "updated_at": "str", "updated_by": "str"}

ADMIN_UNITS = Layer(
    "admin_units",
    key="pcode",
    columns={
        "pcode": "str", "level": "int", "parent_pcode": "str",
        "name_en": "str", "name_ru": "str", "name_ky": "str",
        "population": "float", "source": "str", "note": "str",
    },
    geometry="MultiPolygon",
)

COUNTRY = Layer("country", key="iso_3166_1", columns={"iso_3166_1": "str", "name_en": "str", "name_ru": "str", "name_ky": "str", "source": "str"}, geometry="MultiPolygon")

SETTLEMENTS = Layer(
    "settlements",
    key="settlement_id",
    columns={
        "settlement_id": "str", "name_en": "str", "name_ru": "str", "name_ky": "str",
        "alt_names": "str", "population": "float", "oblast_pcode": "str", "rayon_pcode": "str",
        "aiyl_okmot_pcode": "str", "source": "str",
    },
    geometry="Point",
)

PROJECTS = Layer(
    "projects",
    key="project_id",
    columns={
        "project_id": "str", "title": "str", "sector": "str", "status": "str",
        "year_start": "int", "year_end": "int", "geometry_kind": "str",
        "location_precision": "int", "location_note": "str",
        "oblast_pcode": "str", "rayon_pcode": "str", "aiyl_okmot_pcode": "str",
        "oblast_name": "str", "rayon_name": "str", "aiyl_okmot_name": "str", "village": "str",
        "settlement_id": "str", "length_km": "float", "total_cost": "float",
        "hazard": "str", "dispute": "str", "case_title": "str",
        "source_ref": "str", "source_document": "str", "source_line": "int",
        **VERSION_COLUMNS,
    },
    geometry="Unknown",
    versioned=True,
)

FUNDING = Layer(
    "funding",
    key="funding_id",
    columns={
        "funding_id": "str", "project_id": "str", "source_name": "str", "source_type": "str",
        "amount": "float", "currency": "str", "share_pct": "float", "note": "str",
        **VERSION_COLUMNS,
    },
    geometry=None,
    versioned=True,
)

BENEFICIARIES = Layer(
    "beneficiaries",
    key="project_id",
    columns={
        "project_id": "str", "total": "float", "households": "float", "women": "float",
        "men": "float", "children": "float", "students": "float", "note": "str",
        **VERSION_COLUMNS,
    },
    geometry=None,
    versioned=True,
)

HAZARD_ZONES = Layer(
    "hazard_zones",
    key="zone_id",
    columns={
        "zone_id": "str", "hazard_type": "str", "hazard_class": "str", "value": "float",
        "layer_name": "str", "source": "str", "source_date": "str", "licence": "str",
        "indicative": "bool",
        # the value → class rule chosen at import, as JSON (geo.hazards.rule_text); empty in
        # stores written before this column existed (read back empty by store.base.conform)
        "class_rule": "str",
    },
    geometry="MultiPolygon",
)

CANALS = Layer(
    "canals",
    key="canal_id",
    columns={
        "canal_id": "str", "name": "str", "operator": "str", "design_capacity_lps": "float",
        "length_km": "float", "countries": "str", "location_precision": "int", "note": "str",
        "source_ref": "str", **VERSION_COLUMNS,
    },
    geometry="LineString",
    versioned=True,
)

CANAL_OUTLETS = Layer(
    "canal_outlets",
    key="outlet_id",
    columns={
        "outlet_id": "str", "canal_id": "str", "status": "str", "village": "str",
        "country": "str", "allowed_flow_lps": "float", "count": "int",
        "location_precision": "int", "note": "str", "source_ref": "str", **VERSION_COLUMNS,
    },
    geometry="Point",
    versioned=True,
)

RIVERS = Layer("rivers", key="river_id", columns={"river_id": "str", "name": "str", "length_km": "float", "source": "str"}, geometry="MultiLineString")
LAKES = Layer("lakes", key="lake_id", columns={"lake_id": "str", "name_en": "str", "name_ru": "str", "name_ky": "str", "name_note": "str", "source": "str"}, geometry="MultiPolygon")

AUDIT_LOG = Layer(
    "audit_log",
    key="audit_id",
    columns={
        "audit_id": "str", "at": "str", "user": "str", "action": "str", "layer": "str",
        "row_key": "str", "old_values": "str", "new_values": "str",
    },
    geometry=None,
)

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        ADMIN_UNITS, COUNTRY, SETTLEMENTS, PROJECTS, FUNDING, BENEFICIARIES, HAZARD_ZONES,
        CANALS, CANAL_OUTLETS, RIVERS, LAKES, AUDIT_LOG,
    )
}


#: Modules that define further layers with :func:`register` (imported on first need).
EXTENSION_MODULES = ("geo.canals", "geo.auth")


def load_extensions() -> None:
    """Import the modules that register extra layers, so every layer name is known."""
    import importlib

    for module in EXTENSION_MODULES:
        importlib.import_module(module)


def register(layer: Layer) -> Layer:
    """Add a layer defined elsewhere (e.g. canal agreements) to the known set."""
    LAYERS[layer.name] = layer
    return layer


#: Location precision codes (AidData geocoding methodology).
PRECISION_CODES = {
    1: "exact location",
    2: "near a settlement (within about 25 km)",
    3: "aiyl okmot (municipality)",
    4: "rayon (district)",
    5: "oblast (region)",
    6: "national",
}

FUNDING_SOURCE_TYPES = (
    "local budget", "republican budget", "donor grant", "community contribution", "private", "other",
)

CURRENCIES = ("KGS", "USD", "EUR")

SECTORS_HINT = (
    "water_supply", "school", "kindergarten", "health", "dam_flood_protection", "irrigation",
    "road", "street_lighting",
)
