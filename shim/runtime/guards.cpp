#include "shim/runtime/guards.h"

#include "oci/kmem/accounting_guard.h"
#include "oci/kmem/spec_guard.h"
#include "oci/kmem/update_guard.h"
#include "seccomp/hazard_guard.h"

namespace rg {
namespace {

constexpr GuardRegistration kGuards[] = {
    // Before accounting: stripping changes what runc sees.
    {"kmem_spec", make_kmem_spec_guard},
    {"kmem_update", make_kmem_update_guard},
    {"seccomp_hazard", seccomp::make_hazard_guard},
    // Last: the only guard that changes the filesystem (mkdir in the memory cgroup), so no later guard can
    // refuse the create after it.
    {"kmem_accounting", [] { return make_kmem_accounting_guard(); }},
};

}  // namespace

std::span<const GuardRegistration> registered_guards() { return kGuards; }

std::span<const std::string_view> guard_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& g : kGuards) out.push_back(g.name);
    return out;
  }();
  return names;
}

std::vector<std::unique_ptr<Guard>> make_guards() {
  std::vector<std::unique_ptr<Guard>> guards;
  for (const auto& g : kGuards) guards.push_back(g.make());
  return guards;
}

}  // namespace rg
