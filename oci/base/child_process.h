#pragma once
// A forked child owned by its parent: killed (SIGKILL) and reaped on scope exit unless it was waited for,
// so no path leaves a zombie or a stray process behind.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "oci/base/fd.h"

namespace rg {

class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) noexcept : pid_(pid) {}
  ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
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

// Every child runc-guard runs (runc --version, runc delete --force, the real runc in the foreground): the
// loop marker set for the child's own pid (see oci/base/loop_marker.h), stdio given or inherited, fds
// above 2 never inherited (everything of ours is O_CLOEXEC), an optional working directory.
struct SpawnOptions {
  std::string path;
  std::vector<std::string> argv;    // argv[0] included
  char** envp = nullptr;            // nullptr: environ
  int stdin_fd = -1;                // -1: inherit
  int stdout_fd = -1;
  int stderr_fd = -1;
  std::string cwd;                  // "": inherit; if it cannot be entered, "/"
};
// Throws rg::Error when fork fails; an exec failure shows as exit status 127.
ChildProcess spawn(const SpawnOptions& options);

// execve in place with the loop marker; returns only by throwing rg::Error.
[[noreturn]] void exec_in_place(const std::string& path, const std::vector<std::string>& argv, char** envp);
// The same for the file open at `fd` (execveat with AT_EMPTY_PATH: nothing looked up by path).
[[noreturn]] void exec_fd_in_place(int fd, const std::vector<std::string>& argv, char** envp);

// Closes every fd >= `first` (close_range, else what /proc/self/fd lists; never a loop to RLIMIT_NOFILE:
// containerd runs with LimitNOFILE=infinity). For a freshly forked child that must hold nothing of ours.
void close_fds_from(int first) noexcept;

// A pipe whose read end yields `prefix` and then everything `source` yields until EOF, fed by a small
// detached process (double fork, setsid, nothing else held): for input that was partly consumed and must
// reach runc whole. Throws rg::Error.
UniqueFd relay_through_pipe(std::string_view prefix, int source, bool close_on_exec);

// pidfd_open(2): an invalid fd on kernels before 5.3 (callers fall back to pid + start time checks).
UniqueFd open_pidfd(pid_t pid) noexcept;
// pidfd_send_signal(2) with SIGKILL: no pid-reuse race. False if it could not be sent.
bool pidfd_send_sigkill(int pidfd) noexcept;

}  // namespace rg
