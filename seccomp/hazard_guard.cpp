#include "seccomp/hazard_guard.h"

#include "oci/base/error.h"
#include "oci/guard/metrics.h"
#include "seccomp/engine.h"

namespace rg::seccomp {

bool HazardGuard::applies(const RuncArgs& args) const {
  // restore: criu brings the filter back; runc init exports nothing.
  return (args.is(Command::Create) || args.is(Command::Run)) && !args.wants_help();
}

namespace {

// The verdict for a known program size, acted on per seccomp.on_hazard. Shared by the guard (create path)
// and the watchdog (deferred compile), so both log and decide alike.
void act_on_summary(const Config& config, WatchPlan& plan, EventLog& events, const CachedSummary& result,
                    bool no_new_privs, bool deferred) {
  const std::string& policy = config.seccomp.on_hazard;
  plan.predicted_seccomp_bytes = result.summary.bytes;
  if (policy == "ignore") return;
  const Verdict verdict = assess_hazard(no_new_privs, result.summary.bytes);
  if (!verdict.hazardous) return;

  nlohmann::json details{{"message", verdict.message},
                         {"program_bytes", verdict.program_bytes},
                         {"pipe_capacity", *verdict.pipe_capacity},
                         {"instructions", result.summary.instructions},
                         {"sha256", result.summary.sha256},
                         {"architectures", result.summary.architectures},
                         {"from_cache", result.from_cache},
                         {"on_hazard", policy}};
  if (deferred) details["deferred"] = true;
  const bool observe = config.mode == Mode::Observe;
  if (policy == "reject" && observe) details["observe_only"] = true;
  events.emit("seccomp.hazard", details);
  count_metric(config, metric::kSeccompHazard, {{"action", policy}});

  if (policy == "watch") {
    plan.seccomp_hazard = true;
  } else if (policy == "reject" && !observe) {
    throw Error::refusal(verdict.message +
                         " (uid 0 is over /proc/sys/fs/pipe-user-pages-soft; raise that limit, shrink the "
                         "profile, or set seccomp.on_hazard to \"watch\")");
  }
}

}  // namespace

void HazardGuard::apply(InvocationContext& ctx) {
  const auto& spec = ctx.spec().json();
  const auto* section = seccomp_section(spec);
  if (!section) return;

  const Cache cache(ctx.config.seccomp.cache_dir);
  const bool have_cache = !ctx.config.seccomp.cache_dir.empty();
  // A reject needs the verdict before runc runs; otherwise the watchdog can compile a cold profile.
  const bool may_defer = have_cache && ctx.config.seccomp.on_hazard != "reject" && ctx.config.watchdog.enabled;
  auto result = summarize(*section, have_cache ? &cache : nullptr, {}, "linux.seccomp", !may_defer);
  if (!result) return;  // the section disables seccomp
  if (result->missed) {
    ctx.watch.deferred_seccomp_profile = section->dump();
    ctx.watch.deferred_no_new_privileges = no_new_privileges(spec);
    return;
  }
  if (!result->cache_error.empty())
    ctx.events.emit("seccomp.cache_error", {{"error", result->cache_error}, {"dir", cache.dir()}});
  act_on_summary(ctx.config, ctx.watch, ctx.events, *result, no_new_privileges(spec), false);
}

void resolve_deferred_seccomp(WatchPlan& plan, const Config& config, EventLog& events) noexcept {
  if (plan.deferred_seccomp_profile.empty()) return;
  try {
    const auto section = nlohmann::ordered_json::parse(plan.deferred_seccomp_profile);
    const Cache cache(config.seccomp.cache_dir);
    auto result = summarize(section, &cache);
    if (!result) return;
    if (!result->cache_error.empty())
      events.emit("seccomp.cache_error", {{"error", result->cache_error}, {"dir", cache.dir()}});
    act_on_summary(config, plan, events, *result, plan.deferred_no_new_privileges, true);
  } catch (const std::exception& e) {
    events.emit("seccomp.deferred_failed", {{"error", e.what()}});
  }
  plan.deferred_seccomp_profile.clear();
}

std::unique_ptr<rg::Guard> make_hazard_guard() { return std::make_unique<HazardGuard>(); }

}  // namespace rg::seccomp
