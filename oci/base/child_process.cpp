#include "oci/base/child_process.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>

#include "oci/base/error.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

namespace rg {

UniqueFd open_pidfd(pid_t pid) noexcept { return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

bool pidfd_send_sigkill(int pidfd) noexcept {
  return ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0;
}

ChildProcess::~ChildProcess() noexcept {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    try {
      reap(0);
    } catch (...) {
      // Already reaped by the kernel (SIGCHLD ignored): nothing left to clean up.
    }
  }
}

std::optional<int> ChildProcess::reap(int flags) {
  int status = 0;
  pid_t r;
  do r = ::waitpid(pid_, &status, flags);
  while (r < 0 && errno == EINTR);
  if (r == 0) return std::nullopt;
  if (r < 0) {
    // Never signal this pid again: it is gone, and the number may be reused.
    const pid_t gone = std::exchange(pid_, -1);
    throw Error::from_errno("waitpid " + std::to_string(gone));
  }
  pid_ = -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

int ChildProcess::wait() { return *reap(0); }

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto code = reap(WNOHANG)) return code;
    if (std::chrono::steady_clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace rg
