#!/usr/bin/env bash
# Stop the private PostgreSQL server started by scripts/start_postgis.sh.
#
#   bash scripts/stop_postgis.sh          # stop it, keep the data in var/pg
#   bash scripts/stop_postgis.sh --purge  # stop it and delete var/pg (all its databases)
#
# Finds the cluster like start_postgis.sh (AIMAK_PG_DIR, var/pg or its /var/tmp fallback).
# Does nothing when no server runs there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="${AIMAK_PG_DIR:-$ROOT/var/pg}"
if [ -z "${AIMAK_PG_DIR:-}" ] && [ ! -f "$BASE/data/PG_VERSION" ]; then
  # start_postgis.sh falls back to this when the server user cannot reach the project.
  fallback="/var/tmp/aimak-pg-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
  [ -f "$fallback/data/PG_VERSION" ] && BASE="$fallback"
fi
PGDATA="$BASE/data"
PURGE=0
case "${1:-}" in
  "") ;;
  --purge) PURGE=1 ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

log() { echo "stop_postgis: $*" >&2; }

BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ "$(id -u)" -eq 0 ]; then
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
  as_owner() { "$@"; }
fi

if [ ! -f "$PGDATA/PG_VERSION" ]; then
  log "no cluster in $PGDATA"
elif [ -z "$BIN" ] || [ ! -x "$BIN/pg_ctl" ]; then
  log "no PostgreSQL binaries found; nothing to stop"
elif as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  log "stopping the server in $PGDATA"
  as_owner "$BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >&2
else
  log "the server in $PGDATA is not running"
fi

if [ "$PURGE" -eq 1 ] && [ -d "$BASE" ]; then
  log "deleting $BASE"
  rm -rf -- "$BASE"
fi
