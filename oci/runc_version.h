#pragma once
// Which runc we are about to exec: its `runc --version`, asked once per binary (cached by device, inode,
// mtime and size, so an upgrade is noticed) and classified for the implicit kmem accounting of runc
// v1.0.0-rc5 … v1.0.0-rc93.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rg {

inline constexpr std::string_view kRuncVersionCacheDir = "/run/runc-guard/runc-version";

// "1.0.0-rc93" from "runc version 1.0.0-rc93\ncommit: ...\nspec: 1.0.2-dev\n"; nullopt when absent.
std::optional<std::string> parse_runc_version_output(std::string_view output);

// True for v1.0.0-rc5 … v1.0.0-rc93 (also "-rc5+dev", Debian's "1.0.0~rc93+ds1"): their cgroupfs memory
// Apply switches kmem accounting on whenever it creates the container's memory cgroup directory.
bool runc_enables_kmem_on_create(std::string_view version);

// Runs `<runc_path> --version` (stdin/stderr on /dev/null, killed after `timeout`). Throws rg::Error.
std::string probe_runc_version(const std::string& runc_path,
                               std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

struct RuncVersionInfo {
  std::string version;
  bool from_cache = false;
};
// The version of the binary at `runc_path`, from the cache in `cache_dir` when the binary is unchanged.
// A cache that cannot be read or written (or is not root-owned) only costs a probe. Throws rg::Error.
RuncVersionInfo cached_runc_version(const std::string& runc_path, const std::string& cache_dir);

}  // namespace rg
