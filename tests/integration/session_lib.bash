# The scripted runc session shared by session_compare.sh (Debian's runc) and runc_matrix_session.sh (every
# real release): run it through bare runc and through runc-guard, normalise what may differ (pids,
# timestamps, stats numbers), compare. Sourced after ../lib.sh; not a test itself (ctest globs *.sh only).

# session_bundles RUNC DIR: the session's three bundles under DIR, each made with RUNC's own `runc spec` (an
# old release gets the spec it writes itself). Made afresh before each session: a new busybox file has no
# page cache yet, so both sessions' containers are charged for it alike (runc 1.1.x omits a zero
# memory "cache" from `events --stats`).
session_bundles() {
  local runc=$1 dir=$2
  rm -rf "$dir/bundle" "$dir/fg" "$dir/det"
  REAL_RUNC=$runc make_bundle "$dir/bundle" sleep 1000
  mkdir -p "$dir/fg" "$dir/det"
  cp -a "$dir/bundle/rootfs" "$dir/fg/"  # a copy is much faster than linking every applet again
  cp -a "$dir/bundle/rootfs" "$dir/det/"
  REAL_RUNC=$runc make_bundle "$dir/fg" sh -c 'echo foreground-out; echo foreground-err >&2; exit 3'
  REAL_RUNC=$runc make_bundle "$dir/det" sleep 1000
}

# session_cleanup RUNC ROOT ID: force-delete whatever the session may have left (for on_exit).
session_cleanup() {
  local runc=$1 root=$2 id=$3 c
  for c in "$id" "$id-run" "$id-fg" "$id-bad"; do "$runc" --root "$root" delete --force "$c" >/dev/null 2>&1 || true; done
}

# step OUT NAME CMD...: run one step, keep stdout, stderr and exit code.
step() {
  local out=$1 name=$2
  shift 2
  local rc=0
  "$@" >"$out/$name.out" 2>"$out/$name.err" </dev/null || rc=$?
  echo "$rc" >"$out/$name.rc"
}

# session R OUT BUNDLES ROOT ID [POLL_RUNC]: the whole session through the runc command R; every step's
# stdout, stderr and exit code land in OUT. POLL_RUNC (default R) is asked for the state while waiting for
# the killed container to stop (not part of the compared output).
session() {
  local R=$1 out=$2 b=$3 root=$4 id=$5 poll=${6:-$1}
  mkdir -p "$out"
  local G=(--root "$root")
  step "$out" 01-create "$R" "${G[@]}" create --bundle "$b/bundle" "$id"
  step "$out" 02-state-created "$R" "${G[@]}" state "$id"
  step "$out" 03-start "$R" "${G[@]}" start "$id"
  step "$out" 04-state "$R" "${G[@]}" state "$id"
  step "$out" 05-list "$R" "${G[@]}" list
  step "$out" 06-list-json "$R" "${G[@]}" list --format json
  step "$out" 07-list-quiet "$R" "${G[@]}" list -q
  step "$out" 08-ps-json "$R" "${G[@]}" ps --format json "$id"
  step "$out" 09-exec "$R" "${G[@]}" exec "$id" sh -c 'echo exec-out; echo exec-err >&2; exit 7'
  step "$out" 10-exec-detached "$R" "${G[@]}" exec -d "$id" sleep 1000
  step "$out" 11-ps-after-exec "$R" "${G[@]}" ps --format json "$id"
  step "$out" 12-pause "$R" "${G[@]}" pause "$id"
  step "$out" 13-state-paused "$R" "${G[@]}" state "$id"
  step "$out" 14-resume "$R" "${G[@]}" resume "$id"
  step "$out" 15-update-flags "$R" "${G[@]}" update --memory 200000000 --pids-limit 100 "$id"
  echo '{"memory": {"limit": 300000000}, "pids": {"limit": 200}}' >"$out/resources.json"
  step "$out" 16-update-file "$R" "${G[@]}" update -r "$out/resources.json" "$id"
  local rc=0
  echo '{"memory": {"limit": 250000000}}' | "$R" "${G[@]}" update --resources - "$id" >"$out/17-update-stdin.out" 2>"$out/17-update-stdin.err" || rc=$?
  echo $rc >"$out/17-update-stdin.rc"
  step "$out" 18-events-stats "$R" "${G[@]}" events --stats "$id"
  step "$out" 19-kill "$R" "${G[@]}" kill "$id" KILL
  for _ in $(seq 50); do
    [ "$("$poll" "${G[@]}" state "$id" 2>/dev/null | jq -r .status)" = stopped ] && break
    sleep 0.1
  done
  step "$out" 20-delete "$R" "${G[@]}" delete "$id"
  step "$out" 21-run-detached "$R" "${G[@]}" run -d --bundle "$b/det" "$id-run"
  step "$out" 22-delete-force "$R" "${G[@]}" delete --force "$id-run"
  step "$out" 23-run-foreground "$R" "${G[@]}" run --bundle "$b/fg" "$id-fg"
  mkdir -p "$out/specdir"
  step "$out" 24-spec "$R" spec --bundle "$out/specdir"
  cp "$out/specdir/config.json" "$out/24-spec.config" 2>/dev/null || true
  step "$out" 25-features "$R" features
  step "$out" 26-help "$R" help
  step "$out" 27-help-create "$R" create --help
  step "$out" 28-unknown-id "$R" "${G[@]}" state no-such-container
  step "$out" 29-bad-bundle "$R" "${G[@]}" create --bundle "$b/no-such-bundle" "$id-bad"
  step "$out" 30-bad-flag "$R" "${G[@]}" state --no-such-flag "$id"
  step "$out" 31-unknown-command "$R" frobnicate
  step "$out" 32-kill-unknown "$R" "${G[@]}" kill no-such-container 9
  step "$out" 33-delete-unknown-json-log "$R" "${G[@]}" --log "$out/log.json" --log-format json delete no-such-container
  cp "$out/log.json" "$out/33-delete-unknown-json-log.logfile" 2>/dev/null || true
  step "$out" 34-version "$R" --version
}

# normalise FILE: pids, timestamps and run-to-run numbers (stats) are the only things allowed to differ.
normalise() {
  local file=$1
  case "$file" in
    *04-state.out|*02-state-created.out|*13-state-paused.out)
      jq -S '.pid = "PID" | .created = "TIME"' "$file" ;;
    *06-list-json.out)
      jq -S 'map(.pid = "PID" | .created = "TIME")' "$file" ;;
    *05-list.out)
      sed -E 's/^([^ ]+ +)[0-9]+/\1PID/; s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/TIME/' "$file" | tr -s ' ' ;;
    *08-ps-json.out|*11-ps-after-exec.out)
      jq -c 'map("PID") | length' "$file" ;;
    *18-events-stats.out)
      # Which statistics runc reports, not their values. Fields runc marks omitempty (memory cache, usage,
      # max; cpu throttling counts) come and go with their value: runc 1.1.15's data.memory.cache was
      # there in one session and not in the next, bare both times.
      jq -c '[paths(type != "object" and type != "array" or length == 0) | map(tostring)
              | select(.[-1] | IN("cache", "usage", "max", "periods", "throttled_periods", "throttled_time") | not)
              | join(".")] | sort' "$file" ;;
    *34-version.out)
      # runc-guard adds one last line of its own (checked by check_version_lines); runc's must be unchanged.
      sed '${/^runc-guard: /d}' "$file" ;;
    *.err|*.logfile)
      sed -E 's/time="[^"]+"/time="TIME"/g; s/"time":"[^"]+"/"time":"TIME"/g' "$file" ;;
    *)
      cat "$file" ;;
  esac
}

# compare_sessions BARE GUARD: prints every difference; SESSION_STEPS and SESSION_DIFFS say how many
# outputs were compared and how many differed (a file missing on the runc-guard side counts as different).
compare_sessions() {
  local bare=$1 guard=$2 f name
  SESSION_STEPS=0 SESSION_DIFFS=0
  for f in "$bare"/*.{out,err,rc,config,logfile}; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    SESSION_STEPS=$((SESSION_STEPS + 1))
    if [ ! -e "$guard/$name" ]; then
      echo "missing through runc-guard: $name"
      SESSION_DIFFS=$((SESSION_DIFFS + 1))
      continue
    fi
    if ! diff -u --label "bare/$name" --label "runc-guard/$name" <(normalise "$f") <(normalise "$guard/$name"); then
      echo "DIFFERENT: $name"
      SESSION_DIFFS=$((SESSION_DIFFS + 1))
    fi
  done
  for f in "$guard"/*.{out,err,rc,config,logfile}; do
    [ -e "$f" ] || continue
    [ -e "$bare/$(basename "$f")" ] && continue
    echo "only through runc-guard: $(basename "$f")"
    SESSION_DIFFS=$((SESSION_DIFFS + 1))
  done
}

# check_session_ran BARE LABEL: the bare session really exercised runc (not two identical failures).
check_session_ran() {
  local d=$1 label=$2
  [ "$(cat "$d/01-create.rc")" = 0 ] || fail "$label: bare create failed: $(cat "$d/01-create.err")"
  [ "$(cat "$d/03-start.rc")" = 0 ] || fail "$label: bare start failed: $(cat "$d/03-start.err")"
  jq -e '.status == "running"' "$d/04-state.out" >/dev/null || fail "$label: not running after start"
  [ "$(cat "$d/09-exec.out")" = exec-out ] || fail "$label: exec output unexpected: $(cat "$d/09-exec.out" "$d/09-exec.err")"
  [ "$(cat "$d/09-exec.rc")" = 7 ] || fail "$label: exec exit code not propagated by bare runc"
  [ "$(jq length "$d/11-ps-after-exec.out")" = 2 ] || fail "$label: exec -d process not running"
  jq -e '.status == "paused"' "$d/13-state-paused.out" >/dev/null || fail "$label: pause did not pause"
  [ "$(cat "$d/16-update-file.rc")" = 0 ] || fail "$label: update -r FILE failed: $(cat "$d/16-update-file.err")"
  [ "$(cat "$d/17-update-stdin.rc")" = 0 ] || fail "$label: update -r - failed: $(cat "$d/17-update-stdin.err")"
  [ "$(cat "$d/20-delete.rc")" = 0 ] || fail "$label: delete failed: $(cat "$d/20-delete.err")"
  [ "$(cat "$d/21-run-detached.rc")" = 0 ] || fail "$label: run -d failed: $(cat "$d/21-run-detached.err")"
  [ "$(cat "$d/23-run-foreground.rc")" = 3 ] || fail "$label: foreground run exit code $(cat "$d/23-run-foreground.rc")"
  [ "$(cat "$d/23-run-foreground.out")" = foreground-out ] || fail "$label: foreground run output"
  [ "$(cat "$d/28-unknown-id.rc")" != 0 ] || fail "$label: unknown id should fail"
  [ "$(cat "$d/29-bad-bundle.rc")" != 0 ] || fail "$label: a missing bundle should fail"
  [ -s "$d/33-delete-unknown-json-log.logfile" ] || fail "$label: runc wrote no json log"
  grep -q '^runc version ' "$d/34-version.out" || fail "$label: --version: $(cat "$d/34-version.out")"
}

# check_version_lines GUARD_OUT: runc-guard's --version is runc's, plus one last line of its own without
# the word "version" (dockerd takes the first "version" it finds).
check_version_lines() {
  local last
  last=$(tail -n 1 "$1")
  [[ "$last" =~ ^runc-guard:\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version: last line is '$last'"
  [[ "$last" != *version* ]] || fail "--version: our line contains 'version' (dockerd would take it)"
}
