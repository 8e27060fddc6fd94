#!/usr/bin/env bash
# Benchmark: bare runc (A) against runc-guard (B), interleaved in one run, medians (tests/helpers/ab_timer).
#  1. `state` on a running container — the pass-through path (the first stage) — and the floors: a static
#     glibc wrapper that only execs runc, and one without any libc.        target: <= 0.2 ms, ratio <= 1.03
#  2. create/start/kill/delete and `run` of a trivial container on runc 1.1.5 (Debian) and 1.1.15, through
#     runc-guard with the keeper and without it.                target: <= 1.02x (1.1.5), <= 0.97x (1.1.15)
#     With the keeper, also bare runc exec'd from the keeper's copy (the floor) against bare, and runc-guard
#     against that floor.
#  3. memory of 16 created containers (16 waiting inits) on 1.1.15: Shmem and MemAvailable, bare and through
#     the keeper.                                                                   target: >= 100 MB below
#  4. the virtual patches: create and start with every patch enforced against every patch off (both through
#     runc-guard; only the guarded call is timed).                     target: < 1 ms per create, < 0.5 ms per start
#  5. the keeper and a watchdog at rest: RSS and CPU.
#  6. create on a busy node: 2000 extra mounts (tmpfs, in a private mount namespace) and a kubelet-style
#     absolute cgroupsPath, bare runc 1.1.5 against runc-guard (only the create is timed).
#  7. an exec probe (`runc exec <running container> true`, what kubelet runs for every exec liveness and
#     readiness probe) on runc 1.1.5 and 1.1.15, with the keeper and without it.
#  8. runc-guard's own cost per call, without runc's noise: runc-guard configured for a static stub that
#     answers --version as runc 1.1.5 and exits 0 (A: the stub alone, B: runc-guard then the stub).
# Usage: RG_BUILD=build tests/bench/bench.sh [iterations]   (root; ../shared/runtimes unpacked by the build)
set -euo pipefail
RG_BUILD=$(cd "${RG_BUILD:-build}" && pwd)
source "$(dirname "$0")/../lib.sh"
N=${1:-300}
TIMER="$RG_BUILD/tests/ab_timer"
[ -x "$TIMER" ] || fail "build the ab_timer helper first"
RUNC_1115=$(runc_release v1.1.15)
DEBIAN=$(readlink -f "$REAL_RUNC")

make_workdir WORK
ROOT="$WORK/state"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
config() {  # RUNC [EXTRA_JSON]
  write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$1\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}${2:-}}"
}
KEEPERS=()
# keeper_memfd RUNC → /proc/<keeper>/fd/<n> of the keeper holding RUNC (whichever keeper holds it: one started
# before this run keeps the lock and ours exits at once).
keeper_memfd() {
  local record
  record=$(grep -l "\"runc_path\":\"$1\"" /run/runc-guard/keeper/*.json 2>/dev/null | head -n 1)
  [ -n "$record" ] || fail "no keeper holds $1"
  local path="/proc/$(jq -r .pid "$record")/fd/$(jq -r .fd "$record")"
  [ -e "$path" ] || fail "the keeper of $1 is gone"
  echo "$path"
}
# keeper_arm RUNC on|off: runc-guard configured for RUNC with a keeper of its own running, or with none.
keeper_arm() {
  if [ "$2" = on ]; then
    config "$1" ', "keeper": {"start_on_demand": false}'
    "$GUARDCTL" keeper --runc "$1" &
    KEEPERS+=($!)
    sleep 1
  else
    config "$1" ', "keeper": {"enabled": false}'
  fi
}
# make_bench_cgroup_bundle DIR: a bundle running sleep with a kubelet/dockerd-style absolute cgroupsPath
# (/rg-bench/<name of DIR>).
make_bench_cgroup_bundle() {
  make_bundle "$1" sleep 100000
  jq --arg p "/rg-bench/$(basename "$1")" '.linux.cgroupsPath = $p' "$1/config.json" >"$1/c.json"
  mv "$1/c.json" "$1/config.json"
}
on_exit 'kill "${KEEPERS[@]}" 2>/dev/null; true'
on_exit 'for c in "$ROOT"/*/; do [ -d "$c" ] && "$DEBIAN" --root "$ROOT" delete --force "$(basename "$c")" >/dev/null 2>&1; done; true'

make_bundle "$WORK/bundle" sleep 100000
make_bundle "$WORK/true" true

echo "== 1. state on a running container ($N runs each, interleaved)"
config "$DEBIAN"
"$DEBIAN" --root "$ROOT" run -d --bundle "$WORK/bundle" bench-state </dev/null >/dev/null
"$GUARD" --root "$ROOT" state bench-state >/dev/null  # writes the first stage's cache
S=(--root "$ROOT" state bench-state)
echo "-- runc-guard"
"$TIMER" "$N" "$DEBIAN" "${S[@]}" ::: "$GUARD" "${S[@]}"
cat >"$WORK/noop.c" <<C
#include <unistd.h>
int main(int argc, char** argv) { (void)argc; execv("$DEBIAN", argv); return 127; }
C
gcc -O2 -static -o "$WORK/noop-glibc" "$WORK/noop.c"
cat >"$WORK/nolibc.c" <<C
#include <sys/syscall.h>
static long sys3(long n, long a, long b, long c) { long r; __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory"); return r; }
void start_c(long* sp) { char** argv = (char**)(sp + 1); sys3(SYS_execve, (long)"$DEBIAN", (long)argv, (long)(argv + sp[0] + 1)); sys3(SYS_exit, 127, 0, 0); }
__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and \$-16, %rsp\n call start_c\n");
C
gcc -O2 -static -nostdlib -fno-stack-protector -o "$WORK/noop-nolibc" "$WORK/nolibc.c"
echo "-- floor: a static glibc wrapper that only execs runc"
"$TIMER" "$N" "$DEBIAN" "${S[@]}" ::: "$WORK/noop-glibc" "${S[@]}"
echo "-- floor: a wrapper without libc that only execs runc"
"$TIMER" "$N" "$DEBIAN" "${S[@]}" ::: "$WORK/noop-nolibc" "${S[@]}"
"$DEBIAN" --root "$ROOT" delete --force bench-state

cat >"$WORK/lifecycle.sh" <<'SH'
#!/bin/sh
set -e
R=$1; ROOT=$2; B=$3; ID=$4
"$R" --root "$ROOT" create --bundle "$B" "$ID" </dev/null >/dev/null
"$R" --root "$ROOT" start "$ID"
"$R" --root "$ROOT" kill "$ID" KILL
"$R" --root "$ROOT" delete --force "$ID"
SH
cat >"$WORK/run.sh" <<'SH'
#!/bin/sh
exec "$1" --root "$2" run --bundle "$3" "$4" </dev/null >/dev/null
SH
chmod +x "$WORK/lifecycle.sh" "$WORK/run.sh"
LN=$((N / 3 > 40 ? N / 3 : 40))
for runc in "$DEBIAN" "$RUNC_1115"; do
  name=$("$runc" --version | head -n 1)
  for keeper in on off; do
    keeper_arm "$runc" $keeper
    [ $keeper = off ] || memfd=$(keeper_memfd "$runc")
    echo "== 2. $name, keeper $keeper: create/start/kill/delete ($LN runs each, interleaved)"
    "$TIMER" "$LN" "$WORK/lifecycle.sh" "$runc" "$ROOT" "$WORK/bundle" la ::: "$WORK/lifecycle.sh" "$GUARD" "$ROOT" "$WORK/bundle" lb
    echo "== 2. $name, keeper $keeper: run of a container running true"
    "$TIMER" "$LN" "$WORK/run.sh" "$runc" "$ROOT" "$WORK/true" ra ::: "$WORK/run.sh" "$GUARD" "$ROOT" "$WORK/true" rb
    if [ $keeper = on ]; then
      # What the keeper can win at most: bare runc exec'd from the keeper's sealed copy, no runc-guard at all.
      echo "-- floor: bare runc run from the keeper's sealed memfd ($memfd): create/start/kill/delete"
      "$TIMER" "$LN" "$WORK/lifecycle.sh" "$runc" "$ROOT" "$WORK/bundle" fa ::: "$WORK/lifecycle.sh" "$memfd" "$ROOT" "$WORK/bundle" fb
      # runc-guard's cost over that floor, measured directly (both arms run runc from the same sealed copy).
      echo "-- runc-guard, keeper on, against that floor: create/start/kill/delete"
      "$TIMER" "$LN" "$WORK/lifecycle.sh" "$memfd" "$ROOT" "$WORK/bundle" fa ::: "$WORK/lifecycle.sh" "$GUARD" "$ROOT" "$WORK/bundle" lb
      kill "${KEEPERS[-1]}" 2>/dev/null || true
    fi
  done
done

echo "== 3. 16 created containers on $("$RUNC_1115" --version | head -n 1): memory"
meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
sixteen() {  # RUNNER TAG: creates 16, prints Shmem and MemAvailable deltas in MB, deletes them
  local s0 a0 i
  sync; echo 1 >/proc/sys/vm/drop_caches
  s0=$(meminfo Shmem) a0=$(meminfo MemAvailable)
  for i in $(seq 16); do "$1" --root "$ROOT" create --bundle "$WORK/bundle" "$2-$i" </dev/null >/dev/null 2>&1 || fail "create $2-$i"; done
  printf '  %s: Shmem %+d MB, MemAvailable %+d MB\n' "$2" $((($(meminfo Shmem) - s0) / 1024)) $((($(meminfo MemAvailable) - a0) / 1024))
  for i in $(seq 16); do "$RUNC_1115" --root "$ROOT" delete --force "$2-$i"; done
}
config "$RUNC_1115" ', "keeper": {"start_on_demand": false}'
"$GUARDCTL" keeper --runc "$RUNC_1115" &
KEEPERS+=($!)
sleep 1
for round in 1 2 3; do
  sixteen "$RUNC_1115" bare
  sixteen "$GUARD" keeper
done

echo "== 4. virtual patches: create and start, every patch enforced (B) against every patch off (A), $LN runs"
config "$DEBIAN" ", \"guards\": $RG_PATCHES_ENFORCED, \"keeper\": {\"enabled\": false}"
cp "$RUNC_GUARD_CONFIG" "$WORK/enforced.json"
config "$DEBIAN" ", \"guards\": $(jq -c 'map_values("off")' <<<"$RG_PATCHES_ENFORCED"), \"keeper\": {\"enabled\": false}"
cp "$RUNC_GUARD_CONFIG" "$WORK/off.json"
# Only the guarded call is timed: the bare create before `start` and the bare delete after each call run
# untimed (ab_timer's :::before / :::after), each arm on its own container (pA, pB).
export BENCH_RUNC="$DEBIAN" BENCH_ROOT="$ROOT" BENCH_BUNDLE="$WORK/bundle"
cat >"$WORK/bare_create.sh" <<'SH'
#!/bin/sh
exec "$BENCH_RUNC" --root "$BENCH_ROOT" create --bundle "$BENCH_BUNDLE" "p$AB_ARM" </dev/null >/dev/null
SH
cat >"$WORK/bare_delete.sh" <<'SH'
#!/bin/sh
exec "$BENCH_RUNC" --root "$BENCH_ROOT" delete --force "p$AB_ARM"
SH
chmod +x "$WORK/bare_create.sh" "$WORK/bare_delete.sh"
OFF=(/usr/bin/env "RUNC_GUARD_CONFIG=$WORK/off.json" "$GUARD" --root "$ROOT")
ENFORCED=(/usr/bin/env "RUNC_GUARD_CONFIG=$WORK/enforced.json" "$GUARD" --root "$ROOT")
echo "-- create"
"$TIMER" "$LN" "${OFF[@]}" create --bundle "$WORK/bundle" pA ::: "${ENFORCED[@]}" create --bundle "$WORK/bundle" pB \
  :::after "$WORK/bare_delete.sh"
echo "-- start"
"$TIMER" "$LN" "${OFF[@]}" start pA ::: "${ENFORCED[@]}" start pB :::before "$WORK/bare_create.sh" :::after "$WORK/bare_delete.sh"

echo "== 5. at rest: the keeper, and a watchdog watching a create that waits in a 12 s prestart hook"
kpid=$(keeper_memfd "$RUNC_1115" | cut -d/ -f3)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
config "$DEBIAN" ', "keeper": {"enabled": false}'
make_bundle "$WORK/hooked" sleep 100000
jq '.hooks.prestart = [{path: "/bin/sleep", args: ["sleep", "12"]}]' "$WORK/hooked/config.json" >"$WORK/hooked/c.json"
mv "$WORK/hooked/c.json" "$WORK/hooked/config.json"
"$GUARD" --root "$ROOT" create --bundle "$WORK/hooked" rest </dev/null >/dev/null 2>&1 &
create_pid=$!
sleep 1
wpid=$(our_watchdogs | head -n 1)
[ -n "$wpid" ] || fail "no watchdog while the create waits"
c0=$(cpu "$kpid") w0=$(cpu "$wpid")
sleep 10
ms() { echo $((($1) * 1000 / $(getconf CLK_TCK))); }
echo "  keeper: RSS $(awk '/^VmRSS/ {print $2 " " $3}' "/proc/$kpid/status"), CPU $(ms "$(cpu "$kpid") - c0") ms in 10 s"
echo "  watchdog: RSS $(awk '/^VmRSS/ {print $2 " " $3}' "/proc/$wpid/status"), CPU $(ms "$(cpu "$wpid") - w0") ms in 10 s"
wait "$create_pid" || true
"$DEBIAN" --root "$ROOT" delete --force rest
echo "-- the same watchdog with 3000 more processes on the node"
setsid bash -c 'for i in $(seq 3000); do sleep 600 & done; wait' </dev/null >/dev/null 2>&1 &
crowd=$!
on_exit "kill -- -$crowd 2>/dev/null; true"
sleep 5
"$GUARD" --root "$ROOT" create --bundle "$WORK/hooked" rest </dev/null >/dev/null 2>&1 &
create_pid=$!
sleep 1
wpid=$(our_watchdogs | head -n 1)
[ -n "$wpid" ] || fail "no watchdog while the create waits"
w0=$(cpu "$wpid")
sleep 10
echo "  watchdog: CPU $(ms "$(cpu "$wpid") - w0") ms in 10 s ($(find /proc -maxdepth 1 -name '[0-9]*' | wc -l) processes)"
wait "$create_pid" || true
"$DEBIAN" --root "$ROOT" delete --force rest
kill -- -"$crowd" 2>/dev/null || true

echo "== 6. create with 2000 more mounts on the node (a private mount namespace), absolute cgroupsPath, $LN runs"
make_bench_cgroup_bundle "$WORK/busy"
config "$DEBIAN" ', "keeper": {"enabled": false}'
cat >"$WORK/busy.sh" <<SH
set -e
for i in \$(seq 2000); do mkdir -p "$WORK/mnt/\$i"; mount -t tmpfs -o size=4k tmpfs "$WORK/mnt/\$i"; done
echo "  mountinfo lines: \$(wc -l </proc/self/mountinfo)"
"$TIMER" "$LN" "$DEBIAN" --root "$ROOT" create --bundle "$WORK/busy" bA ::: "$GUARD" --root "$ROOT" create --bundle "$WORK/busy" bB \\
  :::after /bin/sh -c '"$DEBIAN" --root "$ROOT" delete --force "b\$AB_ARM"'
SH
on_exit 'for d in /sys/fs/cgroup/*/rg-bench; do [ -d "$d" ] && rmdir "$d"; done; true'
unshare -m --propagation private bash "$WORK/busy.sh"

echo "== 7. exec probes: exec <running container> true, $LN runs each, interleaved"
for runc in "$DEBIAN" "$RUNC_1115"; do
  name=$("$runc" --version | head -n 1)
  "$runc" --root "$ROOT" run -d --bundle "$WORK/bundle" probe </dev/null >/dev/null
  for keeper in on off; do
    keeper_arm "$runc" $keeper
    echo "-- $name, keeper $keeper"
    "$TIMER" "$LN" "$runc" --root "$ROOT" exec probe true ::: "$GUARD" --root "$ROOT" exec probe true
    if [ $keeper = on ]; then kill "${KEEPERS[-1]}" 2>/dev/null || true; fi
  done
  "$DEBIAN" --root "$ROOT" delete --force probe
done

echo "== 8. runc-guard's own cost per call: a stub runc (static, exits 0; --version says 1.1.5), $N runs each"
cat >"$WORK/stub.c" <<'C'
#include <string.h>
#include <unistd.h>
int main(int argc, char** argv) {
  static const char v[] = "runc version 1.1.5\ncommit: v1.1.5\nspec: 1.0.2-dev\ngo: go1.19\nlibseccomp: 2.5.4\n";
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--version")) return write(1, v, sizeof v - 1) == (ssize_t)(sizeof v - 1) ? 0 : 1;
  return 0;
}
C
gcc -O2 -static -o "$WORK/stub-runc" "$WORK/stub.c"
make_bench_cgroup_bundle "$WORK/own"
"$DEBIAN" --root "$ROOT" create --bundle "$WORK/own" own </dev/null >/dev/null  # what start and exec look at
on_exit '"$DEBIAN" --root "$ROOT" delete --force own 2>/dev/null; true'  # before section 6's rmdir of rg-bench
config "$WORK/stub-runc" ', "keeper": {"enabled": false}'
for call in "create --bundle $WORK/own own-x" "start own" "exec own true" "kill own KILL"; do
  echo "-- $call"
  # shellcheck disable=SC2086  # the call's words
  "$TIMER" "$N" "$WORK/stub-runc" --root "$ROOT" $call ::: "$GUARD" --root "$ROOT" $call
done
# The shares of that cost: the same runtime with its default config (A: the guards that apply to runc 1.1.5
# and the watchdog) against the watchdog off, then against the watchdog and every guard off (B). What is left
# in the second is a process: exec, glibc's start-up, config, real runc.
# Every guard of this build, from the list the runtime is built from.
OFF_GUARDS=$(sed -n 's/^RG_GUARD("\([^"]*\)".*/\1/p' "$(dirname "$0")/../../shim/runtime/guard_list.def" |
  jq -R -s -c 'split("\n") | map(select(length > 0)) | map({(.): "off"}) | add')
[ "$(jq length <<<"$OFF_GUARDS")" -gt 0 ] || fail "guards not found in shim/runtime/guard_list.def: $OFF_GUARDS"
write_config "$WORK/no-watchdog.json" "$(jq '.watchdog.enabled = false' "$RUNC_GUARD_CONFIG")"
write_config "$WORK/bare-process.json" "$(jq --argjson g "$OFF_GUARDS" '.watchdog.enabled = false | .guards = $g' "$RUNC_GUARD_CONFIG")"
for off in no-watchdog bare-process; do
  for call in "create --bundle $WORK/own own-x" "start own" "exec own true"; do
    echo "-- $call: A defaults, B $off"
    # shellcheck disable=SC2086  # the call's words
    "$TIMER" "$N" "$GUARD" --root "$ROOT" $call ::: RUNC_GUARD_CONFIG="$WORK/$off.json" "$GUARD" --root "$ROOT" $call
  done
done
"$DEBIAN" --root "$ROOT" delete --force own
