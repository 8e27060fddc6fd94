#include "shim/runtime/exec.h"

#include "oci/base/child_process.h"

namespace rg {

void exec_runc(const std::string& path, const std::vector<std::string>& argv, char** envp) {
  exec_in_place(path, argv, envp);
}

int run_runc_child(const std::string& path, const std::vector<std::string>& argv, char** envp) {
  SpawnOptions options;
  options.path = path;
  options.argv = argv;
  options.envp = envp;
  return spawn(options).wait();
}

}  // namespace rg
