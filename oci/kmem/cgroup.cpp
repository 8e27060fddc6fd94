#include "oci/kmem/cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include "oci/base/error.h"
#include "oci/base/files.h"

namespace rg {
namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  for (;;) {
    std::size_t next = text.find(sep, pos);
    out.push_back(text.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) return out;
    pos = next + 1;
  }
}

bool has_token(std::string_view list, std::string_view token) {
  for (std::string_view t : split(list, ','))
    if (t == token) return true;
  return false;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string_view s) {
  auto oct = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

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
  for (std::string_view line : split(mountinfo, '\n')) {
    std::size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    std::vector<std::string_view> pre = split(line.substr(0, dash), ' ');
    std::vector<std::string_view> post = split(line.substr(dash + 3), ' ');
    if (pre.size() < 5 || post.size() < 3 || post[0] != "cgroup" || !has_token(post[2], "memory")) continue;
    h.root = unescape_mountinfo(pre[3]);
    h.mountpoint = unescape_mountinfo(pre[4]);
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
