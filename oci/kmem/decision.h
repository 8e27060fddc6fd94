#pragma once
// What the kernel-memory guards (spec and update) do with a decision, in one place: the event, the metric,
// observe mode, the refusal text and the user's warning.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "oci/guard/guard.h"
#include "oci/kmem/policy.h"

namespace rg {

struct KmemFinding {
  const KernelGate& gate;
  nlohmann::json details;  // event details: the gate's, the settings found, where they were found
  std::string what;        // "linux.resources.memory.kernel=67108864" / "--kernel-memory=64M"
  std::string_view where;        // "" for a container's spec, "update" for runc update
  std::string_view drop_advice;  // how the user drops the setting
};

// runc 1.1 and later ignore kernel-memory limits themselves (runc-ignores-kmem): logs kmem.ignored_by_runc
// and returns true — nothing to strip or refuse. False for older or unknown releases.
bool runc_ignores_kmem(InvocationContext& ctx, const KmemFinding& finding);

// Logs the finding and says whether the caller should strip the settings now: false in observe mode
// (logged with "observe": true, nothing changed). Throws the refusal for a reject.
bool enact_kmem_decision(InvocationContext& ctx, bool reject, const KmemFinding& finding);

// After the settings were removed: the warning for runc's log (published once config.json is flushed),
// the kmem.stripped event and the metric.
void report_kmem_stripped(InvocationContext& ctx, const KmemFinding& finding);

}  // namespace rg
