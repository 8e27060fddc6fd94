#include "seccomp/hazard_guard.h"

#include "oci/error.h"
#include "oci/metrics.h"
#include "seccomp/engine.h"

namespace rg::seccomp {

bool HazardGuard::applies(const RuncArgs& args) const {
  return (args.command == "create" || args.command == "run") && !args.wants_help();
}

void HazardGuard::apply(InvocationContext& ctx) {
  const auto& spec = ctx.spec().json();
  const auto* section = seccomp_section(spec);
  if (!section) return;

  const std::string& policy = ctx.config.seccomp.on_hazard;
  const Cache cache(ctx.config.seccomp.cache_dir);
  auto result = summarize(*section, ctx.config.seccomp.cache_dir.empty() ? nullptr : &cache);
  if (!result) return;  // the section disables seccomp
  if (!result->cache_error.empty())
    ctx.events.emit("seccomp.cache_error", {{"error", result->cache_error}, {"dir", cache.dir()}});

  ctx.watch.predicted_seccomp_bytes = result->summary.bytes;
  if (policy == "ignore") return;

  const Verdict verdict = assess_hazard(no_new_privileges(spec), result->summary.bytes);
  if (!verdict.hazardous) return;

  nlohmann::json details{{"message", verdict.message},
                         {"program_bytes", verdict.program_bytes},
                         {"pipe_capacity", *verdict.pipe_capacity},
                         {"instructions", result->summary.instructions},
                         {"sha256", result->summary.sha256},
                         {"architectures", result->summary.architectures},
                         {"from_cache", result->from_cache},
                         {"on_hazard", policy}};
  if (policy == "reject" && ctx.observe_only()) details["observe_only"] = true;
  ctx.events.emit("seccomp.hazard", details);
  count_metric(ctx.config, metric::kSeccompHazard, {{"action", policy}});

  if (policy == "watch") {
    ctx.watch.seccomp_hazard = true;
  } else if (policy == "reject" && !ctx.observe_only()) {
    throw Error::refusal(verdict.message +
                         " (uid 0 is over /proc/sys/fs/pipe-user-pages-soft; raise that limit, shrink the "
                         "profile, or set seccomp.on_hazard to \"watch\")");
  }
}

std::unique_ptr<rg::Guard> make_hazard_guard() { return std::make_unique<HazardGuard>(); }

}  // namespace rg::seccomp
