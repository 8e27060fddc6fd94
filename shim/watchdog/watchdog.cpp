#include "shim/watchdog/watchdog.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <vector>
#include <nlohmann/json.hpp>

#include "oci/base/child_process.h"
#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "seccomp/hazard_guard.h"

namespace rg {

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

bool watchdog_applies(const RuncArgs& args) {
  return args.does(Trait::Watched);
}

namespace {

std::string absolute(const std::string& path, const std::string& cwd) {
  if (path.empty() || path.front() == '/') return path;
  return cwd + "/" + path;
}

std::string current_dir() {
  char buf[PATH_MAX];
  if (!::getcwd(buf, sizeof buf)) throw Error::from_errno("getcwd");
  return buf;
}

// The kernel's struct linux_dirent64 (glibc exposes no declaration of it).
struct linux_dirent64_view {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// Closes every open fd >= first, as listed in /proc/self/fd (raw getdents64; the list is collected first
// because closing while reading would disturb the directory).
void close_open_fds_from(int first) {
  int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    for (int fd = first; fd < 65536; ++fd) ::close(fd);  // no /proc: bounded brute force
    return;
  }
  std::vector<int> open_fds;
  alignas(8) char buf[4096];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* entry = reinterpret_cast<struct linux_dirent64_view*>(buf + off);
      int fd = std::atoi(entry->d_name);
      if (entry->d_name[0] != '.' && fd >= first && fd != dir) open_fds.push_back(fd);
      off += entry->d_reclen;
    }
  }
  ::close(dir);
  for (int fd : open_fds) ::close(fd);
}

// Every inherited fd closed, 0-2 on /dev/null, the runc pidfd kept as fd 3: the watchdog must never hold
// the caller's stdout pipe or the container's stdio open (containerd waits for EOF on them).
int isolate_fds(int runc_pidfd) {
  int pidfd = runc_pidfd >= 0 ? ::fcntl(runc_pidfd, F_DUPFD_CLOEXEC, 3) : -1;
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int null_high = null_fd >= 0 ? ::fcntl(null_fd, F_DUPFD_CLOEXEC, 3) : -1;
  for (int fd = 0; fd <= 2; ++fd) {
    if (null_high >= 0) ::dup2(null_high, fd);  // dup2 clears FD_CLOEXEC: 0-2 stay /dev/null in children
    else ::close(fd);
  }
  int keep = -1;
  if (pidfd >= 0) {
    keep = 3;
    if (pidfd != 3 && ::dup3(pidfd, 3, O_CLOEXEC) < 0) keep = -1;
  }
  unsigned first_to_close = keep == 3 ? 4 : 3;
  if (::syscall(SYS_close_range, first_to_close, ~0U, 0) != 0) {
    // Kernels before 5.9: close what is open. Not a loop to RLIMIT_NOFILE: containerd runs with
    // LimitNOFILE=infinity (1M), which would cost ~1M syscalls per watched command.
    close_open_fds_from(static_cast<int>(first_to_close));
  }
  return keep;
}

// The watchdog process proper: never returns into the runtime's code.
[[noreturn]] void watchdog_main(WatchSpec spec, int inherited_pidfd, bool watch_inits) {
  int pidfd = isolate_fds(inherited_pidfd);
  ::prctl(PR_SET_NAME, kWatchdogComm, 0, 0, 0);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGCHLD, SIG_DFL);  // we wait for `runc delete`
  ::signal(SIGHUP, SIG_IGN);
  if (::chdir("/") != 0) {
    // Keeping the caller's cwd is harmless for correctness; only a busy mount would suffer.
  }
  int code = 0;
  try {
    EventLog events(spec.events_path, std::string(command_name(spec.command)), spec.container_id);
    // Before the first look (~50 ms away): the program size and hazard the guard left to us.
    seccomp::resolve_deferred_seccomp(spec.plan, spec.config, events);
    if (spec.runc.start_time == 0) {
      auto st = read_proc_stat(spec.proc_root, spec.runc.pid);
      if (st) spec.runc.start_time = st->start_time;
    }
    InitWatcher watcher(spec, pidfd, events);
    WatchEnd end = WatchEnd::RuncExited;
    if (watch_inits) {
      end = watcher.run();
    } else {
      // Post-exit work only (watchdog.enabled is false): wait for runc to exit.
      while (!watcher.wait_for_runc_exit(std::chrono::minutes(1))) {
      }
    }
    // After a deadline kill too: `delete --force` removed the state, so a failed create's cgroups go.
    if (end != WatchEnd::InitExeced) watcher.after_runc_exit();
    events.close();
  } catch (...) {
    code = 1;
  }
  ::_exit(code);
}

}  // namespace

WatchSpec make_watch_spec(const WatchdogRequest& request, pid_t runc_pid, const std::string& cwd) {
  // Guards may have rewritten argv: the global flags passed on to `delete --force` come from the final one.
  RuncArgs final_args = parse_runc_args(request.argv);
  WatchSpec spec;
  spec.runc.pid = runc_pid;
  spec.runc_path = request.runc_path;
  spec.command = final_args.command_id;
  spec.container_id = final_args.container_id();
  spec.state_root = absolute(final_args.root(), cwd);
  spec.cwd = cwd;
  if (final_args.command_index)
    spec.global_flags.assign(request.argv.begin() + 1, request.argv.begin() + static_cast<long>(*final_args.command_index));
  spec.detached = final_args.flag_bool("detach");
  spec.log_path = absolute(final_args.log_path(), cwd);
  spec.log_format = final_args.log_format();
  spec.events_path = request.config.log.events;
  spec.metrics_dir = request.config.metrics.textfile_dir;
  spec.config = request.config;
  spec.observe = request.config.mode == Mode::Observe;
  spec.unstick = request.config.watchdog.unstick;
  spec.init_timeout = std::chrono::seconds(request.config.watchdog.init_timeout_s);
  spec.plan = request.plan;
  return spec;
}

void start_watchdog(const WatchdogRequest& request, EventLog& events) noexcept {
  try {
    bool watch_inits = request.config.watchdog.enabled;
    if (!watch_inits && request.plan.cgroup_dirs_to_remove_if_create_failed.empty()) return;
    pid_t self = ::getpid();
    WatchSpec spec = make_watch_spec(request, self, current_dir());
    // A pidfd on ourselves (runc after the exec) tells the watchdog the moment runc exits; it is O_CLOEXEC,
    // so runc never sees it.
    UniqueFd runc_pidfd = open_pidfd(self);
    if (!runc_pidfd) {
      auto st = read_proc_stat(spec.proc_root, self);
      if (!st) throw Error("cannot read our own /proc stat");
      spec.runc.start_time = st->start_time;
    }
    pid_t intermediate = ::fork();
    if (intermediate < 0) throw Error::from_errno("fork watchdog");
    if (intermediate == 0) {
      // Double fork + setsid: the watchdog is nobody's child we know of and has no controlling terminal.
      ::setsid();
      pid_t watchdog = ::fork();
      if (watchdog != 0) ::_exit(watchdog < 0 ? 1 : 0);
      watchdog_main(std::move(spec), runc_pidfd.get(), watch_inits);
    }
    int status = 0;
    while (::waitpid(intermediate, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) throw Error("could not fork the watchdog");
  } catch (const std::exception& e) {
    events.emit("watchdog.failed", {{"error", e.what()}});
  }
}

}  // namespace rg
