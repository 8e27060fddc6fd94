#pragma once
// Blocked runc inits on the whole node, for the operator's `doctor`: the same identity rules as the
// watchdog (oci/proc/runc_init.h) — a process counts as a runc init only if it runs the configured runc
// (the file, its bind mount, or its sealed memfd clone) and either its parent is a process running that
// runc or a runc state.json names it. Looking never opens another process's files (readlinks, /proc text,
// and fill figures through a pinned, verified handle on the pipe).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/proc/proc_files.h"
#include "oci/proc/runc_init.h"
#include "oci/runc_state.h"
#include "shim/watchdog/unstick.h"

namespace rg {

struct BlockedInit {
  ProcessIdentity process;
  std::string comm;
  ExeFile exe;
  double age_s = 0;          // since the init process started
  std::string container_id;  // from the parent runc's argv or a state.json naming this pid; "" if unknown
  BlockedWrite write;        // tid, fd, pipe inode, capacity and fill, whether the init holds the read end
};

struct FindBlockedOptions {
  std::string runc_path;  // the configured real runc: only its inits count
  // Two looks this far apart must agree (same thread, fd and pipe, pipe full), as in the watchdog.
  std::chrono::milliseconds confirm_after{100};
  // Where to look for state.json when the init's parent is not a runc naming the container.
  std::vector<std::string> state_roots = kDefaultRuncStateRoots;
};

std::vector<BlockedInit> find_blocked_inits(const std::string& proc_root, const FindBlockedOptions& options);

// Un-sticks one init found by find_blocked_inits: refuses (result.error) when the process changed (pid,
// start time, comm or executable differ) or when the init does not hold the pipe's read end itself, so that
// only rc93's export pipe is ever touched.
UnstickResult unstick(const BlockedInit& init, const std::string& runc_path, std::size_t min_bytes,
                      const std::string& proc_root = "/proc");

}  // namespace rg
