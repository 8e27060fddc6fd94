#pragma once
// Go's decoder reads JSON nested up to 10000 levels; runc-guard's readers recurse once per level (~0.4 KB
// of stack each), so under a caller's small stack limit (ulimit -s 2048) such a config ended in SIGSEGV
// instead of runc's own answer. runc-guard raises its own soft limit to what those readers need and gives
// every program it execs the caller's limit back (runc, hooks and containers see the caller's rlimits).

#include <functional>

namespace rg {

// The soft RLIMIT_STACK runc-guard works under: at least 8 MiB (within the hard limit). Call before any JSON
// is read, and again after an execve that failed; a no-op when the caller's limit is that large already.
// Only the main thread's stack grows with it (glibc sizes threads' stacks at start-up). false when the hard
// limit keeps the main thread's stack below that: on_stack_for_json then reads JSON on a thread of its own.
bool raise_stack_limit_for_json() noexcept;

// Runs `body` (runc-guard's or runc-guardctl's whole invocation) where Go-deep JSON fits: right here when
// the main thread's stack may grow to 8 MiB, else on a thread with an 8 MiB stack of its own (a mapping,
// which RLIMIT_STACK does not bound: a caller whose hard limit is small). An execve from that thread keeps
// the process's pid; the thread has the caller's signal mask and parent-death signal, so runc does too; a
// fork from it is an ordinary single-threaded child. Returns body's result.
int on_stack_for_json(const std::function<int()>& body);

// The caller's RLIMIT_STACK again, right before an execve. Async-signal-safe (a forked child may call it).
void restore_caller_stack_limit() noexcept;

}  // namespace rg
