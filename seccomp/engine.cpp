#include "seccomp/engine.h"

#include "oci/base/error.h"
#include "seccomp/probe.h"
#include "seccomp/program.h"

namespace rg::seccomp {

Analysis analyze(const Profile& profile, const CompileOptions& options, const PipeExportOptions& pipe) {
  Compiled compiled = compile(profile, options);
  Analysis a;
  a.bpf = export_filter(compiled.filter, ExportFormat::Bpf, pipe);
  Program program = parse_program(a.bpf);
  a.summary.architectures = std::move(compiled.architectures);
  a.summary.default_action = std::move(compiled.default_action);
  a.summary.rules = compiled.rules;
  a.summary.instructions = program.instructions.size();
  a.summary.bytes = program.bytes;
  a.summary.sha256 = std::move(program.sha256);
  a.summary.unknown_syscalls = std::move(compiled.unknown_syscalls);
  return a;
}

std::optional<CachedSummary> summarize(const nlohmann::ordered_json& seccomp, const Cache* cache,
                                       const CompileOptions& options, std::string_view field, bool compile_on_miss) {
  CachedSummary out;
  if (cache) {
    out.key = profile_key(seccomp, "rg-seccomp-1/libseccomp-" + std::to_string(seccomp_version()->major) + "." +
                                       std::to_string(seccomp_version()->minor) + "." +
                                       std::to_string(seccomp_version()->micro) + "/" + options.tag());
    if (auto hit = cache->load(out.key)) {
      out.summary = std::move(*hit);
      out.from_cache = true;
      return out;
    }
    if (!compile_on_miss) {
      out.missed = true;
      return out;
    }
  }
  auto profile = parse_profile(seccomp, field);
  if (!profile) return std::nullopt;
  out.summary = analyze(*profile, options).summary;
  if (cache) {
    try {
      cache->store(out.key, out.summary);
    } catch (const Error& e) {
      out.cache_error = e.what();
    }
  }
  return out;
}

Verdict hazard_verdict(bool no_new_privileges, std::size_t program_bytes, std::optional<std::size_t> pipe_capacity) {
  Verdict v;
  v.no_new_privileges = no_new_privileges;
  v.program_bytes = program_bytes;
  v.pipe_capacity = pipe_capacity;
  v.hazardous = no_new_privileges && pipe_capacity && program_bytes > *pipe_capacity;
  if (v.hazardous) {
    v.message = "runc init may block exporting seccomp: " + std::to_string(program_bytes) + " B program > " +
                std::to_string(*pipe_capacity) + " B pipe";
  } else if (!no_new_privileges) {
    v.message = "no hazard: without noNewPrivileges runc init exports seccomp before dropping capabilities";
  } else {
    v.message = "no hazard: " + std::to_string(program_bytes) + " B program fits a " +
                (pipe_capacity ? std::to_string(*pipe_capacity) + " B pipe"
                               : "pipe of any size the kernel creates (>= " + std::to_string(minimum_pipe_capacity()) + " B)");
  }
  return v;
}

Verdict assess_hazard(bool no_new_privileges, std::size_t program_bytes, bool force_probe) {
  const bool needed = no_new_privileges && program_bytes > minimum_pipe_capacity();
  std::optional<std::size_t> capacity;
  if (needed || force_probe) capacity = probe_pipe_capacity();
  return hazard_verdict(no_new_privileges, program_bytes, capacity);
}

}  // namespace rg::seccomp
