#include "oci/kmem/policy.h"

#include "oci/base/error.h"

namespace rg {

KmemAction decide_kmem_action(KmemPolicy policy, bool kernel_below_minimum, bool sets_kernel_memory) {
  if (!kernel_below_minimum || !sets_kernel_memory) return KmemAction::Keep;
  switch (policy) {
    case KmemPolicy::Strip: return KmemAction::Strip;
    case KmemPolicy::Reject: return KmemAction::Reject;
    case KmemPolicy::Allow: return KmemAction::Keep;
  }
  return KmemAction::Keep;
}

nlohmann::json KernelGate::details() const { return {{"kernel_release", release}, {"min_kernel", min_kernel}}; }

KernelGate evaluate_kernel_gate(const Config::KernelMemory& config) {
  KernelGate gate;
  gate.release = config.kernel_release.empty() ? running_kernel_release() : config.kernel_release;
  gate.min_kernel = config.min_kernel;
  auto running = parse_kernel_release(gate.release);
  if (!running)
    throw Error("cannot parse kernel release \"" + gate.release + "\"" +
                (config.kernel_release.empty() ? "" : " (kernel_memory.kernel_release)"));
  auto minimum = parse_kernel_release(config.min_kernel);
  if (!minimum) throw Error("cannot parse kernel_memory.min_kernel \"" + config.min_kernel + "\"");
  gate.running = *running;
  gate.minimum = *minimum;
  return gate;
}

namespace {
bool is_zero_number(const nlohmann::ordered_json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>() == 0;
  if (v.is_number_unsigned()) return v.get<std::uint64_t>() == 0;
  if (v.is_number_float()) return v.get<double>() == 0.0;
  return false;
}
// A positive number; a non-number counts too (runc would refuse the document anyway, we do not guess).
bool is_positive(const nlohmann::ordered_json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>() > 0;
  if (v.is_number_unsigned()) return v.get<std::uint64_t>() > 0;
  if (v.is_number_float()) return v.get<double>() > 0;
  return !v.is_null();
}
bool is_set(const nlohmann::ordered_json& memory, const char* key) {
  auto it = memory.find(key);
  return it != memory.end() && !it->is_null();
}
}  // namespace

nlohmann::ordered_json kernel_memory_settings(const nlohmann::ordered_json& memory) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (!memory.is_object()) return out;
  for (std::string_view field : kKernelMemoryFields) {
    auto it = memory.find(std::string(field));
    if (it == memory.end() || it->is_null() || is_zero_number(*it)) continue;
    out[std::string(field)] = *it;
  }
  return out;
}

bool memory_assigned(const nlohmann::ordered_json& memory) {
  if (!memory.is_object()) return false;
  auto nonzero = [&](const char* key) { return is_set(memory, key) && !is_zero_number(memory[key]); };
  auto positive = [&](const char* key) { return is_set(memory, key) && is_positive(memory[key]); };
  if (nonzero("limit") || nonzero("reservation") || positive("swap") || positive("kernel") || positive("kernelTCP"))
    return true;
  if (auto it = memory.find("disableOOMKiller"); it != memory.end() && it->is_boolean() && it->get<bool>()) return true;
  if (auto it = memory.find("swappiness"); it != memory.end() && !it->is_null()) {
    // runc: MemorySwappiness != nil && != -1 (a uint64 -1 arrives as 2^64-1).
    bool minus_one = (it->is_number_integer() && it->get<std::int64_t>() == -1) ||
                     (it->is_number_unsigned() && it->get<std::uint64_t>() == UINT64_MAX);
    if (!minus_one) return true;
  }
  return false;
}

std::string describe_settings(const nlohmann::ordered_json& settings, std::string_view prefix) {
  std::string out;
  for (const auto& [key, value] : settings.items()) {
    if (!out.empty()) out += ", ";
    out += std::string(prefix) + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

}  // namespace rg
