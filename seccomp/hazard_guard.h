#pragma once
// Guard for create/run: predicts whether runc init's seccomp export can block (see engine.h) and acts per
// config seccomp.on_hazard: watch (tell the watchdog the program size so it acts fast), reject (refuse
// before runc runs), ignore. A profile not in the cache yet (compiling costs ~8 ms) is compiled by the
// detached watchdog (in_watchdog), long before its first look at runc init, instead of on the create path;
// only `reject` (which needs the verdict before runc runs) or a disabled watchdog compile it up front.
#include <memory>

#include "oci/guard/guard.h"

namespace rg {

std::unique_ptr<Guard> make_seccomp_hazard_guard();

}  // namespace rg
