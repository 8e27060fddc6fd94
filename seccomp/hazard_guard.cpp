#include "seccomp/hazard_guard.h"

#include "oci/base/error.h"
#include "oci/guard/metrics.h"
#include "oci/runc_version.h"
#include "seccomp/engine.h"

namespace rg::seccomp {
namespace {

std::string_view on_hazard_name(OnHazard policy) {
  switch (policy) {
    case OnHazard::Watch: return "watch";
    case OnHazard::Reject: return "reject";
    case OnHazard::Ignore: return "ignore";
  }
  return "watch";
}

}  // namespace

class HazardGuard final : public rg::Guard {
 public:
  std::string_view name() const override { return "seccomp_hazard"; }

  bool applies(const RuncArgs& args) const override {
    // restore: criu brings the filter back; runc init exports nothing.
    return (args.is(Command::Create) || args.is(Command::Run)) && !args.wants_help();
  }
  // Only runc 1.0.0-rc93 exports its filter into a pipe nobody drains yet (rc94 reads while it writes,
  // earlier releases export nothing): elsewhere the prediction would cost every create a summary and
  // could only raise false alarms. A runc whose version is unknown is predicted for.
  GuardPolicy default_policy(const RuncBuild* runc, const RuncArgs&) const override {
    return !runc || affected(runc->version, RuncIssue::SeccompExportHang) ? GuardPolicy::Enforce : GuardPolicy::Off;
  }

  bool reads_seccomp() const override { return true; }

  void before_runc(InvocationContext& ctx) override {
    const nlohmann::ordered_json& spec = ctx.spec_with_seccomp().view();
    const auto* section = seccomp_section(spec);
    if (!section) return;
    no_new_privileges_ = no_new_privileges(spec);
    observe_ = ctx.observe_only();  // observe mode, or guards.seccomp_hazard: "observe"

    const Cache cache(ctx.config.seccomp.cache_dir);
    const bool have_cache = !ctx.config.seccomp.cache_dir.empty();
    // A reject needs the verdict before runc runs; otherwise the watchdog can compile a cold profile.
    const bool may_defer = have_cache && ctx.config.seccomp.on_hazard != OnHazard::Reject && ctx.config.watchdog.enabled;
    auto result = summarize(*section, have_cache ? &cache : nullptr, {}, "linux.seccomp", !may_defer);
    if (!result) return;  // the section disables seccomp
    if (result->missed) {
      deferred_profile_ = section->dump();
      return;
    }
    if (!result->cache_error.empty())
      ctx.events.emit("seccomp.cache_error", {{"error", result->cache_error}, {"dir", cache.dir()}});
    act_on_summary(ctx.config, ctx.events, *result, false);
  }

  bool wants_watchdog() const override { return program_bytes_ || !deferred_profile_.empty(); }

  void in_watchdog(WatchContext& ctx) override {
    if (!deferred_profile_.empty()) {
      try {
        const auto section = nlohmann::ordered_json::parse(deferred_profile_);
        const Cache cache(ctx.config.seccomp.cache_dir);
        if (auto result = summarize(section, &cache)) {
          if (!result->cache_error.empty())
            ctx.events.emit("seccomp.cache_error", {{"error", result->cache_error}, {"dir", cache.dir()}});
          act_on_summary(ctx.config, ctx.events, *result, true);
        }
      } catch (const std::exception& e) {
        ctx.events.emit("seccomp.deferred_failed", {{"error", e.what()}});
      }
      deferred_profile_.clear();
    }
    ctx.hints.pipe_write_bytes = program_bytes_;
    ctx.hints.pipe_block_expected = hazard_;
  }

 private:
  // The verdict for a known program size, acted on per seccomp.on_hazard (create path and watchdog alike).
  void act_on_summary(const Config& config, EventLog& events, const CachedSummary& result, bool deferred) {
    program_bytes_ = result.summary.bytes;
    const OnHazard policy = config.seccomp.on_hazard;
    if (policy == OnHazard::Ignore) return;
    const Verdict verdict = assess_hazard(no_new_privileges_, result.summary.bytes);
    if (!verdict.hazardous) return;

    nlohmann::json details{{"message", verdict.message},
                           {"program_bytes", verdict.program_bytes},
                           {"pipe_capacity", *verdict.pipe_capacity},
                           {"instructions", result.summary.instructions},
                           {"sha256", result.summary.sha256},
                           {"architectures", result.summary.architectures},
                           {"from_cache", result.from_cache},
                           {"on_hazard", on_hazard_name(policy)}};
    if (deferred) details["deferred"] = true;
    const bool observe = observe_;
    if (policy == OnHazard::Reject && observe) details["observe_only"] = true;
    events.emit("seccomp.hazard", details);
    count_metric(config, metric::kSeccompHazard, {{"action", on_hazard_name(policy)}});

    if (policy == OnHazard::Watch) {
      hazard_ = true;
    } else if (policy == OnHazard::Reject && !observe) {
      throw Error::refusal(verdict.message +
                           " (uid 0 is over /proc/sys/fs/pipe-user-pages-soft; raise that limit, shrink the "
                           "profile, or set seccomp.on_hazard to \"watch\")");
    }
  }

  bool no_new_privileges_ = false;
  bool observe_ = false;
  std::optional<std::size_t> program_bytes_;
  bool hazard_ = false;
  std::string deferred_profile_;  // a profile the cache did not have: compiled in the watchdog
};

}  // namespace rg::seccomp

namespace rg {
std::unique_ptr<Guard> make_seccomp_hazard_guard() { return std::make_unique<seccomp::HazardGuard>(); }
}  // namespace rg
