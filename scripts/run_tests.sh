#!/usr/bin/env bash
# The whole suite. PostGIS tests run against a local server this script starts.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/start_postgis.sh ] && [ -z "${AIMAK_TEST_DATABASE_URL:-}" ]; then
  # assigned first, so that a server that cannot start stops the run (export would hide the failure
  # and the PostGIS tests would be skipped without anyone noticing)
  url="$(bash scripts/start_postgis.sh)"
  export AIMAK_TEST_DATABASE_URL="$url"
fi
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
