#pragma once
// What the kernel-memory guards share: is this kernel too old for kmem accounting, which fields of an OCI
// LinuxMemory object turn it on, and what the configured policy makes of that. Pure, table-tested.
//
// Why: before Linux 4.0 (and on every CentOS/RHEL 7 3.10.0-*.el7 kernel) a memory cgroup that ever had
// kernel-memory accounting keeps its memcg ID after removal; after ~65535 containers mkdir in the memory
// hierarchy fails with ENOSPC and the node can no longer start pods.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "oci/guard/config.h"
#include "oci/kernel_release.h"

namespace rg {

enum class KmemAction { Keep, Strip, Reject };
// Keep when the kernel is new enough, nothing sets kernel memory, or the policy is allow.
KmemAction decide_kmem_action(KmemPolicy policy, bool kernel_below_minimum, bool sets_kernel_memory);

// The running (or configured) kernel against kernel_memory.min_kernel.
struct KernelGate {
  std::string release;      // uname release, or kernel_memory.kernel_release when set
  std::string min_kernel;   // as configured
  KernelVersion running;
  KernelVersion minimum;
  bool below_minimum() const { return running < minimum; }
  nlohmann::json details() const;  // {"kernel_release":..., "min_kernel":...} for events
};
// Throws rg::Error (internal: the guard fails open) for a malformed release.
KernelGate evaluate_kernel_gate(const Config::KernelMemory& config);

// The OCI spec's (and `runc update -r`'s) names for the two kernel-memory limits.
inline constexpr std::string_view kKernelMemoryFields[] = {"kernel", "kernelTCP"};

// The kernel/kernelTCP entries of a LinuxMemory view that make runc write a kmem limit: present and not 0
// (runc skips 0; -1 still switches accounting on). An empty object when there are none.
nlohmann::ordered_json kernel_memory_settings(const nlohmann::ordered_json& memory);

// runc rc5…rc93's memoryAssigned(): any memory setting that makes runc's cgroupfs memory Apply create the
// cgroup directory itself and switch kmem accounting on.
bool memory_assigned(const nlohmann::ordered_json& memory);

// "linux.resources.memory.kernel=67108864, linux.resources.memory.kernelTCP=-1"
std::string describe_settings(const nlohmann::ordered_json& settings, std::string_view prefix);

}  // namespace rg
