#pragma once
// The `linux.seccomp` section of an OCI config (runtime-spec 1.0–1.1), validated the way runc's specconv
// does it. Every invalid input is an rg::Error that names the offending field; nothing here touches
// libseccomp state.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rg::seccomp {

struct ArgCondition {
  unsigned index = 0;  // 0..5
  std::uint64_t value = 0;
  std::uint64_t value_two = 0;
  std::string op;      // "SCMP_CMP_EQ", ...
};

struct SyscallRule {
  std::vector<std::string> names;
  std::string action;                   // "SCMP_ACT_ALLOW", ...
  std::optional<std::uint32_t> errno_ret;
  std::vector<ArgCondition> args;
};

struct Profile {
  std::string default_action;
  std::optional<std::uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64", ... as written
  std::vector<std::string> flags;          // "SECCOMP_FILTER_FLAG_LOG", ...
  std::vector<SyscallRule> syscalls;
  std::string field = "linux.seccomp";  // JSON path of the section, for messages
};

// Validates and converts a seccomp object. `field` is the JSON path used in messages
// (e.g. "linux.seccomp.syscalls[3].args[0].op: unknown operator \"SCMP_CMP_FOO\"").
// Returns nullopt for an object runc treats as "seccomp disabled" (no defaultAction and no syscalls).
std::optional<Profile> parse_profile(const nlohmann::ordered_json& seccomp, std::string_view field = "linux.seccomp");

// The seccomp section of an OCI config document, or nullptr when absent or null.
const nlohmann::ordered_json* seccomp_section(const nlohmann::ordered_json& spec);
// process.noNewPrivileges of an OCI config document (false when absent).
bool no_new_privileges(const nlohmann::ordered_json& spec);

// Canonical JSON text (object keys sorted, no whitespace): equal profiles give equal text whatever
// their key order or formatting.
std::string canonical_json(const nlohmann::ordered_json& value);

// Cache key: sha256 (hex) of the canonical JSON, salted with the engine version, libseccomp version and
// the compile options that change the program (`salt`).
std::string profile_key(const nlohmann::ordered_json& seccomp, std::string_view salt);

}  // namespace rg::seccomp
