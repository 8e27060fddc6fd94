#pragma once
// A created container's init, looked at from the host before `runc start` lets it exec the user's process
// — its root filesystem is the image's, so nothing in it is followed: paths are opened inside the init's
// root with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) as O_PATH (the file's
// own open never runs) and stat'ed with AT_STATX_DONT_SYNC.
#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/base/fd.h"
#include "oci/proc/mountinfo.h"

namespace rg {

class LiveContainer {
 public:
  LiveContainer(std::string proc_root, pid_t init) : proc_root_(std::move(proc_root)), init_(init) {}

  // The init's mounts, mount points relative to its root (read once).
  const std::vector<MountEntry>& mounts();

  struct Lookup {
    enum class Result { Missing, ThroughLink, Found, Unreadable } result = Result::Unreadable;
    struct stat st {};
  };
  // `path` (absolute, inside the container) as the container sees it.
  Lookup lookup(std::string_view path) const;

  enum class Place { Inside, Outside, Unknown };
  // Whether the init's working directory is its root or below it (walked up with "..", comparing device,
  // inode and mount id with the root's).
  Place cwd_place() const;

 private:
  std::string proc_root_;
  pid_t init_;
  std::optional<std::vector<MountEntry>> mounts_;
  // /proc/<init>/root, opened on the first lookup and kept: every path of one check resolves in the same root
  // (and a check of twenty masked paths opens it once).
  mutable UniqueFd root_;
};

}  // namespace rg
