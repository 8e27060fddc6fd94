#include "oci/kmem_spec_guard.h"

#include "oci/error.h"
#include "oci/metrics.h"
#include "oci/kmem_policy.h"

namespace rg {
namespace {

constexpr std::string_view kSpecPrefix = "linux.resources.memory.";

class KmemSpecGuard final : public Guard {
 public:
  std::string_view name() const override { return "kmem_spec"; }

  bool applies(const RuncArgs& args) const override {
    const std::string& c = args.command;
    return (c == "create" || c == "run" || c == "restore") && !args.wants_help();
  }

  void apply(InvocationContext& ctx) override {
    KmemPolicy policy = parse_kmem_policy(ctx.config.kernel_memory.policy);
    if (policy == KmemPolicy::Allow) return;
    KernelGate gate = evaluate_kernel_gate(ctx.config.kernel_memory);
    if (!gate.below_minimum()) return;  // the common case costs a uname(2), not a JSON parse

    Spec& spec = ctx.spec();
    nlohmann::ordered_json* memory = spec_memory(spec.json());
    if (!memory) return;
    nlohmann::ordered_json settings = kernel_memory_settings(*memory);
    KmemAction action = decide_kmem_action(policy, true, !settings.empty());
    if (action == KmemAction::Keep) return;

    nlohmann::json details = gate.details();
    details["settings"] = settings;
    details["config"] = spec.path();
    const std::string what = describe_settings(settings, kSpecPrefix);
    const char* event = action == KmemAction::Reject ? "kmem.rejected" : "kmem.stripped";
    if (ctx.observe_only()) {
      details["observe"] = true;
      ctx.events.emit(event, details);
      return;
    }
    if (action == KmemAction::Reject) {
      ctx.events.emit(event, details);
      count_metric(ctx.config, metric::kKmemRejected);
      throw Error::refusal("kernel memory limit refused (" + what + "): kernel " + gate.release + " is older than " +
                           gate.min_kernel +
                           ", where kernel memory accounting leaks memory cgroup IDs until the node cannot create "
                           "cgroups; drop the limit (docker run --kernel-memory) or set kernel_memory.policy");
    }
    remove_kernel_memory_fields(*memory);
    ctx.warn_user("runc-guard: kernel memory limit removed (" + what + "): kernel " +
                                              gate.release + " < " + gate.min_kernel +
                                              " leaks memory cgroup IDs with kernel memory accounting");
    ctx.events.emit(event, details);
    count_metric(ctx.config, metric::kKmemStripped);
  }
};

}  // namespace

std::unique_ptr<Guard> make_kmem_spec_guard() { return std::make_unique<KmemSpecGuard>(); }

}  // namespace rg
