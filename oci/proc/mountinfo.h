#pragma once
// /proc/PID/mountinfo: one entry per mount of the process's mount namespace, mount points relative to the
// process's root (a container's init sees its own tree). proc(5): "36 35 98:0 /mnt1 /mnt2 rw,noatime
// master:1 - ext3 /dev/root rw,errors=continue".
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rg {

struct MountEntry {
  std::string root;           // field 4: the mount's root within its filesystem
  std::string mount_point;    // field 5, unescaped
  std::string mount_options;  // field 6: per-mount options ("ro,nosuid,…")
  std::string fstype;         // after " - "
  std::string source;
  std::string super_options;
  bool read_only() const;     // "ro" among the per-mount options
};

// Lines that do not parse are skipped.
std::vector<MountEntry> parse_mountinfo(std::string_view text);
std::vector<MountEntry> read_mountinfo(const std::string& proc_root, int pid);  // empty when unreadable

// The mount visible at exactly `path` (the last, i.e. topmost, one there).
const MountEntry* mount_at(const std::vector<MountEntry>& mounts, std::string_view path);

// Whether `list` ("a,b,c") holds `token`.
bool has_token(std::string_view list, std::string_view token);

}  // namespace rg
