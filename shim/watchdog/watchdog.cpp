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
#include <cstring>
#include <vector>
#include <nlohmann/json.hpp>

#include "oci/base/child_process.h"
#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "oci/base/files.h"
#include "oci/runc_state.h"

namespace rg {

bool watchdog_watches_inits(const Config& config, const RuncArgs& args) {
  return config.watchdog.enabled && args.does(Trait::Watched);
}

namespace {

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
  close_fds_from(keep == 3 ? 4 : 3);
  return keep;
}

// The guards' watchdog hooks: a failure is logged and never stops the watch.
template <typename Hook>
void run_hooks(std::span<Guard* const> guards, EventLog& events, std::string_view hook, Hook&& call) {
  for (Guard* guard : guards) {
    try {
      call(*guard);
    } catch (const std::exception& e) {
      events.emit("guard.failed", {{"guard", guard->name()}, {"hook", hook}, {"error", e.what()}});
    }
  }
}

// The watchdog process proper: never returns into the runtime's code.
[[noreturn]] void watchdog_main(WatchSpec spec, int inherited_pidfd, bool watch_inits, std::span<Guard* const> guards) {
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
    EventLog events(spec.config.log.events, std::string(command_name(spec.command)), spec.container_id);
    if (spec.runc.start_time == 0) {
      auto st = read_proc_stat(spec.proc_root, spec.runc.pid);
      if (st) spec.runc.start_time = st->start_time;
    }
    WatchHints hints;
    WatchContext ctx{spec.config, events, hints, spec.proc_root, spec.runc, spec.command, spec.state_root,
                     spec.container_id, spec.call};
    // Before the first look (~50 ms away): work the guards left to us, hints for the pipe remedy.
    run_hooks(guards, events, "in_watchdog", [&](Guard& g) { g.in_watchdog(ctx); });
    InitWatcher watcher(spec, pidfd, events, hints);
    WatchEnd end = WatchEnd::RuncExited;
    if (watch_inits) {
      end = watcher.run();
    } else if (hints.runc_deadline && spec.config.watchdog.enabled) {
      end = watcher.run_with_runc_deadline();
    } else {
      // Guard work only (watchdog.enabled is false, or a command that is not watched): wait for runc.
      while (!watcher.wait_for_runc_exit(std::chrono::minutes(1))) {
      }
    }
    // A foreground run/exec whose process started is a success; the watch ends there. After a deadline
    // kill `delete --force` removed the state, so a failed create is cleaned up like any other.
    if (end != WatchEnd::InitExeced) {
      RuncExit exit;
      exit.killed_at_deadline = end == WatchEnd::Killed;
      exit.container_exists = runc_state_exists(spec.state_root, spec.container_id);
      run_hooks(guards, events, "after_runc", [&](Guard& g) { g.after_runc(ctx, exit); });
    }
    events.close();
  } catch (...) {
    code = 1;
  }
  ::_exit(code);
}

}  // namespace

WatchSpec make_watch_spec(const WatchdogRequest& request, pid_t runc_pid, const std::string& cwd) {
  // The global flags passed on to `delete --force` come from the final argv.
  RuncArgs final_args = parse_runc_args(request.argv);
  WatchSpec spec;
  spec.runc.pid = runc_pid;
  spec.runc_path = request.runc_path;
  spec.command = final_args.command_id;
  spec.container_id = final_args.container_id();
  spec.state_root = absolute_path(final_args.root(), cwd);
  spec.call = RuncCall::from_argv(request.runc_path, request.argv, cwd);
  spec.detached = final_args.flag_bool("detach");
  spec.log_path = absolute_path(final_args.log_path(), cwd);
  spec.log_format = final_args.log_format();
  spec.config = request.config;
  return spec;
}

void start_watchdog(const WatchdogRequest& request, EventLog& events) noexcept {
  try {
    const bool watch_inits = watchdog_watches_inits(request.config, parse_runc_args(request.argv));
    // Only the guards that left work for the watchdog get its hooks.
    std::vector<Guard*> working;
    for (Guard* g : request.guards)
      if (g->wants_watchdog()) working.push_back(g);
    if (!watch_inits && working.empty()) return;
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
      if (watchdog == 0) watchdog_main(std::move(spec), runc_pidfd.get(), watch_inits, working);
      if (watchdog < 0) events.emit("watchdog.failed", {{"error", std::string("fork watchdog: ") + std::strerror(errno)}});
      ::_exit(watchdog < 0 ? 1 : 0);
    }
    // Not reaped here: waiting for the intermediate's own fork would put it on every create/start/exec's
    // path. It exits within microseconds and stays a zombie child of runc (our pid after the exec) until runc
    // reaps it (run and exec reap every child, ignoring the ones they do not know) or exits; its exit status
    // is not needed, the intermediate logs a failed fork itself.
  } catch (const std::exception& e) {
    events.emit("watchdog.failed", {{"error", e.what()}});
  }
}

}  // namespace rg
