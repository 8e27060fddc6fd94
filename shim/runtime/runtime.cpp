#include "shim/runtime/runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "oci/base/child_process.h"
#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "oci/base/files.h"
#include "oci/base/loop_marker.h"
#include "oci/base/stack_limit.h"
#include "oci/guard/config.h"
#include "oci/guard/event_log.h"
#include "oci/guard/guard.h"
#include "oci/guard/metrics.h"
#include "oci/runc_log.h"
#include "oci/runc_state.h"
#include "shim/runtime/exec.h"
#include "shim/runtime/guards.h"
#include "shim/keeper/keeper.h"
#include "shim/runtime/passthrough_cache.h"
#include "shim/runtime/real_runc.h"
#include "oci/proc/runc_init.h"
#include "shim/watchdog/watchdog.h"

namespace rg {

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

// One hook of one guard, with the failure policy of oci/guard/guard.h. Rethrows refusals. Fails closed on a
// refusal, and when a security guard could not read its input as runc does or stopped half-way through it
// for any other unexpected reason — unless that guard only observes (then it is logged, as any failure).
template <typename Hook>
void run_hook(Guard& guard, GuardPolicy policy, const Config& config, EventLog& events, Hook&& hook) {
  auto failed = [&](const char* what) {
    events.emit("guard.failed", {{"guard", guard.name()}, {"error", what}});
    count_metric(config, metric::kGuardFailed, {{"guard", guard.name()}});
  };
  auto refuse = [&](const std::string& message) {
    events.emit("guard.refused", {{"guard", guard.name()}, {"error", message}});
    count_metric(config, metric::kGuardRefused, {{"guard", guard.name()}});
    throw Error::refusal(message);
  };
  const bool fail_closed = guard.security() && policy != GuardPolicy::Observe;
  try {
    hook();
  } catch (const Error& e) {
    if (e.is_refusal()) refuse(e.what());
    if (e.is_undecodable() && fail_closed)
      refuse(std::string("refusing to run it: ") + e.what() + " (the " + std::string(guard.name()) +
             " guard must read it exactly as runc does)");
    failed(e.what());
  } catch (const std::exception& e) {
    if (fail_closed)
      refuse("refusing to run it: the " + std::string(guard.name()) + " guard could not finish its check (" + e.what() + ")");
    failed(e.what());
  } catch (...) {
    if (fail_closed) refuse("refusing to run it: the " + std::string(guard.name()) + " guard could not finish its check");
    failed("unknown failure");
  }
}

// The guards that apply to this invocation and are not switched off, in registration order.
std::vector<Guard*> applicable(std::vector<std::unique_ptr<Guard>>& all, InvocationContext& ctx,
                               std::vector<GuardPolicy>& policies) {
  std::vector<Guard*> out;
  for (auto& g : all) {
    if (!g->applies(ctx.args())) continue;
    GuardPolicy policy = GuardPolicy::Enforce;
    run_hook(*g, GuardPolicy::Enforce, ctx.config, ctx.events,
             [&] { policy = ctx.config.policy_of(g->name(), g->default_policy(ctx.runc_build(), ctx.args())); });
    if (policy == GuardPolicy::Off) continue;
    out.push_back(g.get());
    policies.push_back(policy);
  }
  return out;
}

void run_before_runc(InvocationContext& ctx, const std::vector<Guard*>& guards, const std::vector<GuardPolicy>& policies) {
  std::string patched_by;  // a virtual patch that changed config.json: its repair must reach runc
  for (std::size_t k = 0; k < guards.size(); ++k) {
    ctx.guard_policy = policies[k];
    const std::size_t edits = ctx.spec_loaded() ? ctx.spec().edits() : 0;
    run_hook(*guards[k], policies[k], ctx.config, ctx.events, [&] { guards[k]->before_runc(ctx); });
    if (guards[k]->patches() && ctx.spec_loaded() && ctx.spec().edits() != edits) patched_by = guards[k]->name();
  }
  try {
    ctx.flush_spec();
    ctx.publish_warnings();
  } catch (const std::exception& e) {
    ctx.events.emit("spec.flush_failed", {{"error", e.what()}});
    // The rewrite is atomic: config.json is still the original. A CVE repair that cannot be written is a
    // refusal; anything else runs unchanged rather than not at all.
    if (!patched_by.empty())
      throw Error::refusal("could not write the " + patched_by + " repair to config.json: " + e.what());
    ctx.runc_log.write(LogLevel::Warning, std::string("runc-guard: could not rewrite config.json, running it unchanged: ") + e.what());
  }
}

// `runc delete --force` of a container a before_start hook refused, with the caller's global flags.
void delete_refused_container(InvocationContext& ctx) noexcept {
  RuncCall call = RuncCall::from_argv(ctx.runc_path(), ctx.argv(), ctx.cwd());
  ctx.events.emit("start.refused_cleanup",
                  {{"delete_force_exit", call.delete_force(ctx.args().container_id(), std::chrono::seconds(15))}});
}

// `runc start`: the post-create checks on the live init, before runc lets it exec the user's process.
void run_before_start(InvocationContext& ctx, const std::vector<Guard*>& guards, const std::vector<GuardPolicy>& policies) {
  if (guards.empty()) return;
  const RuncState* state = ctx.container_state();
  if (!state) return;  // runc reports a missing container itself
  // Only a created container's init, still the process runc recorded and still runc: anything else is not
  // ours to inspect (runc start fails on it by itself).
  if (!is_waiting_runc_init("/proc", state->init, ctx.runc_path())) return;
  const ContainerBundle* container = nullptr;
  try {
    container = ctx.container_bundle();
  } catch (const Error& e) {
    ctx.events.emit("start.spec_unreadable", {{"bundle", state->bundle}, {"error", e.what()}});
  }
  StartContext start{ctx.config, ctx.runc_log, ctx.events, ctx.args(), ctx.runc_build(), "/proc", state->init,
                     state->bundle, container ? &container->spec : nullptr};
  try {
    for (std::size_t k = 0; k < guards.size(); ++k) {
      start.guard_policy = policies[k];
      run_hook(*guards[k], policies[k], ctx.config, ctx.events, [&] { guards[k]->before_start(start); });
    }
  } catch (const Error& e) {
    if (e.is_refusal()) delete_refused_container(ctx);
    throw;
  }
}

// runc from the keeper's sealed copy (shim/keeper/keeper.h), for the commands that start a runc init on a
// release that would otherwise protect its binary on every init (a copy or a bind mount); a keeper is started
// when none runs. An invalid copy: runc is exec'd by path, as always. Not in observe mode (it changes
// nothing about what runs, but how).
KeeperCopy runc_from_keeper(InvocationContext& ctx, const RealRunc& runc) {
  const Config& config = ctx.config;
  if (!config.keeper.enabled || config.mode == Mode::Observe || !ctx.args().does(Trait::StartsInit)) return {};
  const RuncBuild* build = ctx.runc_build();
  if (!build || !(affected(build->version, RuncIssue::ExeCopiedPerInit) || affected(build->version, RuncIssue::ExeBindMountedPerInit)))
    return {};
  KeeperCopy copy = keeper_copy_of(runc.path, runc.stat);
  if (!copy.fd && config.keeper.start_on_demand) {
    switch (start_keeper_detached(runc.path)) {
      case KeeperStart::Running: break;  // still copying: the next call uses it
      case KeeperStart::Started:
        ctx.events.emit("keeper.started", {{"runc", runc.path}});
        count_metric(config, metric::kKeeperStarts, {{"outcome", "started"}});
        break;
      case KeeperStart::BackingOff:
        ctx.events.emit("keeper.start_deferred", {{"runc", runc.path}, {"retry_after_s", kKeeperRetryAfter.count()}});
        count_metric(config, metric::kKeeperStarts, {{"outcome", "deferred"}});
        break;
      case KeeperStart::Failed:
        ctx.events.emit("keeper.start_failed", {{"runc", runc.path}});
        count_metric(config, metric::kKeeperStarts, {{"outcome", "failed"}});
        break;
    }
  }
  return copy;
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

int run_runtime_here(std::vector<std::string> argv, char** envp) {
  RuncArgs args = parse_runc_args(argv);
  try {
    if (auto loop = loop_refusal(parse_loop_marker(std::getenv(kLoopMarkerEnv)), ::getpid()))
      throw Error::refusal(*loop);
    Config config = load_runtime_config(guard_names());
    // Only runc's own command names become label values: arbitrary argv must not grow the series set.
    count_metric(config, metric::kInvocations,
                 {{"command", args.is(Command::None)      ? std::string_view("none")
                              : args.is(Command::Unknown) ? std::string_view("other")
                                                          : command_name(args.command_id)}});
    RealRunc runc = locate_real_runc(config, std::getenv("PATH"));
    // The first stage found no valid cache for a pass-through call: leave it one for the next.
    if (rg_first_stage_verdict == RG_FS_CACHE_MISS) write_passthrough_cache(config_path_from_env(), config, runc);

    if (!args.wants_version() && !needs_guarding(args)) exec_runc(runc.path, argv, envp);

    DefaultSigchld sigchld;
    if (args.wants_version()) return print_version(runc, argv, envp);

    EventLog events(config.log.events, std::string(command_name(args.command_id)), args.container_id());
    RuncLog runc_log = RuncLog::for_args(args);
    InvocationContext ctx(config, std::move(argv), runc_log, events, runc.path);
    auto all_guards = make_guards();
    std::vector<GuardPolicy> policies;
    std::vector<Guard*> guards = applicable(all_guards, ctx, policies);
    if (std::none_of(guards.begin(), guards.end(), [](const Guard* g) { return g->reads_seccomp(); }))
      ctx.spec_type = &oci_spec_type_without_seccomp();
    run_before_runc(ctx, guards, policies);
    if (ctx.args().does(Trait::StartsCreated)) run_before_start(ctx, guards, policies);
    KeeperCopy keeper = runc_from_keeper(ctx, runc);
    start_watchdog(WatchdogRequest{config, ctx.argv(), runc.path, guards}, events);
    for (std::size_t k = 0; k < guards.size(); ++k) {
      ctx.guard_policy = policies[k];
      run_hook(*guards[k], policies[k], ctx.config, ctx.events, [&] { guards[k]->before_exec(ctx); });
    }
    events.close();
    if (ctx.replacement_stdin >= 0) {
      if (::dup2(ctx.replacement_stdin, STDIN_FILENO) < 0) throw Error::from_errno("dup2 stdin");
      ::close(ctx.replacement_stdin);
    }
    sigchld.restore();
    if (keeper.fd) {
      try {
        exec_fd_in_place(keeper.fd.get(), ctx.argv(), envp);
      } catch (const Error& e) {
        ctx.events.emit("keeper.exec_failed", {{"error", e.what()}});  // runc by path, as always
      }
    }
    exec_runc(runc.path, ctx.argv(), envp);
  } catch (const std::exception& e) {
    RuncLog::for_args(args).fatal(std::string("runc-guard: ") + e.what());
    return 1;
  } catch (...) {
    RuncLog::for_args(args).fatal("runc-guard: unexpected failure");
    return 1;
  }
}

}  // namespace

int run_runtime(std::vector<std::string> argv, char** envp) {
  return on_stack_for_json([&] { return run_runtime_here(std::move(argv), envp); });
}

}  // namespace rg
