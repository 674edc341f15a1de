#!/usr/bin/env bash
# `make test`: lint, then every test. PostgreSQL is started for the tests; with
# KIEMKE_REQUIRE_POSTGRES=1 (CI) a PostgreSQL that cannot start fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if ! ./scripts/start-postgres; then
  if [ "${KIEMKE_REQUIRE_POSTGRES:-0}" = 1 ]; then
    echo "test: PostgreSQL is required but could not be started" >&2
    exit 1
  fi
  echo "test: PostgreSQL unavailable; its tests will be skipped" >&2
fi
echo "==> ruff"
"$BIN/ruff" check --no-cache . || exit 1
echo "==> pytest"
# Tests that build real test hosts share one per session: they run in their own process.
"$BIN/python" -m pytest -n 2 -m "not slow" "$@"
fast=$?
"$BIN/python" -m pytest -m slow "$@"
slow=$?
if [ $slow -eq 5 ]; then slow=0; fi  # no slow tests selected
exit $(( fast != 0 ? fast : slow ))
