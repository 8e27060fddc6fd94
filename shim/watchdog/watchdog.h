#pragma once
// The watchdog over runc init (see the watchdog issue). start_watchdog forks a detached process that
// watches the calling process, which then execs the real runc in place: the pid the caller waits on stays
// runc's, and so do signals, the terminal and the exit status.
#include <string>
#include <vector>

#include "oci/args.h"
#include "oci/guard/config.h"
#include "oci/guard/guard.h"
#include "shim/watchdog/watchdog_loop.h"

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

// What the watchdog process will need, copied before the fork. Pure apart from reading nothing: `cwd`
// resolves relative --root/--log. Throws rg::Error.
WatchSpec make_watch_spec(const WatchdogRequest& request, pid_t runc_pid, const std::string& cwd);

// The watchdog's process name (comm), so operators and tests can find it.
constexpr const char* kWatchdogComm = "rg-watchdog";

// Never throws and never blocks the caller beyond reaping the intermediate fork; a failure to start the
// watchdog is logged as an event and runc runs unwatched. When watchdog.enabled is false only the plan's
// post-exit work is done.
void start_watchdog(const WatchdogRequest& request, EventLog& events) noexcept;

}  // namespace rg
