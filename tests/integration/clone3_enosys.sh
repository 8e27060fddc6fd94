# The opt-in clone3-enosys guard with real runc. A seccomp profile in the style of docker < 20.10.10 (docker
# 20.10's default profile without its clone3 rule, so clone3 falls to the default action, EPERM; it names
# newer syscalls than clone3, so runc's own ENOSYS stub does not apply) and a program that calls clone3
# (nr 435): bare runc gives it EPERM — what makes glibc >= 2.34 fail to start threads. Through runc-guard
# with "guards": {"clone3-enosys": "enforce"} it gets ENOSYS, as under the fixed engines' profiles, with
# config.json carrying exactly their rule. Off by default; no change to a fixed profile or a container with
# CAP_SYS_ADMIN; observe mode only reports.
source "$(dirname "$0")/../lib.sh"

PROBE="$RG_BUILD/tests/seccomp_probe"
[ -x "$PROBE" ] || fail "helper $PROBE not built"
make_workdir WORK
ROOT="$WORK/root"
EVENTS="$WORK/events.jsonl"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
on_exit 'for c in "$ROOT"/*/; do [ -d "$c" ] && "$REAL_RUNC" --root "$ROOT" delete --force "$(basename "$c")" >/dev/null 2>&1; done; true'

# bundle NAME JQ_FILTER: the probe calling clone3 under docker 20.10's default profile, edited by the filter.
bundle() {
  make_bundle "$WORK/$1" /bin/seccomp_probe call 435
  cp "$PROBE" "$WORK/$1/rootfs/bin/seccomp_probe"
  jq --slurpfile docker "$SHARED_TESTDATA/default.config.json" \
    ".linux.seccomp = \$docker[0].linux.seccomp | .process.noNewPrivileges = true | $2" \
    "$WORK/$1/config.json" >"$WORK/$1/c.json" && mv "$WORK/$1/c.json" "$WORK/$1/config.json"
  echo "$WORK/$1"
}
OLD_STYLE='.linux.seccomp.syscalls |= map(select(.names | index("clone3") | not))'
guard_config() {  # RUNC [POLICY]
  write_config "$RUNC_GUARD_CONFIG" "$(jq -n --arg runc "$1" --arg events "$EVENTS" --arg policy "${2:-}" \
    '{runtime: {path: $runc}, log: {events: $events}} + if $policy == "" then {} else {guards: {"clone3-enosys": $policy}} end')"
}
clone3_errno() {  # RUNNER ID BUNDLE
  "$1" --root "$ROOT" run --bundle "$3" "$2" </dev/null 2>"$WORK/err" | tr -d '\r' || fail "run $2: $(cat "$WORK/err")"
}

B=$(bundle old "$OLD_STYLE")
[ "$(jq '[.linux.seccomp.syscalls[].names[]] | index("clone3")' "$B/config.json")" = null ] || fail "the old-style profile names clone3"
expect_eq "$(clone3_errno "$REAL_RUNC" bare "$B")" "435=EPERM" "bare runc 1.1.5, old-style profile"
echo "bare runc: clone3 -> EPERM"

guard_config "$REAL_RUNC"
cp "$B/config.json" "$WORK/original.json"
expect_eq "$(clone3_errno "$GUARD" default-off "$B")" "435=EPERM" "runc-guard without the opt-in"
cmp -s "$B/config.json" "$WORK/original.json" || fail "config.json changed with the guard off"
echo "runc-guard, guard not enabled: unchanged (opt-in)"

guard_config "$REAL_RUNC" observe
expect_eq "$(clone3_errno "$GUARD" observed "$B")" "435=EPERM" "observe"
cmp -s "$B/config.json" "$WORK/original.json" || fail "config.json changed in observe mode"
[ "$(events_named clone3.enosys_added | jq -r .details.observe)" = true ] || fail "observe: no event"
echo "observe: reported, unchanged"

for release in system v1.0.0-rc93 v1.1.15; do
  runc=$REAL_RUNC
  [ $release = system ] || runc=$(runc_release $release)
  guard_config "$runc" enforce
  rm -f "$EVENTS"
  cp "$WORK/original.json" "$B/config.json"
  expect_eq "$(clone3_errno "$GUARD" "fixed-$release" "$B")" "435=ENOSYS" "runc-guard with clone3-enosys over $release"
  expect_eq "$(jq -c '.linux.seccomp.syscalls[-1]' "$B/config.json")" '{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38}' \
    "the rule added over $release"
  [ -n "$(events_named clone3.enosys_added)" ] || fail "no clone3.enosys_added event"
  echo "runc-guard over $release: clone3 -> ENOSYS"
done

guard_config "$REAL_RUNC" enforce
for case in fixed-profile:. privileged:"$OLD_STYLE | .process.capabilities.bounding += [\"CAP_SYS_ADMIN\"]"; do
  name=${case%%:*}
  B=$(bundle "$name" "${case#*:}")
  cp "$B/config.json" "$WORK/before.json"
  "$GUARD" --root "$ROOT" run --bundle "$B" "$name" </dev/null >/dev/null 2>&1 || true
  cmp -s "$B/config.json" "$WORK/before.json" || fail "$name: config.json was changed"
done
echo "a profile that names clone3 and a container with CAP_SYS_ADMIN are left as they are"
echo "clone3_enosys: all checks passed"
