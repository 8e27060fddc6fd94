#include "oci/base/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <thread>
#include <utility>

#include "oci/base/error.h"
#include "oci/base/loop_marker.h"
#include "oci/base/stack_limit.h"

#include "oci/base/syscall_numbers.h"

namespace rg {

UniqueFd open_pidfd(pid_t pid) noexcept { return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

bool pidfd_send_sigkill(int pidfd) noexcept {
  return ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0;
}

namespace {
std::vector<char*> pointers(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  out.reserve(argv.size() + 1);
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

// In the child: make `fd` the standard fd `target` (inherited across exec).
bool install_std_fd(int fd, int target) {
  if (fd < 0) return true;
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}
}  // namespace

// The kernel's struct linux_dirent64 (glibc exposes no declaration of it).
struct linux_dirent64_view {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

void close_fds_from(int first) noexcept {
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0) == 0) return;
  // Kernels before 5.9: close what /proc/self/fd lists (raw getdents64, collected first because closing
  // while reading would disturb the directory).
  int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    for (int fd = first; fd < 65536; ++fd) ::close(fd);  // no /proc: bounded brute force
    return;
  }
  int open_fds[1024];
  int count = 0;
  bool more = true;
  while (more) {
    more = false;
    count = 0;
    ::lseek(dir, 0, SEEK_SET);
    alignas(8) char buf[4096];
    for (;;) {
      long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        auto* entry = reinterpret_cast<struct linux_dirent64_view*>(buf + off);
        int fd = std::atoi(entry->d_name);
        if (entry->d_name[0] != '.' && fd >= first && fd != dir) {
          if (count < 1024) open_fds[count++] = fd;
          else more = true;  // closed in another pass
        }
        off += entry->d_reclen;
      }
    }
    for (int k = 0; k < count; ++k) ::close(open_fds[k]);
  }
  ::close(dir);
}

UniqueFd relay_through_pipe(std::string_view prefix, int source, bool close_on_exec) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error::from_errno("pipe2");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::string data(prefix);
  pid_t intermediate = ::fork();
  if (intermediate < 0) throw Error::from_errno("fork relay");
  if (intermediate == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    // The relay: holds only the source and the pipe's write end (as fds 3 and 4).
    ::signal(SIGPIPE, SIG_DFL);
    int src = ::fcntl(source, F_DUPFD, 10), out = ::fcntl(write_end.get(), F_DUPFD, 10);
    if (src < 0 || out < 0 || ::dup2(src, 3) != 3 || ::dup2(out, 4) != 4) ::_exit(1);
    int devnull = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd <= 2; ++fd) ::dup2(devnull, fd);
    close_fds_from(5);
    auto put = [](const char* p, std::size_t n) {
      while (n > 0) {
        ssize_t w = ::write(4, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) ::_exit(1);  // runc stopped reading
        p += w;
        n -= static_cast<std::size_t>(w);
      }
    };
    put(data.data(), data.size());
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(3, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ::_exit(0);
      put(buf, static_cast<std::size_t>(n));
    }
  }
  int status = 0;
  while (::waitpid(intermediate, &status, 0) < 0 && errno == EINTR) {
  }
  write_end.reset();
  if (!close_on_exec && ::fcntl(read_end.get(), F_SETFD, 0) != 0) throw Error::from_errno("fcntl relay pipe");
  return read_end;
}

ChildProcess spawn(const SpawnOptions& o) {
  std::vector<char*> argv = pointers(o.argv);
  MarkedEnvironment env;
  build_marked_environment(env, o.envp);
  pid_t pid = ::fork();
  if (pid < 0) throw Error::from_errno("fork " + o.path);
  if (pid == 0) {
    // Only async-signal-safe calls from here to execve.
    env.set_pid(::getpid());
    if (!install_std_fd(o.stdin_fd, STDIN_FILENO) || !install_std_fd(o.stdout_fd, STDOUT_FILENO) ||
        !install_std_fd(o.stderr_fd, STDERR_FILENO))
      ::_exit(127);
    if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0 && ::chdir("/") != 0) ::_exit(127);
    restore_caller_stack_limit();
    ::execve(o.path.c_str(), argv.data(), env.envp.data());
    ::_exit(127);
  }
  return ChildProcess(pid);
}

void exec_in_place(const std::string& path, const std::vector<std::string>& argv, char** envp) {
  std::vector<char*> args = pointers(argv);
  MarkedEnvironment env;
  build_marked_environment(env, envp);
  restore_caller_stack_limit();
  ::execve(path.c_str(), args.data(), env.envp.data());
  const Error failed = Error::from_errno("exec " + path);
  raise_stack_limit_for_json();  // the caller may go on reading
  throw failed;
}

void exec_fd_in_place(int fd, const std::vector<std::string>& argv, char** envp) {
  std::vector<char*> args = pointers(argv);
  MarkedEnvironment env;
  build_marked_environment(env, envp);
  restore_caller_stack_limit();
  ::syscall(SYS_execveat, fd, "", args.data(), env.envp.data(), AT_EMPTY_PATH);
  const Error failed = Error::from_errno("exec fd " + std::to_string(fd));
  raise_stack_limit_for_json();  // the caller may go on reading
  throw failed;
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
