#pragma once
// /etc/runc-guard/config.json: strict (unknown keys and wrong types are refused with file, line and key)
// and secure (owned by root, not writable by group or others — as sshd's StrictModes).
#include <sys/stat.h>

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "oci/kernel_release.h"

namespace rg {

enum class Mode { Enforce, Observe };
// seccomp.on_hazard: what to do when runc init may block exporting its seccomp program.
enum class OnHazard { Watch, Reject, Ignore };
// kernel_memory.policy on kernels below min_kernel.
enum class KmemPolicy { Strip, Reject, Allow };
// A guard's policy ("guards": {"<name>": …}): act, only detect and log, or not run at all.
enum class GuardPolicy { Enforce, Observe, Off };

std::string_view policy_name(GuardPolicy policy);  // "enforce", "observe", "off"

struct Config {
  Mode mode = Mode::Enforce;
  struct Runtime {
    std::string path;  // empty: search the documented candidate list
  } runtime;
  struct Log {
    std::string events = "/var/log/runc-guard/events.jsonl";  // empty disables the event log
  } log;
  struct Seccomp {
    OnHazard on_hazard = OnHazard::Watch;
    std::string cache_dir = "/run/runc-guard/seccomp";
  } seccomp;
  struct Watchdog {
    bool enabled = true;
    bool unstick = true;
    int init_timeout_s = 60;
    // A created container whose creator is gone is deleted after this long (0: never; doctor --fix does).
    int reap_orphaned_created_after_s = 0;
  } watchdog;
  struct KernelMemory {
    KmemPolicy policy = KmemPolicy::Strip;
    std::string min_kernel = "4.0";  // a kernel version, validated at load
    std::string kernel_release;      // empty: uname(2); else validated at load
  } kernel_memory;
  struct Keeper {
    bool enabled = true;           // exec runc from the keeper's sealed copy for create/run/exec/restore
    // Start one when none runs (off: the keeper is a service — DaemonSet, systemd unit — because a
    // keeper forked by the runtime lives on in the caller's process tree).
    bool start_on_demand = false;
  } keeper;
  struct Metrics {
    std::string textfile_dir;  // empty disables metrics
  } metrics;
  // Explicit per-guard policies by guard name; guards not listed use their own default.
  std::map<std::string, GuardPolicy, std::less<>> guards;

  // The policy guard `name` runs with: the configured one or `fallback`; mode observe turns enforce into
  // observe.
  GuardPolicy policy_of(std::string_view name, GuardPolicy fallback) const;

  std::string source;            // the file it was loaded from; empty for built-in defaults
  struct stat source_stat {};    // that file as it was read (fstat of the descriptor it was read from)
};

constexpr std::string_view kDefaultConfigPath = "/etc/runc-guard/config.json";
constexpr std::string_view kConfigEnv = "RUNC_GUARD_CONFIG";

// RUNC_GUARD_CONFIG if set, else /etc/runc-guard/config.json.
std::string config_path_from_env();

// Parses and validates config text; errors name `filename`, the line and the key. `guard_names`: the
// guards of this build, the only names allowed under "guards" (empty: any name is accepted).
Config parse_config(std::string_view text, std::string_view filename, std::span<const std::string_view> guard_names = {});

// Loads the config at `path`. A missing file at the default path means defaults; a missing file that was
// asked for explicitly (RUNC_GUARD_CONFIG, `config check FILE`) is an error. Throws rg::Error (Refusal).
Config load_config(const std::string& path, bool explicitly_requested, std::span<const std::string_view> guard_names = {});

// Loads the config the runtime uses (env override or default path).
Config load_runtime_config(std::span<const std::string_view> guard_names = {});

// Refuses a file not owned by root or writable by group/others (rg::Error of kind Refusal).
void require_secure_file(const std::string& path, std::string_view what);
void require_secure_stat(const struct stat& st, const std::string& path, std::string_view what);

}  // namespace rg
