# create through runc-guard on a 3.10 kernel (override) with a recording fake runc: dockerd's
# --kernel-memory config.json is stripped (mode/owner kept), every other config stays the same file,
# reject fails before runc with the error in runc's log, and a full filesystem leaves the old config.
source "$(dirname "$0")/../lib.sh"
make_workdir T
EVENTS="$T/events.jsonl"

# A runc that honours explicit kmem limits (before rc94; rc94 and later ignore them, kmem_real_runc.sh) and
# does not switch accounting on by itself (before rc5), so no memory cgroup is pre-created here.
RUNC=$(fake_probe_runc 1.0.0-rc4)
G=(--root "$T/state" --log "$T/log.json" --log-format json)
KMEM="$SHARED_TESTDATA/kmem.config.json"

bundle() {  # bundle NAME CONFIG → bundle dir with a copy of CONFIG
  mkdir -p "$T/$1"
  cp "$2" "$T/$1/config.json"
  echo "$T/$1"
}

note "strip: only the kernel field goes, mode and owner stay"
kmem_config "$RUNC"
B=$(bundle strip "$KMEM")
chmod 0600 "$B/config.json"
chown 1000:1000 "$B/config.json"
kmem_guard "${G[@]}" create --bundle "$B" --pid-file "$B/init.pid" ctr1 </dev/null
expect_eq "$(jq -c .linux.resources.memory "$B/config.json")" '{"limit":268435456,"swap":536870912,"disableOOMKiller":false}' "memory after strip"
expect_eq "$(sed 's/"kernel":67108864,//' "$KMEM" | sha256sum)" "$(sha256sum <"$B/config.json")" "everything else byte-identical"
expect_eq "$(stat -c '%a %u %g' "$B/config.json")" "600 1000 1000" "mode/owner"
expect_eq "$(last_record | jq -r .argv[7])" create "fake runc ran create"
expect_eq "$(events_named kmem.stripped | jq -c .details.settings)" '{"kernel":67108864}' "event"
jq -r .msg "$T/log.json" | grep -q '^runc-guard: kernel memory limit removed (linux.resources.memory.kernel=67108864)' \
  || fail "no warning in runc's log: $(cat "$T/log.json")"
[[ -z "$(find "$T" -name '*.runc-guard-*')" ]] || fail "temp file left in the bundle"

note "configs without kernel memory, or kernels >= 4.0: the very same file"
for cfg in default nnp bigprofile; do
  reset_records
  B=$(bundle "$cfg" "$SHARED_TESTDATA/$cfg.config.json")
  before=$(stat -c '%i %Y.%y' "$B/config.json")
  kmem_guard "${G[@]}" create --bundle "$B" "c-$cfg" </dev/null
  expect_eq "$(stat -c '%i %Y.%y' "$B/config.json")" "$before" "$cfg: inode/mtime"
  cmp -s "$B/config.json" "$SHARED_TESTDATA/$cfg.config.json" || fail "$cfg: config.json changed"
done
reset_records
kmem_config "$RUNC" '.kernel_memory.kernel_release = "5.4.94-1.el7.elrepo.x86_64"'
B=$(bundle newkernel "$KMEM")
kmem_guard "${G[@]}" create --bundle "$B" c-new </dev/null
cmp -s "$B/config.json" "$KMEM" || fail "config changed on a 5.4 kernel"

note "reject: exit 1, runc never runs, config untouched, error in runc's log"
reset_records
kmem_config "$RUNC" '.kernel_memory.policy = "reject"'
B=$(bundle reject "$KMEM")
set +e
kmem_guard "${G[@]}" create --bundle "$B" c-rej </dev/null 2>"$T/stderr"
rc=$?
set -e
expect_eq "$rc" 1 "exit code"
[[ ! -e "$T/record.jsonl" ]] || fail "runc ran"
cmp -s "$B/config.json" "$KMEM" || fail "config changed on reject"
expect_eq "$(jq -r .level "$T/log.json")" error "log level"
jq -r .msg "$T/log.json" | grep -q '^runc-guard: kernel memory limit refused (linux.resources.memory.kernel=67108864): kernel 3.10.0-1160.el7.x86_64 is older than 4.0' \
  || fail "error missing from runc's log: $(cat "$T/log.json")"
grep -q 'kernel memory limit refused' "$T/stderr" || fail "error missing from stderr"

note "full filesystem: the rewrite fails, config.json is the old one, no temp file left"
reset_records
kmem_config "$RUNC"
mkdir -p "$T/full"
mount -t tmpfs -o size=64k tmpfs "$T/full"
on_exit umount "$T/full"
cp "$KMEM" "$T/full/config.json"
dd if=/dev/zero of="$T/full/filler" bs=4k 2>/dev/null || true  # fills the rest
kmem_guard "${G[@]}" create --bundle "$T/full" c-full </dev/null
cmp -s "$T/full/config.json" "$KMEM" || fail "config.json not the original after ENOSPC"
expect_eq "$(ls "$T/full" | sort | tr '\n' ' ')" "config.json filler " "files on the full filesystem"
grep -q 'could not rewrite config.json' "$T/log.json" || fail "no warning about the failed rewrite: $(cat "$T/log.json")"
[[ -n "$(jq -c 'select(.event == "spec.flush_failed")' "$T/events.jsonl")" ]] || fail "no spec.flush_failed event"

note "runc 1.1.x ignores kmem limits itself: config.json untouched, the event says why"
reset_records
kmem_config "$(fake_probe_runc 1.1.5)"
B=$(bundle ignored "$KMEM")
kmem_guard "${G[@]}" create --bundle "$B" c-ignored </dev/null
cmp -s "$B/config.json" "$KMEM" || fail "config.json rewritten although runc 1.1.5 ignores the limit"
expect_eq "$(events_named kmem.ignored_by_runc | jq -r .details.runc_version)" 1.1.5 "kmem.ignored_by_runc event"
[[ -z "$(events_named kmem.stripped)" ]] || fail "stripped for runc 1.1.5"
[[ ! -s "$T/log.json" ]] || fail "user told about a change that was not made: $(cat "$T/log.json")"

echo "PASS kmem_spec"
