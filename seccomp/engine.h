#pragma once
// The seccomp engine's entry points: compile + export (cold), the cached summary, the hazard verdict.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "seccomp/cache.h"
#include "seccomp/export.h"
#include "seccomp/filter.h"
#include "seccomp/profile.h"
#include "seccomp/summary.h"

namespace rg::seccomp {

struct Analysis {
  Summary summary;
  std::vector<std::uint8_t> bpf;  // the exported program
};

// Compiles `profile` and exports it through the drained pipe. Throws rg::Error.
Analysis analyze(const Profile& profile, const CompileOptions& options = {}, const PipeExportOptions& pipe = {});

struct CachedSummary {
  Summary summary;
  std::string key;
  bool from_cache = false;
  bool missed = false;      // compile_on_miss was false and the cache had no entry: `summary` is empty
  std::string cache_error;  // why the result could not be stored (the summary is still valid)
};

// Summary of a `linux.seccomp` object through `cache` (may be null): a hit costs a hash and a small read;
// a miss (or an untrusted entry) compiles, exports and rewrites the entry. nullopt when the section
// disables seccomp (no defaultAction, no syscalls). With compile_on_miss false a miss only sets `missed`.
// Throws rg::Error for an invalid profile.
std::optional<CachedSummary> summarize(const nlohmann::ordered_json& seccomp, const Cache* cache,
                                       const CompileOptions& options = {}, std::string_view field = "linux.seccomp",
                                       bool compile_on_miss = true);

struct Verdict {
  bool hazardous = false;
  bool no_new_privileges = false;
  std::size_t program_bytes = 0;
  std::optional<std::size_t> pipe_capacity;  // nullopt when no probe was needed
  std::string message;                       // "runc init may block exporting seccomp: N B program > M B pipe"
};

// Pure: hazardous iff no_new_privileges and program_bytes > pipe_capacity.
Verdict hazard_verdict(bool no_new_privileges, std::size_t program_bytes, std::optional<std::size_t> pipe_capacity);

// Probes only when the answer can depend on it (no_new_privileges and a program larger than the smallest
// pipe the kernel ever creates), or always with `force_probe`.
Verdict assess_hazard(bool no_new_privileges, std::size_t program_bytes, bool force_probe = false);

}  // namespace rg::seccomp
