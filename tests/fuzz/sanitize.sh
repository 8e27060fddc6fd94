#!/usr/bin/env bash
# The fuzz / sanitizer tier: a separate clang-16 tree with ASan and UBSan on everything (RUNC_GUARD_FUZZ),
# the unit tier run once in it, and each libFuzzer target (tests/fuzz/*_fuzz.cpp) for a bounded time.
#   sanitize.sh build          configure and build the tree (unit_tests and every fuzz target)
#   sanitize.sh unit [ARGS]    run unit_tests under ASan (leaks included) and UBSan; ARGS go to GoogleTest
#   sanitize.sh fuzz TARGET    fuzz TARGET (e.g. gojson) for RG_FUZZ_SECONDS (default 20)
# The tree is RG_SANITIZE_BUILD (default <source>/build-sanitize); each target's corpus is kept there
# between runs (fuzz-corpus/TARGET), and what it finds is written to fuzz-findings/TARGET.
set -euo pipefail
SOURCE=$(cd "$(dirname "$0")/../.." && pwd)
TREE=${RG_SANITIZE_BUILD:-$SOURCE/build-sanitize}
SHARED_TESTDATA="$SOURCE/../shared/testdata"
SEEDS="$SOURCE/tests/fuzz/seeds"

# Leaks are reported too, and every report ends the process (-fno-sanitize-recover=all in the build).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-16/bin/llvm-symbolizer}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

build() {
  command -v clang++-16 >/dev/null || fail "clang++-16 missing: tests/run.sh installs it (clang-16 libfuzzer-16-dev libclang-rt-16-dev llvm-16 ninja-build)"
  # -O1 with line tables: reports name file and line, fuzzing runs at a usable speed, the build stays short;
  # asserts (nlohmann's too) stay on.
  CC=clang-16 CXX=clang++-16 cmake -S "$SOURCE" -B "$TREE" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DRUNC_GUARD_STATIC=OFF -DRUNC_GUARD_TESTS=ON -DRUNC_GUARD_FUZZ=ON
  cmake --build "$TREE" -j"$(nproc)" --target unit_tests fuzz_targets
}

unit() {
  [ -x "$TREE/tests/unit_tests" ] || fail "$TREE/tests/unit_tests not built (sanitize.sh build)"
  "$TREE/tests/unit_tests" --gtest_brief=1 "$@"
}

# seeds TARGET DIR: fills DIR with the starting inputs for TARGET — the committed seeds/TARGET and, copied
# now (never committed), the shared real-world data that fits it.
seeds() {
  local target=$1 dir=$2 f n=0
  rm -rf "$dir"
  mkdir -p "$dir"
  [ -d "$SEEDS/$target" ] && cp "$SEEDS/$target"/* "$dir"/
  case $target in
    runc_args)
      # each containerd invocation as argv: the words of the line, NUL-separated
      grep -v '^#' "$SHARED_TESTDATA/docker-20.10/runc-invocations.txt" | while read -r line; do
        n=$((n + 1))
        printf '%s' "$line" | tr ' ' '\0' >"$dir/containerd-$n"
      done ;;
    spec_kmem | gojson)
      cp "$SHARED_TESTDATA"/docker-20.10/*.json "$dir"/
      for f in "$SOURCE"/tests/data/json-oracle/*/*.json "$SOURCE"/tests/data/cri/*.json; do
        cp "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"
      done ;;
    update_resources)
      cp "$SOURCE"/tests/data/json-oracle/resources/*.json "$dir"/ ;;
    seccomp_profile)
      cp "$SHARED_TESTDATA"/docker-20.10/*.json "$dir"/
      for f in "$SHARED_TESTDATA"/seccomp/*.json; do  # bare profiles, put where runc reads them
        { printf '{"linux":{"seccomp":'; cat "$f"; printf '}}'; } >"$dir/config-$(basename "$f")"
      done
      cp "$SOURCE"/tests/data/json-oracle/spec/*seccomp*.json "$dir"/ ;;
    versions)
      cp "$SOURCE"/tests/data/runc-versions/*.txt "$dir"/ ;;
  esac
  [ -n "$(ls -A "$dir")" ] || fail "no seeds for $target"
}

# max_len per target: JSON documents up to 64 KiB (deep nesting fits), argv and /proc text smaller.
max_len() {
  case $1 in
    runc_args | versions) echo 4096 ;;
    proc | config) echo 16384 ;;
    *) echo 65536 ;;
  esac
}

fuzz() {
  local target=${1:?usage: sanitize.sh fuzz TARGET}
  local bin="$TREE/tests/fuzz/${target}_fuzz" seconds=${RG_FUZZ_SECONDS:-20}
  local corpus="$TREE/fuzz-corpus/$target" seeds="$TREE/fuzz-seeds/$target" findings="$TREE/fuzz-findings/$target"
  [ -x "$bin" ] || fail "$bin not built (sanitize.sh build)"
  [ -d "$SHARED_TESTDATA" ] || fail "$SHARED_TESTDATA missing (../shared must sit beside the checkout): it holds seeds"
  seeds "$target" "$seeds"
  mkdir -p "$corpus" "$findings"
  rm -f "$findings"/*
  local log="$findings/fuzz.log" rc=0
  # New inputs go to the first directory (the corpus kept between runs); the seeds are read only.
  "$bin" -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
  grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::|Done [0-9]+ runs)' "$log" || true
  local found
  found=$(find "$findings" -type f ! -name fuzz.log | sort)
  if [ "$rc" != 0 ] || [ -n "$found" ]; then
    tail -n 60 "$log" >&2
    for f in $found; do
      echo "reproducer: $f (run: $bin $f)" >&2
    done
    fail "$target: libFuzzer exited $rc; full log in $log"
  fi
}

case ${1:-} in
  build) build ;;
  unit) shift; unit "$@" ;;
  fuzz) fuzz "${2:-}" ;;
  *) fail "usage: sanitize.sh build | unit [GTEST_ARGS] | fuzz TARGET" ;;
esac
