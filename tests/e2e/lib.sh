# End-to-end helpers (sourced): a private containerd + dockerd that never touch the system daemons, and a
# private containerd with the CRI plugin driven by crictl (start_cri_containerd, see the CRI section).
#
# Everything lives under one temp dir $E2E (sockets, data-root, exec-root, containerd root/state, logs,
# the runc-guard config and event log). containerd is started by us with its own config and its own
# socket, and dockerd is pointed at it with --containerd, so a system containerd at
# /run/containerd/containerd.sock is never used. RUNC_GUARD_CONFIG is exported into both daemons'
# environments; containerd-shim-runc-v2 inherits containerd's and hands it to runc-guard.
#
# Knobs: E2E_STORAGE_DRIVER (default vfs: the image is one busybox, copies are cheap and nothing needs
# overlay support), REAL_RUNC (default /usr/bin/runc).
#
# Every exit path (trap on EXIT/INT/TERM) removes containers and images, stops the daemons we started
# (by pid), kills shims belonging to our containerd (by pid), unmounts what is left under $E2E and
# removes it.
set -euo pipefail
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  # ctest globs tests/e2e/*.sh; this file is the tests' library, not a test.
  echo "FAIL: tests/e2e/lib.sh is sourced by the e2e tests and is not a test itself; exclude it from the e2e glob in tests/CMakeLists.txt" >&2
  exit 1
fi

RG_BUILD=${RG_BUILD:?RG_BUILD must point at the build directory holding runc-guard}
RG_SOURCE=${RG_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
GUARD="$RG_BUILD/runc-guard"
REAL_RUNC=${REAL_RUNC:-/usr/bin/runc}
E2E_STORAGE_DRIVER=${E2E_STORAGE_DRIVER:-vfs}
E2E_IMAGE=rg-e2e-busybox:latest

E2E_T0=${EPOCHREALTIME/./}
log() {
  local us=$((${EPOCHREALTIME/./} - E2E_T0))
  printf '[%4d.%01ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*" >&2
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# --- cleanup stack ----------------------------------------------------------------------------------------
E2E_EXIT_HOOKS=()
on_exit() { E2E_EXIT_HOOKS+=("$*"); }
e2e_run_exit_hooks() {
  local status=$? i
  trap - EXIT INT TERM ERR
  set +e
  for ((i = ${#E2E_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do eval "${E2E_EXIT_HOOKS[$i]}"; done
  exit "$status"
}
trap e2e_run_exit_hooks EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- preconditions ----------------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || fail "end-to-end tests start dockerd and containerd and need root"
for tool in dockerd docker containerd containerd-shim-runc-v2 ctr jq busybox; do
  command -v "$tool" >/dev/null || fail "required tool '$tool' is not installed (apt-get install docker.io containerd jq busybox-static)"
done
[ -x "$GUARD" ] || fail "$GUARD not built (cmake --build $RG_BUILD --target runc-guard)"
[ -x "$REAL_RUNC" ] || fail "real runc not found at $REAL_RUNC (apt-get install runc)"

# Directories the daemons create at fixed paths whatever their flags (dockerd's plugin discovery dir,
# containerd-shim's socket dir): removed again if they did not exist before and are empty.
E2E_FIXED_DIRS=()
for d in /run/containerd /run/containerd/s /run/docker /run/docker/plugins; do
  [ -e "$d" ] || E2E_FIXED_DIRS=("$d" "${E2E_FIXED_DIRS[@]}")
done
on_exit 'for d in "${E2E_FIXED_DIRS[@]}"; do rmdir "$d" 2>/dev/null; done; true'

E2E=$(mktemp -d /tmp/rg-e2e.XXXXXX)
chmod 0755 "$E2E"
on_exit e2e_remove_tree
# cgroup_processes: pids in the cgroups under our --cgroup-parent / CRI cgroup_parent (/<basename $E2E>),
# in any hierarchy: container processes and runc inits (which get neither our environment nor our argv).
cgroup_processes() {
  local cg
  for cg in /sys/fs/cgroup/*/"$(basename "$E2E")"; do
    [ -d "$cg" ] && find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}
e2e_remove_tree() {
  local mnt cg pid i
  # The --cgroup-parent dirs runc created for our containers (empty once the containers are gone). A
  # process still in one (a container whose shim was killed, a hung runc init) is killed by pid first.
  for pid in $(cgroup_processes); do kill -KILL "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 50; i++)); do
    for cg in /sys/fs/cgroup/*/"$(basename "$E2E")"; do
      [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    compgen -G "/sys/fs/cgroup/*/$(basename "$E2E")" >/dev/null || break
    sleep 0.1
  done
  # Unmount anything still mounted below $E2E (deepest first) so rm never crosses into a mount.
  while read -r mnt; do umount -l "$mnt" 2>/dev/null; done < <(awk -v p="$E2E/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r)
  rm -rf --one-file-system "$E2E"
}

export DOCKER_HOST="unix://$E2E/docker.sock"
export DOCKER_CONFIG="$E2E/docker-cli"
CTRD_SOCK="$E2E/containerd.sock"
CTRD_STATE="$E2E/containerd/state"
CTRD_ROOT="$E2E/containerd/root"
# runc's --root for dockerd-created containers (dockerd passes <exec-root>/runtime-<name>/moby as shim option)
export RUNC_GUARD_CONFIG="$E2E/runc-guard.json"
RG_EVENTS="$E2E/events.jsonl"

# --- runc-guard config ------------------------------------------------------------------------------------
# write_rg_config JSON: atomically replaces $RUNC_GUARD_CONFIG (root-owned, 0644 as runc-guard requires).
# runc-guard reads it on every invocation, so a test can switch it while the daemons run.
write_rg_config() {
  printf '%s\n' "$1" | jq . >"$RUNC_GUARD_CONFIG.new" || fail "invalid runc-guard config JSON: $1"
  chmod 0644 "$RUNC_GUARD_CONFIG.new"
  mv -f "$RUNC_GUARD_CONFIG.new" "$RUNC_GUARD_CONFIG"
}
# The config every test starts from: the real runc and an event log in the temp dir.
# Every virtual patch enforced whatever the runc release: the engines' configs must never trip one.
RG_PATCHES_ENFORCED=$(cat "$RG_SOURCE/tests/data/patches-enforced.json")
base_rg_config() {
  jq -n --arg runc "$REAL_RUNC" --arg events "$RG_EVENTS" --argjson g "$RG_PATCHES_ENFORCED" \
    '{runtime: {path: $runc}, log: {events: $events}, guards: $g}'
}

# events_for ID EVENT: event-log lines for container ID with event name EVENT (JSON lines).
events_for() {
  [ -f "$RG_EVENTS" ] || return 0
  jq -c --arg id "$1" --arg ev "$2" 'select(.id == $id and .event == $ev)' "$RG_EVENTS"
}
# assert_events_valid: every line of the event log is a JSON object with the documented fields, no guard
# failed (open or closed), and the watchdog neither failed nor saw a blocked init (real runc 1.1.5 with
# healthy containers: nothing may be touched).
assert_events_valid() {
  [ -f "$RG_EVENTS" ] || return 0
  jq -e -c 'select((.time|type) != "string" or (.event|type) != "string" or (.command|type) != "string" or (has("id")|not))' \
    "$RG_EVENTS" >"$E2E/bad-events" 2>&1 && fail "malformed event-log lines: $(head -3 "$E2E/bad-events")"
  jq -s -e . "$RG_EVENTS" >/dev/null 2>&1 || fail "event log $RG_EVENTS is not JSON lines: $(head -3 "$RG_EVENTS")"
  local bad
  bad=$(jq -c 'select(.event | test("^(guard\\.failed|guard\\.refused|spec\\.flush_failed|watchdog\\.failed|seccomp\\.cache_error|init\\..*)$"))' "$RG_EVENTS")
  [ -z "$bad" ] || fail "runc-guard reported failures or acted on healthy containers: $bad"
}

# guard_processes: pids of runc-guard processes of this test (exe is our binary, our config in their
# environment) — after exec runc is runc, so any such process is a watchdog (or a hung runc-guard).
guard_processes() {
  local p exe
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    [ "${exe% (deleted)}" = "$(readlink -f "$GUARD")" ] || continue
    tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "RUNC_GUARD_CONFIG=$RUNC_GUARD_CONFIG" && echo "${p#/proc/}"
  done
  return 0
}
# assert_no_guard_processes: no watchdog outlives its watch (waits up to 5s for watches just ending).
assert_no_guard_processes() {
  local i left
  for ((i = 0; i < 50; i++)); do
    left=$(guard_processes)
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  fail "runc-guard processes left behind with no container to watch: $(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo " (pid $p)"; done)"
}

# event_summary: "name×count ..." of the event log, for the test's output.
event_summary() {
  [ -s "$RG_EVENTS" ] || { echo "(empty)"; return 0; }
  jq -r .event "$RG_EVENTS" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}'
}

# --- runc argv recorder -----------------------------------------------------------------------------------
# A root-owned wrapper used as runtime.path: it records that runc-guard exec'd it (the RUNC_GUARD_ACTIVE
# marker runc-guard adds), its argv, and the stdin of `update -r -`, then execs the real runc in place.
RECORDER="$E2E/runc-recorder"
RECORDED="$E2E/runc-calls.log"
make_recorder() {
  cat >"$RECORDER" <<EOF
#!/bin/bash
{ printf 'marker=%s' "\${RUNC_GUARD_ACTIVE:-unset}"; printf ' %q' "\$0" "\$@"; printf '\n'; } >>'$RECORDED'
args=" \$* "
if [[ \$args == *" update "* && \$args == *" - "* ]]; then
  f=\$(mktemp '$E2E/update-stdin.XXXXXX')
  cat >"\$f"
  exec '$REAL_RUNC' "\$@" <"\$f"
fi
exec '$REAL_RUNC' "\$@"
EOF
  chmod 0755 "$RECORDER"
  : >"$RECORDED"
}
# recorded_commands ID: the runc commands (create, start, exec, ...) recorded for container ID, one per line.
recorded_commands() {
  awk -v id="$1" '$0 ~ id {
      for (i = 3; i <= NF; i++) {
        if ($i ~ /^--(root|log|log-format|criu)$/) { i++; continue }
        if ($i ~ /^-/) continue
        print $i; break
      }
    }' "$RECORDED"
}

# --- daemons ----------------------------------------------------------------------------------------------
CTRD_PID=
DOCKERD_PID=

tail_log() { echo "--- last lines of $1 ---" >&2; tail -n "${2:-30}" "$1" >&2 || true; }

# containerd_base_toml DISABLED_PLUGINS: the top of a private containerd config (version 2): root, state,
# sockets and opt dir under $E2E, debug and metrics listeners off, containerd's oom_score left alone.
containerd_base_toml() {
  cat <<EOF
version = 2
root = "$CTRD_ROOT"
state = "$CTRD_STATE"
oom_score = 0
disabled_plugins = $1
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$E2E/opt"
EOF
}

# start_containerd: containerd for dockerd (CRI plugin off).
start_containerd() {
  containerd_base_toml '["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]' \
    >"$E2E/containerd.toml"
  launch_containerd "$E2E/containerd.toml"
}

# Every process our containerd starts (shims, runc, runc-guard and its watchdogs) inherits this
# environment line; the test's own shell does not have it. runc init (runc gives it a fresh environment)
# and container processes (the spec's) do not: they are found through their cgroups (cgroup_processes).
E2E_DAEMON_MARK="RG_E2E_DAEMON=$E2E"

# launch_containerd CONFIG: containerd on CONFIG (root, state and sockets must be ours: $CTRD_ROOT,
# $CTRD_STATE, $CTRD_SOCK), waits until it answers; stopped on exit.
launch_containerd() {
  mkdir -p "$CTRD_ROOT" "$CTRD_STATE" "$E2E/opt"
  env "$E2E_DAEMON_MARK" containerd --config "$1" --log-level info >>"$E2E/containerd.log" 2>&1 &
  CTRD_PID=$!
  if [ -z "${E2E_CTRD_HOOKED:-}" ]; then on_exit stop_containerd; E2E_CTRD_HOOKED=1; fi
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$CTRD_PID" 2>/dev/null || { tail_log "$E2E/containerd.log"; fail "containerd exited during start-up"; }
    ctr --address "$CTRD_SOCK" version >/dev/null 2>&1 && { log "containerd up (pid $CTRD_PID, $(basename "$1"))"; return 0; }
    sleep 0.1
  done
  tail_log "$E2E/containerd.log"
  fail "containerd did not answer on $CTRD_SOCK within 20s"
}

stop_containerd() {
  [ -n "$CTRD_PID" ] || return 0
  # With the CRI plugin: pods and containers are removed through CRI while containerd still runs.
  [ -z "${CRI_UP:-}" ] || cri_remove_all
  CRI_UP=
  # Shims outlive containerd by design; ours are the ones started with our containerd's address.
  local shims pid
  shims=$(for pid in $(pgrep -x containerd-shim 2>/dev/null; pgrep -f '^/usr/bin/containerd-shim-runc-v2 ' 2>/dev/null); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-address $CTRD_SOCK " && echo "$pid"
  done; true)
  kill_and_wait "$CTRD_PID" containerd
  CTRD_PID=
  for pid in $shims; do kill -KILL "$pid" 2>/dev/null || true; done
  kill_marked_processes
}

# marked_processes: pids of processes started by our containerd (E2E_DAEMON_MARK in their environment).
marked_processes() {
  local p
  for p in /proc/[0-9]*; do
    tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "$E2E_DAEMON_MARK" && echo "${p#/proc/}"
  done
  return 0
}
# kill_marked_processes: SIGKILL (by pid) whatever our containerd started and left behind.
kill_marked_processes() {
  local pid
  for pid in $(marked_processes); do kill -KILL "$pid" 2>/dev/null || true; done
  return 0
}

# kill_and_wait PID NAME: SIGTERM, up to 20s, then SIGKILL.
kill_and_wait() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "warning: $2 (pid $pid) ignored SIGTERM for 20s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 0
}

# start_dockerd [EXTRA_DOCKERD_FLAGS...]: a private dockerd on our containerd, runc-guard registered.
start_dockerd() {
  [ -n "$CTRD_PID" ] || start_containerd
  mkdir -p "$E2E/docker" "$E2E/exec" "$DOCKER_CONFIG"
  # Our own (empty) daemon.json instead of /etc/docker/daemon.json; the libtrust key dockerd 20.10 creates
  # lives in /etc/docker/key.json unless "deprecated-key-path" (config-file only) moves it.
  [ -f "$E2E/daemon.json" ] || jq -n --arg key "$E2E/key.json" '{"deprecated-key-path": $key}' >"$E2E/daemon.json"
  dockerd --config-file "$E2E/daemon.json" \
    --data-root "$E2E/docker" --exec-root "$E2E/exec" --pidfile "$E2E/docker.pid" \
    -H "$DOCKER_HOST" --containerd "$CTRD_SOCK" \
    --bridge=none --iptables=false --ip-masq=false --userland-proxy=false \
    --storage-driver "$E2E_STORAGE_DRIVER" --cgroup-parent "/$(basename "$E2E")" \
    --add-runtime "runc-guard=$GUARD" "$@" >>"$E2E/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  # Registered once; stop_dockerd is a no-op when it is already stopped.
  if [ -z "${E2E_DOCKERD_HOOKED:-}" ]; then on_exit stop_dockerd; E2E_DOCKERD_HOOKED=1; fi
  local i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail_log "$E2E/dockerd.log"; fail "dockerd exited during start-up"; }
    docker version >/dev/null 2>&1 && { log "dockerd up (pid $DOCKERD_PID) $*"; return 0; }
    sleep 0.1
  done
  tail_log "$E2E/dockerd.log"
  fail "dockerd did not answer on $DOCKER_HOST within 30s"
}

stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill_and_wait "$DOCKERD_PID" dockerd
  DOCKERD_PID=
}

# remove_all_containers: every container of our private dockerd (nothing else can be in it).
remove_all_containers() {
  [ -n "$DOCKERD_PID" ] || return 0
  local ids
  ids=$(docker ps -aq 2>/dev/null) || return 0
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
  return 0
}

# import_busybox_image: $E2E_IMAGE from a busybox-static rootfs tarball; removed again on exit.
import_busybox_image() {
  local rootfs="$E2E/rootfs" applet
  mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" "$rootfs/tmp" "$rootfs/etc"
  cp "$(command -v busybox)" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  tar -C "$rootfs" -cf "$E2E/rootfs.tar" .
  docker import -c 'ENV PATH=/bin' "$E2E/rootfs.tar" "$E2E_IMAGE" >/dev/null || fail "docker import failed"
  on_exit 'remove_all_containers; [ -z "$DOCKERD_PID" ] || docker rmi -f "$E2E_IMAGE" >/dev/null 2>&1'
  log "imported $E2E_IMAGE"
}

# --- small assertions -------------------------------------------------------------------------------------
assert_eq() {  # assert_eq EXPECTED ACTUAL WHAT
  [ "$1" == "$2" ] || fail "$3: expected $(printf '%q' "$1"), got $(printf '%q' "$2")"
}
assert_contains() {  # assert_contains HAYSTACK NEEDLE WHAT
  [[ "$1" == *"$2"* ]] || fail "$3: expected to contain $(printf '%q' "$2"), got $(printf '%q' "$1")"
}

# container_pid NAME / container_full_id NAME
container_pid() { docker inspect -f '{{.State.Pid}}' "$1"; }
container_full_id() { docker inspect -f '{{.Id}}' "$1"; }

# cgroup_file PID CONTROLLER FILE: a cgroup v1 file of the cgroup PID is in.
cgroup_file() {
  local path
  path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
  [ -n "$path" ] || fail "pid $1 has no $2 cgroup"
  echo "/sys/fs/cgroup/$2$path/$3"
}

# bundle_dir ID: the bundle containerd hands the runtime (config.json lives there while the task exists).
bundle_dir() { echo "$CTRD_STATE/io.containerd.runtime.v2.task/moby/$1"; }

# normalise_docker_error NAME...: stdin with container ids, the given names and our temp dir replaced.
normalise_docker_error() {
  local sed_args=(-E -e "s#$E2E#<E2E>#g" -e 's/[0-9a-f]{64}/<ID>/g' -e 's/\b[0-9a-f]{12}\b/<ID>/g')
  local n
  for n in "$@"; do sed_args+=(-e "s#$n#<NAME>#g"); done
  sed "${sed_args[@]}"
}

# capture CMD...: runs CMD, sets OUT (stdout), ERR (stderr) and RC (exit status) without tripping set -e.
capture() {
  local rc=0
  "$@" >"$E2E/capture.out" 2>"$E2E/capture.err" || rc=$?
  OUT=$(cat "$E2E/capture.out")
  ERR=$(cat "$E2E/capture.err")
  RC=$rc
}

# --- containerd with the CRI plugin (the Kubernetes path), driven by crictl --------------------------------
# A private containerd with the CRI plugin on: its own root, state, socket, CNI dirs and runc root; every
# pod gets linux.cgroup_parent = /<basename of $E2E> (removed by e2e_remove_tree); pods use the host
# network, so no CNI plugin is needed. crictl (v1.26.1, from ../shared/runtimes) talks to it through a
# config file in $E2E, never /etc/crictl.yaml. Images are built here as OCI archives (no network).

RG_RUNTIMES=${RG_RUNTIMES:-$RG_BUILD/runtimes}
# runc_release VERSION / crictl_binary: as in tests/lib.sh (which the e2e tests do not source).
runc_release() {
  local path="$RG_RUNTIMES/runc-$1"
  [ -x "$path" ] || fail "real runc $1 not found at $path: ../shared/runtimes must sit beside the checkout (unpacked by the build's 'runtimes' target)"
  echo "$path"
}
crictl_binary() {
  local path="$RG_RUNTIMES/crictl-v1.26.1"
  [ -x "$path" ] || fail "crictl not found at $path: ../shared/runtimes must sit beside the checkout"
  echo "$path"
}

CRI_RUNC_ROOT="$E2E/runc"                       # runc --root of every handler (options.Root)
CRI_CGROUP_PARENT="/$(basename "$E2E")"
CRI_PAUSE_IMAGE=rg.local/e2e/pause:1
CRI_BUSYBOX_IMAGE=rg.local/e2e/busybox:1
CRI_DATA="$RG_SOURCE/tests/data/cri"
CRI_UP=

# cri_handler_toml NAME BINARY: a runtime handler (runc shim v2) running BINARY as runc, runc state in
# $CRI_RUNC_ROOT, the cgroupfs driver.
cri_handler_toml() {
  cat <<TOML
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$1]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$1.options]
    BinaryName = "$2"
    Root = "$CRI_RUNC_ROOT"
    SystemdCgroup = false
TOML
}

# cri_plugin_toml: the CRI plugin's settings for this machine: restrict_oom_score_adj (lowering
# oom_score_adj is forbidden here), overlayfs, our pause image, CNI dirs in $E2E, no AppArmor/SELinux.
cri_plugin_toml() {
  cat <<TOML
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$CRI_PAUSE_IMAGE"
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$E2E/cni/bin"
    conf_dir = "$E2E/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$E2E/certs.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
TOML
}

# start_cri_containerd NAME=BINARY...: containerd with the CRI plugin and these runtime handlers; waits
# until CRI reports RuntimeReady, then imports the busybox and pause images.
start_cri_containerd() {
  local h
  {
    containerd_base_toml '["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]'
    cri_plugin_toml
    for h in "$@"; do cri_handler_toml "${h%%=*}" "${h#*=}"; done
  } >"$E2E/containerd-cri.toml"
  start_cri_containerd_on "$E2E/containerd-cri.toml"
}

# start_cri_containerd_on CONFIG: the same on a config written elsewhere (e.g. an operator's config.toml
# adapted to our private paths). Images already in $CTRD_ROOT are imported again (idempotent).
start_cri_containerd_on() {
  mkdir -p "$E2E/cni/bin" "$E2E/cni/net.d" "$E2E/certs.d" "$CRI_RUNC_ROOT"
  CRICTL=$(crictl_binary)
  cat >"$E2E/crictl.yaml" <<YAML
runtime-endpoint: unix://$CTRD_SOCK
image-endpoint: unix://$CTRD_SOCK
timeout: 30
debug: false
pull-image-on-create: false
YAML
  launch_containerd "$1"
  CRI_UP=1
  local i ready=
  for ((i = 0; i < 100; i++)); do
    ready=$(cri info 2>/dev/null | jq -r '.status.conditions[] | select(.type == "RuntimeReady") | .status') || true
    [ "$ready" = true ] && break
    sleep 0.1
  done
  [ "$ready" = true ] || { tail_log "$E2E/containerd.log"; fail "containerd's CRI plugin is not RuntimeReady: $(cri info 2>&1 | head -20)"; }
  cri_import_images
}

# cri ARGS...: crictl on our containerd.
cri() { "$CRICTL" --config "$E2E/crictl.yaml" "$@"; }

# cri_remove_all: every pod (and so every container) of our CRI. Whatever cannot be removed (a hung runc)
# is killed by pid after containerd stopped (kill_marked_processes, e2e_remove_tree).
cri_remove_all() {
  # A runc init still running at teardown is hung (or waits for a start that never comes); while one is,
  # its StartContainer is in flight and CRI refuses to remove the container. Killed by pid first.
  local pid
  for pid in $(cgroup_processes); do
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "runc:["* ]] && kill -KILL "$pid" 2>/dev/null || true
  done
  timeout 60 "$CRICTL" --config "$E2E/crictl.yaml" rmp --all --force >/dev/null 2>&1 ||
    echo "warning: crictl rmp --all --force failed; leftovers are killed by pid" >&2
  return 0
}

# build_oci_image OUT_TAR REF CONFIG_JSON: an OCI image archive (oci-layout, index.json, blobs/sha256 with
# manifest, config and one gzip layer) of a busybox-static rootfs with every applet linked; CONFIG_JSON is
# the image config's "config" object (Env, Entrypoint, Cmd, ...). The index names the manifest REF
# (annotation io.containerd.image.name), which is the name `ctr images import` gives it.
build_oci_image() {
  local out=$1 ref=$2 config=$3 rootfs="$E2E/image-rootfs" applet
  if [ ! -d "$rootfs" ]; then
    mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" "$rootfs/tmp" "$rootfs/etc"
    cp "$(command -v busybox)" "$rootfs/bin/busybox"
    for applet in $("$rootfs/bin/busybox" --list); do
      [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
    done
  fi
  python3 - "$out" "$ref" "$config" "$rootfs" <<'PY' || fail "could not build the OCI image $ref"
import gzip, hashlib, io, json, os, platform, sys, tarfile
out, ref, config, rootfs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())

def owned_by_root(info):
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0
    return info

raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    for entry in sorted(os.listdir(rootfs)):
        t.add(os.path.join(rootfs, entry), arcname=entry, filter=owned_by_root)
layer_tar = raw.getvalue()
layer = gzip.compress(layer_tar, mtime=0)
blobs = {}

def blob(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"digest": digest, "size": len(data)}

image_config = {"architecture": arch, "os": "linux", "config": config,
                "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]},
                "history": [{"created_by": "runc-guard tests/e2e/lib.sh build_oci_image"}]}
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       **blob(json.dumps(image_config).encode())},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(layer)}]}
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        **blob(json.dumps(manifest).encode()),
                        "platform": {"architecture": arch, "os": "linux"},
                        "annotations": {"io.containerd.image.name": ref,
                                        "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]}}]}
with tarfile.open(out, "w") as t:
    def add(name, data):
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        t.addfile(info, io.BytesIO(data))
    add("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
    add("index.json", json.dumps(index).encode())
    for digest, data in blobs.items():
        add("blobs/sha256/" + digest.split(":")[1], data)
PY
}

# cri_import_images: $CRI_BUSYBOX_IMAGE (PATH=/bin, sh) and $CRI_PAUSE_IMAGE (sleeps until SIGTERM, then
# exits 0) into containerd's k8s.io namespace, unpacked for overlayfs; CRI must list both.
cri_import_images() {
  local ref
  mkdir -p "$E2E/images"
  [ -f "$E2E/images/busybox.tar" ] || build_oci_image "$E2E/images/busybox.tar" "$CRI_BUSYBOX_IMAGE" \
    '{"Env": ["PATH=/bin"], "Cmd": ["sh"], "WorkingDir": "/"}'
  [ -f "$E2E/images/pause.tar" ] || build_oci_image "$E2E/images/pause.tar" "$CRI_PAUSE_IMAGE" \
    '{"Env": ["PATH=/bin"], "Entrypoint": ["/bin/sh", "-c", "trap \"exit 0\" TERM; sleep 2147483647 & wait"], "WorkingDir": "/"}'
  for ref in busybox pause; do
    ctr -n k8s.io --address "$CTRD_SOCK" images import --snapshotter overlayfs "$E2E/images/$ref.tar" >"$E2E/import.log" 2>&1 ||
      fail "ctr images import $ref.tar failed: $(cat "$E2E/import.log")"
  done
  for ref in "$CRI_BUSYBOX_IMAGE" "$CRI_PAUSE_IMAGE"; do
    cri inspecti "$ref" >/dev/null 2>&1 || fail "CRI does not see the imported image $ref: $(cri images 2>&1)"
  done
  log "images $CRI_BUSYBOX_IMAGE and $CRI_PAUSE_IMAGE imported"
}

# cri_pod_config NAME [JQ_FILTER]: path of a pod sandbox config (tests/data/cri/pod.json) named NAME:
# host network, our cgroup parent and log directory, then JQ_FILTER.
cri_pod_config() {
  local out="$E2E/pod-$1.json"
  mkdir -p "$E2E/pod-logs/$1"
  jq --arg name "$1" --arg cg "$CRI_CGROUP_PARENT" --arg logs "$E2E/pod-logs/$1" \
    '.metadata.name = $name | .metadata.uid = "uid-" + $name | .log_directory = $logs | .linux.cgroup_parent = $cg' \
    "$CRI_DATA/pod.json" | jq "${2:-.}" >"$out" || fail "cannot write pod config $out"
  echo "$out"
}
# cri_container_config NAME TEMPLATE [JQ_FILTER]: path of a container config from tests/data/cri/TEMPLATE
# named NAME with our busybox image, then JQ_FILTER.
cri_container_config() {
  local out="$E2E/container-$1.json"
  jq --arg name "$1" --arg img "$CRI_BUSYBOX_IMAGE" '.metadata.name = $name | .image.image = $img | .log_path = $name + ".log"' \
    "$CRI_DATA/$2" | jq "${3:-.}" >"$out" || fail "cannot write container config $out"
  echo "$out"
}

# cri_bundle ID: the bundle containerd hands the runtime for a CRI container or sandbox.
cri_bundle() { echo "$CTRD_STATE/io.containerd.runtime.v2.task/k8s.io/$1"; }
# cri_pid ID: the host pid of a CRI container's process.
cri_pid() { cri inspect "$1" | jq -r '.info.pid'; }
