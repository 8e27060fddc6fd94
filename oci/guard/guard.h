#pragma once
// A guard is one concern — a kernel-memory limit, a seccomp hazard, a runc CVE — with all of its lifecycle
// in one file. Every hook is optional:
//
//   before_runc   in the runtime, before the real runc is exec'd: read the spec and argv, edit them, refuse.
//   before_exec   in the runtime, once the watchdog runs, right before the exec: side effects the watchdog
//                 undoes if runc never creates the container (it knows what before_runc planned).
//   before_start  in the runtime, for `runc start` of a container `create` left waiting on exec.fifo: the
//                 live init (identity verified) and the spec it was created from — post-create checks.
//   in_watchdog   in the detached watchdog (a fork of the runtime, so the guard's own members carry what
//                 before_runc found), once, before its first look at runc init: work too slow for the
//                 create path, hints for the watchdog's pipe remedy.
//   after_runc    in the watchdog, once runc has exited: cleanup after a failed create, repairs.
//   node_checks   in `runc-guardctl doctor`: what the guard's concern looks like on the node now, and with
//                 --fix the repairs that are safe without a runc invocation to go by.
//
// Failure policy: a hook that throws rg::Error of kind Refusal stops the invocation (fail closed, runc never
// runs). Any other exception is logged (guard.failed) and the invocation goes on unchanged (fail open) —
// except for a security guard whose input cannot be read the way runc reads it (a config.json runc's Go
// decoder would read differently or not at all): that is a refusal too.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/args.h"
#include "oci/base/error.h"
#include "oci/guard/check.h"
#include "oci/guard/config.h"
#include "oci/guard/event_log.h"
#include "oci/proc/proc_files.h"
#include "oci/runc_call.h"
#include "oci/runc_log.h"
#include "oci/runc_state.h"
#include "oci/runc_version.h"
#include "oci/spec.h"
#include "oci/spec_schema.h"

namespace rg {

// For `runc exec` and other commands on an existing container: the bundle runc recorded in its state and
// that bundle's config.json as runc reads it.
struct ContainerBundle {
  std::string bundle;
  Spec spec;
};

// The invocation before runc runs.
class InvocationContext {
 public:
  InvocationContext(const Config& config, std::vector<std::string> argv, RuncLog& runc_log, EventLog& events,
                    std::string runc_path = {});

  const Config& config;
  RuncLog& runc_log;  // messages for the user, in runc's --log format
  EventLog& events;   // decisions, JSON lines

  // What will be exec'd, and its parse (kept in step: every edit re-parses).
  const std::vector<std::string>& argv() const { return argv_; }
  const RuncArgs& args() const { return args_; }
  void set_argv(std::vector<std::string> argv);
  std::vector<std::string> take_argv() { return std::move(argv_); }

  // The caller's working directory (relative --root, --bundle, -p resolve against it) and the bundle.
  // Throws rg::Error when it cannot be read.
  const std::string& cwd();
  std::string bundle() { return args_.bundle(cwd()); }

  // The real runc that will be exec'd, and what `runc --version` says of it (asked once, cached per
  // binary); nullptr when it cannot be asked (logged as runc.version_unknown).
  const std::string& runc_path() const { return runc_path_; }
  const RuncBuild* runc_build();
  // Where runc --version answers are cached (tests point it elsewhere).
  std::string runc_version_cache_dir = std::string(kRuncVersionCacheDir);

  // Replacement for runc's stdin (e.g. a filtered `update -r -` document); -1 keeps the caller's stdin.
  int replacement_stdin = -1;

  // The policy the running guard has (set by the runtime before each hook): observe only logs.
  GuardPolicy guard_policy = GuardPolicy::Enforce;
  bool observe_only() const { return guard_policy == GuardPolicy::Observe; }

  // A warning for runc's log about a change a guard made; written only once every guard has run and
  // config.json was flushed, so the user is never told about a change that did not happen.
  void warn_user(std::string message) { pending_warnings_.push_back(std::move(message)); }
  void publish_warnings();

  // The bundle's config.json as runc's decoder reads it, loaded on first use (commands that read the spec).
  // Throws rg::Error: Internal for a file that cannot be read (runc reports that itself), Undecodable for
  // one runc would read differently or refuse.
  Spec& spec();
  // The type spec() decodes into: the whole spec, unless the runtime knows no guard of this invocation
  // reads the seccomp filter (Guard::reads_seccomp).
  const gojson::Type* spec_type = &oci_spec_type();
  // spec() for a guard that reads linux.seccomp: throws std::logic_error rather than let it find "no
  // filter" in a spec read without it.
  Spec& spec_with_seccomp();
  bool spec_loaded() const { return spec_.has_value(); }
  // Writes config.json atomically if any guard changed it; a no-op otherwise.
  void flush_spec();

  // For commands on an existing container (exec, start, delete, …): runc's state.json of --root/<id>, read
  // once per invocation however many guards ask; nullptr when there is no such container (runc says so).
  const RuncState* container_state();
  // The same container's bundle and config.json (read with spec_type), once per invocation however many
  // guards ask; nullptr when there is no such container. Throws rg::Error as spec() does. Both pointers are
  // valid until the next set_argv.
  const ContainerBundle* container_bundle();

 private:
  std::vector<std::string> argv_;
  RuncArgs args_;
  std::string cwd_;
  std::string runc_path_;
  std::optional<std::optional<RuncBuild>> runc_build_;
  std::optional<Spec> spec_;
  std::optional<Error> spec_error_;  // a spec that cannot be loaded is tried once, not once per guard
  std::optional<std::optional<RuncState>> container_state_;
  std::optional<std::optional<ContainerBundle>> container_bundle_;
  std::optional<Error> container_bundle_error_;
  std::vector<std::string> pending_warnings_;
};

// `runc start` of a created container: its init (verified: pid, start time, still runc's init) waits on
// exec.fifo with the rootfs mounted, its cwd entered and its LSM label set.
struct StartContext {
  const Config& config;
  RuncLog& runc_log;
  EventLog& events;
  const RuncArgs& args;
  const RuncBuild* runc_build;  // nullptr when unknown
  std::string proc_root = "/proc";
  ProcessIdentity init;
  std::string bundle;  // from the container's state (where config.json lives)
  const Spec* spec = nullptr;  // the bundle's config.json; nullptr when it cannot be read
  GuardPolicy guard_policy = GuardPolicy::Enforce;
  bool observe_only() const { return guard_policy == GuardPolicy::Observe; }
};

// What guards tell the watchdog's pipe remedy (never guard-specific state).
struct WatchHints {
  std::optional<std::size_t> pipe_write_bytes;  // size of a write runc init will make into a pipe (seccomp)
  bool pipe_block_expected = false;             // look sooner and more often
  // A command without inits (update): runc itself must finish within watchdog.init_timeout_s, or it is
  // killed (and after_runc sees killed_at_deadline).
  bool runc_deadline = false;
};

// In the watchdog, while runc runs (and after it exited).
struct WatchContext {
  const Config& config;
  EventLog& events;
  WatchHints& hints;
  std::string proc_root = "/proc";
  ProcessIdentity runc;
  Command command = Command::None;
  std::string state_root;    // --root, absolute
  std::string container_id;
  RuncCall call;             // how to run this runc again (e.g. delete --force), as the caller ran it
  bool observe_only() const { return config.mode == Mode::Observe; }
};

// How runc ended, as the watchdog saw it (it is not runc's parent: no exit status).
struct RuncExit {
  bool container_exists = false;  // <root>/<id>/state.json is there
  bool killed_at_deadline = false;
};

// `runc-guardctl doctor` on this node.
struct NodeContext {
  const Config& config;
  const RuncBuild* runc_build;   // nullptr when unknown
  std::string runc_path;         // "" when not found
  GuardPolicy policy;            // what the runtime would run the guard with for this runc
  std::vector<std::string> runc_roots;  // runc --root directories to look at (engines' defaults and --runc-root)
  bool fix = false;              // doctor --fix: make the guard's safe repairs
  std::string proc_root = "/proc";
  std::string dev_root = "/dev";
};

class Guard {
 public:
  virtual ~Guard() = default;
  virtual std::string_view name() const = 0;
  // Fails closed when its input cannot be read as runc reads it (see the failure policy above).
  virtual bool security() const { return false; }
  // Whether this invocation concerns the guard at all (by command traits and flags; cheap).
  virtual bool applies(const RuncArgs& args) const = 0;
  // The policy when the config names none, for this runc release (nullptr: unknown) and invocation. A guard
  // with its own policy keys (kernel_memory.policy, seccomp.on_hazard) says here only where it applies, and
  // reads them for what it does.
  virtual GuardPolicy default_policy(const RuncBuild* runc, const RuncArgs& args) const { return GuardPolicy::Enforce; }
  // Whether the guard reads linux.seccomp from the spec: when none of an invocation's guards does, the
  // filter (most of a docker or Kubernetes config) is not decoded at all.
  virtual bool reads_seccomp() const { return false; }
  // The runc issue this guard is a virtual patch for (doctor lists them), if any.
  virtual std::optional<RuncIssue> patches() const { return std::nullopt; }

  virtual void before_runc(InvocationContext&) {}
  // In the runtime, after the watchdog was started and right before the exec: side effects the watchdog
  // must be able to undo should runc-guard die here (it forked knowing what before_runc planned).
  virtual void before_exec(InvocationContext&) {}
  virtual void before_start(StartContext&) {}
  // Whether before_runc left work for the watchdog (in_watchdog/after_runc) in this invocation.
  virtual bool wants_watchdog() const { return false; }
  virtual void in_watchdog(WatchContext&) {}
  virtual void after_runc(WatchContext&, const RuncExit&) {}
  virtual std::vector<CheckResult> node_checks(NodeContext&) { return {}; }
};

}  // namespace rg
