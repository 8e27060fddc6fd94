#pragma once
// What every virtual patch shares: it is a security guard for one runc issue, on by default only where the
// runc release is affected (by its upstream version — a distribution's build may carry the fix, and a
// check without false positives does no harm there) or unknown; the config can switch it (never a pod's
// annotation). A finding is refused (enforce: the CVE, what was found, the fixed release) or logged
// (observe), with an event and a metric either way.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "oci/guard/guard.h"
#include "oci/runc_version.h"

namespace rg {

class VirtualPatch : public Guard {
 public:
  VirtualPatch(std::string_view name, RuncIssue issue) : name_(name), issue_(issue) {}
  std::string_view name() const override { return name_; }
  bool security() const override { return true; }
  std::optional<RuncIssue> patches() const override { return issue_; }
  GuardPolicy default_policy(const RuncBuild* runc, const RuncArgs& args) const override;

 protected:
  // The CVE's trigger was found: throws the refusal under enforce, logs it under observe.
  // `what`: e.g. "process.cwd \"/proc/self/fd/7\" resolves into /proc/self/fd".
  void found(const Config& config, EventLog& events, GuardPolicy policy, const RuncBuild* runc,
             const std::string& what, nlohmann::json details = nlohmann::json::object()) const;
  // A repair instead of a refusal (e.g. capabilities stripped): event and metric.
  void repaired(const Config& config, EventLog& events, const RuncBuild* runc, const std::string& what,
                nlohmann::json details = nlohmann::json::object()) const;
  const RuncIssueInfo& info() const { return issue_info(issue_); }

 private:
  std::string_view name_;
  RuncIssue issue_;
};

}  // namespace rg
