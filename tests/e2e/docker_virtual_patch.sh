# End-to-end: the CVE-2024-21626 virtual patch under a real dockerd + containerd with the vulnerable runc
# 1.1.0. `docker run -w /proc/self/fd/N` reads the host's files through bare runc 1.1.0 (registered as
# runtime "runc110", shown first); through runc-guard over the same runc the container is refused and the
# CVE reaches the docker CLI's error; a normal container through runc-guard still runs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

R110=$(runc_release v1.1.0)
write_rg_config "$(base_rg_config | jq --arg r "$R110" '.runtime.path = $r')"
start_dockerd --add-runtime "runc110=$R110"
import_busybox_image

# The leaked directory fd is usually 7, 8 or 9, but its number follows runc's own fd use in that run, and about
# one full suite run in six found none of 3–15 a directory (every one "not a directory" or "no such file"):
# every plausible number is tried, in up to three rounds as an attacker would retry, and each attempt's
# reason is kept for a failure.
leaked=""
attempts=""
for round in 1 2 3; do
  for fd in $(seq 3 15); do
    capture docker run --rm --runtime runc110 -w /proc/self/fd/$fd "$E2E_IMAGE" cat ../../../../../../etc/os-release
    grep -q '^PRETTY_NAME=' <<<"$OUT" && leaked=$fd && break 2
    reason=$(grep -o 'container init: .*' <<<"$ERR" | head -1 | cut -c1-120 || true)
    attempts+=$'\n'"  round $round, fd $fd: exit $RC, ${reason:-$(head -c 160 <<<"$ERR$OUT" | tr '\n' ' ')}"
  done
done
[ -n "$leaked" ] || fail "docker run -w /proc/self/fd/N (N = 3…15, three rounds) with bare runc 1.1.0 never read the host's files (no reproduction):$attempts"
log "bare runc 1.1.0 through docker: -w /proc/self/fd/$leaked reads the host's /etc/os-release"

capture docker run --rm --runtime runc-guard -w /proc/self/fd/$leaked "$E2E_IMAGE" cat ../../../../../../etc/os-release
[ "$RC" != 0 ] || fail "docker run -w /proc/self/fd/$leaked through runc-guard succeeded: $OUT"
! grep -q '^PRETTY_NAME=' <<<"$OUT" || fail "the host's files were read through runc-guard"
assert_contains "$ERR" "runc-guard: CVE-2024-21626: process.cwd \"/proc/self/fd/$leaked\" resolves into /proc/self/fd" "docker's error"
assert_contains "$ERR" "fixed in runc 1.1.12" "docker's error"
log "through runc-guard: refused, docker says: $(grep -o 'runc-guard: CVE-2024-21626[^"]*' <<<"$ERR" | head -1 | cut -c1-100)"

capture docker run --rm --runtime runc-guard "$E2E_IMAGE" echo fine
assert_eq 0 "$RC" "a normal container through runc-guard over runc 1.1.0 (stderr: $ERR)"
assert_eq fine "$OUT" "its output"
[ -n "$(events_for "" patch.refused)$(jq -c 'select(.event == "patch.refused")' "$RG_EVENTS")" ] || fail "no patch.refused event"
echo "docker_virtual_patch: the CVE-2024-21626 refusal reaches the docker CLI"
