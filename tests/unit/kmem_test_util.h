#pragma once
#include "temp_dir.h"
// Shared scaffolding for the kernel-memory guard tests: temp dirs, an InvocationContext over real files.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "oci/args.h"
#include "oci/guard/config.h"
#include "oci/guard/event_log.h"
#include "oci/base/files.h"
#include "oci/guard/guard.h"
#include "oci/runc_log.h"

namespace rg::kmem_test {

inline constexpr const char* kOldKernel = "3.10.0-1160.el7.x86_64";
inline constexpr const char* kNewKernel = "6.1.0-13-amd64";

using test::TempDir;

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string shared_config(const std::string& name) {
  return slurp(std::string(RG_SHARED_TESTDATA) + "/docker-20.10/" + name);
}

inline std::vector<nlohmann::json> read_events(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

inline Config kmem_config(const std::string& kernel_release, KmemPolicy policy = KmemPolicy::Strip,
                          Mode mode = Mode::Enforce) {
  Config c;
  c.mode = mode;
  c.kernel_memory.kernel_release = kernel_release;
  c.kernel_memory.policy = policy;
  return c;
}

inline Config kmem_config(const std::string& kernel_release, std::string_view policy, Mode mode = Mode::Enforce) {
  return kmem_config(kernel_release,
                     policy == "reject" ? KmemPolicy::Reject : policy == "allow" ? KmemPolicy::Allow : KmemPolicy::Strip,
                     mode);
}

// One runc invocation as the runtime would see it: argv, parsed args, logs into `dir`.
struct Invocation {
  Invocation(const Config& config, std::vector<std::string> argv_in, const std::string& dir, std::string runc_path = {})
      : cfg(config),
        runc_log(dir + "/log.json", "json"),
        events(dir + "/events.jsonl", parse_runc_args(argv_in).command, parse_runc_args(argv_in).container_id()),
        ctx(cfg, std::move(argv_in), runc_log, events, std::move(runc_path)),
        log_path(dir + "/log.json"),
        events_path(dir + "/events.jsonl") {
    ctx.guard_policy = cfg.policy_of("", GuardPolicy::Enforce);  // what the runtime sets per guard
  }

  // Events written so far (closes the log first so everything is on disk).
  std::vector<nlohmann::json> flushed_events() {
    events.close();
    return read_events(events_path);
  }
  std::vector<nlohmann::json> log_lines() { return read_events(log_path); }

  Config cfg;
  RuncLog runc_log;
  EventLog events;
  InvocationContext ctx;
  std::string log_path;
  std::string events_path;
};

}  // namespace rg::kmem_test
