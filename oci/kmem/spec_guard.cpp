#include "oci/kmem/spec_guard.h"

#include "oci/base/error.h"
#include "oci/kmem/decision.h"
#include "oci/kmem/policy.h"

namespace rg {
namespace {

constexpr std::string_view kSpecPrefix = "linux.resources.memory.";

class KmemSpecGuard final : public Guard {
 public:
  std::string_view name() const override { return "kmem_spec"; }
  bool security() const override { return true; }
  bool applies(const RuncArgs& args) const override { return args.does(Trait::ReadsSpec); }

  void before_runc(InvocationContext& ctx) override {
    const KmemPolicy policy = ctx.config.kernel_memory.policy;
    if (policy == KmemPolicy::Allow) return;
    KernelGate gate = evaluate_kernel_gate(ctx.config.kernel_memory);
    if (!gate.below_minimum()) return;  // the common case costs a uname(2), not a JSON parse

    Spec& spec = ctx.spec();
    const nlohmann::ordered_json* memory = view_at(spec.view(), {"linux", "resources", "memory"});
    if (!memory) return;
    nlohmann::ordered_json settings = kernel_memory_settings(*memory);
    if (decide_kmem_action(policy, true, !settings.empty()) == KmemAction::Keep) return;

    KmemFinding finding{gate, gate.details(), describe_settings(settings, kSpecPrefix), "",
                        "drop the limit (docker run --kernel-memory)"};
    finding.details["settings"] = settings;
    finding.details["config"] = spec.path();
    if (runc_ignores_kmem(ctx, finding)) return;
    if (!enact_kmem_decision(ctx, policy == KmemPolicy::Reject, finding)) return;
    spec.remove_fields({"linux", "resources", "memory"}, {kKernelMemoryFields[0], kKernelMemoryFields[1]});
    report_kmem_stripped(ctx, finding);
  }
};

}  // namespace

std::unique_ptr<Guard> make_kmem_spec_guard() { return std::make_unique<KmemSpecGuard>(); }

}  // namespace rg
