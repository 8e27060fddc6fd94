#!/bin/bash
# The release build is one self-contained file per binary (runs on CentOS 7 / glibc 2.17 as on Debian 12):
# no program interpreter, no NEEDED libraries, an ELF ABI note no newer than CentOS 7's 3.10 kernel, and it
# really runs inside an empty chroot with no /lib at all.
set -euo pipefail
RG_BUILD=${RG_BUILD:?}
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in readelf file chroot; do command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install binutils file coreutils)"; done
grep -q '^RUNC_GUARD_STATIC:BOOL=ON' "$RG_BUILD/CMakeCache.txt" ||
  fail "$RG_BUILD is configured with -DRUNC_GUARD_STATIC=OFF; the release build (and this check) is static"

WORK=$(mktemp -d /tmp/rg-static.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

for bin in runc-guard runc-guardctl; do
  path="$RG_BUILD/$bin"
  [ -x "$path" ] || fail "$path not built"
  readelf -lW "$path" >"$WORK/segments" || fail "readelf -l $path"
  ! grep -q 'INTERP' "$WORK/segments" || fail "$bin has a program interpreter: $(grep -A1 INTERP "$WORK/segments")"
  needed=$(readelf -dW "$path" 2>&1 | grep NEEDED || true)
  [ -z "$needed" ] || fail "$bin needs shared libraries: $needed"
  desc=$(file -b "$path")
  [[ "$desc" == *"statically linked"* ]] || fail "$bin: file(1) says $desc"
  # The ABI note is the oldest kernel glibc's static startup code accepts; CentOS 7 runs 3.10.
  abi=$(sed -nE 's/.*for GNU\/Linux ([0-9]+)\.([0-9]+)\.[0-9]+.*/\1 \2/p' <<<"$desc")
  [ -n "$abi" ] || fail "$bin: no GNU/Linux ABI note in: $desc"
  read -r major minor <<<"$abi"
  (( major < 3 || (major == 3 && minor <= 10) )) || fail "$bin requires kernel >= $major.$minor (CentOS 7 has 3.10)"
  echo "ok: $bin static ($desc)"
done

# Run it where there is nothing to load: an empty root with the binary and a config file only.
mkdir -p "$WORK/root/etc"
cp "$RG_BUILD/runc-guardctl" "$WORK/root/runc-guardctl"
printf '{"mode": "observe"}\n' >"$WORK/root/etc/config.json"
chmod 0644 "$WORK/root/etc/config.json"
out=$(chroot "$WORK/root" /runc-guardctl --version) || fail "runc-guardctl does not run in an empty chroot"
[[ "$out" == "runc-guardctl "* ]] || fail "unexpected --version output in chroot: $out"
chroot "$WORK/root" /runc-guardctl config check /etc/config.json >/dev/null || fail "config check fails in an empty chroot"
cp "$RG_BUILD/runc-guard" "$WORK/root/runc-guard"
# No runc inside: the runtime must start, read its config and fail cleanly, not die in the loader.
set +e
err=$(RUNC_GUARD_CONFIG=/etc/config.json chroot "$WORK/root" /runc-guard state x 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "runc-guard in an empty chroot exited $rc: $err"
[[ "$err" == *"cannot find the real runc"* ]] || fail "runc-guard in an empty chroot: $err"
echo "PASS: static binaries"
