#pragma once
// What runc-guard needs to know about a compiled profile, small enough to cache.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rg::seccomp {

struct Summary {
  std::vector<std::string> architectures;  // effective, native first
  std::string default_action;              // "SCMP_ACT_ERRNO(1)"
  std::size_t rules = 0;                   // libseccomp rules added
  std::size_t instructions = 0;
  std::size_t bytes = 0;
  std::string sha256;                      // of the BPF program
  std::vector<std::string> unknown_syscalls;

  bool operator==(const Summary&) const = default;
};

// {"architectures", "default_action", "rules", "instructions", "bytes", "sha256", "unknown_syscalls"}
nlohmann::json to_json(const Summary& summary);
// Throws rg::Error for a document that is not a well-typed summary.
Summary summary_from_json(const nlohmann::json& j);

}  // namespace rg::seccomp
