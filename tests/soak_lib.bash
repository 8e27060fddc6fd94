# The soak shared by tests/integration/soak.sh (CI, 200 lifecycles) and tests/bench/soak.sh (by hand, 1000):
# soak_run N PARALLEL drives N container lifecycles through runc-guard, PARALLEL at a time, and fails on
# anything they leave behind. Sourced after lib.sh; not a test itself.
#
# Each lifecycle, as containerd drives runc (--root, --log, --log-format json): create (noNewPrivileges,
# docker 20.10's default seccomp profile, a memory limit, cgroupsPath /rg-soak-<pid>/<id>), start, exec
# (foreground, its output read through a pipe), kill KILL, wait for "stopped", delete. runc-guard is told
# the kernel is 3.10 (kernel_memory.kernel_release), so kernel-memory limits are a hazard:
#   * 1 lifecycle in 4: kmem limits, runtime.path = the real runc 1.0.0-rc93, which honours them: the kmem
#     guard strips them (config.json rewritten atomically, compared byte for byte with a reference strip)
#     and pre-creates the memory cgroup (rc93 would switch kmem accounting on);
#   * 1 in 4: kmem limits, runtime.path = Debian's runc 1.1.5, which ignores them itself: config.json must
#     stay byte-identical (event kmem.ignored_by_runc);
#   * 2 in 4: no kmem limits, Debian's runc 1.1.5.
# Afterwards: 0 failed commands, `runc list` empty for both state roots, no runc / runc init / rg-watchdog /
# container process of the test, no cgroup directory below the test's parent in any hierarchy, the driver
# shell's fds unchanged, every event-log line whole JSON with no guard.failed (nor watchdog.failed,
# spec.flush_failed, init.killed), the kmem events and metrics counted exactly, no temp file in a bundle.
# Prints lifecycles/s, the wall time and each command's median.

SOAK_STEPS=(create start exec kill delete)

# soak_setup: work dir, configs, templates, a reference strip. Sets the SOAK_* globals.
soak_setup() {
  SOAK_RC93=$(runc_release v1.0.0-rc93)
  SOAK_DEBIAN=$(readlink -f "$REAL_RUNC")
  local profile_src="$SHARED_TESTDATA/default.config.json"
  [ -f "$profile_src" ] || fail "docker's default config $profile_src missing"
  make_workdir SOAK_WORK
  SOAK_CG="/rg-soak-$$"
  SOAK_ROOT_DEB="$SOAK_WORK/root-debian"
  SOAK_ROOT_RC93="$SOAK_WORK/root-rc93"
  EVENTS="$SOAK_WORK/events.jsonl"
  SOAK_METRICS="$SOAK_WORK/metrics"
  mkdir -p "$SOAK_WORK/bundles" "$SOAK_WORK/out" "$SOAK_METRICS"
  on_exit soak_cleanup

  local runc
  for runc in debian rc93; do
    local path=$SOAK_DEBIAN
    [ $runc = rc93 ] && path=$SOAK_RC93
    jq -n --arg runc "$path" --arg events "$EVENTS" --arg metrics "$SOAK_METRICS" --arg cache "$SOAK_WORK/seccomp-cache" \
      '{runtime: {path: $runc}, log: {events: $events}, metrics: {textfile_dir: $metrics},
        seccomp: {cache_dir: $cache}, kernel_memory: {kernel_release: "3.10.0-1160.el7.x86_64"}}' >"$SOAK_WORK/guard-$runc.json"
    chmod 0644 "$SOAK_WORK/guard-$runc.json"
  done
  SOAK_CFG_DEB="$SOAK_WORK/guard-debian.json"
  SOAK_CFG_RC93="$SOAK_WORK/guard-rc93.json"

  # One busybox rootfs shared by every container (root.path is absolute, as docker's is).
  make_bundle "$SOAK_WORK/proto" sleep 300
  jq --slurpfile d "$profile_src" --arg rootfs "$SOAK_WORK/proto/rootfs" --arg cg "$SOAK_CG/__ID__" \
    '.root.path = $rootfs | .process.noNewPrivileges = true | .linux.seccomp = $d[0].linux.seccomp
     | .linux.cgroupsPath = $cg | .linux.resources.memory = {limit: 268435456}' \
    "$SOAK_WORK/proto/config.json" >"$SOAK_WORK/plain.json"
  jq '.linux.resources.memory += {kernel: 67108864, kernelTCP: 16777216}' "$SOAK_WORK/plain.json" >"$SOAK_WORK/kmem.json"
  IFS= read -r -d '' SOAK_PLAIN <"$SOAK_WORK/plain.json" || true
  IFS= read -r -d '' SOAK_KMEM <"$SOAK_WORK/kmem.json" || true

  # The reference strip: one create through runc-guard over rc93 (the placeholder id survives the rewrite,
  # so ${SOAK_STRIPPED//__ID__/<id>} is what every later strip must produce).
  mkdir -p "$SOAK_WORK/ref"
  printf '%s' "$SOAK_KMEM" >"$SOAK_WORK/ref/config.json"
  RUNC_GUARD_CONFIG=$SOAK_CFG_RC93 "$GUARD" --root "$SOAK_ROOT_RC93" create --bundle "$SOAK_WORK/ref" __ID__ </dev/null ||
    fail "reference create through runc-guard over rc93 failed"
  "$SOAK_RC93" --root "$SOAK_ROOT_RC93" delete --force __ID__ || fail "reference delete failed"
  IFS= read -r -d '' SOAK_STRIPPED <"$SOAK_WORK/ref/config.json" || true
  [[ $SOAK_STRIPPED != "$SOAK_KMEM" ]] || fail "the reference create over rc93 did not rewrite config.json (no kmem strip)"
  expect_eq "$(jq -cS . "$SOAK_WORK/ref/config.json")" "$(jq -cS 'del(.linux.resources.memory.kernel, .linux.resources.memory.kernelTCP)' "$SOAK_WORK/kmem.json")" \
    "reference strip: config.json without the kernel-memory fields, the rest unchanged"
  rm -f "$EVENTS" "$SOAK_METRICS"/*.prom
}

soak_cleanup() { kill_and_delete_all "$SOAK_WORK" "$SOAK_CG" "$SOAK_DEBIAN:$SOAK_ROOT_DEB" "$SOAK_RC93:$SOAK_ROOT_RC93"; }

# soak_failure ID WHAT: recorded in the worker's failure file; the soak goes on.
soak_failure() { printf '%s: %s\n' "$1" "$2" >>"$SOAK_WORK/out/failures.$SOAK_K"; }

# soak_step STEP ID CONFIG CMD...: CMD (runc-guard) with that config, stdin /dev/null, stderr into a file;
# the duration (µs) goes to the worker's times file (STEP "-": not timed). A non-zero exit or anything on
# stderr is a failure. stdout: into a file for create and start (the container's process keeps runc's
# stdio, as containerd's fifos), else read through a pipe into SOAK_OUT (exec, state: a process that kept
# the pipe open, e.g. a watchdog holding the caller's stdio, would hold this up).
soak_step() {
  local step=$1 id=$2 cfg=$3 rc=0 t0 t1
  shift 3
  t0=$EPOCHREALTIME
  if [[ $step == create || $step == start ]]; then
    RUNC_GUARD_CONFIG=$cfg "$@" >"$SOAK_ERR.stdout" 2>"$SOAK_ERR" </dev/null || rc=$?
  else
    SOAK_OUT=$(RUNC_GUARD_CONFIG=$cfg "$@" 2>"$SOAK_ERR" </dev/null) || rc=$?
  fi
  t1=$EPOCHREALTIME
  [[ $step == - ]] || echo "$step $((${t1/./} - ${t0/./}))" >&"$SOAK_TIMES_FD"
  if ((rc != 0)) || [[ -s $SOAK_ERR ]]; then
    soak_failure "$id" "$* exited $rc: $(head -c 2000 "$SOAK_ERR")"
    return 1
  fi
}

# soak_lifecycle K I: lifecycle I in worker K's bundle.
soak_lifecycle() {
  local k=$1 i=$2 id="s$2" text expect cfg root runc got n d
  local b="$SOAK_WORK/bundles/$k"
  case $((i % 4)) in
    0) cfg=$SOAK_CFG_RC93 root=$SOAK_ROOT_RC93 runc=$SOAK_RC93 text=${SOAK_KMEM//__ID__/$id} expect=${SOAK_STRIPPED//__ID__/$id} ;;
    2) cfg=$SOAK_CFG_DEB root=$SOAK_ROOT_DEB runc=$SOAK_DEBIAN text=${SOAK_KMEM//__ID__/$id} expect=$text ;;
    *) cfg=$SOAK_CFG_DEB root=$SOAK_ROOT_DEB runc=$SOAK_DEBIAN text=${SOAK_PLAIN//__ID__/$id} expect=$text ;;
  esac
  local G=(--root "$root" --log "$SOAK_WORK/out/log.$k.json" --log-format json)
  printf '%s' "$text" >"$b/config.json"
  if soak_step create "$id" "$cfg" "$GUARD" "${G[@]}" create --bundle "$b" "$id"; then
    got=
    IFS= read -r -d '' got <"$b/config.json" || true
    [[ $got == "$expect" ]] || soak_failure "$id" "config.json after create is neither the expected strip nor unchanged: $got"
    if soak_step start "$id" "$cfg" "$GUARD" "${G[@]}" start "$id" &&
      soak_step exec "$id" "$cfg" "$GUARD" "${G[@]}" exec "$id" echo "soak-$i"; then
      [[ $SOAK_OUT == "soak-$i" ]] || soak_failure "$id" "exec printed [$SOAK_OUT], not [soak-$i]"
    fi
    if soak_step kill "$id" "$cfg" "$GUARD" "${G[@]}" kill "$id" KILL; then
      for ((n = 0; n < 500; n++)); do
        soak_step - "$id" "$cfg" "$GUARD" "${G[@]}" state "$id" || break
        [[ $SOAK_OUT =~ \"status\":\ *\"stopped\" ]] && break
        sleep 0.01
      done
      ((n < 500)) || soak_failure "$id" "not stopped 5 s after kill KILL: $SOAK_OUT"
    fi
    soak_step delete "$id" "$cfg" "$GUARD" "${G[@]}" delete "$id"
  fi
  # Whatever failed, nothing of this container may stay: force it away (a leftover is still reported below).
  if [ -d "$root/$id" ]; then
    soak_failure "$id" "container still in $root after the lifecycle"
    "$runc" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
  fi
  for d in "${SOAK_CGROUP_DIRS[@]}"; do
    [ ! -d "$d/$id" ] || soak_failure "$id" "cgroup directory $d/$id left after delete"
  done
}

# soak_worker K: lifecycles K, K+P, K+2P, … one after the other.
soak_worker() {
  SOAK_K=$1
  SOAK_ERR="$SOAK_WORK/out/stderr.$SOAK_K"
  mkdir -p "$SOAK_WORK/bundles/$SOAK_K"
  exec {SOAK_TIMES_FD}>"$SOAK_WORK/out/times.$SOAK_K"
  local i
  for ((i = SOAK_K; i < SOAK_N; i += SOAK_P)); do soak_lifecycle "$SOAK_K" "$i"; done
}

# median_ms FILE STEP: the median of STEP's durations (µs) in FILE, in ms.
median_ms() {
  awk -v s="$2" '$1 == s {print $2}' "$1" | sort -n | awk '{v[NR] = $1} END {
    if (NR == 0) { print "n/a"; exit }
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'
}

fds_of() { find "/proc/$1/fd" -mindepth 1 -printf '%f %l\n' >"$2"; sort -o "$2" "$2"; }

# metric_value NAME LABELS: a counter from the textfile (0 if absent).
metric_value() { awk -v k="$1${2:-}" '$1 == k {v = $2} END {print v + 0}' "$SOAK_METRICS/runc_guard.prom" 2>/dev/null; }

# soak_run N PARALLEL: the soak; fails on any failure or leftover, prints the figures.
soak_run() {
  SOAK_N=$1 SOAK_P=$2
  [[ $SOAK_N =~ ^[0-9]+$ && $SOAK_P =~ ^[0-9]+$ && $SOAK_P -ge 1 && $SOAK_N -ge 4 ]] ||
    fail "soak: lifecycles ($SOAK_N) and parallelism ($SOAK_P) must be numbers, at least 4 and 1"
  soak_setup
  SOAK_CGROUP_DIRS=()
  local d
  for d in /sys/fs/cgroup/*/; do SOAK_CGROUP_DIRS+=("${d%/}$SOAK_CG"); done

  note "soak: $SOAK_N lifecycles, $SOAK_P at a time, through $GUARD (rc93: $((SOAK_N / 4 + (SOAK_N % 4 > 0))), Debian runc: the rest)"
  fds_of $$ "$SOAK_WORK/fds.before"
  local deadline=$((SECONDS + ${RG_SOAK_DEADLINE_S:-$((120 + SOAK_N))})) t0=$EPOCHREALTIME k pids=()
  for ((k = 0; k < SOAK_P && k < SOAK_N; k++)); do
    soak_worker "$k" &
    pids+=($!)
  done
  local running
  while :; do
    running=0
    for k in "${pids[@]}"; do kill -0 "$k" 2>/dev/null && running=1; done
    ((running)) || break
    if ((SECONDS > deadline)); then
      ps -o pid,etime,args -p "$(processes_with_env "RUNC_GUARD_CONFIG=$SOAK_WORK/" "_LIBCONTAINER_STATEDIR=$SOAK_WORK/" | cut -d' ' -f1 | paste -sd,)" || true
      kill "${pids[@]}" 2>/dev/null || true
      fail "soak: not done after ${RG_SOAK_DEADLINE_S:-$((120 + SOAK_N))} s (runc-guard processes still running above)"
    fi
    sleep 0.2
  done
  for k in "${pids[@]}"; do wait "$k" || fail "soak worker $k exited $?"; done
  local wall_us=$((${EPOCHREALTIME/./} - ${t0/./}))
  fds_of $$ "$SOAK_WORK/fds.after"

  # ---- what must not be left ----
  local failures
  failures=$(cat "$SOAK_WORK"/out/failures.* 2>/dev/null || true)
  [ -z "$failures" ] || fail "soak: $(grep -c . <<<"$failures") failures:
$(head -n 30 <<<"$failures")"
  cat "$SOAK_WORK"/out/times.* >"$SOAK_WORK/times"
  local step
  for step in "${SOAK_STEPS[@]}"; do
    expect_eq "$(awk -v s="$step" '$1 == s' "$SOAK_WORK/times" | wc -l)" "$SOAK_N" "soak: successful ${step}s"
  done
  expect_eq "$("$SOAK_DEBIAN" --root "$SOAK_ROOT_DEB" list -q)$("$SOAK_RC93" --root "$SOAK_ROOT_RC93" list -q)" "" "soak: containers left (runc list -q)"
  # Watchdogs end as soon as the runc they watch has exited: give the last ones a moment (1 s).
  local left=
  for _ in $(seq 20); do
    left=$(processes_with_env "RUNC_GUARD_CONFIG=$SOAK_WORK/" "_LIBCONTAINER_STATEDIR=$SOAK_WORK/")
    [ -n "$left" ] || break
    sleep 0.05
  done
  [ -z "$left" ] || fail "soak: processes left 1 s after the last lifecycle (runc, runc init, rg-watchdog): $(echo $left)"
  expect_eq "$(cgroup_leftovers "$SOAK_CG")" "" "soak: cgroup directories or processes left below $SOAK_CG"
  diff -u "$SOAK_WORK/fds.before" "$SOAK_WORK/fds.after" || fail "soak: the driver's fds changed"
  local temps
  temps=$(find "$SOAK_WORK/bundles" "$SOAK_METRICS" -name '*.runc-guard-*')
  [ -z "$temps" ] || fail "soak: temporary files left: $temps"

  # ---- what runc-guard logged and counted ----
  jq -e . "$EVENTS" >/dev/null || fail "soak: the event log has a line that is not JSON"
  local bad
  bad=$(jq -c 'select(.event | IN("guard.failed", "watchdog.failed", "spec.flush_failed", "init.killed", "init.unstick_failed"))' "$EVENTS")
  [ -z "$bad" ] || fail "soak: failure events: $(head -n 5 <<<"$bad")"
  local n_strip=$(((SOAK_N + 3) / 4)) n_ignored=$(((SOAK_N + 1) / 4))
  expect_eq "$(events_named kmem.stripped | wc -l)" "$n_strip" "soak: kmem.stripped events (one per rc93 create)"
  expect_eq "$(events_named kmem.accounting_prevented | wc -l)" "$n_strip" "soak: kmem.accounting_prevented events (one per rc93 create)"
  expect_eq "$(events_named kmem.ignored_by_runc | wc -l)" "$n_ignored" "soak: kmem.ignored_by_runc events (one per Debian-runc create with kmem limits)"
  expect_eq "$(events_named kmem.stripped | jq -r .id | sort -u | wc -l)" "$n_strip" "soak: distinct containers stripped"
  expect_eq "$(cat "$SOAK_WORK"/out/log.*.json | jq -r 'select(.msg | startswith("runc-guard: kernel memory limit removed")) | .level' | sort | uniq -c | xargs)" \
    "$n_strip warning" "soak: warnings in runc's --log (one per strip)"
  for step in "${SOAK_STEPS[@]}"; do
    expect_eq "$(metric_value runc_guard_invocations_total "{command=\"$step\"}")" "$SOAK_N" "soak: metric runc_guard_invocations_total{command=\"$step\"}"
  done
  expect_eq "$(metric_value runc_guard_kmem_stripped_total)" "$n_strip" "soak: metric runc_guard_kmem_stripped_total"
  local unstuck
  unstuck=$(events_named init.unstuck | wc -l)

  # ---- figures ----
  local wall_s lps
  wall_s=$(awk -v u="$wall_us" 'BEGIN {printf "%.1f", u / 1e6}')
  lps=$(awk -v n="$SOAK_N" -v u="$wall_us" 'BEGIN {printf "%.1f", n / (u / 1e6)}')
  echo "soak: $SOAK_N lifecycles, $SOAK_P at a time: 0 failed commands, 0 containers, 0 processes, 0 cgroup directories left; fds unchanged; no failure events ($unstuck blocked inits un-stuck)"
  echo "soak: wall ${wall_s} s, ${lps} lifecycles/s"
  local line="soak: median ms (under $SOAK_P-way load):"
  for step in "${SOAK_STEPS[@]}"; do line+=" $step $(median_ms "$SOAK_WORK/times" "$step")"; done
  echo "$line"
}
