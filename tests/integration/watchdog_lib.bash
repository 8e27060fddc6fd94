# Shared setup for the watchdog integration tests (sourced; not a test itself: ctest globs *.sh only).
# A work dir with the fake rc93 runc as runtime.path, a runc-guard config, a bundle, and cleanup of every
# container, init and watchdog the test started, on every exit path.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

FAKE_BUILT="$RG_BUILD/tests/fake_rc93_runc"
[ -x "$FAKE_BUILT" ] || fail "helper $FAKE_BUILT not built"

make_workdir WORK
FAKE="$WORK/runc"
cp "$FAKE_BUILT" "$FAKE" && chmod 0755 "$FAKE"
ROOT="$WORK/root"
BUNDLE="$WORK/bundle"
EVENTS="$WORK/events.jsonl"
LOG="$WORK/log.json"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
mkdir -p "$BUNDLE"
echo '{"ociVersion":"1.0.2","process":{"args":["/bin/sleep","300"],"noNewPrivileges":true},"root":{"path":"rootfs"}}' \
  >"$BUNDLE/config.json"

# guard_config [WATCHDOG_JSON [MODE]]: runc-guard over the fake runc with these watchdog settings.
guard_config() {
  local watchdog=${1:-'{}'} mode=${2:-enforce}
  write_config "$RUNC_GUARD_CONFIG" "{\"mode\": \"$mode\", \"runtime\": {\"path\": \"$FAKE\"},
    \"log\": {\"events\": \"$EVENTS\"}, \"metrics\": {\"textfile_dir\": \"$WORK/metrics\"}, \"watchdog\": $watchdog}"
}
guard_config

init_pid_of() { jq -r .init_process_pid "$ROOT/$1/state.json"; }
seccomp_mode_of() { awk '/^Seccomp:/ {print $2}' "/proc/$1/status"; }

# ms: milliseconds since the epoch.
ms() { date +%s%3N; }


cleanup_everything() {
  local state pid
  for state in "$ROOT"/*/state.json; do
    [ -f "$state" ] || continue
    pid=$(jq -r .init_process_pid "$state")
    kill -9 "$pid" 2>/dev/null || true
  done
  for state in "$ROOT"/*/exec-*.json; do
    [ -f "$state" ] || continue
    pid=${state##*/exec-}
    kill -9 "${pid%.json}" 2>/dev/null || true
  done
  for pid in $(our_watchdogs); do kill -9 "$pid" 2>/dev/null || true; done
  # Whatever else was started with our config (an init whose state.json was not written yet, its process).
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$pid" != $$ ] || continue
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qx "RUNC_GUARD_CONFIG=$RUNC_GUARD_CONFIG" &&
      kill -9 "$pid" 2>/dev/null || true
  done
}
on_exit cleanup_everything
