#!/usr/bin/env bash
# Quickstart: installs what it needs (Debian packages), builds runc-guard, then shows the two things it is for:
#  1. the incident it exists for — runc 1.0.0-rc93's `runc init` hanging forever while exporting its seccomp
#     program into a 2-page pipe: bare, `start` hangs (killed after 4 s, `runc init` shown in
#     anon_pipe_write); through runc-guard it starts in well under a second with its filter loaded. The
#     real rc93 from ../shared/runtimes when that is beside the checkout, else the project's imitation of it;
#  2. a busybox container through runc-guard over the system's runc, with a kernel-memory limit on a node
#     pretending to be CentOS 7.
# and what runc-guard logged. Safe to re-run; touches no engine config; restores the one machine-wide
# setting it changes (/proc/sys/fs/pipe-user-pages-soft) on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config libseccomp-dev nlohmann-json3-dev libboost-dev
  libmd-dev libcli11-dev libtomlplusplus-dev libgtest-dev libgmock-dev libcap-dev runc busybox-static jq)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "quickstart: run as root (installs packages, runs containers)" >&2; exit 2; }
  echo "==> installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "==> building (build/; the compiler's output goes to build/quickstart-build.log)"
if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release &&
       cmake --build build -j"$(nproc)" --target runc-guard runc-guardctl fake_rc93_runc; } >build-quickstart.log 2>&1; then
  tail -n 30 build-quickstart.log
  echo "quickstart: the build failed (whole log: build-quickstart.log)" >&2
  exit 1
fi
mv -f build-quickstart.log build/quickstart-build.log

DEMO=$(mktemp -d /tmp/runc-guard-quickstart.XXXXXX)
ROOT="$DEMO/state"
PIPE_SOFT=/proc/sys/fs/pipe-user-pages-soft
PIPE_SOFT_WAS=
RC93=
cleanup() {
  [ -n "$PIPE_SOFT_WAS" ] && echo "$PIPE_SOFT_WAS" >"$PIPE_SOFT"
  [ -n "${KMEM_RUNC:-}" ] && "$KMEM_RUNC" --root "$ROOT" delete --force quickstart >/dev/null 2>&1
  [ -n "$RC93" ] && for id in hang-bare hang-guarded; do "$RC93" --root "$DEMO/rc93-state" delete --force "$id" >/dev/null 2>&1 || true; done
  for pid in $(grep -l "RUNC_GUARD_QUICKSTART=$DEMO" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do kill -9 "$pid" 2>/dev/null || true; done
  runc --root "$ROOT" delete --force quickstart >/dev/null 2>&1 || true
  rm -rf "$DEMO"
}
trap cleanup EXIT
export RUNC_GUARD_QUICKSTART=$DEMO  # marks what the demos start, for the cleanup

echo "==> busybox bundle in $DEMO/bundle"
mkdir -p "$DEMO/bundle/rootfs/bin"
cp "$(command -v busybox)" "$DEMO/bundle/rootfs/bin/busybox"
for applet in $(busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$DEMO/bundle/rootfs/bin/$applet"; done
(cd "$DEMO/bundle" && runc spec)
# A container that asks for a kernel-memory limit, as `docker run --kernel-memory 64M` does.
jq '.process.terminal = false
    | .process.args = ["sh", "-c", "echo hello from a container started by runc-guard; grep Seccomp: /proc/self/status"]
    | .linux.resources.memory = {"limit": 268435456, "kernel": 67108864}' \
  "$DEMO/bundle/config.json" >"$DEMO/config.json" && mv "$DEMO/config.json" "$DEMO/bundle/config.json"

echo
echo "==> 1. The incident: runc 1.0.0-rc93, no-new-privileges, a 3-architecture seccomp allow-list, and uid 0"
echo "       over pipe-user-pages-soft (runc init's export pipe shrinks to 2 pages)"
SHARED_RC93=../shared/runtimes/runc-v1.0.0-rc93.xz
if [ -f "$SHARED_RC93" ]; then
  RC93="$DEMO/runc-v1.0.0-rc93"
  RC93_NAME="rc93"
  xz -dc "$SHARED_RC93" >"$RC93" && chmod 0755 "$RC93"
  echo "    using the REAL runc 1.0.0-rc93 ($SHARED_RC93)"
else
  RC93="$DEMO/fake-rc93"
  RC93_NAME="rc93 (imitation)"
  cp build/tests/fake_rc93_runc "$RC93" && chmod 0755 "$RC93"
  echo "    ../shared/runtimes is not beside this checkout: using the project's IMITATION of rc93"
  echo "    (tests/helpers/fake_rc93_runc: its init exports its seccomp program into a 4096 B pipe, as rc93 does)"
fi
mkdir -p "$DEMO/hang/rootfs"
cp -a "$DEMO/bundle/rootfs/." "$DEMO/hang/rootfs/"
(cd "$DEMO/hang" && "$RC93" spec 2>/dev/null || runc spec)
# An allow-list of every x86_64 syscall for x86_64, x86 and x32, as large profiles are: > 8 KiB of BPF.
names=$(sed -nE 's/^#define __NR_([a-z0-9_]+) .*/\1/p' /usr/include/x86_64-linux-gnu/asm/unistd_64.h | jq -R . | jq -s -c .)
jq --argjson names "$names" '.process.terminal = false | .process.args = ["sleep", "1000"] | .process.noNewPrivileges = true
    | .linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                        syscalls: [{names: $names, action: "SCMP_ACT_ALLOW"}]}' \
  "$DEMO/hang/config.json" >"$DEMO/hang.json" && mv "$DEMO/hang.json" "$DEMO/hang/config.json"
echo "    seccomp program: $(build/runc-guardctl seccomp export --bundle "$DEMO/hang" --format bpf -o "$DEMO/program.bpf" >/dev/null && stat -c %s "$DEMO/program.bpf") bytes"
cat >"$DEMO/rc93-guard.json" <<JSON
{"runtime": {"path": "$RC93"}, "log": {"events": "$DEMO/rc93-events.jsonl"}}
JSON
chmod 0644 "$DEMO/rc93-guard.json"
# The limit is machine-wide: wait for anyone else changing it (the test suite takes the same lock).
exec {PIPE_LOCK}>>/run/lock/runc-guard-tests-pipe-user-pages-soft.lock
flock -w 120 "$PIPE_LOCK" || { echo "quickstart: another process holds the pipe-user-pages-soft lock" >&2; exit 1; }
PIPE_SOFT_WAS=$(cat "$PIPE_SOFT")
echo 1 >"$PIPE_SOFT"
echo "    pipe-user-pages-soft: $PIPE_SOFT_WAS -> 1 (restored when this script exits)"
R93=(--root "$DEMO/rc93-state")
"$RC93" "${R93[@]}" create --bundle "$DEMO/hang" hang-bare </dev/null >/dev/null 2>&1
echo "==> bare $RC93_NAME: start"
t0=$(date +%s%N)
if timeout --foreground -s KILL 4 "$RC93" "${R93[@]}" start hang-bare; then echo "    (it did not hang)"; else
  init=$(jq -r .init_process_pid "$DEMO/rc93-state/hang-bare/state.json")
  echo "    start did not return in $((($(date +%s%N) - t0) / 1000000)) ms: killed. runc init (pid $init) waits in $(cat "/proc/$init/wchan")"
fi
echo "==> through runc-guard: create + start"
t0=$(date +%s%N)
RUNC_GUARD_CONFIG="$DEMO/rc93-guard.json" build/runc-guard "${R93[@]}" create --bundle "$DEMO/hang" hang-guarded </dev/null >/dev/null
RUNC_GUARD_CONFIG="$DEMO/rc93-guard.json" build/runc-guard "${R93[@]}" start hang-guarded
init=$(jq -r .init_process_pid "$DEMO/rc93-state/hang-guarded/state.json")
echo "    started in $((($(date +%s%N) - t0) / 1000000)) ms; its process: $(grep -E '^(Seccomp|Seccomp_filters):' "/proc/$init/status" | tr '\n' ' ')"
sleep 0.3
echo "==> what runc-guard logged ($DEMO/rc93-events.jsonl):"
jq -c '{event, details: (.details | {pid, pipe_size_before, pipe_size_after, program_bytes, pipe_capacity, latency_ms} | with_entries(select(.value != null)))}' "$DEMO/rc93-events.jsonl"
echo "$PIPE_SOFT_WAS" >"$PIPE_SOFT" && PIPE_SOFT_WAS=
exec {PIPE_LOCK}>&-
echo

echo "==> 2. A container with a kernel-memory limit, on a node that says it is CentOS 7 (kernel 3.10)"
# Pretend to be a CentOS 7 node (kernel 3.10) so the kernel-memory guard has something to do, over a runc
# that still applies kernel-memory limits (the real rc93; the system's runc ignores them, as runc-guard says).
KMEM_RUNC=$(command -v runc)
[ -f "$SHARED_RC93" ] && KMEM_RUNC=$RC93
cat >"$DEMO/runc-guard.json" <<JSON
{
  "runtime": {"path": "$KMEM_RUNC"},
  "log": {"events": "$DEMO/events.jsonl"},
  "kernel_memory": {"policy": "strip", "kernel_release": "3.10.0-1160.el7.x86_64"}
}
JSON
chmod 0644 "$DEMO/runc-guard.json"
export RUNC_GUARD_CONFIG="$DEMO/runc-guard.json"

echo "==> build/runc-guard --version"
build/runc-guard --version
echo "==> build/runc-guard run quickstart   (runc's argv grammar, exec'd into $("$KMEM_RUNC" --version | head -n 1))"
build/runc-guard --root "$ROOT" --log "$DEMO/log.json" --log-format json run --bundle "$DEMO/bundle" quickstart
echo "==> kernel memory in the bundle's config.json after runc-guard: $(jq -c '.linux.resources.memory' "$DEMO/bundle/config.json")"
echo "==> what runc-guard told runc's log ($DEMO/log.json):"
cat "$DEMO/log.json" 2>/dev/null || echo "(nothing)"
echo "==> runc-guard's event log ($DEMO/events.jsonl):"
if [ -s "$DEMO/events.jsonl" ]; then jq -c . "$DEMO/events.jsonl"; else echo "(no events)"; fi
echo "==> done. Register build/runc-guard with your engine: see README.md, 'Install'."
