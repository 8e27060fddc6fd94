#!/bin/bash
# runc-guardctl install/uninstall docker against a real (private) dockerd: the runtime appears on SIGHUP,
# a container runs through it (proved by a runc recorder that sees runc-guard's marker), --as-default makes
# it the default, and uninstall restores daemon.json byte for byte.
source "${RG_SOURCE:?}/tests/e2e/lib.sh"   # private containerd/dockerd helpers with full cleanup
GUARDCTL="$RG_BUILD/runc-guardctl"
[ -x "$GUARDCTL" ] || fail "$GUARDCTL not built"

STATE="$E2E/install-state"
DAEMON_JSON="$E2E/daemon.json"
ctl() { "$GUARDCTL" "$1" docker --config "$DAEMON_JSON" --state-dir "$STATE" "${@:2}"; }

# The operator's daemon.json: tab-indented, keys dockerd accepts, none that clash with our flags.
printf '{\n\t"deprecated-key-path": "%s",\n\t"log-level": "info",\n\t"features": {\n\t\t"buildkit": false\n\t},\n\t"max-concurrent-downloads": 3\n}\n' "$E2E/key.json" >"$DAEMON_JSON"
cp -p "$DAEMON_JSON" "$E2E/daemon.json.orig"

make_recorder
write_rg_config "$(base_rg_config | jq --arg r "$RECORDER" '.runtime.path = $r')"
start_containerd
mkdir -p "$E2E/docker" "$E2E/exec" "$DOCKER_CONFIG"
on_exit stop_dockerd
# Like lib.sh's start_dockerd, but without --add-runtime: the runtime must come from daemon.json.
start_private_dockerd() {
dockerd --config-file "$DAEMON_JSON" --data-root "$E2E/docker" --exec-root "$E2E/exec" --pidfile "$E2E/docker.pid" \
  -H "$DOCKER_HOST" --containerd "$CTRD_SOCK" --bridge=none --iptables=false --ip-masq=false \
  --userland-proxy=false --storage-driver "$E2E_STORAGE_DRIVER" --cgroup-parent "/$(basename "$E2E")" \
  >>"$E2E/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for ((i = 0; i < 300; i++)); do
  docker version >/dev/null 2>&1 && return 0
  kill -0 "$DOCKERD_PID" 2>/dev/null || { tail_log "$E2E/dockerd.log"; fail "dockerd exited during start-up"; }
  sleep 0.1
done
fail "dockerd did not answer within 30s"
}
start_private_dockerd
import_busybox_image

runtimes() { docker info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}'; }
default_runtime() { docker info --format '{{.DefaultRuntime}}'; }
# reload: SIGHUP, then wait until dockerd logged the reload (it reloads asynchronously).
reload() {
  local before
  before=$(grep -c 'Reloaded configuration' "$E2E/dockerd.log" || true)
  kill -HUP "$DOCKERD_PID"
  for ((i = 0; i < 100; i++)); do
    [ "$(grep -c 'Reloaded configuration' "$E2E/dockerd.log" || true)" -gt "$before" ] && return 0
    sleep 0.1
  done
  tail_log "$E2E/dockerd.log"
  fail "dockerd did not log a reload after SIGHUP"
}
[[ " $(runtimes) " != *" runc-guard "* ]] || fail "runc-guard registered before install"

# --- dry run: a diff, nothing written ------------------------------------------------------------------------
capture ctl install --binary "$GUARD" --dry-run
[ "$RC" = 0 ] || fail "install --dry-run failed: $ERR"
assert_contains "$OUT" "+	\"runtimes\": {" "dry-run diff"
assert_contains "$OUT" "\"path\": \"$GUARD\"" "dry-run diff"
cmp -s "$DAEMON_JSON" "$E2E/daemon.json.orig" || fail "--dry-run changed daemon.json"
[ ! -e "$STATE" ] || fail "--dry-run wrote install state"

# --- install, SIGHUP, run a container with it -----------------------------------------------------------
capture ctl install --binary "$GUARD"
[ "$RC" = 0 ] || fail "install failed: $ERR"
assert_contains "$OUT" "kill -HUP" "install tells the operator to reload"
jq -e --arg g "$GUARD" '.runtimes["runc-guard"].path == $g and .["log-level"] == "info" and .features.buildkit == false' \
  "$DAEMON_JSON" >/dev/null || fail "daemon.json after install: $(cat "$DAEMON_JSON")"
reload
[[ " $(runtimes) " == *" runc-guard "* ]] || fail "dockerd did not pick up runc-guard on SIGHUP: $(runtimes)"
out=$(docker run --rm --runtime runc-guard "$E2E_IMAGE" echo hello-from-runc-guard) || fail "docker run --runtime runc-guard failed"
assert_eq "hello-from-runc-guard" "$out" "container output"
grep -Eq '^marker=[0-9]+\.1 .* create ' "$RECORDED" ||
  fail "the real runc was not reached through runc-guard: $(head -5 "$RECORDED")"
log "container ran through runc-guard after SIGHUP"

# --- uninstall: byte-identical, runtime gone after SIGHUP ------------------------------------------------
capture ctl uninstall
[ "$RC" = 0 ] || fail "uninstall failed: $ERR"
cmp "$DAEMON_JSON" "$E2E/daemon.json.orig" || fail "uninstall did not restore daemon.json byte for byte"
[ "$(stat -c %a "$DAEMON_JSON")" = "$(stat -c %a "$E2E/daemon.json.orig")" ] || fail "uninstall changed the mode"
reload
# dockerd 20.10 reloads only keys present in the file: the restored daemon.json has no "runtimes", so
# runc-guard stays registered until a restart, and uninstall must say so.
assert_contains "$OUT" "restart dockerd" "uninstall's advice when the original has no \"runtimes\""

# --- as default: docker run without --runtime goes through runc-guard ----------------------------------------
capture ctl install --binary "$GUARD" --as-default
[ "$RC" = 0 ] || fail "install --as-default failed: $ERR"
reload
assert_eq "runc-guard" "$(default_runtime)" "default runtime after install --as-default + SIGHUP"
: >"$RECORDED"
out=$(docker run --rm "$E2E_IMAGE" echo via-default) || fail "docker run with runc-guard as default failed"
assert_eq "via-default" "$out" "container output"
grep -Eq '^marker=[0-9]+\.1 .* create ' "$RECORDED" || fail "default runtime did not go through runc-guard: $(head -5 "$RECORDED")"
capture ctl uninstall
[ "$RC" = 0 ] || fail "uninstall after --as-default failed: $ERR"
cmp "$DAEMON_JSON" "$E2E/daemon.json.orig" || fail "uninstall after --as-default is not byte-identical"
assert_contains "$OUT" "keep runc-guard as its default runtime until it restarts" "uninstall advice after --as-default"
# The way back is complete after the restart the advice asks for.
stop_dockerd
start_private_dockerd
assert_eq "runc" "$(default_runtime)" "default runtime after uninstall + dockerd restart"
[[ " $(runtimes) " != *" runc-guard "* ]] || fail "runc-guard still registered after uninstall + restart: $(runtimes)"
out=$(docker run --rm "$E2E_IMAGE" echo back-on-runc) || fail "docker run after rollback failed"
assert_eq "back-on-runc" "$out" "container output after rollback"

# --- a broken daemon.json: clear error, nothing written ----------------------------------------------------
printf '{ "log-level": "info", }\n' >"$E2E/broken.json"
cp "$E2E/broken.json" "$E2E/broken.json.orig"
capture "$GUARDCTL" install docker --config "$E2E/broken.json" --state-dir "$STATE" --binary "$GUARD"
[ "$RC" = 1 ] || fail "install into a broken daemon.json exited $RC"
assert_contains "$ERR" "cannot parse $E2E/broken.json" "error for a broken daemon.json"
cmp -s "$E2E/broken.json" "$E2E/broken.json.orig" || fail "a broken daemon.json was modified"
echo "PASS: install docker"
