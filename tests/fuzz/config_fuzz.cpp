// runc-guard's own config (oci/guard/config.h) with this build's guard names: anything is either a Config or
// an rg::Error naming the problem; any other exception or crash is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "oci/base/error.h"
#include "oci/guard/config.h"
#include "oci/kmem/policy.h"
#include "shim/runtime/guards.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<rg::Config> config;
  try {
    config = rg::parse_config(text, "fuzz.json", rg::guard_names());
  } catch (const rg::Error&) {
    return 0;
  }
  for (std::string_view name : rg::guard_names()) (void)config->policy_of(name, rg::GuardPolicy::Enforce);
  // Accepting any guard name accepts more, never less.
  (void)rg::parse_config(text, "fuzz.json");
  // Validated at load so that the kmem guards never fail open on it later: this must not throw.
  if (!config->kernel_memory.kernel_release.empty()) (void)rg::evaluate_kernel_gate(config->kernel_memory);
  return 0;
}
