# Watchdog benchmark (run by hand: RG_BUILD=<build> bash tests/bench/watchdog_bench.sh [ITERATIONS]).
#  1. create/start/exec -d latency with real runc 1.1.5: bare vs through runc-guard (watchdog on), medians.
#  2. blocked → un-stuck latency with the rc93 imitation: the watchdog's detection→un-stuck (event
#     latency_ms) and the init's whole time blocked in write(2) (report write_blocked_ms); p50/p95.
#  3. watchdog CPU while watching a 5 s init (schedstat ns on CPU / wall time).
# The caller-side cost of start_watchdog alone: tests/bench/watchdog_fork_bench.cpp, built by hand:
#   g++ -std=c++20 -O2 -I. -DSPDLOG_HEADER_ONLY -DFMT_HEADER_ONLY tests/bench/watchdog_fork_bench.cpp \
#     $B/shim/librg_shim.a $B/seccomp/librg_seccomp.a $B/oci/librg_oci.a -lseccomp -lmd -lpthread
source "$(dirname "$0")/../lib.sh"
N=${1:-30}
make_workdir WORK
ROOT="$WORK/root"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}}"
make_bundle "$WORK/bundle" sleep 300
ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }

# One round: create, start, exec -d, delete; per-command µs appended to $WORK/<runtime>.<command>.
round() {
  local runtime=$1 tag=$2 id=$3 t
  t=$(ns); "$runtime" --root "$ROOT" create --bundle "$WORK/bundle" "$id" </dev/null >/dev/null 2>&1 || fail "$tag create"
  echo $((($(ns) - t) / 1000)) >>"$WORK/$tag.create"
  t=$(ns); "$runtime" --root "$ROOT" start "$id" || fail "$tag start"
  echo $((($(ns) - t) / 1000)) >>"$WORK/$tag.start"
  t=$(ns); "$runtime" --root "$ROOT" exec -d "$id" true </dev/null >/dev/null 2>&1 || fail "$tag exec"
  echo $((($(ns) - t) / 1000)) >>"$WORK/$tag.exec"
  "$REAL_RUNC" --root "$ROOT" delete --force "$id"
}
guard_config() {
  write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}, \"watchdog\": {\"enabled\": $1}}"
}
for i in $(seq 1 "$N"); do  # interleaved, so load from other users of the machine hits all alike
  round "$REAL_RUNC" bare "b$i"
  guard_config true
  round "$GUARD" guard "g$i"
  guard_config false
  round "$GUARD" nowatchdog "n$i"
done
echo "latency over $N rounds, median µs: command | bare runc | runc-guard | added | of which the watchdog"
for c in create start exec; do
  b=$(median <"$WORK/bare.$c"); g=$(median <"$WORK/guard.$c"); n=$(median <"$WORK/nowatchdog.$c")
  echo "  $c | $b | $g | $(awk -v b="$b" -v g="$g" 'BEGIN {print g - b}') | $(awk -v n="$n" -v g="$g" 'BEGIN {print g - n}')"
done

# 2. blocked → un-stuck, with the rc93 imitation.
FAKE="$WORK/runc"
cp "$RG_BUILD/tests/fake_rc93_runc" "$FAKE"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$FAKE\"}, \"log\": {\"events\": \"$WORK/fake-events.jsonl\"}}"
echo '{"ociVersion":"1.0.2","process":{"args":["/bin/true"],"noNewPrivileges":true},"root":{"path":"rootfs"}}' >"$WORK/bundle/config.json"
for i in $(seq 1 "$N"); do
  "$GUARD" --root "$ROOT" create --bundle "$WORK/bundle" "f$i" >/dev/null 2>&1 || fail "fake create"
  "$GUARD" --root "$ROOT" start "f$i" || fail "fake start"
  jq .write_blocked_ms "$ROOT/f$i/init-report.json" >>"$WORK/blocked_ms"
  "$FAKE" --root "$ROOT" delete --force "f$i"
done
jq '.details.latency_ms' <(grep '"init.unstuck"' "$WORK/fake-events.jsonl") >"$WORK/unstuck_ms"
echo "un-stick over $(wc -l <"$WORK/unstuck_ms") blocked inits (ms):"
echo "  detection→un-stuck p50 $(pct 50 <"$WORK/unstuck_ms") p95 $(pct 95 <"$WORK/unstuck_ms")"
echo "  init blocked in write(2) p50 $(pct 50 <"$WORK/blocked_ms") p95 $(pct 95 <"$WORK/blocked_ms")"

# 3. CPU of a watchdog watching a slow (5 s) init.
FAKE_RC93_MODE=slow FAKE_RC93_SLOW_MS=5000 "$GUARD" --root "$ROOT" create --bundle "$WORK/bundle" cpu >/dev/null 2>&1 &
sleep 0.3
wd=""
for p in $(pgrep -x rg-watchdog || true); do
  tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "RUNC_GUARD_CONFIG=$RUNC_GUARD_CONFIG" && wd=$p
done
[ -n "$wd" ] || fail "no watchdog found"
c0=$(awk '{print $1}' "/proc/$wd/schedstat"); t0=$(ns)
sleep 4
c1=$(awk '{print $1}' "/proc/$wd/schedstat"); t1=$(ns)
wait
"$FAKE" --root "$ROOT" delete --force cpu
echo "watchdog CPU while watching: $(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN {printf "%.3f%% of a core (%d µs in %.1f s)", 100 * c / t, c / 1000, t / 1e9}')"
