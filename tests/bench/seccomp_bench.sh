#!/usr/bin/env bash
# Benchmark of the seccomp engine: cold compile+export and the cached create path, on docker 20.10's default
# profile. Targets (issue 3): cached <= 0.3 ms, cold <= 5 ms (medians). Prints numbers; exits non-zero only
# with --strict when a target is missed.
# Env: RG_BUILD (build dir), RG_SOURCE (source dir). Build first: cmake --build "$RG_BUILD" --target seccomp_bench
set -euo pipefail
RG_BUILD=${RG_BUILD:?set RG_BUILD to the build directory}
RG_SOURCE=${RG_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
bench="$RG_BUILD/seccomp/seccomp_bench"
[[ -x $bench ]] || { echo "missing $bench (cmake --build \"$RG_BUILD\" --target seccomp_bench)" >&2; exit 1; }
profile="$RG_SOURCE/../shared/testdata/docker-20.10/nnp.config.json"
[[ -f $profile ]] || { echo "missing test data $profile" >&2; exit 1; }
out=$("$bench" "$profile" "${ITERATIONS:-50}")
echo "$out"
median() { awk -v k="$1" 'index($0, k) == 1 { for (i = 1; i <= NF; i++) if ($i == "median") print $(i + 1) }' <<<"$out"; }
cold=$(median "cold (compile")
cached=$(median "cached (")
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "met" : "MISSED" }'; }
echo "target cold <= 5 ms: $(verdict "$cold" 5) ($cold ms); target cached <= 0.3 ms: $(verdict "$cached" 0.3) ($cached ms)"
if [[ ${1:-} == --strict ]]; then
  [[ $(verdict "$cold" 5) == met && $(verdict "$cached" 0.3) == met ]]
fi
