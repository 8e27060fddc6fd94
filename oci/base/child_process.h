#pragma once
// A forked child owned by its parent: killed (SIGKILL) and reaped on scope exit unless it was waited for,
// so no path leaves a zombie or a stray process behind.
#include <sys/types.h>

#include <chrono>
#include <optional>

#include "oci/base/fd.h"

namespace rg {

class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) noexcept : pid_(pid) {}
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() noexcept;

  pid_t pid() const noexcept { return pid_; }
  // Blocks until it exits: its exit code, or 128+N when killed by signal N (as a shell reports it).
  // Throws rg::Error when it cannot be waited for (e.g. the caller set SIGCHLD to SIG_IGN: ECHILD).
  int wait();
  // The same, or nullopt when it is still running after `timeout`.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);

 private:
  std::optional<int> reap(int flags);
  pid_t pid_;
};

// pidfd_open(2): an invalid fd on kernels before 5.3 (callers fall back to pid + start time checks).
UniqueFd open_pidfd(pid_t pid) noexcept;
// pidfd_send_signal(2) with SIGKILL: no pid-reuse race. False if it could not be sent.
bool pidfd_send_sigkill(int pidfd) noexcept;

}  // namespace rg
