# The device-links guard with real runc: a container with a character device whose /dev/char/M:m link is
# missing (this host has no udev, so it has no /dev/char at all). With runc 1.1.5 (1.1.3 – 1.1.6 skip such
# devices' cgroup rules under the systemd driver), bare runc leaves the link missing; through runc-guard the
# link exists after create, pointing at the host's node. A device the host has no node for gets no link,
# an existing link is never replaced, observe mode only reports, and 1.1.12 (not affected, cgroupfs) is
# left alone.
source "$(dirname "$0")/../lib.sh"

make_workdir WORK
ROOT="$WORK/root"
EVENTS="$WORK/events.jsonl"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
RUNC_1112=$(runc_release v1.1.12)
MAJOR=242  # "local/experimental use": no driver claims it here
grep -qE "^ *$MAJOR " /proc/devices && fail "char major $MAJOR is in use on this host"
MINOR=$((100 + $$ % 100))
NODE="/dev/rg-devlink-$$"
LINK="/dev/char/$MAJOR:$MINOR"
NO_NODE_LINK="/dev/char/$MAJOR:$((MINOR + 1))"
KEPT_LINK="/dev/char/$MAJOR:$((MINOR + 2))"
[ -e /dev/char ] && had_char_dir=1 || had_char_dir=0
for l in "$LINK" "$NO_NODE_LINK" "$KEPT_LINK"; do [ -e "$l" ] || [ -L "$l" ] && fail "$l exists before the test"; done
mknod "$NODE" c $MAJOR $MINOR
mknod "$NODE.kept" c $MAJOR $((MINOR + 2))
on_exit "rm -f '$NODE' '$NODE.kept' '$LINK' '$NO_NODE_LINK' '$KEPT_LINK'; [ $had_char_dir = 1 ] || rmdir /dev/char 2>/dev/null; true"
on_exit 'for c in "$ROOT"/*/; do [ -d "$c" ] && "$REAL_RUNC" --root "$ROOT" delete --force "$(basename "$c")" >/dev/null 2>&1; done; true'

guard_config() {
  write_config "$RUNC_GUARD_CONFIG" "{\"mode\": \"${2:-enforce}\", \"runtime\": {\"path\": \"$1\"}, \"log\": {\"events\": \"$EVENTS\"}}"
}
# A container with three devices: one the host has a node for, one it has not, one whose link exists.
BUNDLE="$WORK/bundle"
make_bundle "$BUNDLE" sleep 300
jq --argjson maj $MAJOR --argjson min $MINOR '
  .linux.devices = [range(0; 3) as $k | {path: "/dev/rgdev\($k)", type: "c", major: $maj, minor: ($min + $k),
                                           fileMode: 438, uid: 0, gid: 0}]
  | .linux.resources.devices += [range(0; 3) as $k | {allow: true, type: "c", major: $maj, minor: ($min + $k), access: "rwm"}]' \
  "$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
mkdir -p /dev/char
ln -s ../somewhere-else "$KEPT_LINK"

run_container() {  # RUNNER ID
  "$1" --root "$ROOT" run -d --bundle "$BUNDLE" "$2" </dev/null >/dev/null 2>"$WORK/err" || fail "run $2: $(cat "$WORK/err")"
  "$REAL_RUNC" --root "$ROOT" exec "$2" sh -c "ls -l /dev/rgdev0" | grep -q "$MAJOR, *$MINOR" || fail "$2: no device in the container"
}

note "bare runc 1.1.5"
run_container "$REAL_RUNC" bare
[ -L "$LINK" ] && fail "bare runc made $LINK"
echo "bare runc: the container runs, $LINK is missing"

note "observe"
guard_config "$REAL_RUNC" observe
run_container "$GUARD" observed
[ -L "$LINK" ] && fail "observe mode made $LINK"
[ "$(events_named device.link_created | jq -r .details.observe)" = true ] || fail "observe: no event: $(cat "$EVENTS")"
echo "observe: reported, nothing made"

note "runc-guard over 1.1.5"
guard_config "$REAL_RUNC"
rm -f "$EVENTS"
run_container "$GUARD" guarded
[ "$(readlink "$LINK")" = "../$(basename "$NODE")" ] || fail "$LINK: $(readlink "$LINK" || echo missing)"
[ ! -e "$NO_NODE_LINK" ] && [ ! -L "$NO_NODE_LINK" ] || fail "a link without a host node: $(readlink "$NO_NODE_LINK")"
[ "$(readlink "$KEPT_LINK")" = ../somewhere-else ] || fail "an existing link was replaced"
[ "$(events_named device.link_created | jq -r .details.link)" = "$LINK" ] || fail "event: $(cat "$EVENTS")"
[ "$(events_named device.link_created | wc -l)" = 1 ] || fail "more than one link made: $(cat "$EVENTS")"
echo "runc-guard: $LINK -> $(readlink "$LINK"); no link without a node; the existing link kept"

note "a device whose only node is in a directory others can write (/dev/shm): no link"
SHM_LINK="/dev/char/$MAJOR:$((MINOR + 3))"
mkdir -p "/dev/shm/rg-devlink-$$"
on_exit "rm -rf '/dev/shm/rg-devlink-$$' '$SHM_LINK'"
mknod "/dev/shm/rg-devlink-$$/node" c $MAJOR $((MINOR + 3))
make_bundle "$WORK/shm" sleep 300
jq --argjson maj $MAJOR --argjson min $((MINOR + 3)) --arg p "/dev/shm/rg-devlink-$$/node" '
  .linux.devices = [{path: $p, type: "c", major: $maj, minor: $min, fileMode: 438, uid: 0, gid: 0}]
  | .linux.resources.devices += [{allow: true, type: "c", major: $maj, minor: $min, access: "rwm"}]' \
  "$WORK/shm/config.json" >"$WORK/shm/c.json" && mv "$WORK/shm/c.json" "$WORK/shm/config.json"
"$GUARD" --root "$ROOT" create --bundle "$WORK/shm" shm </dev/null >/dev/null 2>&1 || true
[ ! -e "$SHM_LINK" ] && [ ! -L "$SHM_LINK" ] || fail "a link to a node in /dev/shm: $SHM_LINK -> $(readlink "$SHM_LINK")"
echo "ok: a node only in /dev/shm (writable by all) gets no link"

note "1.1.12 (not affected, cgroupfs driver)"
rm -f "$LINK"
guard_config "$RUNC_1112"
"$GUARD" --root "$ROOT" run -d --bundle "$BUNDLE" new </dev/null >/dev/null 2>&1 || fail "run on 1.1.12"
[ -L "$LINK" ] && fail "runc-guard made $LINK for 1.1.12"
echo "1.1.12: left alone"
echo "device_links: all checks passed"
