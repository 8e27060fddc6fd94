#include "oci/kmem/cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "oci/base/error.h"
#include "oci/base/text.h"

namespace rg {

namespace {
// Every directory from the first below `mountpoint` down to `dir`, shallowest first; nullopt when `dir` is
// not below `mountpoint`.
std::optional<std::vector<std::string>> dirs_below(const std::string& mountpoint, const std::string& dir) {
  if (!(dir.starts_with(mountpoint) && dir.size() > mountpoint.size() && dir[mountpoint.size()] == '/')) return std::nullopt;
  std::vector<std::string> dirs;
  std::string path = mountpoint;
  for (std::string_view part : split(std::string_view(dir).substr(mountpoint.size() + 1), '/')) {
    if (part.empty()) continue;
    path += '/';
    path += part;
    dirs.push_back(path);
  }
  return dirs;
}
}  // namespace

std::vector<std::string> missing_cgroup_dirs(const std::string& mountpoint, const std::string& dir) {
  std::vector<std::string> missing;
  for (const std::string& path : dirs_below(mountpoint, dir).value_or(std::vector<std::string>{})) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) missing.insert(missing.begin(), path);
  }
  return missing;
}

std::vector<std::string> precreate_cgroup_dir(const std::string& mountpoint, const std::string& dir) {
  auto dirs = dirs_below(mountpoint, dir);
  if (!dirs) throw Error("cgroup directory " + dir + " is not under " + mountpoint);
  std::vector<std::string> created;
  for (const std::string& path : *dirs) {
    if (::mkdir(path.c_str(), 0755) == 0) {
      created.insert(created.begin(), path);
    } else if (errno != EEXIST) {
      Error error = Error::from_errno("mkdir " + path);
      for (const std::string& d : created) ::rmdir(d.c_str());  // leave nothing half-made behind
      throw error;
    }
  }
  return created;
}

void remove_precreated_cgroup_dirs(const std::vector<std::string>& dirs) noexcept {
  for (const std::string& dir : dirs) ::rmdir(dir.c_str());
}

}  // namespace rg
