#pragma once
// How a node-killer guard reports a repair (or, under observe, the repair it would make): one event with
// its evidence, and runc_guard_repairs_total{guard, action}, the action being the event's name after its
// first dot ("frozen.thawed" → "thawed") or "observed".
#include <nlohmann/json.hpp>
#include <string_view>

#include "oci/guard/config.h"
#include "oci/guard/event_log.h"

namespace rg {

void report_repair(const Config& config, EventLog& events, std::string_view guard, std::string_view event,
                   nlohmann::json details, bool observe);

}  // namespace rg
