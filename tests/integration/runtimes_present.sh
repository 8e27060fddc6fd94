# The real runc releases and crictl the matrix and CRI tests drive are unpacked, executable, root-owned and
# answer --version with the release they are named after (a missing ../shared/runtimes fails here, loudly).
source "$(dirname "$0")/../lib.sh"
for v in "${RUNC_RELEASES[@]}"; do
  path=$(runc_release "$v")
  [ "$(stat -c %u:%a "$path")" = 0:755 ] || fail "$path is not root-owned 0755: $(stat -c %u:%a "$path")"
  "$path" --version | head -1 | grep -qx "runc version ${v#v}" || fail "$path --version: $("$path" --version | head -1)"
done
"$(crictl_binary)" --version | grep -q 'v1.26.1' || fail "crictl --version: $("$(crictl_binary)" --version)"
echo "runtimes_present: ${#RUNC_RELEASES[@]} runc releases and crictl ready in $RG_RUNTIMES"
