#pragma once
// /etc/runc-guard/config.json: strict (unknown keys and wrong types are refused with file, line and key)
// and secure (owned by root, not writable by group or others — as sshd's StrictModes).
#include <sys/stat.h>

#include <string>
#include <string_view>

namespace rg {

enum class Mode { Enforce, Observe };

struct Config {
  Mode mode = Mode::Enforce;
  struct Runtime {
    std::string path;  // empty: search the documented candidate list
  } runtime;
  struct Log {
    std::string events = "/var/log/runc-guard/events.jsonl";  // empty disables the event log
  } log;
  struct Seccomp {
    std::string on_hazard = "watch";  // watch | reject | ignore
    std::string cache_dir = "/run/runc-guard/seccomp";
  } seccomp;
  struct Watchdog {
    bool enabled = true;
    bool unstick = true;
    int init_timeout_s = 60;
  } watchdog;
  struct KernelMemory {
    std::string policy = "strip";  // strip | reject | allow
    std::string min_kernel = "4.0";
    std::string kernel_release;    // empty: uname(2)
  } kernel_memory;
  struct Metrics {
    std::string textfile_dir;  // empty disables metrics
  } metrics;

  std::string source;  // the file it was loaded from; empty for built-in defaults
};

constexpr std::string_view kDefaultConfigPath = "/etc/runc-guard/config.json";
constexpr std::string_view kConfigEnv = "RUNC_GUARD_CONFIG";

// RUNC_GUARD_CONFIG if set, else /etc/runc-guard/config.json.
std::string config_path_from_env();

// Parses and validates config text; errors name `filename`, the line and the key.
Config parse_config(std::string_view text, std::string_view filename);

// Loads the config at `path`. A missing file at the default path means defaults; a missing file that was
// asked for explicitly (RUNC_GUARD_CONFIG, `config check FILE`) is an error. Throws rg::Error (Refusal).
Config load_config(const std::string& path, bool explicitly_requested);

// Loads the config the runtime uses (env override or default path).
Config load_runtime_config();

// Refuses a file not owned by root or writable by group/others (rg::Error of kind Refusal).
void require_secure_file(const std::string& path, std::string_view what);
void require_secure_stat(const struct stat& st, const std::string& path, std::string_view what);

}  // namespace rg
