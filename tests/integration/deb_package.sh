#!/bin/bash
# The .deb: built with CPack from this build, installed with the real dpkg into a private root (other
# engineers and services on this node keep their /usr/bin and /etc untouched), then checked: both static
# binaries in /usr/bin, the default config in observe mode registered as a conffile, docs and manifests,
# no maintainer scripts (it never edits an engine config), runc-guardctl from the package runs doctor,
# and dpkg -r / --purge leave nothing behind.
set -euo pipefail
RG_BUILD=${RG_BUILD:?}
RG_SOURCE=${RG_SOURCE:?}
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in cpack dpkg dpkg-deb jq; do command -v "$tool" >/dev/null || fail "$tool is not installed"; done
[ "$(id -u)" = 0 ] || fail "dpkg needs root"
for b in runc-guard runc-guardctl; do [ -x "$RG_BUILD/$b" ] || fail "$RG_BUILD/$b not built"; done

WORK=$(mktemp -d /tmp/rg-deb.XXXXXX)
ROOT="$WORK/root"
cleanup() {
  dpkg --root="$ROOT" --purge runc-guard >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Engine configs of this node, to prove the package leaves them alone.
engine_sums() { sha256sum /etc/docker/daemon.json /etc/containerd/config.toml 2>/dev/null || true; }
before=$(engine_sums)

(cd "$WORK" && cpack --config "$RG_BUILD/CPackConfig.cmake" -B "$WORK/out" >"$WORK/cpack.log" 2>&1) ||
  { tail -20 "$WORK/cpack.log"; fail "cpack failed"; }
deb=$(ls "$WORK"/out/runc-guard_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb produced: $(ls -R "$WORK/out")"

# Package metadata.
[ "$(dpkg-deb -f "$deb" Package)" = runc-guard ] || fail "package name"
[ -z "$(dpkg-deb -f "$deb" Depends)" ] || fail "static binaries need no Depends: $(dpkg-deb -f "$deb" Depends)"
dpkg-deb -e "$deb" "$WORK/control"
grep -qx '/etc/runc-guard/config.json' "$WORK/control/conffiles" || fail "config.json is not a conffile"
for script in preinst postinst prerm postrm; do
  [ ! -e "$WORK/control/$script" ] || fail "the package has a $script script: it must not touch engine configs"
done
listing=$(dpkg-deb -c "$deb")
for f in ./usr/bin/runc-guard ./usr/bin/runc-guardctl ./etc/runc-guard/config.json \
  ./usr/share/doc/runc-guard/kubernetes/daemonset.yaml ./usr/share/doc/runc-guard/kubernetes/README.md \
  ./lib/systemd/system/runc-guard-keeper.service; do
  grep -q " $f\$" <<<"$listing" || fail "$f missing from the package: $listing"
done

# Install with the real dpkg into a private root.
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates"
touch "$ROOT/var/lib/dpkg/status"
dpkg --root="$ROOT" --force-not-root --force-script-chrootless -i "$deb" >"$WORK/dpkg.log" 2>&1 ||
  { cat "$WORK/dpkg.log"; fail "dpkg -i failed"; }
[ "$(dpkg-query --root="$ROOT" -W -f '${Status}' runc-guard)" = "install ok installed" ] || fail "not installed"
for b in runc-guard runc-guardctl; do
  [ "$(stat -c '%U %a' "$ROOT/usr/bin/$b")" = "root 755" ] || fail "/usr/bin/$b: $(stat -c '%U %a' "$ROOT/usr/bin/$b")"
  cmp -s "$ROOT/usr/bin/$b" "$RG_BUILD/$b" || fail "/usr/bin/$b differs from the build"
done
config="$ROOT/etc/runc-guard/config.json"
[ "$(stat -c '%U %a' "$config")" = "root 644" ] || fail "config must be root 0644 (runc-guard refuses anything else)"
[ "$(jq -r .mode "$config")" = observe ] || fail "the default config must be in observe mode: $(cat "$config")"

# The packaged tools work: config check, then doctor against the packaged config.
"$ROOT/usr/bin/runc-guardctl" config check "$config" >/dev/null || fail "packaged config rejected"
set +e
"$ROOT/usr/bin/runc-guardctl" doctor --json --config "$config" >"$WORK/doctor.json"
rc=$?
set -e
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "doctor could not run (exit $rc): $(cat "$WORK/doctor.json")"
jq -e '.schema == 1 and (.checks | length) > 5' "$WORK/doctor.json" >/dev/null || fail "doctor JSON: $(cat "$WORK/doctor.json")"
jq -e '.checks[] | select(.id == "runc_guard.config") | .status == "ok" and .data.mode == "observe"' "$WORK/doctor.json" >/dev/null ||
  fail "doctor does not see the packaged observe-mode config: $(jq -c '.checks[] | select(.id == "runc_guard.config")' "$WORK/doctor.json")"

# Remove keeps the conffile, purge removes it too.
dpkg --root="$ROOT" --force-not-root --force-script-chrootless -r runc-guard >/dev/null || fail "dpkg -r failed"
[ ! -e "$ROOT/usr/bin/runc-guard" ] || fail "dpkg -r left /usr/bin/runc-guard"
[ -e "$config" ] || fail "dpkg -r removed the conffile"
dpkg --root="$ROOT" --force-not-root --force-script-chrootless --purge runc-guard >/dev/null || fail "dpkg --purge failed"
[ ! -e "$config" ] || fail "dpkg --purge left the config"

[ "$before" = "$(engine_sums)" ] || fail "engine configs changed while testing the package"
echo "PASS: deb package ($(basename "$deb"), $(stat -c %s "$deb") bytes)"
