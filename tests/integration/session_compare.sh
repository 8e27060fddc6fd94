# The same scripted runc session through bare runc and through runc-guard must give identical stdout,
# stderr and exit codes (modulo pids and timestamps).
source "$(dirname "$0")/../lib.sh"

WORK=$(make_workdir)
ROOT="$WORK/state"
ID=rg-session
BUNDLE="$WORK/bundle"
make_bundle "$BUNDLE" sleep 1000
make_bundle "$WORK/fg" sh -c 'echo foreground-out; echo foreground-err >&2; exit 3'
make_bundle "$WORK/det" sleep 1000
on_exit "cleanup_container '$ROOT' $ID; cleanup_container '$ROOT' $ID-run; cleanup_container '$ROOT' $ID-fg"
export RUNC_GUARD_CONFIG="$WORK/guard.json"
write_config "$RUNC_GUARD_CONFIG" "{\"runtime\": {\"path\": \"$REAL_RUNC\"}, \"log\": {\"events\": \"$WORK/events.jsonl\"}}"

# step OUT NAME CMD...: run one step, keep stdout, stderr and exit code.
step() {
  local out=$1 name=$2
  shift 2
  local rc=0
  "$@" >"$out/$name.out" 2>"$out/$name.err" </dev/null || rc=$?
  echo "$rc" >"$out/$name.rc"
}

session() {
  local R=$1 out=$2
  mkdir -p "$out"
  local G=(--root "$ROOT")
  step "$out" 01-create "$R" "${G[@]}" create --bundle "$BUNDLE" $ID
  step "$out" 02-state-created "$R" "${G[@]}" state $ID
  step "$out" 03-start "$R" "${G[@]}" start $ID
  step "$out" 04-state "$R" "${G[@]}" state $ID
  step "$out" 05-list "$R" "${G[@]}" list
  step "$out" 06-list-json "$R" "${G[@]}" list --format json
  step "$out" 07-list-quiet "$R" "${G[@]}" list -q
  step "$out" 08-ps-json "$R" "${G[@]}" ps --format json $ID
  step "$out" 09-exec "$R" "${G[@]}" exec $ID sh -c 'echo exec-out; echo exec-err >&2; exit 7'
  step "$out" 10-exec-detached "$R" "${G[@]}" exec -d $ID sleep 1000
  step "$out" 11-ps-after-exec "$R" "${G[@]}" ps --format json $ID
  step "$out" 12-pause "$R" "${G[@]}" pause $ID
  step "$out" 13-state-paused "$R" "${G[@]}" state $ID
  step "$out" 14-resume "$R" "${G[@]}" resume $ID
  step "$out" 15-update-flags "$R" "${G[@]}" update --memory 200000000 --pids-limit 100 $ID
  echo '{"memory": {"limit": 300000000}, "pids": {"limit": 200}}' >"$out/resources.json"
  step "$out" 16-update-file "$R" "${G[@]}" update -r "$out/resources.json" $ID
  local rc=0
  echo '{"memory": {"limit": 250000000}}' | "$R" "${G[@]}" update --resources - $ID >"$out/17-update-stdin.out" 2>"$out/17-update-stdin.err" || rc=$?
  echo $rc >"$out/17-update-stdin.rc"
  step "$out" 18-events-stats "$R" "${G[@]}" events --stats $ID
  step "$out" 19-kill "$R" "${G[@]}" kill $ID KILL
  for _ in $(seq 50); do
    [ "$("$REAL_RUNC" "${G[@]}" state $ID 2>/dev/null | jq -r .status)" = stopped ] && break
    sleep 0.1
  done
  step "$out" 20-delete "$R" "${G[@]}" delete $ID
  step "$out" 21-run-detached "$R" "${G[@]}" run -d --bundle "$WORK/det" $ID-run
  step "$out" 22-delete-force "$R" "${G[@]}" delete --force $ID-run
  step "$out" 23-run-foreground "$R" "${G[@]}" run --bundle "$WORK/fg" $ID-fg
  mkdir -p "$out/specdir"
  step "$out" 24-spec "$R" spec --bundle "$out/specdir"
  cp "$out/specdir/config.json" "$out/24-spec.config"
  step "$out" 25-features "$R" features
  step "$out" 26-help "$R" help
  step "$out" 27-help-create "$R" create --help
  step "$out" 28-unknown-id "$R" "${G[@]}" state no-such-container
  step "$out" 29-bad-bundle "$R" "${G[@]}" create --bundle "$WORK/no-such-bundle" $ID-bad
  step "$out" 30-bad-flag "$R" "${G[@]}" state --no-such-flag $ID
  step "$out" 31-unknown-command "$R" frobnicate
  step "$out" 32-kill-unknown "$R" "${G[@]}" kill no-such-container 9
  step "$out" 33-delete-unknown-json-log "$R" "${G[@]}" --log "$out/log.json" --log-format json delete no-such-container
  cp "$out/log.json" "$out/33-delete-unknown-json-log.logfile" 2>/dev/null || true
}

# Pids, timestamps and run-to-run numbers (stats) are the only things allowed to differ.
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
      jq -c '[paths | map(tostring) | join(".")] | sort' "$file" ;;
    *.err|*.logfile)
      sed -E 's/time="[^"]+"/time="TIME"/g; s/"time":"[^"]+"/"time":"TIME"/g' "$file" ;;
    *)
      cat "$file" ;;
  esac
}

# runc names itself after argv[0] in help and usage texts; call runc-guard as "runc", as it is installed.
mkdir -p "$WORK/guardbin"
ln -s "$GUARD" "$WORK/guardbin/runc"
session "$REAL_RUNC" "$WORK/bare"
session "$WORK/guardbin/runc" "$WORK/guard"

failures=0
steps=0
for f in "$WORK"/bare/*.{out,err,rc,config,logfile}; do
  [ -e "$f" ] || continue
  name=$(basename "$f")
  g="$WORK/guard/$name"
  steps=$((steps + 1))
  if [ ! -e "$g" ]; then
    echo "missing through runc-guard: $name"
    failures=$((failures + 1))
    continue
  fi
  if ! diff -u <(normalise "$f") <(normalise "$g") >"$WORK/diff.txt"; then
    echo "DIFFERENT: $name"
    cat "$WORK/diff.txt"
    failures=$((failures + 1))
  fi
done

# Sanity: the session really exercised runc (not two identical failures).
[ "$(cat "$WORK/bare/03-start.rc")" = 0 ] || fail "bare runc start failed: $(cat "$WORK/bare/03-start.err")"
[ "$(cat "$WORK/bare/09-exec.out")" = exec-out ] || fail "exec output unexpected"
[ "$(cat "$WORK/bare/09-exec.rc")" = 7 ] || fail "exec exit code not propagated by bare runc"
[ "$(cat "$WORK/bare/23-run-foreground.rc")" = 3 ] || fail "foreground run exit code"
[ "$(cat "$WORK/bare/28-unknown-id.rc")" = 1 ] || fail "unknown id should fail"
jq -e '.status == "paused"' "$WORK/bare/13-state-paused.out" >/dev/null || fail "pause did not pause"
[ -s "$WORK/bare/33-delete-unknown-json-log.logfile" ] || fail "runc wrote no json log"

# --version: runc's output unchanged, then one line of ours without the word "version".
"$REAL_RUNC" --version >"$WORK/v.bare"
"$GUARD" --version >"$WORK/v.guard"
diff <(cat "$WORK/v.bare") <(head -n -1 "$WORK/v.guard") || fail "--version: runc's lines changed"
last=$(tail -n 1 "$WORK/v.guard")
[[ "$last" =~ ^runc-guard:\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version: last line is '$last'"
[[ "$last" != *version* ]] || fail "--version: our line contains 'version' (dockerd would take it)"
"$GUARD" -v | tail -n 1 | grep -q '^runc-guard: ' || fail "-v: no runc-guard line"

# Nothing of ours was printed anywhere: the guard's own outputs equal runc's (checked above), and a
# successful pass-through leaves no event behind either.
[ "$failures" = 0 ] || fail "$failures of $steps step outputs differ between runc and runc-guard"
echo "session_compare: $steps outputs identical through runc and runc-guard"
