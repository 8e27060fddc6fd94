#pragma once
#include <string>
#include <vector>

namespace rg {

// execve(path, argv, envp + loop marker). Returns only on failure (throws rg::Error).
[[noreturn]] void exec_runc(const std::string& path, const std::vector<std::string>& argv, char** envp);

// Runs runc as a child with the caller's stdio and returns its exit code (128+N when killed by signal N).
int run_runc_child(const std::string& path, const std::vector<std::string>& argv, char** envp);

}  // namespace rg
