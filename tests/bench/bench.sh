#!/usr/bin/env bash
# Benchmark: bare runc (A) vs runc-guard (B), interleaved in one run, medians.
#  1. `state` on a running container (pass-through path)      target: <= 0.5 ms median overhead
#  2. create/start/kill/delete lifecycle (guarded path)          target: within 5 %
#  3. a static no-op binary exec'd the same way (the floor of one extra exec)
# Usage: RG_BUILD=build tests/bench/bench.sh [iterations]
set -euo pipefail
RG_BUILD=$(cd "${RG_BUILD:-build}" && pwd)
source "$(dirname "$0")/../lib.sh"
N=${1:-300}
TIMER="$RG_BUILD/tests/ab_timer"
[ -x "$TIMER" ] || fail "build the ab_timer helper first"

WORK=$(make_workdir)
ROOT="$WORK/state"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$(readlink -f "$REAL_RUNC")\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}}"
RUNC=$(readlink -f "$REAL_RUNC")

make_bundle "$WORK/bundle" sleep 100000
on_exit "cleanup_container '$ROOT' bench-state"
"$RUNC" --root "$ROOT" run -d --bundle "$WORK/bundle" bench-state >/dev/null

echo "== state on a running container ($N runs each, interleaved)"
"$TIMER" "$N" "$RUNC" --root "$ROOT" state bench-state ::: "$GUARD" --root "$ROOT" state bench-state

# The floor: what any extra exec costs — a static binary that does nothing but exec runc.
cat >"$WORK/noop.c" <<'C'
#include <unistd.h>
int main(int argc, char** argv) { (void)argc; argv[0] = "runc"; execv(RUNC_PATH, argv); return 127; }
C
gcc -O2 -static -DRUNC_PATH="\"$RUNC\"" -o "$WORK/noop-exec" "$WORK/noop.c"
echo "== floor: static no-op exec wrapper, state"
"$TIMER" "$N" "$RUNC" --root "$ROOT" state bench-state ::: "$WORK/noop-exec" --root "$ROOT" state bench-state

cat >"$WORK/lifecycle.sh" <<'SH'
#!/bin/sh
set -e
R=$1; ROOT=$2; B=$3; ID=$4
"$R" --root "$ROOT" create --bundle "$B" "$ID"
"$R" --root "$ROOT" start "$ID"
"$R" --root "$ROOT" kill "$ID" KILL
"$R" --root "$ROOT" delete --force "$ID"
SH
chmod +x "$WORK/lifecycle.sh"
LN=$((N / 10 > 20 ? N / 10 : 20))
echo "== create/start/kill/delete lifecycle ($LN runs each, interleaved)"
on_exit "cleanup_container '$ROOT' bench-a; cleanup_container '$ROOT' bench-b"
"$TIMER" "$LN" "$WORK/lifecycle.sh" "$RUNC" "$ROOT" "$WORK/bundle" bench-a ::: "$WORK/lifecycle.sh" "$GUARD" "$ROOT" "$WORK/bundle" bench-b
