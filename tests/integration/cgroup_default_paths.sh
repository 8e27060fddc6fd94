# runc's shortcut to a hierarchy (/sys/fs/cgroup/<controller>, no mountinfo) where the controller's name is a
# link, as on systemd hosts (cpu -> cpu,cpuacct): in a private mount namespace whose /sys/fs/cgroup is rebuilt
# from this machine's hierarchies with cpu and memory mounted under other names and linked, runc-guard finds
# the same mountpoints through the links as the mountinfo walk does (the unit test
# CgroupHierarchies.DefaultPathsMatchMountinfo, run in that namespace: it fails when a hierarchy is found by
# the walk instead).
source "$(dirname "$0")/../lib.sh"

[ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] && [ -d /sys/fs/cgroup/cpu ] && [ -d /sys/fs/cgroup/memory ] ||
  fail "needs cgroup v1 hierarchies under a tmpfs /sys/fs/cgroup (cpu and memory among them)"
make_workdir WORK
cat >"$WORK/rebuild.sh" <<'SH'
set -euo pipefail
stage=$1
mount --make-rprivate /
# Keep every hierarchy (a move keeps the mount, its root and options), then a new tmpfs over /sys/fs/cgroup.
for d in /sys/fs/cgroup/*/; do
  d=${d%/}
  mountpoint -q "$d" || continue
  mkdir -p "$stage/${d##*/}"
  mount --move "$d" "$stage/${d##*/}"
done
mount -t tmpfs -o mode=0755 rg-cgroup-links /sys/fs/cgroup
for d in "$stage"/*; do
  name=${d##*/}
  case $name in
    cpu) target=cpu,linked ;;
    memory) target=memory-linked ;;
    *) target=$name ;;
  esac
  mkdir "/sys/fs/cgroup/$target"
  mount --move "$d" "/sys/fs/cgroup/$target"
  [ "$target" = "$name" ] || ln -s "$target" "/sys/fs/cgroup/$name"
done
[ -L /sys/fs/cgroup/cpu ] && [ -L /sys/fs/cgroup/memory ] || { echo "links not made"; exit 1; }
"$RG_BUILD/tests/unit_tests" --gtest_filter=CgroupHierarchies.DefaultPathsMatchMountinfo --gtest_brief=1
SH
export RG_BUILD
OUT=$(unshare -m bash "$WORK/rebuild.sh" "$WORK/stage" 2>&1) ||
  fail "default paths through links differ from the mountinfo walk: $OUT"
grep -q 'PASSED.*1 test' <<<"$OUT" || fail "the unit test did not run: $OUT"
echo "cgroup_default_paths: the default path through cpu -> cpu,linked and memory -> memory-linked matches mountinfo"
