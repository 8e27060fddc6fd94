# Kernel memory with the real runc releases, on cgroupfs v1, runc-guard told the kernel is 3.10
# (kernel_memory.kernel_release = 3.10.0-1160.el7.x86_64). Every create/update is run under
# `strace -f -e trace=openat,openat2` (runc-guard execs runc in place, so the trace of a runc-guard
# invocation is runc's too) and the trace is searched for memory.kmem.limit_in_bytes /
# memory.kmem.tcp.limit_in_bytes opened for writing.
#
#  A. implicit accounting (rc10, rc92, rc93): with only a memory limit, bare runc opens
#     memory.kmem.limit_in_bytes for writing on the memory cgroup it creates (to switch accounting on);
#     through runc-guard it does not (the cgroup is pre-created), and the container keeps its memory limit.
#  B. explicit kmem limits, honoured by rc10, rc92, rc93: bare runc writes them; policy strip: config.json
#     loses the kernel fields, runc writes no kmem file, the memory limit stays; update --kernel-memory and
#     update -r - likewise; policy reject: create fails before runc, error in runc's --log.
#  C. explicit kmem limits, ignored by rc94 and every later release (and Debian's 1.1.5): bare runc writes
#     no kmem file and warns "Kernel memory settings are ignored and will be removed" itself. runc-guard
#     has nothing to protect: config.json is not rewritten, runc's log is the same as bare, and the event
#     log says why (event kmem.ignored_by_runc, details settings / runc_version / policy) — also for
#     update --kernel-memory and under policy reject.
source "$(dirname "$0")/../lib.sh"
need strace

MEM=/sys/fs/cgroup/memory
[ -f "$MEM/memory.kmem.limit_in_bytes" ] || fail "needs cgroup v1 with kernel-memory files at $MEM"
make_workdir WORK
EVENTS="$WORK/events.jsonl"
CG="rg-kmem-real-$$"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
HONOURING=(v1.0.0-rc10 v1.0.0-rc92 v1.0.0-rc93)
IGNORING=(v1.0.0-rc94 v1.0.0-rc95 v1.0.0 v1.0.3 v1.1.0 v1.1.12 v1.1.15 debian-1.1.5)
LIMIT=268435456
KMEM='{"kernel":67108864,"kernelTCP":16777216}'

runc_of() { if [ "$1" = debian-1.1.5 ]; then echo /usr/bin/runc; else runc_release "$1"; fi; }

TRACERS=()
cleanup_all() {
  local pid v state c d
  for v in "${HONOURING[@]}" "${IGNORING[@]}"; do
    state="$WORK/state-$v"
    [ -d "$state" ] || continue
    for c in "$state"/*/; do [ -d "$c" ] && "$(runc_of "$v")" --root "$state" delete --force "$(basename "$c")" >/dev/null 2>&1; done
  done
  for pid in "${TRACERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for d in /sys/fs/cgroup/*/"$CG"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}
on_exit cleanup_all

# guard_config RUNC [POLICY]: runc-guard over RUNC on a kernel reported as 3.10.
guard_config() {
  jq -n --arg runc "$1" --arg events "$EVENTS" --arg policy "${2:-strip}" \
    '{runtime: {path: $runc}, log: {events: $events},
      kernel_memory: {kernel_release: "3.10.0-1160.el7.x86_64", policy: $policy}}' >"$RUNC_GUARD_CONFIG"
  chmod 0644 "$RUNC_GUARD_CONFIG"
  rm -f "$EVENTS"
}

# bundle V NAME MEMORY_JSON → a bundle (V's own `runc spec`) in cgroup /$CG/NAME with these memory settings.
bundle() {
  local dir="$WORK/bundles/$2"
  mkdir -p "$dir"
  [ -d "$WORK/rootfs" ] || make_rootfs "$WORK/rootfs"
  cp -a "$WORK/rootfs" "$dir/rootfs"
  REAL_RUNC=$(runc_of "$1") make_bundle "$dir" sleep 300
  jq --arg cg "/$CG/$2" --argjson m "$3" '.linux.cgroupsPath = $cg | .linux.resources.memory = $m' "$dir/config.json" >"$dir/config.new"
  mv "$dir/config.new" "$dir/config.json"
  echo "$dir"
}

# traced NAME CMD...: CMD under strace -f (openat, openat2) into $WORK/NAME.trace; returns CMD's exit status
# as soon as CMD has exited (the container's init, traced too, lives on: end_traces after deleting it).
traced() {
  local name=$1 i
  shift
  rm -f "$WORK/$name.rc"
  strace -f -qq -o "$WORK/$name.trace" -e trace=openat,openat2 \
    sh -c '"$@" </dev/null >"$0.out" 2>&1; echo $? >"$0.rc"' "$WORK/$name" "$@" &
  TRACERS+=($!)
  for i in $(seq 300); do [ -s "$WORK/$name.rc" ] && return "$(cat "$WORK/$name.rc")"; sleep 0.1; done
  fail "$name: $* did not return within 30 s under strace"
}
end_traces() {
  local pid i
  for pid in "${TRACERS[@]}"; do
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "strace $pid still running: a traced process outlived its container"
    wait "$pid" 2>/dev/null || true
  done
  TRACERS=()
}
# kmem_writes NAME: the trace's opens of a kernel-memory limit file for writing.
kmem_writes() { grep -E 'memory\.kmem\.(tcp\.)?limit_in_bytes.*O_(WRONLY|RDWR)' "$WORK/$1.trace" || true; }
# memory_limit_written NAME: the trace shows runc writing the memory limit of container NAME (it is runc's).
memory_limit_written() { grep -qE "$CG/$1/memory\.limit_in_bytes.*O_WRONLY" "$WORK/$1.trace"; }
count_writes() { kmem_writes "$1" | grep -c . || true; }
memory_limit() { cat "$MEM/$CG/$1/memory.limit_in_bytes"; }
runc_msgs() { jq -r 'select(.msg != null) | "\(.level): \(.msg)"' "$1" 2>/dev/null || true; }

# ---- A: implicit kmem accounting on every memory cgroup runc creates ----
for v in "${HONOURING[@]}"; do
  note "A $v: memory limit only"
  R=$(runc_of "$v") S="$WORK/state-$v"
  B=$(bundle "$v" "$v-a-bare" "{\"limit\": $LIMIT}")
  traced "$v-a-bare" "$R" --root "$S" create --bundle "$B" "$v-a-bare" || fail "bare $v create: $(cat "$WORK/$v-a-bare.out")"
  [ "$(count_writes "$v-a-bare")" -ge 1 ] || fail "bare $v did not open memory.kmem.limit_in_bytes for writing: no bug reproduced"
  kmem_writes "$v-a-bare" | grep -q "$CG/$v-a-bare/memory.kmem.limit_in_bytes" || fail "bare $v: kmem write not on its own cgroup: $(kmem_writes "$v-a-bare")"
  expect_eq "$(memory_limit "$v-a-bare")" $LIMIT "bare $v memory limit"

  guard_config "$R"
  B=$(bundle "$v" "$v-a-guard" "{\"limit\": $LIMIT}")
  traced "$v-a-guard" "$GUARD" --root "$S" create --bundle "$B" "$v-a-guard" || fail "$v create through runc-guard: $(cat "$WORK/$v-a-guard.out")"
  [ -z "$(kmem_writes "$v-a-guard")" ] || fail "$v through runc-guard still opened a kmem file for writing: $(kmem_writes "$v-a-guard")"
  memory_limit_written "$v-a-guard" || fail "$v: the trace through runc-guard does not show runc writing the memory limit (is runc traced at all?)"
  expect_eq "$(memory_limit "$v-a-guard")" $LIMIT "$v memory limit through runc-guard"
  expect_eq "$("$R" --root "$S" state "$v-a-guard" | jq -r .status)" created "$v container through runc-guard"
  expect_eq "$(events_named kmem.accounting_prevented | jq -r .details.runc_version)" "${v#v}" "kmem.accounting_prevented event"
  [ ! -s "$WORK/$v-a-guard.out" ] || fail "$v: runc-guard create printed: $(cat "$WORK/$v-a-guard.out")"
  "$R" --root "$S" delete --force "$v-a-bare"
  "$R" --root "$S" delete --force "$v-a-guard"
  end_traces
  echo "ok: $v: bare opened kmem.limit_in_bytes for writing $(count_writes "$v-a-bare")x; through runc-guard 0x, memory limit kept"
done

# ---- B: explicit kmem limits, honoured by rc10 … rc93 ----
for v in "${HONOURING[@]}"; do
  note "B $v: explicit kernel and kernelTCP limits"
  R=$(runc_of "$v") S="$WORK/state-$v"
  MEMJSON=$(jq -c --argjson l $LIMIT '. + {limit: $l}' <<<"$KMEM")
  B=$(bundle "$v" "$v-b-bare" "$MEMJSON")
  traced "$v-b-bare" "$R" --root "$S" create --bundle "$B" "$v-b-bare" || fail "bare $v create: $(cat "$WORK/$v-b-bare.out")"
  kmem_writes "$v-b-bare" | grep -q 'memory\.kmem\.tcp\.limit_in_bytes' || fail "bare $v did not write the kernelTCP limit"
  [ "$(kmem_writes "$v-b-bare" | grep -c 'memory\.kmem\.limit_in_bytes')" -ge 3 ] || fail "bare $v did not write the kernel limit (after enabling): $(kmem_writes "$v-b-bare")"

  note "B $v: policy strip"
  guard_config "$R" strip
  B=$(bundle "$v" "$v-b-strip" "$MEMJSON")
  cp "$B/config.json" "$WORK/config.orig"
  traced "$v-b-strip" "$GUARD" --root "$S" --log "$WORK/$v-b-strip.log" --log-format json create --bundle "$B" "$v-b-strip" ||
    fail "$v create through runc-guard (strip): $(cat "$WORK/$v-b-strip.out" "$WORK/$v-b-strip.log")"
  expect_eq "$(jq -c .linux.resources.memory "$B/config.json")" "{\"limit\":$LIMIT}" "$v config.json memory after create"
  expect_eq "$(jq -c 'del(.linux.resources.memory)' "$B/config.json")" "$(jq -c 'del(.linux.resources.memory)' "$WORK/config.orig")" "$v: the rest of config.json"
  [ -z "$(kmem_writes "$v-b-strip")" ] || fail "$v wrote a kmem limit through runc-guard: $(kmem_writes "$v-b-strip")"
  memory_limit_written "$v-b-strip" || fail "$v: runc's memory limit write is not in the trace through runc-guard"
  expect_eq "$(memory_limit "$v-b-strip")" $LIMIT "$v memory limit (strip)"
  expect_eq "$(events_named kmem.stripped | jq -c '[.id, .details.settings]')" "[\"$v-b-strip\",$KMEM]" "$v kmem.stripped event"
  runc_msgs "$WORK/$v-b-strip.log" | grep -q '^warning: runc-guard: kernel memory limit removed' ||
    fail "$v: no warning in runc's log: $(cat "$WORK/$v-b-strip.log")"

  if [ "$v" = v1.0.0-rc93 ]; then
    note "B $v: start, update --kernel-memory and update -r - (stripped, the rest applied)"
    "$GUARD" --root "$S" start "$v-b-strip" || fail "start through runc-guard"
    expect_eq "$("$R" --root "$S" state "$v-b-strip" | jq -r .status)" running "$v container after start"
    traced upd-bare "$R" --root "$S" update --kernel-memory 64M --memory 200M "$v-b-bare" || fail "bare update: $(cat "$WORK/upd-bare.out")"
    [ -n "$(kmem_writes upd-bare)" ] || fail "bare $v update --kernel-memory wrote no kmem limit"
    traced upd-flags "$GUARD" --root "$S" --log "$WORK/upd-flags.log" --log-format json update --kernel-memory 64M --memory 200M "$v-b-strip" ||
      fail "update through runc-guard: $(cat "$WORK/upd-flags.out" "$WORK/upd-flags.log")"
    [ -z "$(kmem_writes upd-flags)" ] || fail "update --kernel-memory through runc-guard wrote: $(kmem_writes upd-flags)"
    expect_eq "$(memory_limit "$v-b-strip")" $((200 * 1024 * 1024)) "memory limit after update"
    traced upd-stdin sh -c 'printf "%s\n" "{\"memory\":{\"limit\":134217728,\"kernel\":1000000}}" | "$@"' sh \
      "$GUARD" --root "$S" update --resources - "$v-b-strip" || fail "update -r - through runc-guard: $(cat "$WORK/upd-stdin.out")"
    [ -z "$(kmem_writes upd-stdin)" ] || fail "update -r - through runc-guard wrote: $(kmem_writes upd-stdin)"
    expect_eq "$(memory_limit "$v-b-strip")" 134217728 "memory limit after update -r -"
    expect_eq "$(events_named kmem.stripped | wc -l)" 3 "kmem.stripped events (create, update flags, update -r -)"
  fi

  note "B $v: policy reject"
  guard_config "$R" reject
  B=$(bundle "$v" "$v-b-rej" "$MEMJSON")
  cp "$B/config.json" "$WORK/config.orig"
  rc=0
  "$GUARD" --root "$S" --log "$WORK/$v-b-rej.log" --log-format json create --bundle "$B" "$v-b-rej" </dev/null >/dev/null 2>&1 || rc=$?
  expect_eq "$rc" 1 "$v reject: exit code"
  cmp -s "$B/config.json" "$WORK/config.orig" || fail "$v reject: config.json changed"
  runc_msgs "$WORK/$v-b-rej.log" | grep -q '^error: runc-guard: kernel memory limit refused (linux.resources.memory.kernel=67108864, linux.resources.memory.kernelTCP=16777216)' ||
    fail "$v reject: no error in runc's log: $(cat "$WORK/$v-b-rej.log")"
  [ ! -d "$S/$v-b-rej" ] || fail "$v reject: the container exists"
  [ ! -d "$MEM/$CG/$v-b-rej" ] || fail "$v reject: the container has a memory cgroup"
  [ -n "$(events_named kmem.rejected)" ] || fail "$v reject: no kmem.rejected event"

  "$R" --root "$S" delete --force "$v-b-bare"
  "$R" --root "$S" delete --force "$v-b-strip"
  end_traces
  echo "ok: $v: bare wrote kmem limits $(count_writes "$v-b-bare")x; strip: none written, memory limit kept; reject: refused before runc"
done

# ---- C: explicit kmem limits, ignored by rc94 and later ----
for v in "${IGNORING[@]}"; do
  note "C $v: explicit kernel and kernelTCP limits"
  R=$(runc_of "$v") S="$WORK/state-$v"
  version=$("$R" --version | sed -n 's/^runc version //p')
  MEMJSON=$(jq -c --argjson l $LIMIT '. + {limit: $l}' <<<"$KMEM")
  B=$(bundle "$v" "$v-c-bare" "$MEMJSON")
  traced "$v-c-bare" "$R" --root "$S" --log "$WORK/$v-c-bare.log" --log-format json create --bundle "$B" "$v-c-bare" ||
    fail "bare $v create: $(cat "$WORK/$v-c-bare.out")"
  [ -z "$(kmem_writes "$v-c-bare")" ] || fail "bare $v wrote a kmem limit: $(kmem_writes "$v-c-bare") — it does not ignore kmem"
  expect_eq "$(runc_msgs "$WORK/$v-c-bare.log")" "warning: Kernel memory settings are ignored and will be removed" "bare $v log"

  policy=strip
  [ "$v" = v1.1.15 ] && policy=reject  # refusing a setting runc ignores would fail a container that runs fine
  guard_config "$R" $policy
  B=$(bundle "$v" "$v-c-guard" "$MEMJSON")
  before=$(stat -c '%i %s %Y' "$B/config.json")
  sum=$(sha256sum <"$B/config.json")
  traced "$v-c-guard" "$GUARD" --root "$S" --log "$WORK/$v-c-guard.log" --log-format json create --bundle "$B" "$v-c-guard" ||
    fail "$v create through runc-guard ($policy): $(cat "$WORK/$v-c-guard.out" "$WORK/$v-c-guard.log")"
  expect_eq "$(events_named kmem.ignored_by_runc | jq -c '.details | {settings, runc_version, policy}')" \
    "{\"settings\":$KMEM,\"runc_version\":\"$version\",\"policy\":\"$policy\"}" "$v: kmem.ignored_by_runc event"
  [ -z "$(kmem_writes "$v-c-guard")" ] || fail "$v wrote a kmem limit through runc-guard: $(kmem_writes "$v-c-guard")"
  memory_limit_written "$v-c-guard" || fail "$v: runc's memory limit write is not in the trace through runc-guard"
  expect_eq "$(memory_limit "$v-c-guard")" $LIMIT "$v memory limit through runc-guard"
  expect_eq "$(stat -c '%i %s %Y' "$B/config.json") $(sha256sum <"$B/config.json")" "$before $sum" "$v: config.json not rewritten"
  expect_eq "$(runc_msgs "$WORK/$v-c-guard.log")" "$(runc_msgs "$WORK/$v-c-bare.log")" "$v: runc's log through runc-guard (runc's own warning only)"
  [ -z "$(events_named kmem.stripped)$(events_named kmem.rejected)" ] || fail "$v: kmem stripped/rejected although runc ignores it: $(cat "$EVENTS")"

  if [ "$v" = debian-1.1.5 ]; then
    note "C $v: update --kernel-memory reaches runc unchanged (runc warns itself)"
    rm -f "$EVENTS"
    "$R" --root "$S" --log "$WORK/upd-c-bare.log" --log-format json update --kernel-memory 64M --memory 200M "$v-c-bare" ||
      fail "bare update: $(cat "$WORK/upd-c-bare.log")"
    "$GUARD" --root "$S" --log "$WORK/upd-c-guard.log" --log-format json update --kernel-memory 64M --memory 200M "$v-c-guard" </dev/null ||
      fail "update through runc-guard: $(cat "$WORK/upd-c-guard.log")"
    expect_eq "$(runc_msgs "$WORK/upd-c-guard.log")" "$(runc_msgs "$WORK/upd-c-bare.log")" "update: runc's log through runc-guard"
    expect_eq "$(runc_msgs "$WORK/upd-c-guard.log")" "warning: Kernel memory settings are ignored and will be removed" "update: runc saw --kernel-memory"
    expect_eq "$(memory_limit "$v-c-guard")" $((200 * 1024 * 1024)) "memory limit after update"
    expect_eq "$(events_named kmem.ignored_by_runc | jq -c .details.settings)" '{"--kernel-memory":"64M"}' "update: kmem.ignored_by_runc event"
    [ -z "$(events_named kmem.stripped)" ] || fail "update: stripped although runc ignores it"
  fi

  "$R" --root "$S" delete --force "$v-c-bare"
  "$R" --root "$S" delete --force "$v-c-guard"
  end_traces
  echo "ok: $v ignores kmem itself; through runc-guard ($policy) config.json untouched, kmem.ignored_by_runc logged"
done
echo "PASS kmem_real_runc"
