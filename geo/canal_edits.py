"""Editing canals: new outlets, status changes, agreements and flow measurements.

Every function takes the store and the signed-in user and makes its change in one
``store.transaction(user)``, so versioned rows get ``version``/``updated_by``/
``updated_at`` and ``audit_log`` gets a row with who and when. A change based on an
out-of-date version raises :class:`~geo.errors.StaleVersionError` and stores nothing.

Positions come from a click on the map (lon/lat) or typed coordinates
(:func:`parse_coordinates`) and must lie in the canal region (:func:`in_canal_region`):
Kyrgyzstan plus the adjacent Isfara area of Tajikistan, which the Voruh–Shurab canal
crosses into. Coordinates are WGS 84 degrees (EPSG:4326); flows are litres per second.
"""
from __future__ import annotations

import math
import re
import uuid
from datetime import date as _date
from datetime import datetime, timezone

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from geo import canals, schema
from geo.crs import to_metric
from geo.errors import InputError, Join, Number, OutsideCountryError, Phrase, StaleVersionError
from geo.settings import COUNTRY_BOUNDS, STORAGE_CRS
from geo.store.base import Store, Transaction

#: Generous box (lon_min, lat_min, lon_max, lat_max) around Isfara district of
#: Tajikistan (Isfara town about 40.12 N 70.63 E, Shurab about 40.04 N 70.54 E).
#: Used only to accept clicks and typed coordinates, never as a position of data.
ISFARA_AREA_BOUNDS = (70.2, 39.7, 71.0, 40.35)

#: Points this close (km) outside the Kyrgyzstan polygon still count as inside: the
#: shipped 1:10m border is coarse (several Batken villages fall just outside it).
BORDER_MARGIN_KM = 5.0

_FINAL = ("agreed", "closed")


# -- where --------------------------------------------------------------------------
def _in_box(lon: np.ndarray, lat: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    return (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])


def in_canal_region(lon, lat, country: gpd.GeoDataFrame | None = None) -> np.ndarray:
    """Whether each point (degrees, EPSG:4326) lies in the canal region.

    The region is Kyrgyzstan plus :data:`ISFARA_AREA_BOUNDS`. Kyrgyzstan is the
    ``country`` polygon widened by :data:`BORDER_MARGIN_KM` when one is given (the
    store's ``country`` layer), else its bounding box ``settings.COUNTRY_BOUNDS``.
    Vectorised; NaN coordinates are outside.
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    finite = np.isfinite(lon) & np.isfinite(lat)
    inside = _in_box(lon, lat, ISFARA_AREA_BOUNDS)
    if country is not None and len(country) and country.geometry.notna().any():
        metric = to_metric(country[country.geometry.notna()].to_crs(STORAGE_CRS))
        area = metric.buffer(BORDER_MARGIN_KM * 1000).union_all()
        points = gpd.GeoSeries(gpd.points_from_xy(np.where(finite, lon, 0), np.where(finite, lat, 0)), crs=STORAGE_CRS)
        xy = shapely.get_coordinates(points.to_crs(metric.crs).values)
        inside |= shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    else:
        inside |= _in_box(lon, lat, COUNTRY_BOUNDS)
    return inside & finite


def check_position(lon, lat, country: gpd.GeoDataFrame | None = None) -> Point:
    """A validated point, or :class:`~geo.errors.OutsideCountryError` saying what is wrong."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InputError(key="err.canal.coords_not_numbers", lon=repr(lon), lat=repr(lat)) from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InputError(key="err.canal.coords_not_finite")
    if bool(in_canal_region(lon, lat, country)[0]):
        return Point(lon, lat)
    hint = Phrase("err.canal.swapped_hint") if bool(in_canal_region(lat, lon, country)[0]) else ""
    raise OutsideCountryError(key="err.canal.outside", lon=Number(lon, 5), lat=Number(lat, 5), hint=hint)


_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_DMS = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*[°º]\s*(?:(\d+(?:[.,]\d+)?)\s*['′’]\s*)?(?:(\d+(?:[.,]\d+)?)\s*(?:\"|″|''|’’)\s*)?([NSEWСЮВЗ])?",
    re.IGNORECASE,
)


def parse_coordinates(text: str) -> tuple[float, float]:
    """Typed coordinates as ``(lon, lat)`` in degrees.

    Accepts decimal degrees in either order (``"40.06, 70.82"`` or ``"70.82 40.06"``;
    here latitudes are 39–44 and longitudes 69–81, so the order is unambiguous) and
    degrees-minutes-seconds with hemisphere letters (``40°03'37"N 70°49'09"E``).
    Raises :class:`~geo.errors.InputError` when the text is not two coordinates.
    """
    text = (text or "").strip()
    if not text:
        raise InputError(key="err.canal.coords_empty")
    if "°" in text or "º" in text:
        parts = [m for m in _DMS.finditer(text) if m.group(1)]
        if len(parts) != 2:
            raise InputError(key="err.canal.not_dms", text=text)
        values, letters = [], []
        for match in parts:
            deg, minutes, seconds, letter = match.groups()
            value = sum(float((v or "0").replace(",", ".")) / f for v, f in ((deg, 1), (minutes, 60), (seconds, 3600)))
            letter = (letter or "").upper()
            if letter in ("S", "W", "Ю", "З"):
                value = -value
            values.append(value)
            letters.append(letter)
        if letters[0] in _LON_LETTERS or letters[1] in _LAT_LETTERS:
            return values[0], values[1]
        if letters[0] in _LAT_LETTERS or letters[1] in _LON_LETTERS:
            return values[1], values[0]
        return _order(*values)
    numbers = re.findall(_NUMBER, text.replace(", ", " ").replace(";", " "))
    if len(numbers) != 2:
        raise InputError(key="err.canal.not_two_numbers", text=text)
    return _order(*(float(n.replace(",", ".")) for n in numbers))


_LAT_LETTERS, _LON_LETTERS = ("N", "S", "С", "Ю"), ("E", "W", "В", "З")


def _order(a: float, b: float) -> tuple[float, float]:
    """``(lon, lat)`` from two numbers: latitude first when the ranges say so, else longitude first."""
    if 36 <= a <= 46 and 66 <= b <= 84:
        return b, a
    return a, b


# -- helpers ------------------------------------------------------------------------
def _check_user(user: str) -> str:
    if not isinstance(user, str) or not user.strip():
        raise InputError(key="err.canal.sign_in")
    return user.strip()


def _text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    value = str(value).strip()
    return value or None


#: What a flow field is called in messages (``err.canal.what.<name>``).
_FLOW_NAMES = ("allowed_flow", "flow", "lowest_flow", "highest_flow")


def _lps(number: float) -> Number:
    """A flow (l/s) for a message, with as many decimals as it has (``12.5``, ``12,5``)."""
    text = f"{number:g}"
    return Number(number, len(text.split(".")[1]) if "." in text and "e" not in text else 0)


def _flow(value, what: str) -> float | None:
    """``value`` as litres per second; ``what`` is one of :data:`_FLOW_NAMES`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise InputError(key="err.canal.flow_not_number", what=Phrase(f"err.canal.what.{what}"),
                         value=repr(value)) from None
    if math.isnan(number):
        return None
    if not math.isfinite(number) or number < 0:
        raise InputError(key="err.canal.flow_negative", what=Phrase(f"err.canal.what.{what}"), value=repr(value))
    return number


def _country_code(value) -> str | None:
    code = _text(value)
    if code is None:
        return None
    code = code.upper()
    if code not in canals.COUNTRY_NAMES:
        raise InputError(key="err.canal.country_code", codes=", ".join(canals.COUNTRY_NAMES), value=str(value))
    return code


def _require_canal(tx: Transaction, canal_id: str) -> pd.Series:
    rows = tx.read(schema.CANALS.name)
    match = rows[rows["canal_id"] == canal_id]
    if match.empty:
        raise InputError(key="err.canal.no_canal", canal_id=str(canal_id))
    return match.iloc[0]


def _country_frame(tx: Transaction) -> gpd.GeoDataFrame | None:
    frame = tx.read(schema.COUNTRY.name)
    return frame if len(frame) else None


def _new_id(canal_id: str, kind: str) -> str:
    return f"{canal_id}:{kind}:{uuid.uuid4().hex[:10]}"


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def _stamp_note(old, text: str | None, what: str) -> str | None:
    """Append ``<date> <what>: <text>`` to an existing note, keeping what was there."""
    entry = f"{_today()} {what}" + (f": {text}" if text else "")
    old = _text(old)
    return f"{old}\n{entry}" if old else entry


def check_transition(old_status: str, new_status: str) -> None:
    """Refuse a status change that :data:`geo.canals.ALLOWED_TRANSITIONS` does not allow."""
    if new_status not in canals.OUTLET_STATUSES:
        raise InputError(key="err.canal.unknown_status", status=str(new_status),
                         statuses=", ".join(canals.OUTLET_STATUSES))
    if old_status == new_status:
        raise InputError(key="err.canal.same_status", status=_status(old_status))
    allowed = canals.ALLOWED_TRANSITIONS.get(old_status, ())
    if new_status not in allowed:
        if old_status in _FINAL:
            reason = Phrase("err.canal.transition.final", status=_status(old_status))
        elif old_status == "found" and new_status == "closed":
            reason = Phrase("err.canal.transition.unauthorised_first", status=_status("unauthorised"))
        else:
            reason = Phrase("err.canal.transition.only", status=_status(old_status),
                            allowed=Join([Phrase("err.canal.quoted", status=_status(s)) for s in allowed],
                                         Phrase("err.canal.or")))
        raise InputError(key="err.canal.transition", old=_status(old_status), new=_status(new_status), reason=reason)


def _status(status: str) -> Phrase | str:
    """An outlet status named in the message's language (``canals.status.<status>``)."""
    return Phrase(f"canals.status.{status}") if status in canals.OUTLET_STATUSES else str(status)


# -- outlets ------------------------------------------------------------------------
def record_outlet(store: Store, user: str, canal_id: str, lon: float, lat: float, *,
                  status: str = "found", village: str | None = None, country: str | None = None,
                  allowed_flow_lps: float | None = None, note: str | None = None,
                  source_ref: str | None = None) -> str:
    """Record one outlet at a clicked or typed position; returns its ``outlet_id``.

    ``status`` is ``found`` or ``unauthorised``; it becomes ``agreed`` or ``closed``
    only through :func:`agree_outlet` / :func:`close_outlet`. ``count`` is 1 and
    ``location_precision`` 1 (exact position). ``country`` is an ISO code (KG, TJ)
    or empty when not known.
    """
    user = _check_user(user)
    if status not in canals.INITIAL_STATUSES:
        raise InputError(key="err.canal.initial_status", status=_status(status),
                         statuses=Join([_status(s) for s in canals.INITIAL_STATUSES], Phrase("err.canal.or")))
    flow = _flow(allowed_flow_lps, "allowed_flow")
    code = _country_code(country)
    with store.transaction(user) as tx:
        _require_canal(tx, canal_id)
        point = check_position(lon, lat, _country_frame(tx))
        outlet_id = _new_id(canal_id, "outlet")
        row = pd.DataFrame([{
            "outlet_id": outlet_id, "canal_id": canal_id, "status": status, "village": _text(village),
            "country": code, "allowed_flow_lps": flow, "count": 1, "location_precision": 1,
            "note": _stamp_note(None, _text(note), f"recorded as {status} by {user}"),
            "source_ref": _text(source_ref),
        }])
        tx.append(schema.CANAL_OUTLETS.name, gpd.GeoDataFrame(row, geometry=[point], crs=STORAGE_CRS))
    return outlet_id


def change_outlet_status(store: Store, user: str, outlet_id: str, new_status: str, expected_version: int, *,
                         note: str | None = None, allowed_flow_lps: float | None = None,
                         agreement_id: str | None = None) -> pd.Series:
    """Change an outlet's status; returns the stored row.

    ``expected_version`` is the version the editor saw; if someone saved the outlet
    since, :class:`~geo.errors.StaleVersionError` is raised and their change is kept.
    Allowed: found → unauthorised → closed, found → agreed, unauthorised → agreed.
    For ``agreed``, ``agreement_id`` (optional) must name a stored agreement of the
    same canal; the link is written to ``outlet_allocations`` in the same transaction.
    """
    user = _check_user(user)
    flow = _flow(allowed_flow_lps, "allowed_flow")
    if (flow is not None or agreement_id) and new_status != "agreed":
        raise InputError(key="err.canal.flow_only_when_agreed")
    name = schema.CANAL_OUTLETS.name
    with store.transaction(user) as tx:
        outlets = tx.read(name)
        match = outlets[outlets["outlet_id"] == outlet_id]
        if match.empty:
            raise InputError(key="err.canal.no_outlet", outlet_id=str(outlet_id))
        row = match.iloc[0].copy()
        if expected_version is None or pd.isna(expected_version) or int(expected_version) != int(row["version"]):
            raise StaleVersionError(key="err.canal.stale", outlet_id=str(outlet_id), user=str(row["updated_by"]),
                                    when=str(row["updated_at"]), version=str(row["version"]),
                                    expected=str(expected_version))
        check_transition(str(row["status"]), new_status)
        agreement_id = _text(agreement_id)
        if agreement_id:
            agreements = tx.read(canals.CANAL_AGREEMENTS.name)
            known = agreements[(agreements["agreement_id"] == agreement_id) & (agreements["canal_id"] == row["canal_id"])]
            if known.empty:
                raise InputError(key="err.canal.no_agreement", agreement_id=agreement_id, canal_id=str(row["canal_id"]))
        row["status"] = new_status
        if flow is not None:
            row["allowed_flow_lps"] = flow
        what = f"{new_status} by {user}" + (f" under agreement {agreement_id}" if agreement_id else "")
        row["note"] = _stamp_note(row["note"], _text(note), what)
        tx.update(name, gpd.GeoDataFrame([row], geometry="geometry", crs=STORAGE_CRS))
        if agreement_id or flow is not None:
            tx.append(canals.OUTLET_ALLOCATIONS.name, pd.DataFrame([{
                "allocation_id": _new_id(str(row["canal_id"]), "allocation"), "canal_id": row["canal_id"],
                "agreement_id": agreement_id, "outlet_id": outlet_id, "village": row["village"],
                "country": row["country"], "count": row["count"], "count_unit": "outlets",
                "flow_lps": flow, "note": _text(note), "source_ref": None,
            }]))
        stored = tx.read(name)
    return stored[stored["outlet_id"] == outlet_id].iloc[0]


def mark_unauthorised(store: Store, user: str, outlet_id: str, expected_version: int, *,
                      note: str | None = None) -> pd.Series:
    """Mark a found outlet as an unauthorised (illegal) cutting."""
    return change_outlet_status(store, user, outlet_id, "unauthorised", expected_version, note=note)


def close_outlet(store: Store, user: str, outlet_id: str, expected_version: int, *,
                 note: str | None = None) -> pd.Series:
    """Record that an unauthorised cutting was closed."""
    return change_outlet_status(store, user, outlet_id, "closed", expected_version, note=note)


def agree_outlet(store: Store, user: str, outlet_id: str, expected_version: int, *,
                 agreement_id: str | None = None, allowed_flow_lps: float | None = None,
                 note: str | None = None) -> pd.Series:
    """Record that an outlet was agreed, optionally under an agreement and with an allowed flow (l/s)."""
    return change_outlet_status(store, user, outlet_id, "agreed", expected_version, note=note,
                                allowed_flow_lps=allowed_flow_lps, agreement_id=agreement_id)


# -- agreements and measurements ----------------------------------------------------
_DATE_FORMATS = (("%Y-%m-%d", "day"), ("%Y-%m", "month"), ("%Y", "year"))


def parse_date(value) -> tuple[str, str]:
    """An ISO date (``2002-10-08``, ``2002-10`` or ``2002``) and its precision; not in the future."""
    if isinstance(value, (datetime, _date)):
        value = value.isoformat()[:10]
    text = _text(value)
    if text is None:
        raise InputError(key="err.canal.date_missing")
    for fmt, precision in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if parsed > datetime.now(timezone.utc).date():
            raise InputError(key="err.canal.date_future", date=text)
        if parsed.year < 1900:
            raise InputError(key="err.canal.date_before_1900", date=text)
        return text, precision
    raise InputError(key="err.canal.not_a_date", text=text)


def record_agreement(store: Store, user: str, canal_id: str, date, parties, terms: str, *,
                     kind: str = "agreement", note: str | None = None, source_ref: str | None = None) -> str:
    """Record an agreement on a canal; returns its ``agreement_id``.

    ``parties`` is a list of names or one text with names separated by ``|``.
    """
    user = _check_user(user)
    date_text, precision = parse_date(date)
    if isinstance(parties, (list, tuple)):
        parties = "|".join(p.strip() for p in parties if _text(p))
    if not _text(parties) or not _text(terms):
        raise InputError(key="err.canal.agreement_incomplete")
    with store.transaction(user) as tx:
        _require_canal(tx, canal_id)
        agreement_id = _new_id(canal_id, "agreement")
        tx.append(canals.CANAL_AGREEMENTS.name, pd.DataFrame([{
            "agreement_id": agreement_id, "canal_id": canal_id, "kind": _text(kind), "date": date_text,
            "date_precision": precision, "parties": _text(parties), "terms": _text(terms),
            "note": _text(note), "source_ref": _text(source_ref),
        }]))
    return agreement_id


def record_measurement(store: Store, user: str, canal_id: str, *, date, flow_lps=None,
                       flow_lps_min=None, flow_lps_max=None, lon: float | None = None, lat: float | None = None,
                       place: str | None = None, village: str | None = None, country: str | None = None,
                       canal_position: str | None = None, season: str | None = None,
                       note: str | None = None, source_ref: str | None = None) -> str:
    """Record a flow measurement in l/s; returns its ``measurement_id``.

    Give a single reading (``flow_lps``) or a range (``flow_lps_min`` and
    ``flow_lps_max``); a single reading is also stored as a range of one value, a
    range keeps ``flow_lps`` empty. The position (``lon``/``lat``) is optional; when
    given it must lie in the canal region.
    """
    user = _check_user(user)
    flow = _flow(flow_lps, "flow")
    low, high = _flow(flow_lps_min, "lowest_flow"), _flow(flow_lps_max, "highest_flow")
    if flow is None and low is None and high is None:
        raise InputError(key="err.canal.flow_missing")
    if flow is None and (low is None or high is None):
        raise InputError(key="err.canal.range_incomplete")
    if flow is not None:
        low = flow if low is None else low
        high = flow if high is None else high
        if not low <= flow <= high:
            raise InputError(key="err.canal.flow_outside_range", flow=_lps(flow), low=_lps(low), high=_lps(high))
    if low > high:
        raise InputError(key="err.canal.low_above_high", low=_lps(low), high=_lps(high))
    if canal_position is not None and canal_position not in canals.CANAL_POSITIONS:
        raise InputError(key="err.canal.position_one_of", positions=", ".join(canals.CANAL_POSITIONS))
    date_text, precision = parse_date(date)
    code = _country_code(country)
    if (lon is None) != (lat is None):
        raise InputError(key="err.canal.need_both_coords")
    with store.transaction(user) as tx:
        _require_canal(tx, canal_id)
        point = None if lon is None else check_position(lon, lat, _country_frame(tx))
        measurement_id = _new_id(canal_id, "measurement")
        row = pd.DataFrame([{
            "measurement_id": measurement_id, "canal_id": canal_id, "place": _text(place),
            "village": _text(village), "country": code, "canal_position": canal_position,
            "date": date_text, "date_precision": precision, "season": _text(season),
            "flow_lps": flow, "flow_lps_min": low, "flow_lps_max": high,
            "location_precision": 1 if point is not None else pd.NA,
            "note": _text(note), "source_ref": _text(source_ref),
        }])
        tx.append(canals.FLOW_MEASUREMENTS.name, gpd.GeoDataFrame(row, geometry=[point], crs=STORAGE_CRS))
    return measurement_id


__all__ = [
    "BORDER_MARGIN_KM", "ISFARA_AREA_BOUNDS", "agree_outlet", "change_outlet_status", "check_position",
    "check_transition", "close_outlet", "in_canal_region", "mark_unauthorised", "parse_coordinates",
    "parse_date", "record_agreement", "record_measurement", "record_outlet",
]
