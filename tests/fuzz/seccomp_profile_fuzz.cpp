// linux.seccomp of a config.json as runc reads it, validated (seccomp/profile.h) and, when small, compiled
// with libseccomp (seccomp/filter.h) in both layouts and exported as the hazard guard does
// (seccomp/engine.h analyze). Invalid profiles are an rg::Error naming the field.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "oci/base/error.h"
#include "seccomp/engine.h"
#include "seccomp/profile.h"
#include "runc_reads.h"

namespace {

// libseccomp's cost grows with every rule and argument condition; beyond this a run is slow, not deeper.
constexpr std::size_t kMaxCompiledRules = 64;

std::size_t rule_count(const rg::seccomp::Profile& profile) {
  std::size_t n = 0;
  for (const auto& rule : profile.syscalls) n += rule.names.size() * (1 + rule.args.size());
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::optional<rg::Spec> spec = rg::fuzz::runc_reads({reinterpret_cast<const char*>(data), size});
  if (!spec) return 0;
  const nlohmann::ordered_json* section = rg::seccomp::seccomp_section(spec->view());
  if (!section) return 0;
  (void)rg::seccomp::no_new_privileges(spec->view());
  (void)rg::seccomp::profile_key(*section, "fuzz");
  try {
    const std::optional<rg::seccomp::Profile> profile = rg::seccomp::parse_profile(*section);
    if (!profile || rule_count(*profile) > kMaxCompiledRules) return 0;
    for (auto layout : {rg::seccomp::CompileOptions::Layout::Linear, rg::seccomp::CompileOptions::Layout::RuncBinaryTree})
      (void)rg::seccomp::analyze(*profile, {layout});
  } catch (const rg::Error&) {
  }
  return 0;
}
