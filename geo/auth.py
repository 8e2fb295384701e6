"""Users, roles, passwords and sessions; :func:`require` guards every write in ``geo/``.

Roles
-----
``viewer`` (the default)
    reads everything, writes nothing.
``editor``
    adds, edits and deletes projects, funding and beneficiaries, and imports
    projects, but only for rows that lie in one of the oblasts, rayons or aiyl
    okmotus assigned to them (``units``, a list of P-codes). A row is inside an
    assigned unit when its ``oblast_pcode``, ``rayon_pcode`` or ``aiyl_okmot_pcode``
    is one of them; a row with none of these known is outside every editor's area.
``admin``
    everything editors do, everywhere, plus managing users and importing boundaries
    and hazard layers.

Accounts are kept in the store's ``users`` layer (registered here with
:func:`geo.schema.register`) with Argon2id password hashes (argon2-cffi), never the
password. Sessions live in the ``sessions`` layer: the browser keeps a random token,
the store keeps only its SHA-256, the user name and ``expires_at``; an expired or
signed-out token is refused. Changes to users are written to ``audit_log`` without
password hashes.

The app calls :func:`require` (or a function that does) before every write; hiding
a button is never the only check.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo import schema
from geo.errors import PermissionDeniedError, Phrase, SchemaError

ROLES = ("viewer", "editor", "admin")

# Actions checked by require().
READ = "read"
EDIT = "edit"                          # projects, funding, beneficiaries (scoped for editors)
IMPORT_PROJECTS = "import_projects"    # importing project files (scoped for editors)
IMPORT_BOUNDARIES = "import_boundaries"
IMPORT_HAZARDS = "import_hazards"
MANAGE_USERS = "manage_users"
ACTIONS = (READ, EDIT, IMPORT_PROJECTS, IMPORT_BOUNDARIES, IMPORT_HAZARDS, MANAGE_USERS)

_ALLOWED = {
    "viewer": {READ},
    "editor": {READ, EDIT, IMPORT_PROJECTS},
    "admin": set(ACTIONS),
}
_SCOPED = {EDIT, IMPORT_PROJECTS}

#: How long a session lasts without signing in again.
SESSION_HOURS = 12.0
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")

USERS = schema.register(schema.Layer(
    "users",
    key="username",
    columns={
        "username": "str", "display_name": "str", "role": "str", "units": "str", "password_hash": "str",
        "active": "int", "created_at": "str", "updated_at": "str", "updated_by": "str",
    },
    geometry=None,
))

SESSIONS = schema.register(schema.Layer(
    "sessions",
    key="token_sha256",
    columns={"token_sha256": "str", "username": "str", "created_at": "str", "expires_at": "str"},
    geometry=None,
))

#: Layers that must never be exported or shown (password hashes, session token hashes).
PRIVATE_LAYERS = (USERS.name, SESSIONS.name)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password, used to even out timing")


@dataclass(frozen=True)
class User:
    """The person acting: their name, role and (for editors) assigned unit P-codes."""

    username: str
    role: str = "viewer"
    units: frozenset[str] = field(default_factory=frozenset)
    display_name: str = ""

    @property
    def label(self) -> str:
        return self.display_name or self.username


ANONYMOUS = User("anonymous", "viewer")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# -- permissions --------------------------------------------------------------------------

def _row_units(entry) -> set[str]:
    if entry is None:
        return set()
    if isinstance(entry, str):
        return {entry} if entry.strip() else set()
    return {str(p) for p in entry if p is not None and not (isinstance(p, float) and pd.isna(p)) and str(p).strip()
            and p is not pd.NA}


def can(user: User | None, action: str, unit_pcodes: Iterable | None = None) -> bool:
    """Whether ``user`` may do ``action`` to rows with these units (see :func:`require`)."""
    try:
        require(user, action, unit_pcodes)
    except PermissionDeniedError:
        return False
    return True


def require(user: User | None, action: str, unit_pcodes: Iterable | None = None) -> None:
    """Raise :class:`~geo.errors.PermissionDeniedError` unless ``user`` may do ``action``.

    ``unit_pcodes`` describes the rows touched, one entry per row: the row's
    (oblast, rayon, aiyl okmot) P-codes as a tuple (None for unknown ones), or a
    single P-code string. For an editor every row must have one of its P-codes in
    the editor's ``units``; admins may touch any row; viewers none.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None:
        user = ANONYMOUS
    if user.role not in ROLES:
        raise PermissionDeniedError(key="err.auth.unknown_role", user=user.label, role=user.role)
    if action not in _ALLOWED[user.role]:
        raise PermissionDeniedError(key="err.auth.needs_admin" if action not in _ALLOWED["editor"] else "err.auth.needs_editor",
                                    user=user.label, role=Phrase(f"role.{user.role}"),
                                    action=Phrase(f"err.auth.action.{action}"))
    if user.role == "admin" or action not in _SCOPED or unit_pcodes is None:
        return
    if isinstance(unit_pcodes, str):
        unit_pcodes = [unit_pcodes]
    outside = []
    for entry in unit_pcodes:
        codes = _row_units(entry)
        if not codes & set(user.units):
            outside.append(codes)
    if outside:
        first = sorted(outside[0]) if outside[0] else []
        where = ", ".join(first) if first else Phrase("err.auth.no_unit")
        assigned = ", ".join(sorted(user.units)) or Phrase("err.auth.none")
        raise PermissionDeniedError(key="err.auth.outside_units", user=user.label, action=Phrase(f"err.auth.action.{action}"),
                                    assigned=assigned, count=len(outside), where=where)


def row_units(frame: pd.DataFrame) -> list[tuple]:
    """(oblast, rayon, aiyl okmot) P-codes of each row of a projects-like frame, for :func:`require`."""
    cols = ("oblast_pcode", "rayon_pcode", "aiyl_okmot_pcode")
    out = []
    for _, row in frame.iterrows():
        out.append(tuple(None if (c not in row.index or pd.isna(row[c])) else str(row[c]) for c in cols))
    return out


# -- accounts --------------------------------------------------------------------------------

def _users(store) -> pd.DataFrame:
    return store.read(USERS.name)


def _active(row) -> bool:
    """Whether an account may sign in (``active`` is 1; stored as an integer, as every back end keeps those)."""
    return not pd.isna(row["active"]) and int(row["active"]) == 1


def _user_from_row(row) -> User:
    units = frozenset(u.strip() for u in str(row["units"] or "").split(";") if u.strip()) if not pd.isna(row["units"]) else frozenset()
    return User(str(row["username"]), str(row["role"]), units,
                "" if pd.isna(row["display_name"]) else str(row["display_name"]))


def _check_username(username: str) -> str:
    name = str(username).strip().lower()
    if not _USERNAME.fullmatch(name):
        raise SchemaError(key="err.auth.bad_username", username=str(username))
    return name


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise SchemaError(key="err.auth.short_password", count=MIN_PASSWORD_LENGTH)


def _check_role(role: str, units: Iterable[str]) -> tuple[str, str]:
    if role not in ROLES:
        raise SchemaError(key="err.auth.bad_role", role=str(role), roles=", ".join(ROLES))
    codes = sorted({str(u).strip() for u in units or () if str(u).strip()})
    if role == "editor" and not codes:
        raise SchemaError(key="err.auth.editor_needs_units")
    bad = [c for c in codes if ";" in c]
    if bad:
        raise SchemaError(key="err.auth.semicolon", codes=str(bad))
    return role, ";".join(codes)


def _audit_row(actor: str, action: str, key: str, old: dict | None, new: dict | None) -> dict:
    strip = lambda d: None if d is None else {k: v for k, v in d.items() if k != "password_hash"}  # noqa: E731
    return {
        "audit_id": uuid.uuid4().hex, "at": _iso(_now()), "user": actor, "action": action, "layer": USERS.name,
        "row_key": key, "old_values": "" if old is None else json.dumps(strip(old), ensure_ascii=False, default=str),
        "new_values": "" if new is None else json.dumps(strip(new), ensure_ascii=False, default=str),
    }


def _plain_row(row: pd.Series) -> dict:
    return {k: (None if pd.isna(v) else (int(v) if hasattr(v, "item") and not isinstance(v, str) else v))
            for k, v in row.items()}


def _write_users(store, actor: str, frame: pd.DataFrame, audit: list[dict]) -> None:
    with store.transaction(actor) as tx:
        tx.replace(USERS.name, frame)
        tx.append(schema.AUDIT_LOG.name, pd.DataFrame(audit))
        # tx.replace logs "replace users *"; keep only our own rows (without hashes) for users.
        tx._audit = [a for a in getattr(tx, "_audit", []) if a.get("layer") != USERS.name]


def bootstrap_admin(store, username: str, password: str, display_name: str = "") -> User:
    """Create the first admin account; refused once any account exists."""
    if len(_users(store)):
        raise PermissionDeniedError(key="err.auth.accounts_exist")
    return _create(store, "setup", username, password, "admin", (), display_name)


def create_user(store, actor: User, username: str, password: str, role: str = "viewer",
                units: Iterable[str] = (), display_name: str = "") -> User:
    """Add an account (admins only). New accounts are viewers unless a role is given."""
    require(actor, MANAGE_USERS)
    return _create(store, actor.username, username, password, role, units, display_name)


def _create(store, actor_name: str, username: str, password: str, role: str, units, display_name: str) -> User:
    name = _check_username(username)
    _check_password(password)
    role, unit_text = _check_role(role, units)
    users = _users(store)
    if name in set(users["username"].dropna()):
        raise SchemaError(key="err.auth.account_exists", username=name)
    now = _iso(_now())
    row = {"username": name, "display_name": display_name or None, "role": role, "units": unit_text or None,
           "password_hash": _hasher.hash(password), "active": 1, "created_at": now, "updated_at": now,
           "updated_by": actor_name}
    frame = pd.concat([users, pd.DataFrame([row])], ignore_index=True) if len(users) else pd.DataFrame([row])
    _write_users(store, actor_name, frame, [_audit_row(actor_name, "insert", name, None, row)])
    return User(name, role, frozenset(unit_text.split(";")) if unit_text else frozenset(), display_name)


def _change(store, actor_name: str, username: str, changes: dict, action: str = "update") -> None:
    users = _users(store)
    name = str(username).strip().lower()
    mask = users["username"] == name
    if not mask.any():
        raise SchemaError(key="err.auth.no_account", username=str(username))
    position = int(mask.to_numpy().nonzero()[0][0])
    old = _plain_row(users.iloc[position])
    for col, value in {**changes, "updated_at": _iso(_now()), "updated_by": actor_name}.items():
        users.at[users.index[position], col] = value
    new = _plain_row(users.iloc[position])
    _write_users(store, actor_name, users, [_audit_row(actor_name, action, name, old, new)])


def set_role(store, actor: User, username: str, role: str, units: Iterable[str] = ()) -> None:
    """Change an account's role and assigned units (admins only). An admin cannot demote themself."""
    require(actor, MANAGE_USERS)
    role, unit_text = _check_role(role, units)
    if str(username).strip().lower() == actor.username and role != "admin":
        raise PermissionDeniedError(key="err.auth.own_admin_role")
    _change(store, actor.username, username, {"role": role, "units": unit_text or None})


def set_password(store, actor: User, username: str, new_password: str, old_password: str | None = None) -> None:
    """Change a password: one's own (with the old password) or anyone's (admins)."""
    name = str(username).strip().lower()
    if actor.username == name and actor.role != "admin":
        authenticate(store, name, old_password or "")
    elif actor.username != name:
        require(actor, MANAGE_USERS)
    _check_password(new_password)
    _change(store, actor.username, name, {"password_hash": _hasher.hash(new_password)}, action="password")
    _end_sessions(store, name)


def deactivate_user(store, actor: User, username: str) -> None:
    """Block an account from signing in (admins only); its sessions end."""
    require(actor, MANAGE_USERS)
    if str(username).strip().lower() == actor.username:
        raise PermissionDeniedError(key="err.auth.own_deactivate")
    _change(store, actor.username, username, {"active": 0})
    _end_sessions(store, str(username).strip().lower())


def list_users(store) -> pd.DataFrame:
    """Accounts without password hashes (for the users page)."""
    return _users(store).drop(columns=["password_hash"])


def get_user(store, username: str) -> User:
    """The active account ``username`` or :class:`PermissionDeniedError`."""
    users = _users(store)
    name = str(username).strip().lower()
    match = users[users["username"] == name]
    if match.empty or not _active(match.iloc[0]):
        raise PermissionDeniedError(key="err.auth.no_active_account", username=str(username))
    return _user_from_row(match.iloc[0])


def as_user(store, user: User | str | None) -> User:
    """A :class:`User` as given, or looked up by name (None is the anonymous viewer)."""
    if user is None:
        return ANONYMOUS
    if isinstance(user, User):
        return user
    return get_user(store, user)


def authenticate(store, username: str, password: str) -> User:
    """The account if the password is right; otherwise one message for every failure."""
    users = _users(store)
    name = str(username or "").strip().lower()
    match = users[users["username"] == name] if len(users) else users
    failure = PermissionDeniedError(key="err.auth.wrong_password")
    if match.empty:
        try:
            _hasher.verify(_DUMMY_HASH, password or "x")
        except VerificationError:
            pass
        raise failure
    row = match.iloc[0]
    try:
        _hasher.verify(str(row["password_hash"]), password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise failure from None
    if not _active(row):
        raise PermissionDeniedError(key="err.auth.deactivated", username=name)
    return _user_from_row(row)


# -- sessions --------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(str(token).encode()).hexdigest()


def sign_in(store, username: str, password: str, hours: float = SESSION_HOURS) -> tuple[str, User]:
    """Check the password and open a session; returns (token for the browser, user)."""
    user = authenticate(store, username, password)
    token = secrets.token_urlsafe(32)
    now = _now()
    sessions = store.read(SESSIONS.name)
    live = sessions[pd.to_datetime(sessions["expires_at"], utc=True, errors="coerce") > pd.Timestamp(now)] if len(sessions) else sessions
    row = {"token_sha256": _token_hash(token), "username": user.username, "created_at": _iso(now),
           "expires_at": _iso(now + timedelta(hours=hours))}
    frame = pd.concat([live, pd.DataFrame([row])], ignore_index=True) if len(live) else pd.DataFrame([row])
    _write_sessions(store, user.username, frame, "sign_in")
    return token, user


def session_user(store, token: str | None, now: datetime | None = None) -> User:
    """The user of a live session, or :class:`PermissionDeniedError` (expired, signed out, unknown)."""
    if not token:
        raise PermissionDeniedError(key="err.auth.not_signed_in")
    sessions = store.read(SESSIONS.name)
    match = sessions[sessions["token_sha256"] == _token_hash(token)] if len(sessions) else sessions
    if match.empty:
        raise PermissionDeniedError(key="err.auth.session_unknown")
    row = match.iloc[0]
    expires = pd.to_datetime(row["expires_at"], utc=True, errors="coerce")
    moment = pd.Timestamp(now or _now())
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    if pd.isna(expires) or expires <= moment:
        raise PermissionDeniedError(key="err.auth.session_expired")
    return get_user(store, str(row["username"]))


def sign_out(store, token: str) -> None:
    """End a session."""
    sessions = store.read(SESSIONS.name)
    if len(sessions):
        keep = sessions[sessions["token_sha256"] != _token_hash(token)]
        if len(keep) != len(sessions):
            username = str(sessions.loc[sessions["token_sha256"] == _token_hash(token), "username"].iloc[0])
            _write_sessions(store, username, keep, "sign_out")


def _end_sessions(store, username: str) -> None:
    sessions = store.read(SESSIONS.name)
    if len(sessions) and (sessions["username"] == username).any():
        _write_sessions(store, username, sessions[sessions["username"] != username], "end_sessions")


def _write_sessions(store, username: str, frame: pd.DataFrame, action: str) -> None:
    """Replace the sessions layer; the audit log gets one line naming the user (never a token)."""
    row = {"audit_id": uuid.uuid4().hex, "at": _iso(_now()), "user": username, "action": action,
           "layer": SESSIONS.name, "row_key": username, "old_values": "", "new_values": ""}
    with store.transaction(username) as tx:
        tx.replace(SESSIONS.name, frame)
        tx.append(schema.AUDIT_LOG.name, pd.DataFrame([row]))
        tx._audit = [a for a in getattr(tx, "_audit", []) if a.get("layer") != SESSIONS.name]
