#!/usr/bin/env bash
# Unpacks the real runc releases and crictl from ../shared/runtimes into the build tree (root-owned 0755, as
# runc-guard's StrictModes check requires of a runtime.path), checking each against the sha256 its README
# lists. Idempotent: an unpacked file with the right checksum is kept. Run by the build (target
# `runtimes`); a missing ../shared/runtimes is not an error here — tests/integration/runtimes_present.sh
# fails with the reason, and so does every test that needs a release.
# Usage: unpack.sh SHARED_RUNTIMES_DIR OUT_DIR
set -euo pipefail
src=$1 out=$2
[ -d "$src" ] || { echo "runc-guard: $src not found; tests that need real runc releases will fail" >&2; exit 0; }
mkdir -p "$out"
# README rows: | runc-v1.0.0-rc93.xz | ... | <sha256> |
while IFS='|' read -r _ file _ sum _; do
  file=$(echo "$file" | tr -d ' ') sum=$(echo "$sum" | tr -d ' ')
  [[ "$file" == *.xz && "$sum" =~ ^[0-9a-f]{64}$ ]] || continue
  name=${file%.xz}
  dest="$out/$name"
  if [ -x "$dest" ] && [ "$(sha256sum <"$dest" | cut -d' ' -f1)" = "$sum" ]; then continue; fi
  xz -dc "$src/$file" >"$dest.tmp"
  got=$(sha256sum <"$dest.tmp" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    rm -f "$dest.tmp"
    echo "runc-guard: $src/$file unpacks to sha256 $got, README says $sum" >&2
    exit 1
  fi
  chmod 0755 "$dest.tmp"
  chown 0:0 "$dest.tmp" 2>/dev/null || true
  mv -f "$dest.tmp" "$dest"
done <"$src/README.md"
