#include "shim/runtime/real_runc.h"

#include <sys/stat.h>
#include <unistd.h>

#include <iterator>
#include <string_view>

#include "oci/base/error.h"

namespace rg {

namespace {
// Looked for first, in this order; then docker-runc on PATH.
constexpr const char* kFixedRuncCandidates[] = {"/usr/bin/runc.real", "/usr/bin/runc", "/usr/sbin/runc",
                                                "/usr/local/bin/runc", "/usr/local/sbin/runc"};
}  // namespace

std::vector<std::string> default_runc_candidates(const char* path_env) {
  std::vector<std::string> out(std::begin(kFixedRuncCandidates), std::end(kFixedRuncCandidates));
  // docker-runc (old docker packages) anywhere on PATH.
  std::string_view path = path_env ? path_env : "";
  while (!path.empty()) {
    auto colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    if (!dir.empty()) out.push_back(std::string(dir) + "/docker-runc");
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return out;
}

namespace {
bool is_executable_file(const struct stat& st) { return S_ISREG(st.st_mode) && (st.st_mode & 0111); }
}  // namespace

RealRunc locate_real_runc(const Config& config, const char* path_env, const std::string& self_exe) {
  struct stat self {};
  bool know_self = ::stat(self_exe.c_str(), &self) == 0;
  auto is_self = [&](const struct stat& st) {
    return know_self && st.st_dev == self.st_dev && st.st_ino == self.st_ino;
  };

  if (!config.runtime.path.empty()) {
    const std::string& path = config.runtime.path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      throw Error::refusal(Error::from_errno("runtime.path " + path + " from " + config.source).what());
    if (!is_executable_file(st)) throw Error::refusal("runtime.path " + path + " is not an executable file");
    if (is_self(st)) throw Error::refusal("runtime.path " + path + " is runc-guard itself; point it at the real runc");
    require_secure_stat(st, path, "runtime");
    return RealRunc{path, st, {}, false};
  }

  RealRunc found;
  const std::vector<std::string> candidates = default_runc_candidates(path_env);
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    const std::string& candidate = candidates[k];
    struct stat st {};
    if (::stat(candidate.c_str(), &st) != 0) {
      found.passed_over.push_back({candidate, std::nullopt, errno});
      continue;
    }
    if (!is_executable_file(st) || is_self(st)) {
      found.passed_over.push_back({candidate, st, 0});
      continue;
    }
    require_secure_stat(st, candidate, "runtime");
    found.path = candidate;
    found.stat = st;
    found.from_path_env = k >= std::size(kFixedRuncCandidates);
    return found;
  }
  throw Error::refusal(
      "cannot find the real runc (searched /usr/bin/runc.real, /usr/bin/runc, /usr/sbin/runc, /usr/local/bin/runc, "
      "/usr/local/sbin/runc, docker-runc on PATH); set runtime.path in " +
      std::string(config.source.empty() ? std::string(kDefaultConfigPath) : config.source));
}

}  // namespace rg
