// runc-guard: a drop-in runc that guards create/run/exec/update and forwards everything else unchanged.
#include <string>
#include <utility>
#include <vector>

#include "shim/runtime/runtime.h"

int main(int argc, char** argv, char** envp) {
  std::vector<std::string> args(argv, argv + argc);
  return rg::run_runtime(std::move(args), envp);
}
