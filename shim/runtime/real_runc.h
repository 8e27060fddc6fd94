#pragma once
// Finding the real runc, safely: config `runtime.path` or a documented search list; never ourselves,
// never a file a non-root user could have replaced.
#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "oci/guard/config.h"
#include "oci/base/loop_marker.h"

namespace rg {


// The candidates searched when runtime.path is not configured, in order.
std::vector<std::string> default_runc_candidates(const char* path_env);

struct RealRunc {
  std::string path;
  struct stat stat {};  // the file as it was checked
  // The search candidates passed over before it, in order (nullopt: stat failed with `error`), for the
  // first stage's pass-through cache; and whether the search depended on $PATH.
  struct PassedOver {
    std::string path;
    std::optional<struct stat> stat;
    int error = 0;
  };
  std::vector<PassedOver> passed_over;
  bool from_path_env = false;
};

// Throws rg::Error (Refusal) when nothing suitable is found or the binary is insecure.
RealRunc locate_real_runc(const Config& config, const char* path_env, const std::string& self_exe = "/proc/self/exe");

}  // namespace rg
