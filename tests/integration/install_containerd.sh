#!/bin/bash
# runc-guardctl install/uninstall containerd, checked by the real containerd: `containerd --config FILE
# config dump` (containerd's own parser and merge with its defaults) shows the runtime with runc's settings
# copied, --as-default sets default_runtime_name, uninstall restores the file byte for byte, and a broken
# file is refused untouched. Also the CRI-O drop-in round trip (no CRI-O on this node: parsed by Python's
# tomllib instead).
source "${RG_SOURCE:?}/tests/lib.sh"
[ -x "$GUARDCTL" ] || fail "$GUARDCTL not built"
need containerd python3 cmp

make_workdir WORK
STATE="$WORK/state"
DATA="$RG_SOURCE/tests/data/install"

# dump FILE: containerd's merged view of FILE as JSON (containerd prints TOML; Python's tomllib reads it).
dump() {
  containerd --config "$1" config dump 2>"$WORK/dump.err" >"$WORK/dump.toml" ||
    fail "containerd rejected $1: $(cat "$WORK/dump.err")"
  python3 -c 'import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))' "$WORK/dump.toml"
}
CRI='.plugins["io.containerd.grpc.v1.cri"].containerd'

for sample in containerd-debian12-package.toml containerd-1.6-default.toml containerd-1.6-kubeadm-systemd.toml; do
  cfg="$WORK/$sample"
  cp "$DATA/$sample" "$cfg"
  cp "$cfg" "$cfg.orig"
  expected_systemd=$(dump "$cfg" | jq "$CRI.runtimes.runc.options.SystemdCgroup // false")

  out=$("$GUARDCTL" install containerd --config "$cfg" --state-dir "$STATE" --binary "$GUARD" --dry-run) ||
    fail "$sample: --dry-run failed"
  [[ "$out" == *"+BinaryName = \"$GUARD\""* ]] || fail "$sample: dry-run diff lacks BinaryName: $out"
  cmp -s "$cfg" "$cfg.orig" || fail "$sample: --dry-run changed the file"

  "$GUARDCTL" install containerd --config "$cfg" --state-dir "$STATE" --binary "$GUARD" >/dev/null ||
    fail "$sample: install failed"
  d=$(dump "$cfg")
  jq -e --arg g "$GUARD" --argjson sd "$expected_systemd" "$CRI.runtimes[\"runc-guard\"] |
      .runtime_type == \"io.containerd.runc.v2\" and .options.BinaryName == \$g and (.options.SystemdCgroup // false) == \$sd" \
    <<<"$d" >/dev/null || fail "$sample: config dump does not show the runtime: $(jq -c "$CRI.runtimes" <<<"$d")"
  [ "$(jq -r "$CRI.default_runtime_name" <<<"$d")" = runc ] || fail "$sample: default runtime changed without --as-default"
  if [ "$sample" = containerd-1.6-kubeadm-systemd.toml ]; then
    jq -e "$CRI.runtimes[\"runc-guard\"].options.Root == \"/run/containerd/runc\"" <<<"$d" >/dev/null ||
      fail "$sample: runc's Root was not copied"
  fi

  "$GUARDCTL" uninstall containerd --config "$cfg" --state-dir "$STATE" >/dev/null || fail "$sample: uninstall failed"
  cmp "$cfg" "$cfg.orig" || fail "$sample: uninstall is not byte-identical"
  jq -e "$CRI.runtimes | has(\"runc-guard\") | not" <<<"$(dump "$cfg")" >/dev/null || fail "$sample: runtime left after uninstall"

  "$GUARDCTL" install containerd --config "$cfg" --state-dir "$STATE" --binary "$GUARD" --as-default >/dev/null ||
    fail "$sample: install --as-default failed"
  [ "$(dump "$cfg" | jq -r "$CRI.default_runtime_name")" = runc-guard ] || fail "$sample: --as-default not in config dump"
  "$GUARDCTL" uninstall containerd --config "$cfg" --state-dir "$STATE" >/dev/null || fail "$sample: uninstall failed"
  cmp "$cfg" "$cfg.orig" || fail "$sample: uninstall after --as-default is not byte-identical"
  echo "ok: $sample"
done

# A config containerd itself rejects is refused by the installer, untouched, with the position named.
cp "$DATA/containerd-broken.toml" "$WORK/broken.toml"
if containerd --config "$WORK/broken.toml" config dump >/dev/null 2>&1; then fail "containerd accepts the broken sample"; fi
if err=$("$GUARDCTL" install containerd --config "$WORK/broken.toml" --state-dir "$STATE" --binary "$GUARD" 2>&1); then
  fail "install accepted a broken config.toml"
fi
[[ "$err" == *"cannot parse $WORK/broken.toml:4:"*"nothing was changed"* ]] || fail "unclear error for a broken config: $err"
cmp -s "$WORK/broken.toml" "$DATA/containerd-broken.toml" || fail "the broken config was modified"

# CRI-O: the drop-in is valid TOML with the three keys; uninstall removes it.
mkdir -p "$WORK/crio/crio.conf.d"
dropin="$WORK/crio/crio.conf.d/99-runc-guard.conf"
"$GUARDCTL" install crio --config "$dropin" --state-dir "$STATE" --binary "$GUARD" --as-default >/dev/null || fail "install crio failed"
python3 - "$dropin" "$GUARD" <<'PY' || fail "CRI-O drop-in: $(cat "$dropin")"
import sys, tomllib
rt = tomllib.load(open(sys.argv[1], "rb"))["crio"]["runtime"]
h = rt["runtimes"]["runc-guard"]
assert h == {"runtime_path": sys.argv[2], "runtime_type": "oci", "runtime_root": "/run/runc"}, h
assert rt["default_runtime"] == "runc-guard", rt
PY
"$GUARDCTL" uninstall crio --config "$dropin" --state-dir "$STATE" >/dev/null || fail "uninstall crio failed"
[ ! -e "$dropin" ] || fail "uninstall crio left the drop-in"
[ -z "$(find "$STATE" -type f)" ] || fail "install state left behind: $(find "$STATE" -type f)"
echo "PASS: install containerd / crio"
