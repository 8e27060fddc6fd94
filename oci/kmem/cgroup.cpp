#include "oci/kmem/cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/base/text.h"
#include "oci/proc/mountinfo.h"

namespace rg {
namespace {

std::string join_path(std::string_view base, std::string_view rel) {
  std::string out(base);
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  if (rel.empty() || rel == ".") return out;
  if (out.empty() || out.back() != '/') out += '/';
  out += rel;
  return out;
}

}  // namespace

std::optional<MemoryHierarchy> parse_memory_hierarchy(std::string_view mountinfo, std::string_view cgroup) {
  MemoryHierarchy h;
  bool found_mount = false;
  for (const MountEntry& m : parse_mountinfo(mountinfo)) {
    if (m.fstype != "cgroup" || !has_token(m.super_options, "memory")) continue;
    h.root = m.root;
    h.mountpoint = m.mount_point;
    found_mount = true;
    break;  // runc takes the first match too
  }
  if (!found_mount) return std::nullopt;
  for (std::string_view line : split(cgroup, '\n')) {
    // "hierarchy-ID:controller-list:cgroup-path"
    std::size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    std::size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    if (!has_token(line.substr(first + 1, second - first - 1), "memory")) continue;
    h.own_cgroup = std::string(line.substr(second + 1));
    return h;
  }
  return std::nullopt;
}

std::optional<MemoryHierarchy> find_memory_hierarchy(const std::string& proc_root) {
  return parse_memory_hierarchy(read_file(proc_root + "/self/mountinfo"), read_file(proc_root + "/self/cgroup"));
}

std::string runc_clean_path(std::string_view path) {
  if (path.empty()) return "";
  const bool absolute = path.front() == '/';
  std::vector<std::string_view> parts;
  for (std::string_view part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();  // at the root ".." stays at the root, also for relative paths
      continue;
    }
    parts.push_back(part);
  }
  if (parts.empty()) return absolute ? "/" : ".";
  std::string out;
  for (std::string_view part : parts) {
    if (absolute || !out.empty()) out.push_back('/');
    out.append(part);
  }
  return out;
}

std::string resolve_memory_cgroup_dir(const MemoryHierarchy& h, std::string_view cgroups_path,
                                      std::string_view container_id) {
  std::string inner = runc_clean_path(cgroups_path.empty() ? container_id : cgroups_path);
  if (!inner.empty() && inner.front() == '/') return join_path(h.mountpoint, inner);
  // GetOwnCgroupPath: the mountpoint plus our cgroup relative to the mount's root (nested containers).
  std::string_view own = h.own_cgroup;
  std::string_view root = h.root;
  if (root != "/" && !root.empty()) {
    if (own == root) own = "";
    else if (own.starts_with(root) && own.size() > root.size() && own[root.size()] == '/') own.remove_prefix(root.size());
    else throw Error("memory cgroup " + h.own_cgroup + " is outside the mounted hierarchy root " + h.root);
  }
  return join_path(join_path(h.mountpoint, own), inner);
}

std::vector<std::string> precreate_cgroup_dir(const std::string& mountpoint, const std::string& dir) {
  if (!(dir.starts_with(mountpoint) && dir.size() > mountpoint.size() && dir[mountpoint.size()] == '/'))
    throw Error("cgroup directory " + dir + " is not under " + mountpoint);
  std::vector<std::string> created;
  std::string path = mountpoint;
  for (std::string_view part : split(std::string_view(dir).substr(mountpoint.size() + 1), '/')) {
    if (part.empty()) continue;
    path += '/';
    path += part;
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
