#!/usr/bin/env bash
# The whole suite. PostGIS tests run against a local server this script starts (and stops
# again at the end when it was not running before, so that another checkout can use the port).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/start_postgis.sh ] && [ -z "${AIMAK_TEST_DATABASE_URL:-}" ]; then
  port="${AIMAK_PG_PORT:-55432}"
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    trap 'bash scripts/stop_postgis.sh >/dev/null 2>&1 || true' EXIT
  fi
  # assigned first, so that a server that cannot start stops the run (export would hide the failure
  # and the PostGIS tests would be skipped without anyone noticing)
  url="$(bash scripts/start_postgis.sh)"
  export AIMAK_TEST_DATABASE_URL="$url"
fi
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
