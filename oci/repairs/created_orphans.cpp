// Created containers nobody starts (every runc release, by design): `runc create` leaves `runc init`
// waiting on exec.fifo until `runc start`. When the process that created it dies first — a crashed or
// killed containerd-shim or conmon — the init waits forever, holding the container's cgroup, mounts and
// memory, and the engine no longer knows it.
//
//   before_runc  create: who is creating it (our parent, by pid and start time).
//   after_runc   only with watchdog.reap_orphaned_created_after_s: the watchdog stays while the container
//                is `created`, and once its creator is gone and the container is that old, runs
//                `delete --force` (observe: reports it once). It leaves as soon as the container starts.
//   node_checks  doctor: `created` containers older than the reap age (10 minutes when not configured)
//                whose init's parent is pid 1 — the engines' shims and conmon are subreapers, so while the
//                creator lives it stays the init's parent (--fix: delete --force).
#include <unistd.h>

#include <chrono>
#include <thread>

#include "oci/guard/guard.h"
#include "oci/proc/runc_init.h"
#include "oci/repairs/repair_report.h"
#include "oci/runc_state.h"

namespace rg {
namespace {

constexpr std::string_view kName = "created-orphans";
constexpr int kDoctorDefaultAgeS = 600;

using Clock = std::chrono::steady_clock;

class CreatedOrphansGuard final : public Guard {
 public:
  std::string_view name() const override { return kName; }
  bool applies(const RuncArgs& args) const override { return args.is(Command::Create); }

  void before_runc(InvocationContext& ctx) override {
    reap_after_s_ = ctx.config.watchdog.reap_orphaned_created_after_s;
    if (reap_after_s_ <= 0) return;
    auto st = read_proc_stat("/proc", ::getppid());
    if (!st) return;
    creator_ = ProcessIdentity{st->pid, st->start_time};
    creator_comm_ = st->comm;
    created_at_ = Clock::now();
  }

  bool wants_watchdog() const override { return creator_.pid > 0; }

  void after_runc(WatchContext& ctx, const RuncExit& exit) override {
    if (!exit.container_exists || creator_.pid <= 0 || reap_after_s_ <= 0) return;
    const auto reap_after = std::chrono::seconds(reap_after_s_);
    std::optional<ProcessIdentity> init;  // the init this create made: a container re-made under the id is not ours
    for (;;) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      auto state = read_runc_state(ctx.state_root, ctx.container_id);
      if (!state || (init && !(state->init == *init))) return;  // gone, or another container by now
      init = state->init;
      if (!is_waiting_runc_init(ctx.proc_root, state->init, ctx.call.runc_path)) return;  // started
      if (same_process_alive(ctx.proc_root, creator_) || Clock::now() - created_at_ < reap_after) continue;
      nlohmann::json details = {{"creator_pid", creator_.pid},
                                {"creator_comm", creator_comm_},
                                {"init_pid", state->init.pid},
                                {"age_s", std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - created_at_).count()},
                                {"reap_after_s", reap_after_s_}};
      if (ctx.observe_only()) return report_repair(ctx.config, ctx.events, kName, "created.orphaned", details, true);
      details["delete_force_exit"] = ctx.call.delete_force(ctx.container_id, std::chrono::seconds(15));
      return report_repair(ctx.config, ctx.events, kName, "created.reaped", details, false);
    }
  }

  std::vector<CheckResult> node_checks(NodeContext& ctx) override {
    std::vector<CheckResult> out;
    if (ctx.runc_path.empty()) return out;
    const int min_age_s = ctx.config.watchdog.reap_orphaned_created_after_s > 0
                              ? ctx.config.watchdog.reap_orphaned_created_after_s
                              : kDoctorDefaultAgeS;
    const auto uptime = read_uptime(ctx.proc_root);
    if (!uptime) return out;
    for (const std::string& root : ctx.runc_roots)
      for (const std::string& id : list_runc_containers(root)) {
        auto state = read_runc_state(root, id);
        if (!state || !is_waiting_runc_init(ctx.proc_root, state->init, ctx.runc_path)) continue;
        auto st = read_proc_stat(ctx.proc_root, state->init.pid);
        const double age = seconds_since_start(*uptime, state->init.start_time);
        if (!st || st->ppid != 1 || age < min_age_s) continue;
        CheckResult r{"created.orphaned", CheckStatus::Warn,
                      "container " + id + " (" + root + ") has waited " + std::to_string(static_cast<long>(age)) +
                          "s in state created and the process that created it is gone (its init's parent is pid 1)",
                      "runc-guardctl doctor --fix deletes it (runc delete --force); a creator that is not a "
                      "subreaper (a script that ran runc create itself) looks the same: check before fixing",
                      {{"root", root}, {"id", id}, {"init_pid", state->init.pid}, {"age_s", static_cast<long>(age)}}};
        if (ctx.fix && ctx.policy != GuardPolicy::Off) {
          RuncCall call{ctx.runc_path, {"--root", root}, "/"};
          const int code = call.delete_force(id, std::chrono::seconds(15));
          r.data["delete_force_exit"] = code;
          if (code == 0) r.mark_fixed("fixed: deleted");
        }
        out.push_back(std::move(r));
      }
    return out;
  }

 private:
  int reap_after_s_ = 0;
  ProcessIdentity creator_;
  std::string creator_comm_;
  Clock::time_point created_at_;
};

}  // namespace

std::unique_ptr<Guard> make_created_orphans_guard() { return std::make_unique<CreatedOrphansGuard>(); }

}  // namespace rg
