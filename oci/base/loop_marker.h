#pragma once
// Every runc runc-guard starts gets RUNC_GUARD_ACTIVE=1 in its environment: if runc-guard finds it already
// set, the "real runc" it was configured with led back to itself, and it refuses instead of looping.
#include <vector>

namespace rg {

constexpr const char* kLoopMarkerEnv = "RUNC_GUARD_ACTIVE";

// `envp` plus the marker, null-terminated, for execve (the strings are not copied).
std::vector<char*> environment_with_loop_marker(char** envp);

}  // namespace rg
