#pragma once
// Running the real runc again for runc-guard's own clean-up (delete --force after a refused start, a
// deadline kill, an orphaned container), exactly as the caller ran it: the same binary, the same global
// flags (--root, --log, --systemd-cgroup, …) and the caller's working directory for relative paths.
#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace rg {

struct RuncCall {
  std::string runc_path;
  std::vector<std::string> global_flags;  // argv between argv[0] and the command
  std::string cwd;                        // the caller's working directory

  // From the invocation's argv (argv[0] and the command excluded).
  static RuncCall from_argv(std::string runc_path, std::span<const std::string> argv, std::string cwd);

  // `runc <global flags> ARGS…` with stdio on /dev/null (its output is not the user's): its exit code, or
  // -1 when it could not be run or did not finish within `timeout` (it is killed then). Never throws.
  int run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const noexcept;
  int delete_force(const std::string& container_id, std::chrono::milliseconds timeout) const noexcept;
};

}  // namespace rg
