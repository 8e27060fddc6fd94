#include "shim/runtime/exec.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "oci/base/child_process.h"
#include "oci/base/error.h"
#include "oci/base/loop_marker.h"

namespace rg {
namespace {

struct ExecArgs {
  std::vector<char*> argv;
  std::vector<char*> envp;
};

// Builds pointer arrays without copying the strings; the marker is appended to the caller's environment.
ExecArgs make_exec_args(const std::vector<std::string>& argv, char** envp) {
  ExecArgs out;
  out.argv.reserve(argv.size() + 1);
  for (const auto& a : argv) out.argv.push_back(const_cast<char*>(a.c_str()));
  out.argv.push_back(nullptr);
  out.envp = environment_with_loop_marker(envp);
  return out;
}

}  // namespace

void exec_runc(const std::string& path, const std::vector<std::string>& argv, char** envp) {
  ExecArgs args = make_exec_args(argv, envp);
  ::execve(path.c_str(), args.argv.data(), args.envp.data());
  throw Error::from_errno("exec " + path);
}

int run_runc_child(const std::string& path, const std::vector<std::string>& argv, char** envp) {
  ExecArgs args = make_exec_args(argv, envp);
  pid_t pid = ::fork();
  if (pid < 0) throw Error::from_errno("fork");
  if (pid == 0) {
    ::execve(path.c_str(), args.argv.data(), args.envp.data());
    ::_exit(127);
  }
  return ChildProcess(pid).wait();
}

}  // namespace rg
