#pragma once
// runc init processes and the ones blocked writing into a full pipe: what the watchdog looks for in one
// container's inits and what the operator's `doctor` looks for on the whole node.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/proc/proc_files.h"
#include "shim/watchdog/unstick.h"

namespace rg {

// runc's init stages name themselves runc:[0:PARENT], runc:[1:CHILD], runc:[2:INIT] (PR_SET_NAME).
bool is_runc_init_comm(std::string_view comm);

// runc's clone of itself (runc >= 1.0 re-executes init from a sealed memfd of this name).
bool is_runc_memfd_link(std::string_view exe_link);

// The real runc binary, by file identity: an init run from a read-only bind mount of the binary (runc
// 1.0/1.1 "bindfd", whose link text is just "/") has the same device and inode.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
};
std::optional<FileId> file_id_of(const std::string& path);

// exe is the real runc, or runc's memfd copy of itself.
bool exe_is_runc(const ExeIdentity& exe, const std::optional<FileId>& real_runc);

// pid + start time (field 22): the identity that survives exec and is never reused by another process.
struct ProcessIdentity {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
};
bool same_process_alive(const std::string& proc_root, const ProcessIdentity& who);

// Container state written by runc: <root>/<id>/state.json.
struct StateInit {
  ProcessIdentity init;
};
std::optional<StateInit> read_state_init(const std::string& state_root, const std::string& id);

// ---- For `doctor`: every blocked runc init on the node ----

struct BlockedInit {
  ProcessIdentity process;
  std::string comm;
  ExeIdentity exe;
  double age_s = 0;          // since the init process started
  std::string container_id;  // from the parent runc's argv or a state.json naming this pid; "" if unknown
  BlockedWrite write;        // tid, fd, pipe inode, capacity and fill, whether the init holds the read end
};

struct FindBlockedOptions {
  // Two looks this far apart must agree (same thread, fd and pipe, pipe full), as in the watchdog.
  std::chrono::milliseconds confirm_after{100};
  // Where to look for state.json when the init's parent is not a runc naming the container.
  std::vector<std::string> state_roots = {"/run/runc", "/run/docker/runtime-runc/moby", "/run/containerd/runc/k8s.io",
                                          "/run/containerd/runc/default", "/run/containerd/runc/moby"};
};

std::vector<BlockedInit> find_blocked_inits(const std::string& proc_root, const FindBlockedOptions& options = {});

// Un-sticks one init found by find_blocked_inits: refuses (result.error) when the process changed (pid,
// start time, comm or exe differ) or when the init does not hold the pipe's read end itself, so that only
// rc93's export pipe is ever touched.
UnstickResult unstick(const BlockedInit& init, std::size_t min_bytes, const std::string& proc_root = "/proc");

}  // namespace rg
