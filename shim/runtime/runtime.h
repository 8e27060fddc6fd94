#pragma once
// The runc-guard runtime: parse runc's argv, run the guards that apply, then exec the real runc in place
// (same pid, argv, environment, cwd and fds). Returns only on failure, with the exit code to use.
#include <string>
#include <vector>

#include "oci/args.h"

namespace rg {

// True when some guard or the watchdog may need this invocation (the command table decides, so the
// pass-through path never touches guard code); everything else is a plain exec.
bool needs_guarding(const RuncArgs& args);

int run_runtime(std::vector<std::string> argv, char** envp);

}  // namespace rg
