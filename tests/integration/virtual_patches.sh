# Virtual patches against the real vulnerable runc releases: each CVE's trigger works on bare runc (shown
# first), is refused (or repaired) through runc-guard with the CVE named in runc's log, and the patch is
# inactive on a release that fixed it. Also: a created container tampered with before start is refused at
# start and cleaned up.
source "$(dirname "$0")/../lib.sh"
need nsenter strace

make_workdir WORK
ROOT="$WORK/state"
EVENTS="$WORK/events.jsonl"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
R110=$(runc_release v1.1.0)
R1112=$(runc_release v1.1.12)
make_rootfs "$WORK/rootfs"
on_exit 'for s in "$ROOT"/*/state.json; do [ -f "$s" ] && "$R110" --root "$ROOT" delete --force "$(basename "$(dirname "$s")")" >/dev/null 2>&1; done; true'

# guard_for RUNC [JQ]: runc-guard over RUNC with every virtual patch at its default (by version).
guard_for() {
  jq -n --arg r "$1" --arg e "$EVENTS" '{runtime: {path: $r}, log: {events: $e}}' | jq "${2:-.}" >"$RUNC_GUARD_CONFIG"
  chmod 0644 "$RUNC_GUARD_CONFIG"
}
# bundle NAME JQ ARGS...: a bundle over the shared rootfs (made with runc 1.1.0's `spec`), JQ applied.
bundle() {
  local b="$WORK/$1" filter=$2
  shift 2
  mkdir -p "$b"
  (cd "$b" && rm -f config.json && "$R110" spec)
  jq --arg root "$WORK/rootfs" --argjson args "$(printf '%s\n' "$@" | jq -R . | jq -s -c .)" \
    ".root.path = \$root | .process.terminal = false | .process.args = \$args | $filter" "$b/config.json" >"$b/c" &&
    mv "$b/c" "$b/config.json"
  echo "$b"
}
log_msgs() { jq -r .msg "$1" 2>/dev/null || cat "$1"; }

# ---- CVE-2024-21626: process.cwd /proc/self/fd/N reaches the host on runc 1.1.0 ----
leaked=""
for fd in 7 8; do
  B=$(bundle leak$fd ".process.cwd = \"/proc/self/fd/$fd\"" /bin/cat ../../../../../../etc/os-release)
  out=$("$R110" --root "$ROOT" run --bundle "$B" bare$fd </dev/null 2>&1 || true)
  "$R110" --root "$ROOT" delete --force bare$fd >/dev/null 2>&1 || true
  if grep -q '^PRETTY_NAME=' <<<"$out"; then leaked="$leaked $fd"; fi
done
[ -n "$leaked" ] || fail "bare runc 1.1.0 did not leak a host directory through /proc/self/fd/7 or 8 (no reproduction)"
echo "ok: bare runc 1.1.0 reads the host's /etc/os-release with process.cwd /proc/self/fd/{${leaked# }}"
guard_for "$R110"
for fd in 7 8; do
  rc=0
  "$GUARD" --root "$ROOT" --log "$WORK/leak$fd.log" --log-format json create --bundle "$WORK/leak$fd" g$fd </dev/null >/dev/null 2>"$WORK/leak$fd.err" || rc=$?
  expect_eq "$rc" 1 "create with cwd /proc/self/fd/$fd through runc-guard"
  log_msgs "$WORK/leak$fd.log" | grep -q "^runc-guard: CVE-2024-21626: process.cwd \"/proc/self/fd/$fd\" resolves into /proc/self/fd.*fixed in runc 1.1.12" ||
    fail "refusal not in runc's log: $(cat "$WORK/leak$fd.log")"
  "$R110" --root "$ROOT" state g$fd >/dev/null 2>&1 && fail "the refused container exists"
done
# The same through a symlink in the image, and as the program's PATH entry.
ln -sfn /proc/self/fd/7 "$WORK/rootfs/leak"
B=$(bundle symlinked '.process.cwd = "/leak"' /bin/true)
rc=0; "$GUARD" --root "$ROOT" create --bundle "$B" gs </dev/null >/dev/null 2>"$WORK/gs.err" || rc=$?
expect_eq "$rc" 1 "cwd through an image symlink"
grep -qF 'CVE-2024-21626: process.cwd \"/leak\" resolves into /proc/self/fd' "$WORK/gs.err" || fail "symlink case: $(cat "$WORK/gs.err")"
B=$(bundle pathleak '.process.env = ["PATH=/proc/self/fd/7:/bin"]' cat)
rc=0; "$GUARD" --root "$ROOT" create --bundle "$B" gp </dev/null >/dev/null 2>"$WORK/gp.err" || rc=$?
expect_eq "$rc" 1 "PATH entry into /proc/self/fd"
grep -qF 'CVE-2024-21626: process PATH entry \"/proc/self/fd/7\"' "$WORK/gp.err" || fail "PATH case: $(cat "$WORK/gp.err")"
rm -f "$WORK/rootfs/leak"
echo "ok: through runc-guard over 1.1.0 the create is refused with CVE-2024-21626 in runc's log (cwd, image symlink, PATH)"

# Over the fixed 1.1.12 the patch is off: runc refuses by itself, runc-guard logs nothing.
guard_for "$R1112"
rm -f "$EVENTS"
rc=0
"$GUARD" --root "$ROOT" --log "$WORK/fixed.log" --log-format json run --bundle "$WORK/leak8" fixed </dev/null >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "runc 1.1.12 ran a container with cwd /proc/self/fd/8"
! grep -q 'runc-guard' "$WORK/fixed.log" || fail "the patch acted on runc 1.1.12: $(cat "$WORK/fixed.log")"
[ -z "$(events_named patch.refused)" ] || fail "patch.refused on runc 1.1.12"
"$R1112" --root "$ROOT" delete --force fixed >/dev/null 2>&1 || true
echo "ok: over runc 1.1.12 the patch is inactive (runc refuses by itself: $(log_msgs "$WORK/fixed.log" | tail -1 | cut -c1-80))"

# Before start: a container created by bare runc 1.1.0 (its init's cwd is the leaked host directory) is
# refused when started through runc-guard, and deleted.
"$R110" --root "$ROOT" create --bundle "$WORK/leak${leaked# }" prestart </dev/null >/dev/null 2>&1 || fail "bare create failed"
init=$(jq -r .init_process_pid "$ROOT/prestart/state.json")
guard_for "$R110"
rc=0
"$GUARD" --root "$ROOT" --log "$WORK/start.log" --log-format json start prestart </dev/null 2>/dev/null || rc=$?
expect_eq "$rc" 1 "start of a container whose init sits in a host directory"
log_msgs "$WORK/start.log" | grep -q "CVE-2024-21626: the created container's working directory is outside its root" ||
  fail "start refusal not in runc's log: $(cat "$WORK/start.log")"
[ ! -e "$ROOT/prestart/state.json" ] || fail "the refused container was not deleted"
# Killed by delete --force (a zombie until this machine's pid 1 reaps it, which takes it a while).
st=$(awk '{print $3}' "/proc/$init/stat" 2>/dev/null || echo gone)
[ "$st" = gone ] || [ "$st" = Z ] || fail "the refused container's init $init still runs (state $st)"
echo "ok: before start, an init whose cwd is outside its root is refused and the container deleted"

# ---- CVE-2022-29162: inheritable capabilities on runc 1.1.0 ----
B=$(bundle caps '.process.capabilities.bounding += ["CAP_NET_RAW"] | .process.capabilities.permitted += ["CAP_NET_RAW"] | .process.capabilities.inheritable = ["CAP_NET_RAW"]' /bin/sleep 300)
capinh() { awk '/^CapInh:/ {print $2}'; }
"$R110" --root "$ROOT" run -d --bundle "$B" capbare </dev/null >/dev/null 2>&1 || fail "bare run -d failed"
[ "$(capinh </proc/"$(jq -r .init_process_pid "$ROOT/capbare/state.json")"/status)" != 0000000000000000 ] ||
  fail "bare runc 1.1.0 gave the container no inheritable capability (no reproduction)"
bare_exec=$("$R110" --root "$ROOT" exec --cap CAP_NET_ADMIN capbare cat /proc/self/status | capinh)
[ "$bare_exec" != 0000000000000000 ] || fail "bare runc 1.1.0 exec --cap set no inheritable capability (no reproduction)"
"$R110" --root "$ROOT" delete --force capbare
echo "ok: bare runc 1.1.0: the container and exec --cap get inheritable capabilities ($bare_exec)"
guard_for "$R110"
"$GUARD" --root "$ROOT" run -d --bundle "$B" capg </dev/null >/dev/null 2>&1 || fail "run -d through runc-guard failed"
expect_eq "$(capinh </proc/"$(jq -r .init_process_pid "$ROOT/capg/state.json")"/status)" 0000000000000000 "container CapInh through runc-guard"
status=$("$GUARD" --root "$ROOT" exec --cap CAP_NET_ADMIN capg cat /proc/self/status)
expect_eq "$(capinh <<<"$status")" 0000000000000000 "exec --cap CapInh through runc-guard"
eff=$(awk '/^CapEff:/ {print $2}' <<<"$status")
(( (0x$eff >> 12) & 1 )) || fail "exec --cap CAP_NET_ADMIN did not get the capability (CapEff $eff)"
# Both of exec's patches read the container's config.json (the process walk and the process.json built from
# it): one read between them. runc gets `-p /proc/self/fd/N` and reads no config.json (and a runc that did
# would open the relative "config.json" after its chdir to the bundle, which the absolute path below misses).
strace -f -qq -e trace=open,openat -o "$WORK/cap.strace" "$GUARD" --root "$ROOT" exec --cap CAP_NET_ADMIN capg true
expect_eq "$(grep -c "\"$B/config.json\"" "$WORK/cap.strace")" 1 "reads of config.json by exec --cap through runc-guard"
echo '{"cwd":"/","args":["cat","/proc/self/status"],"env":["PATH=/bin"],"user":{"uid":0,"gid":0},"capabilities":{"bounding":["CAP_NET_RAW"],"effective":["CAP_NET_RAW"],"permitted":["CAP_NET_RAW"],"inheritable":["CAP_NET_RAW"]}}' >"$WORK/process.json"
expect_eq "$("$GUARD" --root "$ROOT" exec -p "$WORK/process.json" capg | capinh)" 0000000000000000 "exec -p CapInh through runc-guard"
[ -n "$(events_named patch.repaired)" ] || fail "no patch.repaired event"
# An argument a process.json cannot carry (not UTF-8): refused with the reason, never run unguarded.
set +e
out=$("$GUARD" --root "$ROOT" exec --cap CAP_NET_ADMIN capg echo $'\xff\xfe' 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] && [[ "$out" == *"CVE-2022-29162"*"not UTF-8"* ]] || fail "exec --cap with a non-UTF-8 argument: rc $rc: $out"
"$R110" --root "$ROOT" delete --force capg
echo "ok: through runc-guard over 1.1.0: CapInh 0 in the container, in exec --cap (which keeps CAP_NET_ADMIN effective) and in exec -p; exec --cap with a non-UTF-8 argument refused"

# ---- CVE-2023-27561: an image whose /proc is a symlink (rc95 … 1.1.4) ----
make_rootfs "$WORK/evil"
rmdir "$WORK/evil/proc" && ln -s /tmp "$WORK/evil/proc"
for v in v1.0.0-rc95 v1.0.3 v1.1.0; do
  R=$(runc_release $v)
  B=$(bundle procsym ".root.path = \"$WORK/evil\"" /bin/true)
  "$R" --root "$ROOT" run --bundle "$B" psb </dev/null >/dev/null 2>&1 || fail "bare $v refused a /proc symlink itself (no reproduction)"
  "$R" --root "$ROOT" delete --force psb >/dev/null 2>&1 || true
  guard_for "$R"
  rc=0
  "$GUARD" --root "$ROOT" run --bundle "$B" psg </dev/null >/dev/null 2>"$WORK/ps.err" || rc=$?
  expect_eq "$rc" 1 "a /proc symlink through runc-guard over $v"
  grep -q "CVE-2023-27561: the image's /proc is a symlink" "$WORK/ps.err" || fail "$v: $(cat "$WORK/ps.err")"
done
echo "ok: an image with /proc -> /tmp runs on bare rc95, 1.0.3 and 1.1.0 and is refused through runc-guard"

# ---- CVE-2025-31133 family: a created container tampered with before start ----
guard_for "$R110"
B=$(bundle tamper '.' /bin/sleep 300)
"$GUARD" --root "$ROOT" create --bundle "$B" ok </dev/null >/dev/null 2>&1 || fail "create failed"
"$GUARD" --root "$ROOT" start ok || fail "an untouched container was refused at start"
"$R110" --root "$ROOT" delete --force ok
"$GUARD" --root "$ROOT" create --bundle "$B" tampered </dev/null >/dev/null 2>&1 || fail "create failed"
init=$(jq -r .init_process_pid "$ROOT/tampered/state.json")
nsenter --mount --root --target "$init" mount --bind /bin/busybox /proc/keys || fail "could not tamper with the container"
rc=0
"$GUARD" --root "$ROOT" --log "$WORK/tamper.log" --log-format json start tampered </dev/null 2>/dev/null || rc=$?
expect_eq "$rc" 1 "start after a masked path was re-bound"
log_msgs "$WORK/tamper.log" | grep -q "CVE-2025-31133: the masked file /proc/keys is not /dev/null" || fail "refusal: $(cat "$WORK/tamper.log")"
[ ! -e "$ROOT/tampered/state.json" ] || fail "the tampered container was not deleted"
echo "ok: a masked path re-bound before start: start refused with CVE-2025-31133, container deleted"
B=$(bundle wbind '.mounts += [{"destination": "/proc/sys", "type": "bind", "source": "/proc/sys", "options": ["rbind"]}]' /bin/true)
rc=0; "$GUARD" --root "$ROOT" create --bundle "$B" wb </dev/null >/dev/null 2>"$WORK/wb.err" || rc=$?
expect_eq "$rc" 1 "a writable bind onto /proc/sys"
grep -q "CVE-2025-31133: a writable bind mount of /proc/sys onto /proc/sys" "$WORK/wb.err" || fail "$(cat "$WORK/wb.err")"
echo "virtual_patches: every trigger reproduced on bare runc and refused or repaired through runc-guard"
