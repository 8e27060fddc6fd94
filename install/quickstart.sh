#!/usr/bin/env bash
# Quickstart: installs what it needs (Debian packages), builds runc-guard, runs a busybox container through
# runc-guard over the real runc, and shows what runc-guard logged. Safe to re-run; touches no engine config.
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

echo "==> building (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target runc-guard runc-guardctl >/dev/null

DEMO=$(mktemp -d /tmp/runc-guard-quickstart.XXXXXX)
ROOT="$DEMO/state"
cleanup() {
  runc --root "$ROOT" delete --force quickstart >/dev/null 2>&1 || true
  rm -rf "$DEMO"
}
trap cleanup EXIT

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

# Pretend to be a CentOS 7 node (kernel 3.10) so the kernel-memory guard has something to do.
cat >"$DEMO/runc-guard.json" <<JSON
{
  "runtime": {"path": "$(command -v runc)"},
  "log": {"events": "$DEMO/events.jsonl"},
  "kernel_memory": {"policy": "strip", "kernel_release": "3.10.0-1160.el7.x86_64"}
}
JSON
chmod 0644 "$DEMO/runc-guard.json"
export RUNC_GUARD_CONFIG="$DEMO/runc-guard.json"

echo "==> build/runc-guard --version"
build/runc-guard --version
echo "==> build/runc-guard run quickstart   (runc's argv grammar, exec'd into the real runc)"
build/runc-guard --root "$ROOT" --log "$DEMO/log.json" --log-format json run --bundle "$DEMO/bundle" quickstart
echo "==> kernel memory in the bundle's config.json after runc-guard: $(jq -c '.linux.resources.memory' "$DEMO/bundle/config.json")"
echo "==> what runc-guard told runc's log ($DEMO/log.json):"
cat "$DEMO/log.json" 2>/dev/null || echo "(nothing)"
echo "==> runc-guard's event log ($DEMO/events.jsonl):"
if [ -s "$DEMO/events.jsonl" ]; then jq -c . "$DEMO/events.jsonl"; else echo "(no events)"; fi
echo "==> done. Register build/runc-guard with your engine: see README.md, 'Install'."
