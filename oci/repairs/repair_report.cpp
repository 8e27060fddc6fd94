#include "oci/repairs/repair_report.h"

#include "oci/guard/metrics.h"

namespace rg {

void report_repair(const Config& config, EventLog& events, std::string_view guard, std::string_view event,
                   nlohmann::json details, bool observe) {
  if (observe) details["observe"] = true;
  events.emit(event, details);
  const std::string_view action = event.substr(event.find('.') + 1);
  count_metric(config, metric::kRepairs, {{"guard", guard}, {"action", observe ? "observed" : action}});
}

}  // namespace rg
