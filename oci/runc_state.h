#pragma once
// What runc keeps of a container: <root>/<id>/state.json (libcontainer's State).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/proc/proc_files.h"

namespace rg {

struct RuncState {
  ProcessIdentity init;                             // init_process_pid / init_process_start
  std::string bundle;                               // config.labels "bundle=…": where config.json lives
  std::string created;                              // RFC 3339
  std::map<std::string, std::string> cgroup_paths;  // subsystem → directory ("freezer" → /sys/fs/cgroup/freezer/…)
};

// Where engines keep runc's state (runc --root): runc's default, dockerd's, containerd's namespaces.
inline const std::vector<std::string> kDefaultRuncStateRoots = {
    "/run/runc", "/run/docker/runtime-runc/moby", "/run/containerd/runc/k8s.io", "/run/containerd/runc/default",
    "/run/containerd/runc/moby"};

// The container ids under a runc --root (directories holding a state.json); empty when unreadable.
std::vector<std::string> list_runc_containers(const std::string& state_root);

// nullopt when there is no such container, it is being written, or it is not a state runc-guard can read.
std::optional<RuncState> read_runc_state(const std::string& state_root, const std::string& id);
std::optional<RuncState> parse_runc_state(std::string_view text);
// Whether runc left <root>/<id>/state.json (a container exists), readable or not.
bool runc_state_exists(const std::string& state_root, const std::string& id);

}  // namespace rg
