#include "oci/cgroup.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <climits>
#include <map>

#include "oci/base/error.h"
#include "oci/base/fd.h"
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

// The cgroup path of `controller` ("" for v2) in the text of /proc/<pid>/cgroup.
std::optional<std::string> cgroup_path_in(std::string_view cgroup, std::string_view controller) {
  for (std::string_view line : split(cgroup, '\n')) {
    // "hierarchy-ID:controller-list:cgroup-path" (v2: "0::path")
    std::size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    std::size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    if (controller.empty() ? (line.substr(0, first) != "0" || !controllers.empty()) : !has_token(controllers, controller))
      continue;
    return std::string(line.substr(second + 1));
  }
  return std::nullopt;
}

bool is_v2_dir(const std::string& dir) { return ::access((dir + "/cgroup.freeze").c_str(), F_OK) == 0; }

// A control file of a verified cgroup directory, read without following a link and without blocking.
std::optional<std::string> read_control(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) return std::nullopt;
  try {
    std::string text = read_fd(fd.get(), path, [](std::string_view so_far) { return so_far.size() > (std::size_t{4} << 20); });
    return text;
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Writes `value` to a control file opened without following a link (a cgroup file is never one).
void write_control(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) throw Error::from_errno("open " + path);
  write_all(fd.get(), value, path);
}

}  // namespace

namespace {
// The hierarchy of `controller` among already parsed mounts.
std::optional<CgroupHierarchy> hierarchy_in(const std::vector<MountEntry>& mounts, std::string_view cgroup,
                                            std::string_view controller) {
  CgroupHierarchy h;
  bool found_mount = false;
  for (const MountEntry& m : mounts) {
    const bool match = controller.empty() ? m.fstype == "cgroup2"
                                          : m.fstype == "cgroup" && has_token(m.super_options, controller);
    if (!match) continue;
    h.root = m.root;
    h.mountpoint = m.mount_point;
    found_mount = true;
    break;  // runc takes the first match too
  }
  if (!found_mount) return std::nullopt;
  auto own = cgroup_path_in(cgroup, controller);
  if (!own) return std::nullopt;
  h.controller = std::string(controller);
  h.own_cgroup = std::move(*own);
  return h;
}

// runc's tryDefaultPath (libcontainer/cgroups/v1_utils.go): /sys/fs/cgroup/<controller> ("name=" dropped, a
// link such as cpu -> cpu,cpuacct followed but only within /sys/fs/cgroup) when it is a directory, a mount
// point of its own and a cgroup filesystem; the unified hierarchy ("") at /sys/fs/cgroup (v2) or
// /sys/fs/cgroup/unified (hybrid). nullopt: not there, ask mountinfo.
std::optional<std::string> default_mountpoint(std::string_view controller) {
  constexpr std::string_view kDefault = "/sys/fs/cgroup";
  std::vector<std::string> candidates;
  if (controller.empty()) {
    candidates = {std::string(kDefault), std::string(kDefault) + "/unified"};
  } else {
    std::string_view name = controller;
    if (name.starts_with("name=")) name.remove_prefix(5);
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) return std::nullopt;
    candidates = {std::string(kDefault) + "/" + std::string(name)};
  }
  for (const std::string& candidate : candidates) {
    // A plain directory needs no realpath (a readlink per component, for each of ~10 hierarchies on every
    // create): as runc's SecureJoin, links above /sys/fs/cgroup/<controller> are not resolved; a link at
    // <controller> itself (cpu -> cpu,cpuacct) is, and must stay one level below /sys/fs/cgroup.
    struct stat st {};
    if (::lstat(candidate.c_str(), &st) != 0) continue;
    std::string path = candidate;
    if (S_ISLNK(st.st_mode)) {
      char resolved[PATH_MAX];
      if (!::realpath(candidate.c_str(), resolved) || ::lstat(resolved, &st) != 0) continue;
      path = resolved;
      const bool at_root = path == kDefault;
      const bool one_below = path.size() > kDefault.size() + 1 && path.starts_with(kDefault) &&
                             path[kDefault.size()] == '/' && path.find('/', kDefault.size() + 1) == std::string::npos;
      if (!(controller.empty() ? at_root || one_below : one_below)) continue;
    }
    struct stat parent {};
    struct statfs fs {};
    const std::string above = path.substr(0, path.rfind('/'));
    if (!S_ISDIR(st.st_mode) || ::lstat(above.c_str(), &parent) != 0 || st.st_dev == parent.st_dev ||
        ::statfs(path.c_str(), &fs) != 0)
      continue;
    if (fs.f_type == (controller.empty() ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC)) return path;
  }
  return std::nullopt;
}

// This process's cgroups, read once per process; its mounts parsed only when a lookup needs them (several
// guards of one invocation ask, and mountinfo can be long on busy nodes).
struct SelfCgroups {
  std::string cgroup;
  std::optional<std::vector<MountEntry>> mounts;
  std::map<std::string, std::optional<std::string>, std::less<>> default_mountpoints;  // by controller
};
SelfCgroups& self_cgroups(const std::string& proc_root) {
  static std::map<std::string, SelfCgroups> read;
  auto it = read.find(proc_root);
  if (it == read.end()) it = read.emplace(proc_root, SelfCgroups{read_file(proc_root + "/self/cgroup"), std::nullopt, {}}).first;
  return it->second;
}
const std::vector<MountEntry>& self_mounts(const std::string& proc_root, SelfCgroups& self) {
  if (!self.mounts) self.mounts = parse_mountinfo(read_file(proc_root + "/self/mountinfo"));
  return *self.mounts;
}

// The hierarchy of `controller` for this process: at runc's default path when the root is not needed (and
// /proc is the real one), else from mountinfo.
std::optional<CgroupHierarchy> self_hierarchy(const std::string& proc_root, std::string_view controller, RootNeeded root) {
  SelfCgroups& self = self_cgroups(proc_root);
  if (root == RootNeeded::No && proc_root == "/proc") {
    auto own = cgroup_path_in(self.cgroup, controller);
    if (!own) return std::nullopt;
    // Asked once per controller: create looks up every hierarchy and then the freezer's again.
    auto known = self.default_mountpoints.find(controller);
    if (known == self.default_mountpoints.end())
      known = self.default_mountpoints.emplace(std::string(controller), default_mountpoint(controller)).first;
    if (known->second) return CgroupHierarchy{std::string(controller), *known->second, "", std::move(*own), false};
  }
  return hierarchy_in(self_mounts(proc_root, self), self.cgroup, controller);
}
}  // namespace

std::optional<CgroupHierarchy> parse_cgroup_hierarchy(std::string_view mountinfo, std::string_view cgroup,
                                                      std::string_view controller) {
  return hierarchy_in(parse_mountinfo(mountinfo), cgroup, controller);
}

std::optional<CgroupHierarchy> find_cgroup_hierarchy(std::string_view controller, const std::string& proc_root, RootNeeded root) {
  return self_hierarchy(proc_root, controller, root);
}

std::vector<CgroupHierarchy> all_cgroup_hierarchies(const std::string& proc_root, RootNeeded root) {
  const std::string& cgroup = self_cgroups(proc_root).cgroup;  // map entries stay put; lookups only fill in mounts
  std::vector<CgroupHierarchy> out;
  for (std::string_view line : split(cgroup, '\n')) {
    std::size_t first = line.find(':');
    std::size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string_view controller = controllers.substr(0, controllers.find(','));
    if (auto h = self_hierarchy(proc_root, controller, root)) out.push_back(std::move(*h));
  }
  return out;
}

std::optional<std::string> process_cgroup_dir(const CgroupHierarchy& h, std::string_view proc_cgroup) {
  auto path = cgroup_path_in(proc_cgroup, h.controller);
  if (!path) return std::nullopt;
  for (std::string_view part : split(*path, '/'))
    if (part == "." || part == "..") return std::nullopt;  // never in a path the kernel writes
  CgroupHierarchy of_process = h;
  of_process.own_cgroup = std::move(*path);
  try {
    return resolve_cgroup_dir(of_process, "", "");
  } catch (const Error&) {
    return std::nullopt;
  }
}

RootNeeded root_needed_for(std::string_view cgroups_path, bool systemd) {
  return systemd || cgroups_path.starts_with('/') ? RootNeeded::No : RootNeeded::Yes;
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

std::string resolve_cgroup_dir(const CgroupHierarchy& h, std::string_view cgroups_path, std::string_view container_id) {
  std::string inner = runc_clean_path(cgroups_path.empty() ? container_id : cgroups_path);
  if (!inner.empty() && inner.front() == '/') return join_path(h.mountpoint, inner);
  if (!h.root_known) throw Error("the " + h.controller + " hierarchy was found without its mounted root; a relative cgroup path needs it");
  // GetOwnCgroupPath: the mountpoint plus our cgroup relative to the mount's root (nested containers).
  std::string_view own = h.own_cgroup;
  std::string_view root = h.root;
  if (root != "/" && !root.empty()) {
    if (own == root) own = "";
    else if (own.starts_with(root) && own.size() > root.size() && own[root.size()] == '/') own.remove_prefix(root.size());
    else throw Error("cgroup " + h.own_cgroup + " is outside the mounted hierarchy root " + h.root);
  }
  return join_path(join_path(h.mountpoint, own), inner);
}

bool valid_systemd_unit_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '.') return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '_' || c == '.' || c == '-' || c == '\\'))
      return false;
  return true;
}

std::optional<std::string> expand_systemd_slice(std::string_view slice) {
  constexpr std::string_view kSuffix = ".slice";
  if (slice.size() <= kSuffix.size() || !slice.ends_with(kSuffix) || slice.find('/') != std::string_view::npos)
    return std::nullopt;
  const std::string_view name = slice.substr(0, slice.size() - kSuffix.size());
  if (name == "-") return "/";
  std::string path, prefix;
  if (!valid_systemd_unit_name(slice)) return std::nullopt;
  for (std::string_view component : split(name, '-')) {
    if (component.empty()) return std::nullopt;  // "a--b.slice" and "-a.slice" are not slices
    path += "/" + prefix + std::string(component) + std::string(kSuffix);
    prefix += std::string(component) + "-";
  }
  return path;
}

std::optional<std::string> resolve_systemd_cgroup_dir(const CgroupHierarchy& h, std::string_view cgroups_path) {
  std::vector<std::string_view> parts = split(cgroups_path, ':');
  if (parts.size() != 3 || parts[2].empty()) return std::nullopt;
  auto slice = expand_systemd_slice(parts[0].empty() ? "system.slice" : parts[0]);
  if (!slice) return std::nullopt;
  const std::string unit = parts[2].ends_with(".slice") ? std::string(parts[2])
                                                        : std::string(parts[1]) + "-" + std::string(parts[2]) + ".scope";
  if (!valid_systemd_unit_name(unit)) return std::nullopt;  // systemd refuses it too; never a path
  return join_path(join_path(h.mountpoint, *slice), unit);
}

bool is_cgroup_dir(const std::string& dir) {
  struct stat st {};
  struct statfs fs {};
  char canonical[PATH_MAX];
  return !dir.empty() && dir.front() == '/' && ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
         ::statfs(dir.c_str(), &fs) == 0 && (fs.f_type == CGROUP_SUPER_MAGIC || fs.f_type == CGROUP2_SUPER_MAGIC) &&
         ::realpath(dir.c_str(), canonical) && dir == canonical;
}

std::optional<FreezerState> read_freezer_state(const std::string& dir) {
  if (!is_cgroup_dir(dir)) return std::nullopt;
  if (is_v2_dir(dir)) {
    auto freeze = read_control(dir + "/cgroup.freeze");
    if (!freeze) return std::nullopt;
    return freeze->starts_with("1") ? FreezerState::Frozen : FreezerState::Thawed;
  }
  auto state = read_control(dir + "/freezer.state");
  if (!state) return std::nullopt;
  if (state->starts_with("THAWED")) return FreezerState::Thawed;
  // FROZEN or FREEZING: frozen by itself, or only because a parent is (which thawing this one cannot undo).
  auto self = read_control(dir + "/freezer.self_freezing");
  if (!self) return std::nullopt;
  if (!self->starts_with("1")) return FreezerState::Thawed;
  return state->starts_with("FROZEN") ? FreezerState::Frozen : FreezerState::Freezing;
}

void thaw_cgroup(const std::string& dir) {
  if (!is_cgroup_dir(dir)) throw Error(dir + " is not a cgroup directory");
  if (is_v2_dir(dir)) write_control(dir + "/cgroup.freeze", "0");
  else write_control(dir + "/freezer.state", "THAWED");
}

std::optional<std::vector<pid_t>> cgroup_procs(const std::string& dir) {
  if (!is_cgroup_dir(dir)) return std::nullopt;
  auto text = read_control(dir + "/cgroup.procs");
  if (!text) return std::nullopt;
  std::vector<pid_t> out;
  for (std::string_view line : split(*text, '\n')) {
    pid_t pid = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
    if (ec == std::errc() && end == line.data() + line.size() && pid > 0) out.push_back(pid);
  }
  return out;
}

}  // namespace rg
