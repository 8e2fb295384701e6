"""Irrigation and drinking-water canals: the extra layers and the vocabulary they use.

``geo.schema`` defines ``canals`` and ``canal_outlets``; this module registers the
layers that hang off them (importing it is enough):

``canal_sections``
    Documented parts of a canal per country, with their length as written (km). Lengths
    are attributes from the source, never measured from a drawn line.
``canal_agreements``
    Protocols and agreements on a canal (date as ISO 8601 text, possibly reduced
    precision such as ``"1965"``), parties separated by ``|``.
``outlet_allocations``
    What an agreement gives to a village, a country or one outlet: a number of outlets
    or shafts (``count`` with ``count_unit``) and/or a flow in l/s.
``canal_disputes`` and ``canal_dispute_events``
    A dispute and its timeline. Events without a documented date keep ``date`` empty
    and are ordered by ``sequence`` (the order of the source).
``flow_measurements``
    Flows in litres per second. A range as written ("10–15 l/s") is kept as
    ``flow_lps_min``/``flow_lps_max`` with ``flow_lps`` empty; a single reading fills
    all three. Point geometry is optional (empty when the place cannot be located).
``canal_facts``
    Other documented numbers of a case (meetings, commission members, hectares as
    written), each with its unit and source reference.

Outlet statuses and the changes allowed between them are defined here and enforced
by :mod:`geo.canal_edits`.
"""
from __future__ import annotations

import pandas as pd

from geo import schema
from geo.schema import VERSION_COLUMNS, Layer

#: Outlet statuses, in the words water committees use.
OUTLET_STATUSES = ("found", "unauthorised", "agreed", "closed")

#: Status changes an editor may make: found → unauthorised → closed, found → agreed,
#: unauthorised → agreed. Agreed and closed outlets are final.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "found": ("unauthorised", "agreed"),
    "unauthorised": ("closed", "agreed"),
    "agreed": (),
    "closed": (),
}

#: Statuses a newly recorded outlet may start with.
INITIAL_STATUSES = ("found", "unauthorised")

#: ISO 3166-1 alpha-2 codes of the countries canals in the app cross.
COUNTRY_NAMES = {"KG": "Kyrgyzstan", "TJ": "Tajikistan"}

#: How exact a date is.
DATE_PRECISIONS = ("day", "month", "season", "year", "range", "unknown")

#: Where along a canal a measurement was taken.
CANAL_POSITIONS = ("head", "along", "outlet", "tail")

DISPUTE_STATUSES = ("open", "mediation", "settled")

CANAL_SECTIONS = schema.register(Layer(
    "canal_sections",
    key="section_id",
    columns={
        "section_id": "str", "canal_id": "str", "sequence": "int", "country": "str",
        "rayon": "str", "villages": "str", "length_km": "float", "year": "int",
        "note": "str", "source_ref": "str",
    },
    geometry=None,
))

CANAL_AGREEMENTS = schema.register(Layer(
    "canal_agreements",
    key="agreement_id",
    columns={
        "agreement_id": "str", "canal_id": "str", "kind": "str", "date": "str",
        "date_precision": "str", "parties": "str", "terms": "str", "note": "str",
        "source_ref": "str", **VERSION_COLUMNS,
    },
    geometry=None,
    versioned=True,
))

OUTLET_ALLOCATIONS = schema.register(Layer(
    "outlet_allocations",
    key="allocation_id",
    columns={
        "allocation_id": "str", "canal_id": "str", "agreement_id": "str", "outlet_id": "str",
        "village": "str", "country": "str", "count": "int", "count_unit": "str",
        "flow_lps": "float", "note": "str", "source_ref": "str", **VERSION_COLUMNS,
    },
    geometry=None,
    versioned=True,
))

CANAL_DISPUTES = schema.register(Layer(
    "canal_disputes",
    key="dispute_id",
    columns={
        "dispute_id": "str", "canal_id": "str", "parties": "str", "subject": "str",
        "status": "str", "mediator": "str", "date_start": "str", "date_end": "str",
        "resolution": "str", "note": "str", "source_ref": "str", **VERSION_COLUMNS,
    },
    geometry=None,
    versioned=True,
))

CANAL_DISPUTE_EVENTS = schema.register(Layer(
    "canal_dispute_events",
    key="event_id",
    columns={
        "event_id": "str", "dispute_id": "str", "sequence": "int", "date": "str",
        "date_end": "str", "date_precision": "str", "event": "str", "note": "str",
        "source_ref": "str", **VERSION_COLUMNS,
    },
    geometry=None,
    versioned=True,
))

FLOW_MEASUREMENTS = schema.register(Layer(
    "flow_measurements",
    key="measurement_id",
    columns={
        "measurement_id": "str", "canal_id": "str", "place": "str", "village": "str",
        "country": "str", "canal_position": "str", "date": "str", "date_precision": "str",
        "season": "str", "flow_lps": "float", "flow_lps_min": "float", "flow_lps_max": "float",
        "location_precision": "int", "note": "str", "source_ref": "str", **VERSION_COLUMNS,
    },
    geometry="Point",
    versioned=True,
))

CANAL_FACTS = schema.register(Layer(
    "canal_facts",
    key="fact_id",
    columns={
        "fact_id": "str", "canal_id": "str", "subject": "str", "value": "float",
        "unit": "str", "as_written": "str", "note": "str", "source_ref": "str",
    },
    geometry=None,
))

#: Every layer of the canal model, core ones first.
CANAL_LAYERS = (
    schema.CANALS.name, schema.CANAL_OUTLETS.name, CANAL_SECTIONS.name, CANAL_AGREEMENTS.name,
    OUTLET_ALLOCATIONS.name, CANAL_DISPUTES.name, CANAL_DISPUTE_EVENTS.name,
    FLOW_MEASUREMENTS.name, CANAL_FACTS.name,
)


def outlet_counts(outlets: pd.DataFrame, canal_id: str | None = None) -> pd.Series:
    """Number of outlets per status (aggregate records count ``count``, single ones 1).

    Statuses with no record are 0 only when the canal has records at all; an empty
    input gives an empty Series.
    """
    frame = pd.DataFrame(outlets)
    if canal_id is not None:
        frame = frame[frame["canal_id"] == canal_id]
    if frame.empty:
        return pd.Series(dtype="Int64", name="count")
    counts = pd.to_numeric(frame["count"], errors="coerce").fillna(1).astype("int64")
    out = counts.groupby(frame["status"].astype(str)).sum()
    return out.reindex(OUTLET_STATUSES, fill_value=0).astype("Int64").rename("count")


def timeline(events: pd.DataFrame, dispute_id: str | None = None) -> pd.DataFrame:
    """Dispute events in the order of the source (``sequence``), dated or not."""
    frame = pd.DataFrame(events)
    if dispute_id is not None:
        frame = frame[frame["dispute_id"] == dispute_id]
    return frame.sort_values(["sequence", "event_id"], na_position="last").reset_index(drop=True)
