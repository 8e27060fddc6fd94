// config.json as runc reads it (oci/spec.h, oci/gojson.h) and the kernel-memory decision on it
// (oci/kmem/policy.h). The strip invariant: after Spec::remove_fields of kernel/kernelTCP, what flush()
// would write still parses, reads exactly as before minus those two fields, and sets no kernel memory.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "oci/kmem/policy.h"
#include "oci/spec.h"
#include "runc_reads.h"

namespace {

const nlohmann::ordered_json& memory_of(const rg::Spec& spec) {
  static const nlohmann::ordered_json none = nlohmann::ordered_json::object();
  const nlohmann::ordered_json* memory = rg::view_at(spec.view(), {"linux", "resources", "memory"});
  return memory ? *memory : none;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<rg::Spec> spec = rg::fuzz::runc_reads({reinterpret_cast<const char*>(data), size});
  if (!spec) return 0;
  const nlohmann::ordered_json settings = rg::kernel_memory_settings(memory_of(*spec));
  (void)rg::describe_settings(settings, "linux.resources.memory.");
  (void)rg::memory_assigned(memory_of(*spec));
  for (rg::KmemPolicy policy : {rg::KmemPolicy::Strip, rg::KmemPolicy::Reject, rg::KmemPolicy::Allow}) {
    const rg::KmemAction action = rg::decide_kmem_action(policy, true, !settings.empty());
    if ((action == rg::KmemAction::Keep) != (settings.empty() || policy == rg::KmemPolicy::Allow)) std::abort();
    if (rg::decide_kmem_action(policy, false, !settings.empty()) != rg::KmemAction::Keep) std::abort();
  }

  nlohmann::ordered_json expected = spec->view();
  if (const nlohmann::ordered_json::json_pointer at("/linux/resources/memory"); expected.contains(at))
    for (std::string_view field : rg::kKernelMemoryFields) expected[at].erase(std::string(field));
  const bool removed = spec->remove_fields({"linux", "resources", "memory"}, {"kernel", "kernelTCP"});
  if (removed != spec->changed()) std::abort();
  // An rg::Error escaping here is a crash: the stripped document must still be one runc reads.
  const rg::Spec reread = rg::Spec::parse(spec->serialize());
  if (spec->view() != expected || reread.view() != expected) std::abort();
  const nlohmann::ordered_json& memory = memory_of(reread);
  if (memory.contains("kernel") || memory.contains("kernelTCP") || !rg::kernel_memory_settings(memory).empty())
    std::abort();
  return 0;
}
