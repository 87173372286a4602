#!/usr/bin/env bash
# The front door on a machine that has only Python: installs the pinned uv into .tools/,
# creates .venv from uv.lock, then runs the command.
#   ./dev.sh run [--start D] [--end D]   fetch, build, check, publish
#   ./dev.sh test [pytest args]          the test suite
#   ./dev.sh bench                       full-rebuild and one-day timings vs a naive baseline
#   ./dev.sh faults [--kills 50]         SIGKILL runs at seeded points, disk full, read-only home…
#   ./dev.sh ui                          the Dagster UI on FRONTLINE_HOME
#   ./dev.sh frontline ARGS...           any frontline command
set -euo pipefail
cd "$(dirname "$0")"
UV_VERSION=0.13.8
if [ ! -x .tools/bin/uv ]; then
    python3 -m venv .tools
    .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
fi
UV=.tools/bin/uv
export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-1}"  # trust the machine's CA store (as pip does), e.g. behind a TLS proxy
# Bytecode at install: every `frontline` process imports Dagster and GX, which otherwise compile
# their sources on each start where .pyc files are not written (PYTHONDONTWRITEBYTECODE, read-only venv).
export UV_COMPILE_BYTECODE="${UV_COMPILE_BYTECODE:-1}"
"$UV" sync --frozen --quiet
command="${1:-help}"
shift || true
case "$command" in
    run) exec "$UV" run --frozen --no-sync frontline run "$@" ;;
    test) exec "$UV" run --frozen --no-sync pytest "$@" ;;
    bench) exec "$UV" run --frozen --no-sync python -m bench.bench "$@" ;;
    faults) exec "$UV" run --frozen --no-sync python -m bench.faults "$@" ;;
    ui) exec "$UV" run --frozen --no-sync frontline dev "$@" ;;
    lint) "$UV" run --frozen --no-sync ruff check . && exec "$UV" run --frozen --no-sync ruff format --check . ;;
    frontline) exec "$UV" run --frozen --no-sync frontline "$@" ;;
    *) sed -n '2,10p' "$0"; exit 2 ;;
esac
