# The real runc releases and crictl the matrix and CRI tests drive are unpacked, executable, root-owned and
# answer --version with the release they are named after (a missing ../shared/runtimes fails here, loudly).
source "$(dirname "$0")/../lib.sh"
for v in "${RUNC_RELEASES[@]}"; do
  path=$(runc_release "$v")
  [ "$(stat -c %u:%a "$path")" = 0:755 ] || fail "$path is not root-owned 0755: $(stat -c %u:%a "$path")"
  "$path" --version | head -1 | grep -qx "runc version ${v#v}" || fail "$path --version: $("$path" --version | head -1)"
  # tests/data/runc-versions/ keeps these outputs for the version parser's unit tests: still exact.
  cmp -s <("$path" --version) "$RG_SOURCE/tests/data/runc-versions/runc-$v.txt" ||
    fail "$path --version differs from tests/data/runc-versions/runc-$v.txt: $(diff <("$path" --version) "$RG_SOURCE/tests/data/runc-versions/runc-$v.txt")"
done
# crictl v1.26.1 was built without a version stamp ("version unknown"); unpack.sh checked its sha256.
"$(crictl_binary)" --version >/dev/null || fail "crictl does not run: $("$(crictl_binary)" --version 2>&1)"
echo "runtimes_present: ${#RUNC_RELEASES[@]} runc releases and crictl ready in $RG_RUNTIMES"
