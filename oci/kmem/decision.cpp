#include "oci/kmem/decision.h"

#include "oci/base/error.h"
#include "oci/guard/metrics.h"

namespace rg {

bool runc_ignores_kmem(InvocationContext& ctx, const KmemFinding& f) {
  const RuncBuild* runc = ctx.runc_build();
  if (!runc || !affected(runc->version, RuncIssue::KmemLimitsIgnored)) return false;
  nlohmann::json details = f.details;
  details["runc_version"] = runc->text;
  details["policy"] = ctx.config.kernel_memory.policy == KmemPolicy::Reject ? "reject" : "strip";
  details["reason"] = "runc " + runc->text + " ignores kernel-memory limits itself; nothing to change";
  ctx.events.emit("kmem.ignored_by_runc", details);
  return true;
}

bool enact_kmem_decision(InvocationContext& ctx, bool reject, const KmemFinding& f) {
  const char* event = reject ? "kmem.rejected" : "kmem.stripped";
  if (ctx.observe_only()) {
    nlohmann::json details = f.details;
    details["observe"] = true;
    ctx.events.emit(event, details);
    return false;
  }
  if (!reject) return true;
  ctx.events.emit(event, f.details);
  count_metric(ctx.config, metric::kKmemRejected);
  throw Error::refusal("kernel memory limit refused" + std::string(f.where.empty() ? "" : " in update") + " (" +
                       f.what + "): kernel " + f.gate.release + " is older than " + f.gate.min_kernel +
                       ", where kernel memory accounting leaks memory cgroup IDs until the node cannot create "
                       "cgroups; " +
                       std::string(f.drop_advice) + " or set kernel_memory.policy");
}

void report_kmem_stripped(InvocationContext& ctx, const KmemFinding& f) {
  ctx.warn_user("runc-guard: kernel memory limit removed" + std::string(f.where.empty() ? "" : " from update") +
                " (" + f.what + "): kernel " + f.gate.release + " < " + f.gate.min_kernel +
                " leaks memory cgroup IDs with kernel memory accounting");
  ctx.events.emit("kmem.stripped", f.details);
  count_metric(ctx.config, metric::kKmemStripped);
}

}  // namespace rg
