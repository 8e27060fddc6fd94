#pragma once
// Loop detection without breaking hooks. Every runc runc-guard starts gets RUNC_GUARD_ACTIVE=<pid>.<depth>
// in its environment: the pid of the process that is about to become runc, and how many runc-guards are
// above it. runc passes its environment on to OCI hooks and criu, so a hook that calls `runc-guard state`
// sees the marker too — but from another process. A loop is runc-guard exec'ing into itself: the marker
// names our own pid (the configured "runc" led back to runc-guard), or the nesting is deeper than any
// hook chain (a wrapper that forks into runc-guard again and again).
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace rg {

constexpr const char* kLoopMarkerEnv = "RUNC_GUARD_ACTIVE";
constexpr unsigned kMaxLoopDepth = 8;

struct LoopMarker {
  pid_t pid = 0;
  unsigned depth = 0;
};
// "<pid>.<depth>"; nullopt for anything else (an older runc-guard's "1" counts as a marker of depth 1
// from an unknown pid).
std::optional<LoopMarker> parse_loop_marker(const char* value);

// The refusal message when `marker` (from our environment) means we are looping; nullopt when it does not.
std::optional<std::string> loop_refusal(const std::optional<LoopMarker>& marker, pid_t self);

// The environment runc gets: `envp` with RUNC_GUARD_ACTIVE replaced by (or set to) our marker. The marker
// string lives in `slot`, which spawn() rewrites with the child's pid after fork (async-signal-safe).
struct MarkedEnvironment {
  std::vector<char*> envp;  // null-terminated; points into the caller's strings and into `slot`
  char slot[64];
  unsigned depth = 1;
  // Writes "RUNC_GUARD_ACTIVE=<pid>.<depth>" into slot; async-signal-safe.
  void set_pid(pid_t pid) noexcept;
};
// `envp` null: environ. Depth is one more than the incoming marker's.
void build_marked_environment(MarkedEnvironment& out, char** envp);

}  // namespace rg
