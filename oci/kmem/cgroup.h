#pragma once
// The container's memory cgroup directory on cgroup v1 as runc's cgroupfs driver resolves it, and the
// pre-create that keeps runc v1.0.0-rc5…rc93 from switching kmem accounting on (it only does so for a
// directory it creates itself; an existing one is joined as is).
#include <optional>
#include <string>
#include <string_view>
#include <vector>


namespace rg {

// Where this process's memory hierarchy is mounted and where it sits in it.
struct MemoryHierarchy {
  std::string mountpoint;  // e.g. /sys/fs/cgroup/memory
  std::string root;        // the mount's root inside the hierarchy ("/" on a host)
  std::string own_cgroup;  // this process's memory cgroup, from /proc/self/cgroup
};

// From the text of /proc/<pid>/mountinfo and /proc/<pid>/cgroup; nullopt without a cgroup v1 memory
// hierarchy (cgroup v2 has no kernel-memory accounting to worry about).
std::optional<MemoryHierarchy> parse_memory_hierarchy(std::string_view mountinfo, std::string_view cgroup);
// The same, read from `<proc_root>/self/...`. Throws rg::Error when the files cannot be read.
std::optional<MemoryHierarchy> find_memory_hierarchy(const std::string& proc_root = "/proc");

// runc's libcontainer/utils.CleanPath: lexically clean; a relative path cannot climb out ("../a" → "a").
std::string runc_clean_path(std::string_view path);

// The directory runc's cgroupfs driver (cgroup v1) uses for the memory controller: an absolute cgroupsPath
// under the memory mount, a relative one under runc's own memory cgroup (runc is this process after the
// exec), an empty one → <own cgroup>/<container id>.
std::string resolve_memory_cgroup_dir(const MemoryHierarchy& hierarchy, std::string_view cgroups_path,
                                      std::string_view container_id);

// mkdir -p of `dir` (which must lie under `mountpoint`); returns the directories it created, deepest
// first — exactly what may be removed again. Throws rg::Error.
std::vector<std::string> precreate_cgroup_dir(const std::string& mountpoint, const std::string& dir);

// Removes directories precreate_cgroup_dir() made, deepest first, each only if empty (rmdir refuses a
// cgroup with tasks or children). Never throws.
void remove_precreated_cgroup_dirs(const std::vector<std::string>& dirs) noexcept;

}  // namespace rg
