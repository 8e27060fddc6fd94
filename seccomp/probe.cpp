#include "seccomp/probe.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "oci/base/error.h"
#include "oci/base/fd.h"

namespace rg::seccomp {
namespace {

struct ProbeArgs {
  int report_fd;
};

struct ProbeReport {
  std::int32_t capacity;  // > 0, or -errno
  std::int32_t stage;     // 1 capget, 2 capset, 3 pipe2, 4 F_GETPIPE_SZ
};

// Runs in the CLONE_VM|CLONE_VFORK child on its own stack: raw system calls only (no allocation, no locks).
int probe_child(void* raw) {
  auto* args = static_cast<ProbeArgs*>(raw);
  ProbeReport report{0, 0};
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) {
    report = {-errno, 1};
  } else {
    const std::uint32_t drop = (1u << CAP_SYS_RESOURCE) | (1u << CAP_SYS_ADMIN);  // both < 32
    data[0].effective &= ~drop;
    data[0].permitted &= ~drop;
    data[0].inheritable &= ~drop;
    if (syscall(SYS_capset, &header, data) != 0) {
      report = {-errno, 2};
    } else {
      int fds[2];
      if (syscall(SYS_pipe2, fds, O_CLOEXEC) != 0) {
        report = {-errno, 3};
      } else {
        long size = syscall(SYS_fcntl, fds[1], F_GETPIPE_SZ);
        report = size < 0 ? ProbeReport{-errno, 4} : ProbeReport{static_cast<std::int32_t>(size), 0};
      }
    }
  }
  (void)!syscall(SYS_write, args->report_fd, &report, sizeof report);
  syscall(SYS_exit, 0);
  return 0;
}

constexpr const char* kStage[] = {"", "capget", "capset", "pipe2", "F_GETPIPE_SZ"};

}  // namespace

std::size_t minimum_pipe_capacity() { return 2 * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

std::size_t probe_pipe_capacity() {
  Pipe report = Pipe::create();
  ProbeArgs args{report.write_end.get()};
  alignas(16) static thread_local char stack[16384];
  const pid_t pid = ::clone(probe_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  if (pid < 0) throw Error::from_errno("pipe probe: clone");
  // CLONE_VFORK: the child has exited (or exec'd, which it never does) by now. Reap it.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error::from_errno("pipe probe: waitpid");
  }
  report.write_end.reset();
  ProbeReport r{};
  ssize_t n;
  do {
    n = ::read(report.read_end.get(), &r, sizeof r);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof r)) throw Error("pipe probe: child reported nothing (status " + std::to_string(status) + ")");
  if (r.capacity <= 0) {
    errno = -r.capacity;
    throw Error::from_errno(std::string("pipe probe: ") + kStage[r.stage < 5 ? r.stage : 0]);
  }
  return static_cast<std::size_t>(r.capacity);
}

}  // namespace rg::seccomp
