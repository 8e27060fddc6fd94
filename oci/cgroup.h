#pragma once
// Where a container's cgroups are, as runc's cgroupfs driver resolves them, and the freezer's state: what
// the kernel-memory pre-create (oci/kmem) and the frozen-container repairs (oci/repairs) share.
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rg {

// Where one cgroup v1 controller's hierarchy is mounted and where this process sits in it. On a cgroup v2
// host, the controller "" names the unified hierarchy.
struct CgroupHierarchy {
  std::string controller;  // "memory", "freezer", …; "" for the v2 unified hierarchy
  std::string mountpoint;  // e.g. /sys/fs/cgroup/memory
  std::string root;        // the mount's root inside the hierarchy ("/" on a host)
  std::string own_cgroup;  // this process's cgroup in it, from /proc/self/cgroup
  bool root_known = true;  // false: found at runc's default path without mountinfo (RootNeeded::No)
};

// Whether a lookup must know each hierarchy's mounted root. Only a relative cgroupsPath (and a process's
// cgroup directory) needs it; an absolute or systemd cgroupsPath needs the mountpoint alone, which runc itself
// takes from /sys/fs/cgroup/<controller> without reading /proc/self/mountinfo — a file whose generation alone
// costs milliseconds on a node with thousands of mounts. RootNeeded::No does the same.
enum class RootNeeded { Yes, No };

// From the text of /proc/<pid>/mountinfo and /proc/<pid>/cgroup; nullopt when `controller` has no v1
// hierarchy (for "": when there is no cgroup v2 mount).
std::optional<CgroupHierarchy> parse_cgroup_hierarchy(std::string_view mountinfo, std::string_view cgroup,
                                                      std::string_view controller);
// The same, read from `<proc_root>/self/...`. Throws rg::Error when the files cannot be read.
std::optional<CgroupHierarchy> find_cgroup_hierarchy(std::string_view controller, const std::string& proc_root = "/proc",
                                                     RootNeeded root = RootNeeded::Yes);
// Every hierarchy this process is in: each v1 controller group ("cpu,cpuacct", "name=systemd", …, named by
// its first controller) and the unified one (""), as runc's cgroupfs driver makes a container's cgroup in
// each. Throws rg::Error when /proc cannot be read.
std::vector<CgroupHierarchy> all_cgroup_hierarchies(const std::string& proc_root = "/proc", RootNeeded root = RootNeeded::Yes);
// Whether runc resolves this cgroupsPath from the mountpoint alone: the systemd driver, or an absolute path
// (an empty one means <own cgroup>/<container id>, relative).
RootNeeded root_needed_for(std::string_view cgroups_path, bool systemd);

// The directory of a process's cgroup in `hierarchy`, from the text of its /proc/<pid>/cgroup; nullopt when
// it has none there or it lies outside the mounted root.
std::optional<std::string> process_cgroup_dir(const CgroupHierarchy& hierarchy, std::string_view proc_cgroup);

// runc's libcontainer/utils.CleanPath: lexically clean; a relative path cannot climb out ("../a" → "a").
std::string runc_clean_path(std::string_view path);

// The directory runc's cgroupfs driver uses in `hierarchy`: an absolute cgroupsPath under the mountpoint, a
// relative one under runc's own cgroup (runc is this process after the exec), an empty one →
// <own cgroup>/<container id>. Throws rg::Error when our own cgroup lies outside the mounted root, or when a
// relative path meets a hierarchy found without its root (RootNeeded::No).
std::string resolve_cgroup_dir(const CgroupHierarchy& hierarchy, std::string_view cgroups_path,
                               std::string_view container_id);

// runc's systemd driver (--systemd-cgroup): cgroupsPath "slice:prefix:name" (slice "" is system.slice) →
// <mountpoint>/<expanded slice>/<prefix>-<name>.scope (a name ending in .slice is used as is); nullopt
// for a path that is not of that form or a slice systemd would refuse.
std::optional<std::string> resolve_systemd_cgroup_dir(const CgroupHierarchy& hierarchy, std::string_view cgroups_path);
// systemd's slice hierarchy: "kubepods-burstable.slice" → "/kubepods.slice/kubepods-burstable.slice".
std::optional<std::string> expand_systemd_slice(std::string_view slice);
// A name systemd accepts for a unit: [A-Za-z0-9:_.\-], at most 255 bytes, not starting with a dot.
bool valid_systemd_unit_name(std::string_view name);

// `dir` is a cgroup directory: a directory on a cgroup (v1) or cgroup2 filesystem reached without any
// symbolic link on the way (its canonical path is itself). Everything runc-guard reads, writes, kills by or
// removes as a cgroup is checked so first: a path built from a config.json must never lead elsewhere.
bool is_cgroup_dir(const std::string& dir);

// ---- the freezer ----

enum class FreezerState { Thawed, Frozen, Freezing };
// (Each of these first checks is_cgroup_dir.)
// Whether the cgroup at `dir` is frozen by itself (v1: freezer.state FROZEN/FREEZING with
// freezer.self_freezing 1 — a parent's freeze does not count, as runc reads it; v2: cgroup.freeze 1).
// nullopt when the directory or its files cannot be read (no such cgroup).
std::optional<FreezerState> read_freezer_state(const std::string& dir);
// Thaws the cgroup at `dir` (v1: freezer.state THAWED; v2: cgroup.freeze 0). Throws rg::Error.
void thaw_cgroup(const std::string& dir);
// The pids in `<dir>/cgroup.procs`; nullopt when it is not a cgroup or cannot be read.
std::optional<std::vector<pid_t>> cgroup_procs(const std::string& dir);

}  // namespace rg
