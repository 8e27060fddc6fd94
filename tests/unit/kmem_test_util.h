#pragma once
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

class TempDir {
 public:
  explicit TempDir(const char* prefix = "/tmp/rg-kmem-XXXXXX") {
    std::string tmpl = prefix;
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

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

inline Config kmem_config(const std::string& kernel_release, const std::string& policy = "strip",
                          Mode mode = Mode::Enforce) {
  Config c;
  c.mode = mode;
  c.kernel_memory.kernel_release = kernel_release;
  c.kernel_memory.policy = policy;
  return c;
}

// One runc invocation as the runtime would see it: argv, parsed args, logs into `dir`.
struct Invocation {
  Invocation(const Config& config, std::vector<std::string> argv_in, const std::string& dir)
      : cfg(config),
        argv(std::move(argv_in)),
        args(parse_runc_args(argv)),
        runc_log(dir + "/log.json", "json"),
        events(dir + "/events.jsonl", args.command, args.container_id()),
        ctx(cfg, args, argv, runc_log, events),
        log_path(dir + "/log.json"),
        events_path(dir + "/events.jsonl") {}

  // Events written so far (closes the log first so everything is on disk).
  std::vector<nlohmann::json> flushed_events() {
    events.close();
    return read_events(events_path);
  }
  std::vector<nlohmann::json> log_lines() { return read_events(log_path); }

  Config cfg;
  std::vector<std::string> argv;
  RuncArgs args;
  RuncLog runc_log;
  EventLog events;
  InvocationContext ctx;
  std::string log_path;
  std::string events_path;
};

}  // namespace rg::kmem_test
