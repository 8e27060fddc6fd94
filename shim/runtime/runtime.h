#pragma once
// The runc-guard runtime: parse runc's argv, run the guards that apply, then exec the real runc in place
// (same pid, argv, environment, cwd and fds). Returns only on failure, with the exit code to use.
#include <memory>
#include <string>
#include <vector>

#include "oci/guard/guard.h"

namespace rg {

// The guards of this build, in the order they run.
std::vector<std::unique_ptr<Guard>> make_guards();

// True when some guard or the watchdog needs this invocation; everything else is a plain exec.
bool needs_guarding(const RuncArgs& args);

int run_runtime(std::vector<std::string> argv, char** envp);

}  // namespace rg
