#include "oci/patches/virtual_patch.h"

#include "oci/base/error.h"
#include "oci/guard/metrics.h"

namespace rg {

GuardPolicy VirtualPatch::default_policy(const RuncBuild* runc, const RuncArgs&) const {
  return !runc || affected(runc->version, issue_) ? GuardPolicy::Enforce : GuardPolicy::Off;
}

namespace {
nlohmann::json with_context(nlohmann::json details, const RuncIssueInfo& info, const RuncBuild* runc,
                            const std::string& what) {
  details["cve"] = info.id;
  details["found"] = what;
  details["fixed_in"] = info.fixed_in;
  details["runc_version"] = runc ? runc->text : "unknown";
  return details;
}
}  // namespace

void VirtualPatch::found(const Config& config, EventLog& events, GuardPolicy policy, const RuncBuild* runc,
                         const std::string& what, nlohmann::json details) const {
  const RuncIssueInfo& i = info();
  details = with_context(std::move(details), i, runc, what);
  if (policy == GuardPolicy::Observe) {
    details["observe"] = true;
    events.emit("patch.observed", details);
    count_metric(config, metric::kVirtualPatch, {{"cve", i.id}, {"action", "observed"}});
    return;
  }
  events.emit("patch.refused", details);
  count_metric(config, metric::kVirtualPatch, {{"cve", i.id}, {"action", "refused"}});
  throw Error::refusal(std::string(i.id) + ": " + what + " — " + std::string(i.summary) +
                       "; refused by runc-guard's virtual patch (runc " + (runc ? runc->text : std::string("version unknown")) +
                       (i.fixed_in.empty() ? std::string() : ", fixed in runc " + std::string(i.fixed_in)) + ")");
}

void VirtualPatch::repaired(const Config& config, EventLog& events, const RuncBuild* runc, const std::string& what,
                            nlohmann::json details) const {
  const RuncIssueInfo& i = info();
  events.emit("patch.repaired", with_context(std::move(details), i, runc, what));
  count_metric(config, metric::kVirtualPatch, {{"cve", i.id}, {"action", "repaired"}});
}

}  // namespace rg
