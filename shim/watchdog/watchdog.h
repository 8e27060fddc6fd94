#pragma once
// The watchdog over runc init. start_watchdog forks a detached process that watches the calling process,
// which then execs the real runc in place: the pid the caller waits on stays runc's, and so do signals,
// the terminal and the exit status. The watchdog runs the guards' watchdog hooks (in_watchdog before its
// first look, after_runc once runc exited); it knows no guard by name.
#include <span>
#include <string>
#include <vector>

#include "oci/args.h"
#include "oci/guard/config.h"
#include "oci/guard/guard.h"
#include "shim/watchdog/watchdog_loop.h"

namespace rg {

struct WatchdogRequest {
  const Config& config;
  const std::vector<std::string>& argv;  // the final argv (guards may have rewritten it)
  std::string runc_path;
  std::span<Guard* const> guards;        // the guards that applied to this invocation
};

// Whether the watchdog watches runc init for this invocation (watchdog.enabled and a watched command).
bool watchdog_watches_inits(const Config& config, const RuncArgs& args);

// What the watchdog process will need, copied before the fork. `cwd` resolves relative --root/--log.
// Throws rg::Error.
WatchSpec make_watch_spec(const WatchdogRequest& request, pid_t runc_pid, const std::string& cwd);

// The watchdog's process name (comm), so operators and tests can find it.
constexpr const char* kWatchdogComm = "rg-watchdog";

// Starts the watchdog when it watches inits or a guard left it work (Guard::wants_watchdog). Never throws
// and never blocks the caller: the intermediate fork is left for runc to reap; a failure to start the
// watchdog is logged as an event (by the intermediate when its fork fails) and runc runs unwatched.
void start_watchdog(const WatchdogRequest& request, EventLog& events) noexcept;

}  // namespace rg
