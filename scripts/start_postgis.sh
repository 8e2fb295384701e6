#!/usr/bin/env bash
# Start a private PostgreSQL + PostGIS server for tests and small team set-ups.
#
# Installs the Debian packages `postgresql` and `postgis` when missing (as root, or with
# sudo), creates a cluster under var/pg (data in var/pg/data, log in var/pg/postgres.log)
# listening on 127.0.0.1 only, starts it, and creates the database with the postgis
# extension. Idempotent: when the server already runs it only checks the database.
#
# stdout carries exactly one line, the connection URL, e.g.
#   postgresql://postgres@127.0.0.1:55432/aimak_test
# so that `export AIMAK_TEST_DATABASE_URL="$(bash scripts/start_postgis.sh)"` works.
# Everything else goes to stderr.
#
# Environment (all optional):
#   AIMAK_PG_DIR       cluster directory            (default <project>/var/pg; when the
#                      server user cannot reach it, /var/tmp/aimak-pg-<hash of project path>)
#   AIMAK_PG_PORT      TCP port on 127.0.0.1        (default 55432)
#   AIMAK_PG_DB        database to create           (default aimak_test)
#   AIMAK_PG_PASSWORD  when set at first start, the cluster is created with password
#                      (scram-sha-256) authentication instead of `trust`, and the URL
#                      printed includes the password. Use this for a team set-up.
# Stop the server with scripts/stop_postgis.sh.
set -euo pipefail

exec 3>&1 1>&2   # keep stdout for the URL only

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="${AIMAK_PG_DIR:-$ROOT/var/pg}"
PORT="${AIMAK_PG_PORT:-55432}"
DB="${AIMAK_PG_DB:-aimak_test}"
PASSWORD="${AIMAK_PG_PASSWORD:-}"
HOST=127.0.0.1
PGDATA="$BASE/data"
LOG="$BASE/postgres.log"

log() { echo "start_postgis: $*" >&2; }
# Used when the server user cannot reach <project>/var/pg; stop_postgis.sh looks there too.
fallback_base() { echo "/var/tmp/aimak-pg-$(printf '%s' "$1" | sha1sum | cut -c1-12)"; }
die() { log "error: $*"; exit 1; }

[[ "$DB" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "AIMAK_PG_DB must be a plain lower-case name, got '$DB'"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "AIMAK_PG_PORT must be a number, got '$PORT'"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

pg_bindir() {
  # Highest installed PostgreSQL major version that has its server binaries.
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

have_postgis() {
  local bindir="$1" version
  version="$(basename "$(dirname "$bindir")")"
  [ -f "/usr/share/postgresql/$version/extension/postgis.control" ]
}

# --- 1. Debian packages -------------------------------------------------------------
BIN="$(pg_bindir || true)"
if [ -z "$BIN" ] || ! have_postgis "$BIN"; then
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL/PostGIS are missing and apt-get is not available; install PostgreSQL with PostGIS by hand."
  if [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1; then
    die "PostgreSQL/PostGIS are missing; run this script as root or install sudo."
  fi
  log "installing Debian packages postgresql postgis (this takes a minute)"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql postgis >&2
  BIN="$(pg_bindir || true)"
  [ -n "$BIN" ] || die "apt-get finished but no PostgreSQL server binaries were found under /usr/lib/postgresql/*/bin"
  have_postgis "$BIN" || die "apt-get finished but the postgis extension for $(basename "$(dirname "$BIN")") is missing"
fi
log "using PostgreSQL binaries in $BIN"

# --- 2. Who runs the server ---------------------------------------------------------
# initdb and postgres refuse to run as root: as root the cluster belongs to `postgres`.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (it comes with the Debian postgresql package)"
  OWNER=postgres
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
  OWNER="$(id -un)"
  as_owner() { "$@"; }
fi

prepare_base() {
  mkdir -p "$BASE"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$OWNER" "$BASE"
    chmod 0750 "$BASE"
  fi
  # The server user must be able to reach the directory through its parents.
  as_owner test -x "$BASE" -a -w "$BASE"
}
if ! prepare_base; then
  if [ -n "${AIMAK_PG_DIR:-}" ]; then
    die "user $OWNER cannot use $BASE (a parent directory is not searchable); choose another AIMAK_PG_DIR"
  fi
  # e.g. a checkout under /root (mode 700): keep the cluster outside the project instead.
  rmdir "$BASE" 2>/dev/null || true
  BASE="$(fallback_base "$ROOT")"
  log "user $OWNER cannot reach $ROOT/var/pg; using $BASE instead"
  prepare_base || die "user $OWNER cannot use $BASE either; set AIMAK_PG_DIR"
  PGDATA="$BASE/data"
  LOG="$BASE/postgres.log"
fi

# One start at a time (two test runs started together).
exec 9>"$BASE/.start.lock"
flock 9

PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U postgres)
if [ -n "$PASSWORD" ]; then
  export PGPASSWORD="$PASSWORD"
fi
export PGCONNECT_TIMEOUT=5

# The server must not inherit our open files: above all not stdout (fd 3), or a caller's
# `$(bash scripts/start_postgis.sh)` would wait for the server to exit, nor the lock (fd 9).
start_server() (
  for fd in $(ls "/proc/$BASHPID/fd" 2>/dev/null); do
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  as_owner "$BIN/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 -o "-p $PORT" start >&2 </dev/null
)

is_running() { as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
is_ready() { "$BIN/pg_isready" -q -h "$HOST" -p "$PORT" -t 3 >/dev/null 2>&1; }

# --- 3. Cluster ---------------------------------------------------------------------
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  log "creating a cluster in $PGDATA (owner $OWNER)"
  as_owner mkdir -p "$PGDATA"
  as_owner chmod 0700 "$PGDATA"
  init_args=(-D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 --no-instructions)
  if [ -n "$PASSWORD" ]; then
    pwfile="$BASE/.pwfile"
    ( umask 077; printf '%s\n' "$PASSWORD" >"$pwfile" )
    [ "$(id -u)" -eq 0 ] && chown "$OWNER" "$pwfile"
    init_args+=(--auth=scram-sha-256 --pwfile="$pwfile")
  else
    init_args+=(--auth=trust)
  fi
  if ! as_owner "$BIN/initdb" "${init_args[@]}" >&2; then
    rm -f "${pwfile:-/nonexistent}"
    die "initdb failed (see above)"
  fi
  rm -f "${pwfile:-/nonexistent}"
  as_owner tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF

# --- Aimak Atlas local server (scripts/start_postgis.sh) ---
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = ''
max_connections = 200
shared_buffers = 128MB
dynamic_shared_memory_type = posix
log_min_messages = warning
log_min_error_statement = error
EOF
fi

if is_running && is_ready; then
  log "server already running on $HOST:$PORT (data in $PGDATA)"
else
  if is_running; then
    # A stale postmaster.pid whose PID now belongs to another process (e.g. after a
    # container restart): pg_ctl thinks the server runs but nothing answers.
    pid="$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" != "postgres" ]; then
      log "removing stale $PGDATA/postmaster.pid (PID $pid is not a postgres process)"
      rm -f "$PGDATA/postmaster.pid"
    else
      die "a postgres process (PID $pid) owns $PGDATA but does not answer on $HOST:$PORT; see $LOG"
    fi
  fi
  if is_ready; then
    die "another server already listens on $HOST:$PORT; stop it or set AIMAK_PG_PORT"
  fi
  log "starting the server on $HOST:$PORT (log: $LOG)"
  as_owner touch "$LOG"
  if ! start_server; then
    tail -n 30 "$LOG" >&2 || true
    die "the server did not start (see $LOG)"
  fi
fi

# --- 4. Database with PostGIS ---------------------------------------------------------
exists="$("${PSQL[@]}" -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" \
  || die "cannot connect to the server on $HOST:$PORT (see $LOG)"
if [ "$exists" != "1" ]; then
  log "creating database $DB"
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE \"$DB\""
fi
"${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis" 2>&1 | grep -v 'already exists, skipping' >&2 || true
version="$("${PSQL[@]}" -d "$DB" -tA -c "SELECT extversion FROM pg_extension WHERE extname = 'postgis'")"
[ -n "$version" ] || die "the postgis extension could not be created in $DB"
log "database $DB ready (PostGIS $version)"

if [ -n "$PASSWORD" ]; then
  enc="$("$ROOT/.venv/bin/python" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PASSWORD" 2>/dev/null \
    || python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PASSWORD")"
  echo "postgresql://postgres:$enc@$HOST:$PORT/$DB" >&3
else
  echo "postgresql://postgres@$HOST:$PORT/$DB" >&3
fi
