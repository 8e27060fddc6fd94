// Caller-side cost of start_watchdog (pidfd_open + double fork + reaping the intermediate), the part of the
// watchdog that adds to every create/run/start/exec/restore. Build by hand (see watchdog_bench.sh) and run
// as root; each call leaves a watchdog watching this process, so all of them end when it exits.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "oci/args.h"
#include "oci/guard/config.h"
#include "oci/guard/event_log.h"
#include "shim/watchdog/watchdog.h"

int main() {
  rg::Config config;
  config.log.events = "";
  std::vector<std::string> argv{"runc", "--root", "/tmp/rg-fork-bench", "start", "none"};
  rg::RuncArgs args = rg::parse_runc_args(argv);
  rg::EventLog events("", "start", "none");
  std::vector<double> us;
  for (int i = 0; i < 200; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    rg::start_watchdog(rg::WatchdogRequest{config, args, argv, "/usr/bin/runc", {}}, events);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  std::printf("start_watchdog in the caller: median %.0f µs, p95 %.0f µs (200 calls)\n", us[us.size() / 2],
              us[us.size() * 95 / 100]);
}
