#pragma once
// Guard for create/run: predicts whether runc init's seccomp export can block (see engine.h) and acts per
// config seccomp.on_hazard: watch (hand the size to the watchdog), reject (refuse before runc runs),
// ignore. Always records the predicted program size for the watchdog when the bundle has seccomp.
#include <memory>

#include "oci/guard/guard.h"

namespace rg::seccomp {

class HazardGuard : public rg::Guard {
 public:
  std::string_view name() const override { return "seccomp-hazard"; }
  bool applies(const RuncArgs& args) const override;
  void apply(InvocationContext& ctx) override;
};

std::unique_ptr<rg::Guard> make_hazard_guard();

// In the watchdog process: compiles a profile the guard deferred (cold cache), stores it in the cache and
// completes the plan (predicted size, hazard) with the same event, metric and on_hazard handling as the
// guard. Never throws: a failure is logged as seccomp.deferred_failed.
void resolve_deferred_seccomp(WatchPlan& plan, const Config& config, EventLog& events) noexcept;

}  // namespace rg::seccomp
