#include "oci/base/loop_marker.h"

namespace rg {

std::vector<char*> environment_with_loop_marker(char** envp) {
  static char marker[] = "RUNC_GUARD_ACTIVE=1";
  std::size_t n = 0;
  while (envp && envp[n]) ++n;
  std::vector<char*> out;
  out.reserve(n + 2);
  out.insert(out.end(), envp, envp + n);
  out.push_back(marker);
  out.push_back(nullptr);
  return out;
}

}  // namespace rg
