#include "shim/runtime/runtime.h"

#include "oci/kmem/accounting_guard.h"
#include "oci/kmem/spec_guard.h"
#include "oci/kmem/update_guard.h"
#include "seccomp/hazard_guard.h"

namespace rg {

std::vector<std::unique_ptr<Guard>> make_guards() {
  std::vector<std::unique_ptr<Guard>> guards;
  guards.push_back(make_kmem_spec_guard());        // before accounting: stripping changes what runc sees
  guards.push_back(make_kmem_update_guard());
  guards.push_back(seccomp::make_hazard_guard());
  // Last: the only guard that changes the filesystem (mkdir in the memory cgroup), so no later guard can
  // refuse the create after it.
  guards.push_back(make_kmem_accounting_guard());
  return guards;
}

}  // namespace rg
