#pragma once
// The watchdog over runc init (see the watchdog issue). start_watchdog forks a detached process that
// watches the calling process, which then execs the real runc in place.
#include <string>
#include <vector>

#include "oci/args.h"
#include "oci/config.h"
#include "oci/guard.h"

namespace rg {

struct WatchdogRequest {
  const Config& config;
  const RuncArgs& args;
  const std::vector<std::string>& argv;
  std::string runc_path;
  WatchPlan plan;
};

// Commands whose runc process (or its init) the watchdog watches.
bool watchdog_applies(const RuncArgs& args);

// Never throws and never blocks the caller; a failure to start the watchdog is logged as an event.
void start_watchdog(const WatchdogRequest& request, EventLog& events) noexcept;

}  // namespace rg
