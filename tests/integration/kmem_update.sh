# runc update through runc-guard on a 3.10 kernel (override): --kernel-memory flags and the kernel fields
# of `-r FILE|-` are stripped or rejected; everything else reaches runc (a recording fake) unchanged.
source "$(dirname "$0")/../lib.sh"
make_workdir T
EVENTS="$T/events.jsonl"

RUNC=$(fake_probe_runc 1.0.0-rc93)
G=(--root "$T/state" --log "$T/log.json" --log-format json)

note "flags: strip"
kmem_config "$RUNC"
kmem_guard "${G[@]}" update --kernel-memory 64M --memory 128M --kernel-memory-tcp=16M ctr1 </dev/null
expect_eq "$(last_record | jq -c '.argv[8:]')" '["--memory","128M","ctr1"]' "argv after strip"
expect_eq "$(last_record | jq -c '.argv[:8]')" "$(jq -nc --arg r "$GUARD" --arg t "$T" \
  '[$r, "--root", "\($t)/state", "--log", "\($t)/log.json", "--log-format", "json", "update"]')" "argv prefix untouched"
expect_eq "$(events_named kmem.stripped | jq -c .details.settings)" '{"--kernel-memory":"64M","--kernel-memory-tcp":"16M"}' "event"
expect_eq "$(jq -r .level "$T/log.json")" "warning" "runc log level"
jq -r .msg "$T/log.json" | grep -q '^runc-guard: kernel memory limit removed from update (--kernel-memory=64M, --kernel-memory-tcp=16M): kernel 3.10.0-1160.el7.x86_64 < 4.0' \
  || fail "warning line missing from runc's log: $(cat "$T/log.json")"

note "stdin JSON (what containerd sends): strip, byte-exact remainder"
reset_records
SENT='{"memory":{"limit":268435456,"reservation":null,"swap":268435456,"kernel":67108864,"kernelTCP":null},"cpu":{"shares":1024,"cpus":"0"},"pids":{"limit":0},"blockIO":{"weight":500}}'
WANT='{"memory":{"limit":268435456,"reservation":null,"swap":268435456},"cpu":{"shares":1024,"cpus":"0"},"pids":{"limit":0},"blockIO":{"weight":500}}'
printf '%s\n' "$SENT" | kmem_guard "${G[@]}" update --resources - ctr1
expect_eq "$(last_record | jq -r .stdin)" "$WANT" "stdin handed to runc"
expect_eq "$(last_record | jq -c '.argv[8:]')" '["--resources","-","ctr1"]' "argv with -r -"
expect_eq "$(events_named kmem.stripped | jq -c '[.details.settings, .details.resources]')" '[{"memory.kernel":67108864},"-"]' "event"

note "stdin JSON without kernel memory: identical bytes, including whitespace"
reset_records
printf '{ "memory" : { "limit" : 1 },\n  "cpu": {"shares": 2} }\n' >"$T/plain.json"
kmem_guard "${G[@]}" update -r - ctr1 <"$T/plain.json"
expect_eq "$(last_record | jq -r .stdin)" "$(cat "$T/plain.json")" "untouched stdin"
[[ -z "$(events_named kmem.stripped)" ]] || fail "event without a change"

note "-r FILE: runc reads a private filtered copy, the file itself is untouched"
reset_records
printf '%s' "$SENT" >"$T/res.json"
cp "$T/res.json" "$T/res.orig"
kmem_guard "${G[@]}" update -r "$T/res.json" ctr1 </dev/null
expect_eq "$(last_record | jq -r .resources)" "$WANT" "resources file contents as runc opened them"
last_record | jq -r '.argv[9]' | grep -Eq '^/proc/self/fd/[0-9]+$' || fail "-r not pointed at the copy: $(last_record)"
cmp -s "$T/res.json" "$T/res.orig" || fail "caller's resources file was modified"
[[ -z "$(find "$T" -name '*.runc-guard-*')" ]] || fail "temp files left behind"

note "-r FIFO (not a regular file): consumed input reaches runc, filtered or unchanged"
for doc in "$SENT" '{"memory":{"limit":5}}'; do
  reset_records
  rm -f "$T/res.fifo" && mkfifo "$T/res.fifo"
  printf '%s' "$doc" >"$T/res.fifo" &
  kmem_guard "${G[@]}" update -r "$T/res.fifo" ctr1 </dev/null
  wait
  if [[ "$doc" == "$SENT" ]]; then want="$WANT"; else want="$doc"; fi
  expect_eq "$(last_record | jq -r .resources)" "$want" "FIFO resources as runc read them"
  last_record | jq -r '.argv[9]' | grep -Eq '^/proc/self/fd/[0-9]+$' || fail "-r FIFO not handed over: $(last_record)"
done

note "reject: refused before runc runs, error in runc's log and on stderr"
reset_records
kmem_config "$RUNC" '.kernel_memory.policy = "reject"'
set +e
printf '%s\n' "$SENT" | kmem_guard "${G[@]}" update -r - ctr1 2>"$T/stderr"
rc=$?
set -e
expect_eq "$rc" 1 "exit code on reject"
[[ ! -e "$T/record.jsonl" ]] || fail "runc ran despite reject"
expect_eq "$(jq -r .level "$T/log.json")" error "log level"
jq -r .msg "$T/log.json" | grep -q 'runc-guard: kernel memory limit refused in update (memory.kernel=67108864): kernel 3.10.0-1160.el7.x86_64 is older than 4.0' \
  || fail "reject message missing from runc's log: $(cat "$T/log.json")"
grep -q 'kernel memory limit refused' "$T/stderr" || fail "reject message missing from stderr"
[[ -n "$(events_named kmem.rejected)" ]] || fail "no kmem.rejected event"

reset_records
set +e
kmem_guard "${G[@]}" update --kernel-memory-tcp 1 ctr1 </dev/null 2>/dev/null
rc=$?
set -e
expect_eq "$rc" 1 "exit code on flag reject"
[[ ! -e "$T/record.jsonl" ]] || fail "runc ran despite reject"

note "observe: everything reaches runc unchanged, the event says what would have happened"
reset_records
kmem_config "$RUNC" '.mode = "observe"'
printf '%s\n' "$SENT" | kmem_guard "${G[@]}" update -r - --kernel-memory 1 ctr1
expect_eq "$(last_record | jq -r .stdin)" "$SENT" "observe stdin"
expect_eq "$(last_record | jq -c '.argv[8:]')" '["-r","-","--kernel-memory","1","ctr1"]' "observe argv"
expect_eq "$(events_named kmem.stripped | jq -c .details.observe)" true "observe event"
[[ ! -e "$T/log.json" ]] || fail "observe wrote to runc's log"

note "kernel >= 4.0: nothing changes"
reset_records
kmem_config "$RUNC" '.kernel_memory.kernel_release = "4.19.0-0.bpo.8-amd64"'
kmem_guard "${G[@]}" update --kernel-memory 64M ctr1 </dev/null
expect_eq "$(last_record | jq -c '.argv[8:]')" '["--kernel-memory","64M","ctr1"]' "argv on a new kernel"
[[ ! -e "$T/events.jsonl" || -z "$(cat "$T/events.jsonl")" ]] || fail "events_named on a new kernel"

echo "PASS kmem_update"
