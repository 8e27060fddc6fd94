#include "shim/watchdog.h"

namespace rg {

bool watchdog_applies(const RuncArgs& args) {
  if (args.wants_help()) return false;
  const std::string& c = args.command;
  return c == "create" || c == "run" || c == "start" || c == "exec" || c == "restore";
}

void start_watchdog(const WatchdogRequest& request, EventLog& events) noexcept {
  // Post-exit work described by the plan is carried out by the watchdog process (watchdog issue).
  (void)request;
  (void)events;
}

}  // namespace rg
