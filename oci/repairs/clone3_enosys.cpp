// clone3 refused with EPERM by old engines' seccomp profiles (docker < 20.10.10, containerd < 1.5.7). Their
// default profiles do not name clone3, so it falls to the default action, EPERM, and glibc 2.34 and later —
// which falls back to clone only on ENOSYS — cannot start a thread (images built on Ubuntu 22.04, Fedora
// 35, …). The fixed engines add `clone3 → SCMP_ACT_ERRNO with errnoRet 38 (ENOSYS)` for containers without
// CAP_SYS_ADMIN; this guard adds exactly that rule to config.json where the profile would refuse clone3
// with EPERM. Opt-in ("guards": {"clone3-enosys": "enforce"}): it changes what the container sees.
//
//   before_runc  create/run/restore: the rule added (config.json rewritten atomically; observe: logged).
#include <algorithm>

#include "oci/guard/guard.h"
#include "oci/repairs/repair_report.h"

namespace rg {
namespace {

constexpr std::string_view kName = "clone3-enosys";
constexpr int kEperm = 1;
constexpr int kEnosys = 38;

using Json = nlohmann::ordered_json;

bool names_clone3(const Json& rule) {
  const auto* names = view_at(rule, {"names"});
  return names && names->is_array() && std::find(names->begin(), names->end(), Json("clone3")) != names->end();
}

// The profile refuses clone3 with EPERM: its default action is ERRNO with EPERM (the default errno) and no
// rule names clone3.
bool refuses_clone3_with_eperm(const Json& seccomp) {
  if (view_string(seccomp, {"defaultAction"}) != "SCMP_ACT_ERRNO") return false;
  if (const auto* ret = view_at(seccomp, {"defaultErrnoRet"}); ret && !(ret->is_number_integer() && ret->get<long long>() == kEperm))
    return false;
  const auto* rules = view_at(seccomp, {"syscalls"});
  return !(rules && rules->is_array() && std::any_of(rules->begin(), rules->end(), names_clone3));
}

class Clone3EnosysGuard final : public Guard {
 public:
  std::string_view name() const override { return kName; }
  bool applies(const RuncArgs& args) const override { return args.does(Trait::ReadsSpec); }
  GuardPolicy default_policy(const RuncBuild*, const RuncArgs&) const override { return GuardPolicy::Off; }
  bool reads_seccomp() const override { return true; }

  void before_runc(InvocationContext& ctx) override {
    Spec& spec = ctx.spec_with_seccomp();
    const Json* seccomp = view_at(spec.view(), {"linux", "seccomp"});
    if (!seccomp || !seccomp->is_object() || !refuses_clone3_with_eperm(*seccomp)) return;
    if (process_has_capability(spec.view(), "CAP_SYS_ADMIN")) return;  // the engines leave those alone too
    Json rules = Json::array();
    if (const auto* existing = view_at(*seccomp, {"syscalls"}); existing && existing->is_array()) rules = *existing;
    rules.push_back({{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kEnosys}});
    nlohmann::json details = {{"rule", rules.back()}, {"default_action", "SCMP_ACT_ERRNO (EPERM)"}};
    if (!ctx.observe_only() && !spec.replace_field({"linux", "seccomp"}, "syscalls", rules)) return;
    report_repair(ctx.config, ctx.events, kName, "clone3.enosys_added", std::move(details), ctx.observe_only());
  }
};

}  // namespace

std::unique_ptr<Guard> make_clone3_enosys_guard() { return std::make_unique<Clone3EnosysGuard>(); }

}  // namespace rg
