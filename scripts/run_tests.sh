#!/usr/bin/env bash
# The whole suite. PostGIS tests run against a local server this script starts.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/start_postgis.sh ] && [ -z "${AIMAK_TEST_DATABASE_URL:-}" ]; then
  export AIMAK_TEST_DATABASE_URL="$(bash scripts/start_postgis.sh)"
fi
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
