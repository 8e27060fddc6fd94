#include "shim/ctl/seccomp_cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/spec.h"
#include "seccomp/engine.h"
#include "seccomp/probe.h"

namespace rg::seccomp {
namespace {

struct Input {
  std::string bundle, config, profile;
};

struct Loaded {
  std::string source;
  std::string field;
  nlohmann::ordered_json document;
  const nlohmann::ordered_json* section = nullptr;
  std::optional<bool> no_new_privileges;  // unknown for a bare profile
};

void add_input_options(CLI::App* cmd, Input& in) {
  auto* b = cmd->add_option("--bundle", in.bundle, "OCI bundle directory (reads DIR/config.json)");
  auto* c = cmd->add_option("--config", in.config, "OCI config.json file");
  auto* p = cmd->add_option("--profile", in.profile, "a bare linux.seccomp object (JSON file)");
  b->excludes(c)->excludes(p);
  c->excludes(p);
}

Loaded load_input(const Input& in) {
  const int given = !in.bundle.empty() + !in.config.empty() + !in.profile.empty();
  if (given != 1) throw Error("seccomp: give exactly one of --bundle DIR, --config FILE, --profile FILE");
  Loaded l;
  if (!in.profile.empty()) {
    l.source = in.profile;
    l.field = "seccomp";
    const std::string text = read_file(in.profile);
    try {
      l.document = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(in.profile + ": invalid JSON: " + e.what());
    }
    l.section = &l.document;
    return l;
  }
  l.source = in.bundle.empty() ? in.config : spec_path_for_bundle(in.bundle);
  l.field = "linux.seccomp";
  l.document = Spec::load(l.source).view();  // as runc reads it
  l.section = seccomp_section(l.document);
  if (!l.section) throw Error(l.source + ": no linux.seccomp section");
  l.no_new_privileges = no_new_privileges(l.document);
  return l;
}

Profile load_profile(const Loaded& l) {
  try {
    auto p = parse_profile(*l.section, l.field);
    if (!p) throw Error(l.field + ": seccomp is disabled (no defaultAction and no syscalls)");
    return *p;
  } catch (const Error& e) {
    throw e.wrap(l.source);
  }
}

void write_output(const std::string& path, std::string_view data, bool binary, std::ostream& out, bool out_is_terminal) {
  if (path.empty() || path == "-") {
    if (binary && path.empty() && out_is_terminal)
      throw Error("seccomp export: refusing to write raw BPF to a terminal; use -o FILE, or -o - to force");
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) throw Error("seccomp export: write to stdout failed");
    return;
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw Error::from_errno("seccomp export: open " + path);
  file.write(data.data(), static_cast<std::streamsize>(data.size()));
  file.close();
  if (!file) throw Error::from_errno("seccomp export: write " + path);
}

std::string bytes_as_string(const std::vector<std::uint8_t>& v) { return std::string(v.begin(), v.end()); }

struct ExportArgs {
  Input in;
  std::string format = "bpf";
  std::string output;
};

void run_export(const ExportArgs& a, std::ostream& out, bool out_is_terminal) {
  const Loaded l = load_input(a.in);
  const Profile profile = load_profile(l);
  if (a.format == "pfc") {
    Compiled c = compile(profile);
    write_output(a.output, bytes_as_string(export_filter(c.filter, ExportFormat::Pfc)), false, out, out_is_terminal);
    return;
  }
  Analysis analysis = analyze(profile);
  if (a.format == "bpf") {
    write_output(a.output, bytes_as_string(analysis.bpf), true, out, out_is_terminal);
  } else {
    write_output(a.output, to_json(analysis.summary).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", false, out, out_is_terminal);
  }
}

struct InspectArgs {
  Input in;
  std::string format = "text";
};

void run_inspect(const InspectArgs& a, std::ostream& out) {
  const Loaded l = load_input(a.in);
  const Summary s = analyze(load_profile(l)).summary;
  // A bare profile says nothing about noNewPrivileges: judge the worst case (runc init exports after
  // dropping capabilities).
  const bool nnp = l.no_new_privileges.value_or(true);
  const Verdict v = assess_hazard(nnp, s.bytes, /*force_probe=*/true);
  if (a.format == "json") {
    nlohmann::json j = to_json(s);
    j["source"] = l.source;
    j["no_new_privileges"] = l.no_new_privileges ? nlohmann::json(*l.no_new_privileges) : nlohmann::json("unknown");
    j["pipe_capacity"] = *v.pipe_capacity;
    j["hazard"] = v.hazardous;
    j["verdict"] = v.message;
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string r;
    for (const auto& item : v) {
      if (!r.empty()) r += ' ';
      r += item;
    }
    return r.empty() ? std::string("(none)") : r;
  };
  out << "source:            " << l.source << "\n"
      << "architectures:     " << join(s.architectures) << "\n"
      << "default action:    " << s.default_action << "\n"
      << "rules:             " << s.rules << "\n"
      << "instructions:      " << s.instructions << "\n"
      << "bytes:             " << s.bytes << "\n"
      << "sha256:            " << s.sha256 << "\n"
      << "unknown syscalls:  " << join(s.unknown_syscalls) << "\n"
      << "noNewPrivileges:   "
      << (l.no_new_privileges ? (*l.no_new_privileges ? "true" : "false") : "unknown (bare profile; assuming true)") << "\n"
      << "pipe capacity:     " << *v.pipe_capacity << " B (new pipe of uid " << ::geteuid()
      << " without CAP_SYS_RESOURCE/CAP_SYS_ADMIN, now)\n"
      << "verdict:           " << (v.hazardous ? "HAZARD: " : "") << v.message << "\n";
}

}  // namespace

void add_seccomp_commands(CLI::App& app) { add_seccomp_commands(app, std::cout, ::isatty(STDOUT_FILENO) == 1); }

void add_seccomp_commands(CLI::App& app, std::ostream& out, bool out_is_terminal) {
  auto* seccomp = app.add_subcommand("seccomp", "Compile, export and inspect OCI seccomp profiles");
  seccomp->require_subcommand(1);

  auto exp = std::make_shared<ExportArgs>();
  auto* e = seccomp->add_subcommand("export", "Compile a profile and export its BPF program, PFC text or a JSON summary");
  add_input_options(e, exp->in);
  e->add_option("--format", exp->format, "bpf (raw sock_filter records), pfc (libseccomp pseudo code) or json")
      ->check(CLI::IsMember({"bpf", "pfc", "json"}))
      ->capture_default_str();
  e->add_option("-o,--output", exp->output, "output file; '-' forces stdout (raw BPF is not written to a terminal otherwise)");
  e->callback([exp, &out, out_is_terminal] { run_export(*exp, out, out_is_terminal); });

  auto ins = std::make_shared<InspectArgs>();
  auto* i = seccomp->add_subcommand("inspect", "Summary of a profile and the runc-init export hazard against the current pipe probe");
  add_input_options(i, ins->in);
  i->add_option("--format", ins->format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  i->callback([ins, &out] { run_inspect(*ins, out); });
}

}  // namespace rg::seccomp
