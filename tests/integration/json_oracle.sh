#!/usr/bin/env bash
# runc-guard reads config.json, process.json and `update -r` documents exactly as runc's Go decoder does
# (oci/gojson.h) — checked against Go itself. tests/oracle/specview.go decodes each document with
# json.NewDecoder(f).Decode into the runtime-spec Go types (Debian's golang-github-opencontainers-specs-dev,
# Go from golang-go) and prints the view runc-guard's guards depend on; tests/helpers/spec_view prints the
# same view from runc-guard's reader; tests/oracle/compare.py fails on any difference.
#   1. the table: tests/data/json-oracle/{spec,process,resources}/*.json, one tricky document per file,
#      plus the real Docker configs (and their process / linux.resources parts);
#   2. a differential fuzz: deterministic mutations of the real configs (tests/oracle/mutate.py).
# For every document both read alike, what runc-guard's kmem guards hand on after stripping kernel memory
# is decoded by Go too: no kernel memory may be left and nothing else may change.
# RG_ORACLE_TABLE=1 prints every case with its verdict; RG_ORACLE_FUZZ=N / RG_ORACLE_SEED=S change the fuzz.
source "$(dirname "$0")/../lib.sh" || exit 1
need python3 timeout

command -v go >/dev/null || fail "the Go toolchain is missing: apt-get install golang-go (tests/run.sh installs it); the oracle is Go itself"
SPECS_GO=/usr/share/gocode/src/github.com/opencontainers/runtime-spec/specs-go
[ -f "$SPECS_GO/config.go" ] || fail "$SPECS_GO missing: apt-get install golang-github-opencontainers-specs-dev (tests/run.sh installs it)"
VIEW="$RG_BUILD/tests/spec_view"
[ -x "$VIEW" ] || fail "$VIEW not built (tests/helpers/spec_view.cpp)"
ORACLE_SRC="$RG_SOURCE/tests/oracle"
DATA="$RG_SOURCE/tests/data/json-oracle"
ls "$SHARED_TESTDATA"/*.json >/dev/null 2>&1 || fail "no real configs under $SHARED_TESTDATA (../shared must sit beside the checkout)"

# ---- the Go oracle, built once per source/toolchain/runtime-spec (cached in the build tree, offline) ----
ORACLE_DIR="$RG_BUILD/oracle"
ORACLE="$ORACLE_DIR/specview"
mkdir -p "$ORACLE_DIR/gopath"
stamp=$( (cat "$ORACLE_SRC/specview.go" "$SPECS_GO"/*.go; go version) | sha256sum | cut -d' ' -f1)
if [ ! -x "$ORACLE" ] || [ "$(cat "$ORACLE_DIR/stamp" 2>/dev/null)" != "$stamp" ]; then
  note "building the Go oracle ($(go version | cut -d' ' -f3), runtime-spec from $SPECS_GO)"
  rm -f "$ORACLE" "$ORACLE_DIR/stamp"
  GO111MODULE=off GOFLAGS= GOPATH="/usr/share/gocode:$ORACLE_DIR/gopath" GOCACHE="$ORACLE_DIR/gocache" \
    go build -o "$ORACLE" "$ORACLE_SRC/specview.go" || fail "cannot build the Go oracle"
  echo "$stamp" >"$ORACLE_DIR/stamp"
fi

make_workdir W
failed=0

# run_set LABEL MODE LISTFILE [EXPECT]: both readers over the documents in LISTFILE, plus the strip check.
run_set() {
  local label=$1 mode=$2 list=$3 expect=${4:-} out="$W/out.${1%% *}"
  mkdir -p "$out/stripped"
  local -a files
  mapfile -t files <"$list"
  "$ORACLE" -mode "$mode" "${files[@]}" >"$out/go.jsonl" || fail "$label: the Go oracle failed"
  "$VIEW" --mode "$mode" --strip-dir "$out/stripped" "${files[@]}" >"$out/rg.jsonl" || fail "$label: spec_view failed"
  "$VIEW" --schema "$mode" >"$out/schema.json"
  local -a compare=(--mode "$mode" --files "$list" --go "$out/go.jsonl" --rg "$out/rg.jsonl"
    --schema "$out/schema.json" --label "$label")
  [ -n "$expect" ] && compare+=(--expect "$expect")
  if [ "$mode" != process ]; then
    # The stripped copy of document n is stripped/n.json; a document runc-guard refuses has none (an empty
    # file then stands in, read as an error and never compared).
    local n
    for n in "${!files[@]}"; do
      [ -f "$out/stripped/$n.json" ] || : >"$out/stripped/$n.json"
      echo "$out/stripped/$n.json"
    done >"$out/stripped.list"
    mapfile -t files <"$out/stripped.list"
    "$ORACLE" -mode "$mode" "${files[@]}" >"$out/stripped-go.jsonl" || fail "$label: the Go oracle failed on stripped documents"
    compare+=(--strip-go "$out/stripped-go.jsonl")
  fi
  python3 "$ORACLE_SRC/compare.py" "${compare[@]}" || failed=1
}

# ---- 1. the table ----
# Where the two readers may differ, case by case (mode, case, verdict, what the refusing side says):
#   guard-refuses: Go reads it, runc-guard refuses it as ambiguous or as runc would refuse it later.
#   go-refuses:    runc refuses it (a type error Go reports), runc-guard reads it: the field is one
#                  runc-guard reads loosely or not at all, so no guard acts on it and runc never runs it.
# Every other case must give the same view; a listed case that no longer behaves as listed fails too.
expect() { printf '%s\t%s\t%s\n' "$2" "$3" "$4" >>"$W/expect.$1.tsv"; }
expect spec dup-mounts-twice guard-refuses "mounts: given more than once"
expect spec dup-mounts-folded-twice guard-refuses "mounts: given more than once"
expect spec dup-mounts-empty-then-list guard-refuses "mounts: given more than once"
expect spec dup-devices-twice guard-refuses "linux.devices: given more than once"
expect spec dup-syscalls-twice guard-refuses "linux.seccomp.syscalls: given more than once"
expect spec dup-maskedPaths-null-elements guard-refuses "linux.maskedPaths: given more than once with a null element"
expect spec dup-mount-options-null-elements guard-refuses "mounts[0].options: given more than once with a null element"
expect spec dup-seccomp-flags-null-elements guard-refuses "linux.seccomp.flags: given more than once with a null element"
expect process dup-env-null-elements guard-refuses "env: given more than once with a null element"
expect process dup-args-null-elements-after-shorter guard-refuses "args: given more than once with a null element"
# A null document: runc reads an empty Process (then refuses it: "Cwd property must not be empty") or an
# update with nothing in it; runc-guard refuses it outright.
expect process null-top-level guard-refuses "null where runc expects struct"
expect resources null-top-level guard-refuses "null where runc expects struct"
# Typed in Go, read loosely by runc-guard (oci/spec_schema.cpp: Any, or not modelled).
expect spec type-number-for-ociVersion go-refuses "Spec.ociVersion of type string"
expect spec type-number-for-hostname go-refuses "Spec.hostname of type string"
expect spec type-number-for-domainname go-refuses "Spec.domainname of type string"
expect spec type-string-for-cpu-shares go-refuses "linux.resources.cpu.shares of type uint64"
expect spec type-bool-for-oomScoreAdj go-refuses "process.oomScoreAdj of type int"
expect spec num-seccomp-errnoret-1e3 go-refuses "linux.seccomp.defaultErrnoRet of type uint"
expect spec num-seccomp-errnoret-negative go-refuses "linux.seccomp.defaultErrnoRet of type uint"
expect process type-rlimits-object go-refuses "Process.rlimits of type []specs.POSIXRlimit"
expect process type-consoleSize-negative go-refuses "consoleSize.height of type uint"
expect resources type-string-checkBeforeUpdate go-refuses "memory.checkBeforeUpdate of type bool"
expect resources type-string-cpu-shares go-refuses "cpu.shares of type uint64"
expect resources type-negative-pids-limit-float go-refuses "pids.limit of type int64"

# The real configs, and their process / linux.resources parts as `runc exec -p` / `runc update -r` get them.
mkdir -p "$W/real/process" "$W/real/resources"
for config in "$SHARED_TESTDATA"/*.json; do
  name=$(basename "$config" .json)
  jq '.process' "$config" >"$W/real/process/docker-$name.json"
  jq '.linux.resources' "$config" >"$W/real/resources/docker-$name.json"
done
# A long non-ASCII string: read in linear time (it once took quadratic time, minutes for a few MB).
mkdir -p "$W/big"
python3 -c 'import sys; sys.stdout.write("{\"process\":{\"cwd\":\"/" + "\u00e9\u212a" * 700000 + "\"}}")' >"$W/big/long-non-ascii-string.json"
timeout 20 "$VIEW" --mode spec "$W/big/long-non-ascii-string.json" >/dev/null ||
  fail "spec_view did not read a $(stat -c %s "$W/big/long-non-ascii-string.json")-byte document with a long non-ASCII string within 20 s"

for mode in spec process resources; do
  ls "$DATA/$mode"/*.json >"$W/table.$mode.list"
  [ -s "$W/table.$mode.list" ] || fail "no $mode cases under $DATA/$mode"
  [ "$mode" = spec ] && ls "$SHARED_TESTDATA"/*.json "$W/big"/*.json >>"$W/table.$mode.list"
  [ "$mode" != spec ] && ls "$W/real/$mode"/*.json >>"$W/table.$mode.list"
  touch "$W/expect.$mode.tsv"
  run_set "table-$mode" "$mode" "$W/table.$mode.list" "$W/expect.$mode.tsv"
done

# ---- 2. the differential fuzz ----
# No expectation list here: runc-guard may refuse only what it documents as ambiguous ("given more than
# once"), and Go may refuse alone only in fields runc-guard reads loosely (compare.py); all else must agree.
FUZZ=${RG_ORACLE_FUZZ:-2000}
SEED=${RG_ORACLE_SEED:-20240601}
python3 "$ORACLE_SRC/mutate.py" --seed "$SEED" --count "$FUZZ" --out "$W/fuzz" "$SHARED_TESTDATA"/*.json ||
  fail "the mutation generator failed"
for mode in spec process resources; do
  find "$W/fuzz/$mode" -name '*.json' | sort >"$W/fuzz.$mode.list"
  [ -s "$W/fuzz.$mode.list" ] || fail "the fuzz made no $mode documents"
  run_set "fuzz-$mode (seed $SEED)" "$mode" "$W/fuzz.$mode.list"
done

[ "$failed" = 0 ] || fail "runc-guard's reader disagrees with Go's encoding/json (see above)"
echo "PASS: runc-guard reads every document as Go does (or refuses it where documented)"
