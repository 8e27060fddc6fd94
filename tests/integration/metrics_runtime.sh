# Metrics through the runtime: every invocation is counted by command, guard decisions by kind, in the
# Prometheus textfile collector file; concurrent invocations lose nothing.
source "$(dirname "$0")/../lib.sh"

make_workdir WORK
cp "$RG_BUILD/tests/runc_dump" "$WORK/runc" && chmod 0755 "$WORK/runc"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$WORK/runc\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"},
  \"metrics\": {\"textfile_dir\": \"$WORK/metrics\"},
  \"kernel_memory\": {\"kernel_release\": \"3.10.0-1160.el7.x86_64\"}}"
mkdir -p "$WORK/metrics"
PROM="$WORK/metrics/runc_guard.prom"
# A runc that still applies kernel-memory limits (rc94 and later ignore them, and runc-guard then strips nothing).
export RG_DUMP_VERSION=1.0.0-rc92

value() { awk -v k="$1" '$1 == k { print $2 }' "$PROM"; }

for i in $(seq 20); do "$GUARD" state c$i & done
wait
"$GUARD" list -f json
"$GUARD" frobnicate-$RANDOM || true
"$GUARD" frobnicate-$RANDOM || true
"$GUARD" update --kernel-memory 1000 --memory 2000 c1
[ "$(value 'runc_guard_invocations_total{command="state"}')" = 20 ] || fail "state count: $(cat "$PROM")"
[ "$(value 'runc_guard_invocations_total{command="list"}')" = 1 ] || fail "list count: $(cat "$PROM")"
[ "$(value 'runc_guard_invocations_total{command="update"}')" = 1 ] || fail "update count: $(cat "$PROM")"
[ "$(value 'runc_guard_kmem_stripped_total')" = 1 ] || fail "kmem stripped count: $(cat "$PROM")"
[ "$(value 'runc_guard_invocations_total{command="other"}')" = 2 ] || fail "unknown commands not folded into other: $(cat "$PROM")"
grep -q '^# TYPE runc_guard_invocations_total counter$' "$PROM" || fail "no TYPE line: $(cat "$PROM")"

# Without metrics.textfile_dir nothing is written anywhere.
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$WORK/runc\"}}"
rm -rf "$WORK/metrics" && mkdir "$WORK/metrics"
"$GUARD" state c1
[ -z "$(ls -A "$WORK/metrics")" ] || fail "metrics written while disabled"
echo "metrics_runtime: all checks passed"
