#pragma once
// A guard inspects (and may change) one runc invocation before the real runc is exec'd.
// Failure policy: a guard that throws rg::Error of kind Refusal stops the invocation (fail closed, runc never
// runs); any other exception is logged as an event and the invocation goes on unchanged (fail open).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/args.h"
#include "oci/guard/config.h"
#include "oci/guard/event_log.h"
#include "oci/runc_log.h"
#include "oci/spec.h"

namespace rg {

// What the guards hand to the process that outlives the exec (the watchdog): it is the only part of
// runc-guard that still runs once runc has replaced us, so post-exit work is described here.
struct WatchPlan {
  // Set by the seccomp guard: size of the BPF program runc init will export (a hazard makes the watchdog
  // poll faster and enlarge blocked pipes to at least this size).
  std::optional<std::size_t> predicted_seccomp_bytes;
  bool seccomp_hazard = false;
  // Set by the seccomp guard on a cold cache: compiling costs ~8 ms, so the detached watchdog does it (long
  // before its first look) instead of the create path. The profile as JSON, and what the verdict needs.
  std::string deferred_seccomp_profile;
  bool deferred_no_new_privileges = false;
  // Set by the kernel-memory guard: cgroup directories we pre-created; removed (if empty) when the create
  // failed, i.e. runc exited and left no container state behind.
  std::vector<std::string> cgroup_dirs_to_remove_if_create_failed;
};

class InvocationContext {
 public:
  InvocationContext(const Config& config, const RuncArgs& args, std::vector<std::string>& argv,
                    RuncLog& runc_log, EventLog& events)
      : config(config), args(args), argv(argv), runc_log(runc_log), events(events) {}

  const Config& config;
  const RuncArgs& args;
  std::vector<std::string>& argv;  // what will be exec'd; guards may rewrite it (e.g. update flags)
  RuncLog& runc_log;               // messages for the user, in runc's --log format
  EventLog& events;                // decisions, JSON lines
  WatchPlan watch;
  std::string runc_path;  // the real runc that will be exec'd (e.g. to ask its version)

  // Replacement for runc's stdin (e.g. a filtered `update -r -` document); -1 keeps the caller's stdin.
  int replacement_stdin = -1;

  bool observe_only() const { return config.mode == Mode::Observe; }

  // A warning for runc's log about a change a guard made; written only once every guard has run and
  // config.json was flushed, so the user is never told about a change that did not happen.
  void warn_user(std::string message) { pending_warnings_.push_back(std::move(message)); }
  // Writes the pending warnings to runc's log (called by the runtime after a successful flush).
  void publish_warnings();

  // The bundle's config.json, loaded on first use (create/run/restore only).
  Spec& spec();
  bool spec_loaded() const { return spec_.has_value(); }
  // Writes config.json atomically if any guard changed it; a no-op otherwise.
  void flush_spec();

 private:
  std::optional<Spec> spec_;
  std::vector<std::string> pending_warnings_;
};

class Guard {
 public:
  virtual ~Guard() = default;
  virtual std::string_view name() const = 0;
  virtual bool applies(const RuncArgs& args) const = 0;
  virtual void apply(InvocationContext& ctx) = 0;
};

}  // namespace rg
