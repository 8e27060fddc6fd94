#include "shim/exec.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "oci/child_process.h"
#include "oci/error.h"
#include "shim/real_runc.h"

namespace rg {
namespace {

struct ExecArgs {
  std::vector<char*> argv;
  std::vector<char*> envp;
};

// Builds pointer arrays without copying the strings; the marker is appended to the caller's environment.
ExecArgs make_exec_args(const std::vector<std::string>& argv, char** envp) {
  static char marker[] = "RUNC_GUARD_ACTIVE=1";
  ExecArgs out;
  out.argv.reserve(argv.size() + 1);
  for (const auto& a : argv) out.argv.push_back(const_cast<char*>(a.c_str()));
  out.argv.push_back(nullptr);
  std::size_t n = 0;
  while (envp && envp[n]) ++n;
  out.envp.reserve(n + 2);
  for (std::size_t i = 0; i < n; ++i) out.envp.push_back(envp[i]);
  out.envp.push_back(marker);
  out.envp.push_back(nullptr);
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
