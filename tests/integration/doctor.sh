#!/bin/bash
# runc-guardctl doctor on this real node: the statuses that can be predicted here (kernel 6.x → kmem ok,
# runc 1.1.5 → CVE-2024-21626 warning, exit 1, the real pipe probe and sysctls), the config check against
# valid / insecure / invalid configs, engine registration seen after runc-guardctl install, the table
# output, and exit 2 when doctor cannot run (not root).
set -euo pipefail
RG_BUILD=${RG_BUILD:?}
fail() { echo "FAIL: $*" >&2; exit 1; }
CTL="$RG_BUILD/runc-guardctl"
[ -x "$CTL" ] || fail "$CTL not built"
[ "$(id -u)" = 0 ] || fail "doctor needs root"
command -v jq >/dev/null || fail "jq is not installed"
WORK=$(mktemp -d /tmp/rg-doctor.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

doctor_json() {  # doctor_json ARGS...: sets J (JSON) and RC
  set +e
  J=$("$CTL" doctor --json --state-dir "$WORK/state" "$@")
  RC=$?
  set -e
  jq -e . <<<"$J" >/dev/null || fail "doctor --json is not JSON: $J"
}
check() { jq -c --arg id "$1" '.checks[] | select(.id == $id)' <<<"$J"; }
status() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | .status' <<<"$J"; }

printf '{"mode": "observe"}\n' >"$WORK/config.json"
chmod 0644 "$WORK/config.json"
doctor_json --config "$WORK/config.json"

jq -e '.schema == 1 and .result == "problems" and .exit_code == 1' <<<"$J" >/dev/null || fail "header: $(jq -c '{schema,result,exit_code}' <<<"$J")"
[ "$RC" = 1 ] || fail "exit code $RC, expected 1 (runc 1.1.5 has a known CVE)"
release=$(uname -r)
if [ "${release%%.*}" -ge 4 ]; then
  [ "$(status kernel.kmem)" = ok ] || fail "kernel $release: $(check kernel.kmem)"
fi
[ "$(jq -r '.data.release' <<<"$(check kernel.kmem)")" = "$release" ] || fail "kernel.kmem release: $(check kernel.kmem)"

memcgs=$(awk '$1 == "memory" {print $3}' /proc/cgroups)
n=$(jq -r .data.num_cgroups <<<"$(check cgroup.memory_count)")
(( n > 0 && n < memcgs + 50 && n > memcgs - 50 )) || fail "memory cgroup count $n vs /proc/cgroups $memcgs"

for key in soft:pipe-user-pages-soft hard:pipe-user-pages-hard max:pipe-max-size; do
  field=pipe_user_pages_${key%%:*}
  [ "${key%%:*}" = max ] && field=pipe_max_size
  [ "$(jq -r ".data.$field" <<<"$(check pipe.limits)")" = "$(cat /proc/sys/fs/${key#*:})" ] || fail "pipe.limits $field: $(check pipe.limits)"
done
cap=$(jq -r .data.runc_init_pipe_capacity <<<"$(check pipe.limits)")
[[ "$cap" =~ ^[0-9]+$ ]] && (( cap >= 4096 )) || fail "pipe probe capacity: $(check pipe.limits)"

runc_version=$(runc --version | sed -n 's/^runc version //p')
[ "$(jq -r .data.version <<<"$(check runc.binary)")" = "$runc_version" ] || fail "runc.binary: $(check runc.binary)"
if dpkg --compare-versions "$runc_version" lt 1.1.12; then
  [ "$(status runc.issue.CVE-2024-21626)" = warn ] || fail "runc $runc_version: CVE-2024-21626 not reported: $(jq -c '[.checks[].id]' <<<"$J")"
else
  [ -z "$(check runc.issue.CVE-2024-21626)" ] || fail "runc $runc_version is fixed, yet: $(check runc.issue.CVE-2024-21626)"
fi
[ "$(jq -r .data.mode <<<"$(check runc_guard.config)")" = observe ] || fail "config mode: $(check runc_guard.config)"
[ "$(status runc_guard.config)" = ok ] || fail "config: $(check runc_guard.config)"
[ "$(status init.blocked)" = ok ] || fail "a blocked init on a healthy node? $(check init.blocked)"
[ "$(status runc_guard.engines)" = info ] || fail "engines before install: $(check runc_guard.engines)"

# Registration as recorded by runc-guardctl install.
mkdir -p "$WORK/docker"
echo '{}' >"$WORK/docker/daemon.json"
"$CTL" install docker --config "$WORK/docker/daemon.json" --state-dir "$WORK/state" --binary "$RG_BUILD/runc-guard" >/dev/null
# doctor looks at the default engine paths; the record for a private path must not count as /etc/docker's.
doctor_json --config "$WORK/config.json"
[ "$(status runc_guard.engines)" = info ] || fail "a private install was reported as the node's: $(check runc_guard.engines)"
"$CTL" uninstall docker --config "$WORK/docker/daemon.json" --state-dir "$WORK/state" >/dev/null

# A config that is group-writable, or invalid: fail, with the reason.
chmod 0664 "$WORK/config.json"
doctor_json --config "$WORK/config.json"
[ "$(status runc_guard.config)" = fail ] || fail "group-writable config: $(check runc_guard.config)"
[[ "$(jq -r .evidence <<<"$(check runc_guard.config)")" == *"writable by group or others"* ]] || fail "evidence: $(check runc_guard.config)"
printf '{"mode": "sometimes"}\n' >"$WORK/bad.json"
chmod 0644 "$WORK/bad.json"
doctor_json --config "$WORK/bad.json"
[ "$(status runc_guard.config)" = fail ] || fail "invalid config: $(check runc_guard.config)"

# Human output: aligned table, the same checks.
set +e
table=$("$CTL" doctor --config "$WORK/config.json" --state-dir "$WORK/state")
set -e
head -1 <<<"$table" | grep -qE '^STATUS +CHECK +EVIDENCE$' || fail "table header: $(head -1 <<<"$table")"
col=$(head -1 <<<"$table" | awk '{print index($0, "EVIDENCE")}')
while read -r line; do
  [[ "$line" == *advice:* ]] && continue
  [ "${line:$((col - 2)):1}" = " " ] && [ "${line:$((col - 1)):1}" != " " ] || fail "misaligned row: $line"
done < <(tail -n +2 <<<"$table")

# Not root: exit 2 (could not run), JSON says why.
set +e
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" doctor --json 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] || fail "doctor as nobody exited $rc: $out"
jq -e '.result == "incomplete" and (.error | test("root"))' <<<"$out" >/dev/null || fail "doctor as nobody: $out"
echo "PASS: doctor"
