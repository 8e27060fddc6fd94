#!/usr/bin/env bash
# Soak benchmark (run by hand): N container lifecycles (create, start, exec, kill, delete), P at a time,
# through runc-guard, then the leftover checks of tests/soak_lib.bash; prints lifecycles/s and medians.
# Usage: RG_BUILD=build tests/bench/soak.sh [lifecycles (1000)] [parallel (16)]
#        (or RG_SOAK_LIFECYCLES / RG_SOAK_PARALLEL; RG_SOAK_DEADLINE_S bounds the run, default 120 + N s)
set -euo pipefail
RG_BUILD=$(cd "${RG_BUILD:-build}" && pwd)
source "$(dirname "$0")/../lib.sh"
source "$RG_SOURCE/tests/soak_lib.bash"

soak_run "${1:-${RG_SOAK_LIFECYCLES:-1000}}" "${2:-${RG_SOAK_PARALLEL:-16}}"
