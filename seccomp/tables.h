#pragma once
// Internal: runtime-spec names ↔ libseccomp constants, as runc 1.0–1.1 (libcontainer/seccomp/config.go) knows
// them. Not installed for other libraries; profile.cpp validates against these, filter.cpp compiles with them.
#include <seccomp.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace rg::seccomp::detail {

enum class ActionKind { Kill, KillThread, KillProcess, Trap, Errno, Trace, Allow, Log, Notify };

struct ActionName {
  std::string_view name;
  ActionKind kind;
};
inline constexpr ActionName kActions[] = {
    {"SCMP_ACT_KILL", ActionKind::Kill},       {"SCMP_ACT_KILL_THREAD", ActionKind::KillThread},
    {"SCMP_ACT_KILL_PROCESS", ActionKind::KillProcess}, {"SCMP_ACT_TRAP", ActionKind::Trap},
    {"SCMP_ACT_ERRNO", ActionKind::Errno},     {"SCMP_ACT_TRACE", ActionKind::Trace},
    {"SCMP_ACT_ALLOW", ActionKind::Allow},     {"SCMP_ACT_LOG", ActionKind::Log},
    {"SCMP_ACT_NOTIFY", ActionKind::Notify},
};

struct OpName {
  std::string_view name;
  scmp_compare op;
};
inline constexpr OpName kOps[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

// runc's ConvertStringToArch table; the libseccomp name is resolved with seccomp_arch_resolve_name.
struct ArchName {
  std::string_view name;
  const char* libseccomp_name;
};
inline constexpr ArchName kArches[] = {
    {"SCMP_ARCH_X86", "x86"},         {"SCMP_ARCH_X86_64", "x86_64"},       {"SCMP_ARCH_X32", "x32"},
    {"SCMP_ARCH_ARM", "arm"},         {"SCMP_ARCH_AARCH64", "aarch64"},     {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"},   {"SCMP_ARCH_MIPS64N32", "mips64n32"}, {"SCMP_ARCH_MIPSEL", "mipsel"},
    {"SCMP_ARCH_MIPSEL64", "mipsel64"}, {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"}, {"SCMP_ARCH_PPC", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64"},     {"SCMP_ARCH_PPC64LE", "ppc64le"},     {"SCMP_ARCH_S390", "s390"},
    {"SCMP_ARCH_S390X", "s390x"},     {"SCMP_ARCH_RISCV64", "riscv64"},
};

inline constexpr std::string_view kFlagTsync = "SECCOMP_FILTER_FLAG_TSYNC";
inline constexpr std::string_view kFlagLog = "SECCOMP_FILTER_FLAG_LOG";
inline constexpr std::string_view kFlagSpecAllow = "SECCOMP_FILTER_FLAG_SPEC_ALLOW";

inline std::optional<ActionKind> find_action(std::string_view name) {
  for (const auto& a : kActions)
    if (a.name == name) return a.kind;
  return std::nullopt;
}
inline std::optional<scmp_compare> find_op(std::string_view name) {
  for (const auto& o : kOps)
    if (o.name == name) return o.op;
  return std::nullopt;
}
inline const ArchName* find_arch(std::string_view name) {
  for (const auto& a : kArches)
    if (a.name == name) return &a;
  return nullptr;
}
inline std::string_view arch_spec_name(std::uint32_t token) {
  for (const auto& a : kArches)
    if (seccomp_arch_resolve_name(a.libseccomp_name) == token) return a.name;
  return "SCMP_ARCH_UNKNOWN";
}
inline bool known_flag(std::string_view name) {
  return name == kFlagTsync || name == kFlagLog || name == kFlagSpecAllow;
}

}  // namespace rg::seccomp::detail
