"""Roles, accounts, passwords and sessions (TEST-ONLY SYNTHETIC accounts)."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from geo import auth  # noqa: E402
from geo.errors import PermissionDeniedError, SchemaError  # noqa: E402
from geo.store.gpkg import GeoPackageStore  # noqa: E402

ADMIN = auth.User("admin1", "admin")
EDITOR = auth.User("editor1", "editor", frozenset({"KG-A", "KG-B-R1"}))
VIEWER = auth.User("viewer1", "viewer")

ROW_A = ("KG-A", "KG-A-R1", "KG-A-R1-W")
ROW_B_R1 = ("KG-B", "KG-B-R1", None)
ROW_B_R2 = ("KG-B", "KG-B-R2", None)
ROW_B_ONLY = ("KG-B", None, None)
ROW_NOWHERE = (None, None, None)

# (role, action, rows, allowed): each role can do exactly what it may and nothing more.
MATRIX = [
    (VIEWER, auth.READ, None, True),
    (VIEWER, auth.EDIT, [ROW_A], False),
    (VIEWER, auth.EDIT, None, False),
    (VIEWER, auth.IMPORT_PROJECTS, [ROW_A], False),
    (VIEWER, auth.IMPORT_BOUNDARIES, None, False),
    (VIEWER, auth.IMPORT_HAZARDS, None, False),
    (VIEWER, auth.MANAGE_USERS, None, False),
    (EDITOR, auth.READ, None, True),
    (EDITOR, auth.EDIT, [ROW_A], True),
    (EDITOR, auth.EDIT, [ROW_B_R1], True),           # assigned rayon
    (EDITOR, auth.EDIT, [ROW_B_R2], False),          # another rayon of the same oblast
    (EDITOR, auth.EDIT, [ROW_B_ONLY], False),        # known only to the oblast: not inside the rayon
    (EDITOR, auth.EDIT, [ROW_NOWHERE], False),       # placed in no unit
    (EDITOR, auth.EDIT, [ROW_A, ROW_B_R2], False),   # one row outside refuses all
    (EDITOR, auth.EDIT, "KG-A", True),
    (EDITOR, auth.IMPORT_PROJECTS, [ROW_A, ROW_B_R1], True),
    (EDITOR, auth.IMPORT_PROJECTS, [ROW_B_R2], False),
    (EDITOR, auth.IMPORT_BOUNDARIES, None, False),
    (EDITOR, auth.IMPORT_HAZARDS, None, False),
    (EDITOR, auth.MANAGE_USERS, None, False),
    (ADMIN, auth.READ, None, True),
    (ADMIN, auth.EDIT, [ROW_B_R2, ROW_NOWHERE], True),
    (ADMIN, auth.IMPORT_PROJECTS, [ROW_NOWHERE], True),
    (ADMIN, auth.IMPORT_BOUNDARIES, None, True),
    (ADMIN, auth.IMPORT_HAZARDS, None, True),
    (ADMIN, auth.MANAGE_USERS, None, True),
]


@pytest.mark.parametrize("user, action, rows, allowed", MATRIX,
                         ids=[f"{u.role}-{a}-{i}" for i, (u, a, _r, _ok) in enumerate(MATRIX)])
def test_role_matrix(user, action, rows, allowed):
    assert auth.can(user, action, rows) is allowed
    if not allowed:
        with pytest.raises(PermissionDeniedError):
            auth.require(user, action, rows)


def test_messages_say_why():
    with pytest.raises(PermissionDeniedError, match=r"viewer1 \(viewer\) may not import boundaries; this needs an admin"):
        auth.require(VIEWER, auth.IMPORT_BOUNDARIES)
    with pytest.raises(PermissionDeniedError, match=r"assigned units \(KG-A, KG-B-R1\).*KG-B, KG-B-R2"):
        auth.require(EDITOR, auth.EDIT, [ROW_B_R2])
    with pytest.raises(PermissionDeniedError, match="unknown role"):
        auth.require(auth.User("x", "superuser"), auth.READ)
    assert auth.can(None, auth.READ) and not auth.can(None, auth.EDIT)  # nobody signed in: a viewer


@pytest.fixture
def store(tmp_path):
    store = GeoPackageStore(tmp_path / "aimak.gpkg")
    auth.bootstrap_admin(store, "Boss", "correct horse battery", display_name="The Boss")
    return store


def test_bootstrap_only_once(store):
    with pytest.raises(PermissionDeniedError, match="already exist"):
        auth.bootstrap_admin(store, "other", "another long password")
    assert auth.get_user(store, "boss") == auth.User("boss", "admin", frozenset(), "The Boss")


def test_passwords_are_hashed_and_never_logged(store):
    row = store.read("users").iloc[0]
    assert row["password_hash"].startswith("$argon2id$")
    assert "correct horse battery" not in row["password_hash"]
    log = store.read("audit_log")
    assert not log["old_values"].str.contains("argon2").any() and not log["new_values"].str.contains("argon2").any()
    assert not log["new_values"].str.contains("password_hash").any()
    assert "password_hash" not in auth.list_users(store).columns


def test_authenticate(store):
    assert auth.authenticate(store, "BOSS", "correct horse battery").role == "admin"
    with pytest.raises(PermissionDeniedError) as wrong:
        auth.authenticate(store, "boss", "wrong password!")
    with pytest.raises(PermissionDeniedError) as unknown:
        auth.authenticate(store, "nobody", "whatever long")
    assert str(wrong.value) == str(unknown.value) == "Wrong user name or password."


def test_only_admins_manage_users(store):
    boss = auth.get_user(store, "boss")
    ed = auth.create_user(store, boss, "ed", "editor password 1", role="editor", units=["KG-A"])
    assert ed.units == frozenset({"KG-A"})
    view = auth.create_user(store, boss, "vic", "viewer password 1")
    assert view.role == "viewer"  # the default role
    before = store.checksum("users")
    for actor in (ed, view):
        with pytest.raises(PermissionDeniedError, match="manage users"):
            auth.create_user(store, actor, "mallory", "mallory password")
        with pytest.raises(PermissionDeniedError):
            auth.set_role(store, actor, "vic", "admin")
        with pytest.raises(PermissionDeniedError):
            auth.deactivate_user(store, actor, "boss")
    with pytest.raises(PermissionDeniedError):
        auth.set_password(store, ed, "boss", "taken over password")
    assert store.checksum("users") == before


def test_account_rules(store):
    boss = auth.get_user(store, "boss")
    with pytest.raises(SchemaError, match="at least 10 characters"):
        auth.create_user(store, boss, "shorty", "short")
    with pytest.raises(SchemaError, match="not a valid user name"):
        auth.create_user(store, boss, "<script>", "long enough password")
    with pytest.raises(SchemaError, match="needs at least one assigned"):
        auth.create_user(store, boss, "ed", "long enough password", role="editor")
    with pytest.raises(SchemaError, match="Unknown role"):
        auth.create_user(store, boss, "ed", "long enough password", role="owner")
    with pytest.raises(SchemaError, match="already exists"):
        auth.create_user(store, boss, "BOSS", "long enough password")
    with pytest.raises(PermissionDeniedError, match="own admin role"):
        auth.set_role(store, boss, "boss", "viewer")


def test_set_role_and_password(store):
    boss = auth.get_user(store, "boss")
    auth.create_user(store, boss, "ed", "editor password 1", role="viewer")
    auth.set_role(store, boss, "ed", "editor", ["KG-B-R1", "KG-A"])
    ed = auth.get_user(store, "ed")
    assert ed.role == "editor" and ed.units == frozenset({"KG-A", "KG-B-R1"})
    with pytest.raises(PermissionDeniedError, match="Wrong user name or password"):
        auth.set_password(store, ed, "ed", "new editor password", old_password="not the old one")
    auth.set_password(store, ed, "ed", "new editor password", old_password="editor password 1")
    assert auth.authenticate(store, "ed", "new editor password").username == "ed"
    auth.set_password(store, boss, "ed", "reset by the admin")
    assert auth.authenticate(store, "ed", "reset by the admin").username == "ed"
    log = store.read("audit_log")
    assert set(log.loc[log["layer"] == "users", "action"]) >= {"insert", "update", "password"}


def test_sessions_expire_and_end(store):
    token, user = auth.sign_in(store, "boss", "correct horse battery", hours=1)
    assert user.role == "admin"
    assert auth.session_user(store, token) == user
    assert token not in set(store.read("sessions")["token_sha256"])  # only the hash is stored
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    with pytest.raises(PermissionDeniedError, match="expired"):
        auth.session_user(store, token, now=later)
    with pytest.raises(PermissionDeniedError, match="unknown or was signed out"):
        auth.session_user(store, "made-up-token")
    with pytest.raises(PermissionDeniedError, match="Not signed in"):
        auth.session_user(store, None)
    auth.sign_out(store, token)
    with pytest.raises(PermissionDeniedError, match="signed out"):
        auth.session_user(store, token)


def test_deactivated_accounts_cannot_sign_in_and_lose_their_sessions(store):
    boss = auth.get_user(store, "boss")
    auth.create_user(store, boss, "vic", "viewer password 1")
    token, _ = auth.sign_in(store, "vic", "viewer password 1")
    auth.deactivate_user(store, boss, "vic")
    with pytest.raises(PermissionDeniedError):
        auth.session_user(store, token)
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        auth.sign_in(store, "vic", "viewer password 1")
    with pytest.raises(PermissionDeniedError, match="own account"):
        auth.deactivate_user(store, boss, "boss")


def test_password_change_ends_sessions(store):
    token, boss = auth.sign_in(store, "boss", "correct horse battery")
    auth.set_password(store, boss, "boss", "a brand new password")
    with pytest.raises(PermissionDeniedError):
        auth.session_user(store, token)
