# Shared by tests/integration/kmem_*.sh (sourced, not a test itself): temp dir with cleanup on every exit
# path, a runc-guard config pointing at a chosen runc, and small assertions that say what broke.
set -euo pipefail

die() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }

[[ -n "${RG_BUILD:-}" && -n "${RG_SOURCE:-}" ]] || die "RG_BUILD and RG_SOURCE must be set (run through ctest)"
[[ $(id -u) == 0 ]] || die "must run as root (real cgroups, root-owned runc-guard config)"
RG="$RG_BUILD/runc-guard"
FAKE_RUNC_BIN="$RG_BUILD/tests/fake_runc_cgroup_probe"
SHARED_TESTDATA="$RG_SOURCE/../shared/testdata/docker-20.10"
[[ -x "$RG" ]] || die "$RG not built"
[[ -x "$FAKE_RUNC_BIN" ]] || die "$FAKE_RUNC_BIN not built"
command -v jq >/dev/null || die "jq is required"

T=$(mktemp -d /tmp/rg-kmem-it-XXXXXX)
chmod 0755 "$T"
KMEM_CLEANUP=()  # commands run (last first) on exit
kmem_cleanup() {
  local i
  for ((i = ${#KMEM_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${KMEM_CLEANUP[i]}" || true; done
  rm -rf "$T"
}
trap kmem_cleanup EXIT
on_exit() { KMEM_CLEANUP+=("$*"); }

# fake_runc VERSION → path of a private copy that reports VERSION (the copy has its own inode, so
# runc-guard's version cache, keyed by binary identity, sees a different binary per version).
fake_runc() {
  local path="$T/runc-$1"
  if [[ ! -x "$path" ]]; then
    cp "$FAKE_RUNC_BIN" "$path"
    chmod 0755 "$path"
    echo "$1" >"$path.version"
  fi
  echo "$path"
}

# write_config RUNC_PATH [JQ_FILTER] → $T/config.json (root-owned, 0644, as runc-guard requires)
write_config() {
  local filter="${2:-.}"
  jq -n --arg runc "$1" --arg events "$T/events.jsonl" \
    '{runtime: {path: $runc}, log: {events: $events}, watchdog: {enabled: false},
      kernel_memory: {kernel_release: "3.10.0-1160.el7.x86_64"}}' | jq "$filter" >"$T/config.json"
  chmod 0644 "$T/config.json"
}

# guard ARGS... : runs runc-guard with our config; the fake runc appends what it saw to $T/record.jsonl.
guard() { RUNC_GUARD_CONFIG="$T/config.json" FAKE_RUNC_RECORD="$T/record.jsonl" "$RG" "$@"; }

last_record() { [[ -s "$T/record.jsonl" ]] || die "the fake runc never ran"; tail -n 1 "$T/record.jsonl"; }
reset_records() { rm -f "$T/record.jsonl" "$T/events.jsonl" "$T/log.json"; }

# events NAME → the matching event lines
events() { [[ -f "$T/events.jsonl" ]] && jq -c --arg n "$1" 'select(.event == $n)' "$T/events.jsonl" || true; }

expect_eq() {  # expect_eq ACTUAL EXPECTED WHAT
  [[ "$1" == "$2" ]] || die "$3: expected [$2], got [$1]"
}
