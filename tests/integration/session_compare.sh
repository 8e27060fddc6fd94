# The same scripted runc session through bare runc (Debian's 1.1.5) and through runc-guard must give
# identical stdout, stderr and exit codes (modulo pids and timestamps). runc_matrix_session.sh runs the same
# session for every real runc release.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/session_lib.bash"

make_workdir WORK
ROOT="$WORK/state"
ID=rg-session
on_exit "session_cleanup '$REAL_RUNC' '$ROOT' $ID"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}, \"guards\": $RG_PATCHES_ENFORCED}"

# runc names itself after argv[0] in help and usage texts; call runc-guard as "runc", as it is installed.
mkdir -p "$WORK/guardbin"
ln -s "$GUARD" "$WORK/guardbin/runc"
session_bundles "$REAL_RUNC" "$WORK"
session "$REAL_RUNC" "$WORK/bare" "$WORK" "$ROOT" $ID
session_bundles "$REAL_RUNC" "$WORK"
session "$WORK/guardbin/runc" "$WORK/guard" "$WORK" "$ROOT" $ID "$REAL_RUNC"

compare_sessions "$WORK/bare" "$WORK/guard"
check_session_ran "$WORK/bare" "runc $("$REAL_RUNC" --version | head -1)"
[ "$(cat "$WORK/bare/28-unknown-id.rc")" = 1 ] || fail "unknown id should fail with 1"
check_version_lines "$WORK/guard/34-version.out"
"$GUARD" -v | tail -n 1 | grep -q '^runc-guard: ' || fail "-v: no runc-guard line"

# Nothing of ours was printed anywhere: the guard's own outputs equal runc's (checked above), and the
# session, with nothing to guard, leaves no event behind but the guard that could not read the missing
# bundle (it fails open and lets runc report the error).
[ "$SESSION_DIFFS" = 0 ] || fail "$SESSION_DIFFS of $SESSION_STEPS step outputs differ between runc and runc-guard"
[ ! -s "$WORK/events.jsonl" ] || [ -z "$(jq -c "select(.id != \"$ID-bad\")" "$WORK/events.jsonl")" ] ||
  fail "runc-guard logged events for a session with nothing to guard: $(cat "$WORK/events.jsonl")"
echo "session_compare: $SESSION_STEPS outputs identical through runc and runc-guard"
