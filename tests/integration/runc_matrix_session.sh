# The scripted runc session (session_lib.bash: create, state, start, list, ps, exec, exec -d, pause, resume,
# update, events, kill, delete, run -d, delete -f, run, spec, features, help, failures, --version) through
# runc-guard is identical to the same release called bare, for every real runc release in RUNC_RELEASES
# (Debian's 1.1.5: session_compare.sh). runc-guard runs with runtime.path = that release. A command an old
# release lacks (features before 1.1) must fail the same way through runc-guard.
#
# The sessions run under a child subreaper (tini -s), as runc does under containerd-shim: an orphaned
# exec'd process (exec -d) must be reaped before a killed container counts as stopped, and this machine's
# pid 1 reaps about once a second (2 s per session otherwise).
if [ -z "${RG_UNDER_SUBREAPER:-}" ]; then
  command -v tini >/dev/null || { echo "FAIL: required tool 'tini' is not installed (tests/run.sh installs it)" >&2; exit 1; }
  RG_UNDER_SUBREAPER=1 exec tini -s -- bash "$0" "$@"
fi
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/session_lib.bash"

make_workdir WORK
mkdir -p "$WORK/guardbin"
ln -s "$GUARD" "$WORK/guardbin/runc"  # runc names itself after argv[0] in help and usage texts
different=()
summary=()
for v in "${RUNC_RELEASES[@]}"; do
  rel=$(runc_release "$v")
  t0=$SECONDS
  W="$WORK/$v"
  ROOT="$W/state"
  ID="rg-m-${v//./-}"
  mkdir -p "$W/barebin"
  ln -s "$rel" "$W/barebin/runc"
  on_exit "session_cleanup '$rel' '$ROOT' $ID"
  export RUNC_GUARD_CONFIG="$W/guard.json"
  write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$rel\"}, \"log\": {\"events\": \"$W/events.jsonl\"}, \"guards\": $RG_PATCHES_ENFORCED}"

  session_bundles "$rel" "$W"
  session "$W/barebin/runc" "$W/bare" "$W" "$ROOT" "$ID" "$rel"
  session_bundles "$rel" "$W"
  session "$WORK/guardbin/runc" "$W/guard" "$W" "$ROOT" "$ID" "$rel"
  check_session_ran "$W/bare" "runc $v"
  head -n 1 "$W/bare/34-version.out" | grep -qx "runc version ${v#v}" ||
    fail "$rel is not runc $v: $(head -n 1 "$W/bare/34-version.out")"
  check_version_lines "$W/guard/34-version.out"
  compare_sessions "$W/bare" "$W/guard" >"$W/differences.txt"
  sed "s|^|$v: |" "$W/differences.txt"
  [ "$SESSION_DIFFS" = 0 ] || different+=("$v ($SESSION_DIFFS of $SESSION_STEPS outputs)")
  # Nothing to guard in this session: no event but the guard that could not read the missing bundle.
  if [ -s "$W/events.jsonl" ] && [ -n "$(jq -c "select(.id != \"$ID-bad\")" "$W/events.jsonl")" ]; then
    different+=("$v (events: $(jq -c "select(.id != \"$ID-bad\") | .event" "$W/events.jsonl" | sort -u | tr '\n' ' '))")
  fi
  features=$(cat "$W/bare/25-features.rc")
  summary+=("$v: $SESSION_STEPS outputs, features exit $features, $((SECONDS - t0)) s")
  session_cleanup "$rel" "$ROOT" "$ID"
done
printf '  %s\n' "${summary[@]}"
[ ${#different[@]} = 0 ] || fail "runc-guard is not transparent for: ${different[*]}"
echo "runc_matrix_session: ${#RUNC_RELEASES[@]} releases, every output identical through runc-guard"
