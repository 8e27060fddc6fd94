#include "shim/runtime/runtime.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "oci/args.h"
#include "oci/guard/config.h"
#include "oci/base/error.h"
#include "oci/guard/event_log.h"
#include "oci/guard/metrics.h"
#include "oci/runc_log.h"
#include "shim/runtime/exec.h"
#include "shim/runtime/real_runc.h"
#include "shim/watchdog/watchdog.h"

namespace rg {

// Decided by the command table alone, so that the pass-through path never touches the guards' code (every
// runc call on the node pays for what it touches).
bool needs_guarding(const RuncArgs& args) { return args.guarded(); }

namespace {

// `runc --version` output unchanged, then our line. dockerd takes any line containing "version" for the
// runtime's version, so ours must not contain that word.
int print_version(const RealRunc& runc, const std::vector<std::string>& argv, char** envp) {
  int status = run_runc_child(runc.path, argv, envp);
  std::fflush(stdout);
  static const char line[] = "runc-guard: " RUNC_GUARD_VERSION "\n";
  ssize_t ignored = ::write(STDOUT_FILENO, line, sizeof line - 1);
  (void)ignored;
  return status;
}

// Runs every applicable guard. Returns normally when runc may run; throws a Refusal otherwise.
void run_guards(InvocationContext& ctx) {
  for (const auto& guard : make_guards()) {
    if (!guard->applies(ctx.args)) continue;
    try {
      guard->apply(ctx);
    } catch (const Error& e) {
      if (e.is_refusal()) {
        ctx.events.emit("guard.refused", {{"guard", guard->name()}, {"error", e.what()}});
        count_metric(ctx.config, metric::kGuardRefused, {{"guard", guard->name()}});
        throw;
      }
      ctx.events.emit("guard.failed", {{"guard", guard->name()}, {"error", e.what()}});
      count_metric(ctx.config, metric::kGuardFailed, {{"guard", guard->name()}});
    } catch (const std::exception& e) {
      ctx.events.emit("guard.failed", {{"guard", guard->name()}, {"error", e.what()}});
      count_metric(ctx.config, metric::kGuardFailed, {{"guard", guard->name()}});
    }
  }
  try {
    ctx.flush_spec();
    ctx.publish_warnings();
  } catch (const std::exception& e) {
    // The rewrite is atomic: config.json is still the original, so runc runs unguarded rather than not at all.
    ctx.events.emit("spec.flush_failed", {{"error", e.what()}});
    ctx.runc_log.write(LogLevel::Warning, std::string("runc-guard: could not rewrite config.json, running it unchanged: ") + e.what());
  }
}

// runc-guard forks and waits (runc --version, the pipe probe, the watchdog's intermediate child), which
// fails with ECHILD if the caller left SIGCHLD ignored. Default it while we work and give runc the
// caller's disposition back at exec.
class DefaultSigchld {
 public:
  DefaultSigchld() {
    ::sigaction(SIGCHLD, nullptr, &saved_);
    ignored_ = saved_.sa_handler == SIG_IGN;
    if (ignored_) ::signal(SIGCHLD, SIG_DFL);
  }
  ~DefaultSigchld() { restore(); }
  void restore() {
    if (ignored_) ::sigaction(SIGCHLD, &saved_, nullptr);
    ignored_ = false;
  }

 private:
  struct sigaction saved_ {};
  bool ignored_ = false;
};

}  // namespace

int run_runtime(std::vector<std::string> argv, char** envp) {
  RuncArgs args = parse_runc_args(argv);
  try {
    if (const char* marker = std::getenv(kLoopMarkerEnv); marker && *marker)
      throw Error::refusal(std::string("refusing to run: ") + kLoopMarkerEnv +
                           " is set, so the configured runc leads back to runc-guard (loop); point runtime.path at "
                           "the real runc");
    Config config = load_runtime_config();
    // Only runc's own command names become label values: arbitrary argv must not grow the series set.
    count_metric(config, metric::kInvocations,
                 {{"command", args.is(Command::None)      ? std::string_view("none")
                             : args.is(Command::Unknown) ? std::string_view("other")
                                                         : command_name(args.command_id)}});
    RealRunc runc = locate_real_runc(config, std::getenv("PATH"));

    if (!args.wants_version() && !needs_guarding(args)) exec_runc(runc.path, argv, envp);

    DefaultSigchld sigchld;
    if (args.wants_version()) return print_version(runc, argv, envp);

    EventLog events(config.log.events, args.command, args.container_id());
    RuncLog runc_log = RuncLog::for_args(args);
    InvocationContext ctx(config, args, argv, runc_log, events);
    ctx.runc_path = runc.path;
    run_guards(ctx);
    // start_watchdog honours watchdog.enabled itself: the plan's post-exit work needs it either way.
    if (watchdog_applies(args))
      start_watchdog(WatchdogRequest{config, args, argv, runc.path, ctx.watch}, events);
    events.close();
    if (ctx.replacement_stdin >= 0) {
      if (::dup2(ctx.replacement_stdin, STDIN_FILENO) < 0) throw Error::from_errno("dup2 stdin");
      ::close(ctx.replacement_stdin);
    }
    sigchld.restore();
    exec_runc(runc.path, argv, envp);
  } catch (const std::exception& e) {
    RuncLog::for_args(args).fatal(std::string("runc-guard: ") + e.what());
    return 1;
  }
}

}  // namespace rg
