#include "oci/kmem/update_guard.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "oci/base/error.h"
#include "oci/kmem/decision.h"
#include "oci/base/files.h"
#include "oci/kmem/policy.h"
#include "oci/base/child_process.h"
#include "oci/gojson.h"
#include "oci/spec.h"
#include "oci/spec_schema.h"

namespace rg {

std::optional<std::size_t> end_of_first_json_value(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  if (i == text.size() || (text[i] != '{' && text[i] != '[')) return std::nullopt;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
  }
  return std::nullopt;
}

UpdateDocument read_update_document(int fd, std::size_t max_bytes) {
  // Like runc's json.Decoder, stop after the first value: a writer that keeps stdin open must not hang us.
  UpdateDocument doc;
  doc.text = read_fd(fd, "update resources", [&](std::string_view so_far) {
    if (end_of_first_json_value(so_far)) return true;
    if (so_far.size() >= max_bytes) doc.complete = false;
    return !doc.complete;
  });
  return doc;
}

UpdateResources filter_update_resources(std::string_view text) {
  UpdateResources out;
  out.filtered = std::string(text);
  try {
    gojson::Parsed parsed = gojson::parse_first_value(text);
    nlohmann::ordered_json view = gojson::decode(parsed.value, oci_resources_type());
    out.parsed = true;
    const nlohmann::ordered_json* memory = view_at(view, {"memory"});
    out.kernel_settings = memory ? kernel_memory_settings(*memory) : nlohmann::ordered_json::object();
    if (out.kernel_settings.empty()) return out;
    gojson::remove_fields(parsed.value, {"memory"}, {kKernelMemoryFields[0], kKernelMemoryFields[1]});
    out.filtered = gojson::serialize(parsed.value) + std::string(text.substr(parsed.end));
  } catch (const Error& e) {
    out.parsed = false;
    out.problem = e.what();
  }
  return out;
}


namespace {

bool is_kernel_memory_flag(const ParsedFlag& f) {
  return f.known && (f.name == "kernel-memory" || f.name == "kernel-memory-tcp");
}

class KmemUpdateGuard final : public Guard {
 public:
  std::string_view name() const override { return "kmem_update"; }
  bool security() const override { return true; }
  bool applies(const RuncArgs& args) const override { return args.does(Trait::Updates); }

  void before_runc(InvocationContext& ctx) override {
    const KmemPolicy policy = ctx.config.kernel_memory.policy;
    if (policy == KmemPolicy::Allow) return;
    KernelGate gate = evaluate_kernel_gate(ctx.config.kernel_memory);
    if (!gate.below_minimum()) return;  // stdin stays untouched

    const ParsedFlag* resources_flag = ctx.args().flag("resources");
    if (resources_flag && resources_flag->value && !resources_flag->value->empty())
      check_document(ctx, gate, policy, *resources_flag);  // runc ignores every other flag when -r is given
    else
      check_flags(ctx, gate, policy);
  }

 private:
  static void check_flags(InvocationContext& ctx, const KernelGate& gate, KmemPolicy policy) {
    nlohmann::ordered_json settings = nlohmann::ordered_json::object();
    std::vector<const ParsedFlag*> kmem_flags;
    for (const ParsedFlag& f : ctx.args().command_flags)
      if (is_kernel_memory_flag(f)) kmem_flags.push_back(&f);
    for (const char* name : {"kernel-memory", "kernel-memory-tcp"})
      if (auto value = ctx.args().flag_value(name); value && !value->empty())  // runc skips an empty value
        settings[std::string("--") + name] = *value;
    if (decide_kmem_action(policy, true, !settings.empty()) == KmemAction::Keep) return;
    KmemFinding finding = finding_for(gate, settings);
    if (runc_ignores_kmem(ctx, finding)) return;
    if (!enact_kmem_decision(ctx, policy == KmemPolicy::Reject, finding)) return;
    std::vector<std::string> argv = ctx.argv();
    argv = without_flags(argv, kmem_flags);
    ctx.set_argv(std::move(argv));
    report_kmem_stripped(ctx, finding);
  }

  static KmemFinding finding_for(const KernelGate& gate, const nlohmann::ordered_json& settings) {
    KmemFinding finding{gate, gate.details(), describe_settings(settings, ""), command_name(Command::Update),
                        "drop the kernel memory setting"};
    finding.details["settings"] = settings;
    return finding;
  }

  static void check_document(InvocationContext& ctx, const KernelGate& gate, KmemPolicy policy,
                             const ParsedFlag& resources_flag) {
    const std::string source = *resources_flag.value;
    const bool from_stdin = source == "-";
    UniqueFd file;
    int input = STDIN_FILENO;
    bool stream = true;  // what we read is gone from the input: it must be handed on, whatever happens
    if (!from_stdin) {
      // Opened as runc opens it (a FIFO waits for its writer, as it would for runc): the caller chose it.
      file.reset(::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
      struct stat st {};
      if (!file || ::fstat(file.get(), &st) != 0) return;  // runc reports an unreadable file itself
      input = file.get();
      stream = !S_ISREG(st.st_mode);
    }
    UpdateDocument doc = read_update_document(input, stream ? kMaxUpdateDocument : kMaxUpdateDocument + 1);
    if (!stream && doc.text.size() > kMaxUpdateDocument) doc.complete = false;

    std::string deliver = doc.text;  // what runc will read
    std::optional<KmemFinding> stripped;
    if (doc.complete) {
      try {
        UpdateResources filtered = filter_update_resources(doc.text);
        if (!filtered.parsed) throw Error::undecodable("update resources " + source + ": " + filtered.problem);
        nlohmann::ordered_json settings = nlohmann::ordered_json::object();
        for (const auto& [key, value] : filtered.kernel_settings.items()) settings["memory." + key] = value;
        if (decide_kmem_action(policy, true, !settings.empty()) != KmemAction::Keep) {
          KmemFinding finding = finding_for(gate, settings);
          finding.details["resources"] = source;
          if (!runc_ignores_kmem(ctx, finding) && enact_kmem_decision(ctx, policy == KmemPolicy::Reject, finding)) {
            deliver = std::move(filtered.filtered);
            stripped.emplace(std::move(finding));
          }
        }
      } catch (const Error& e) {
        // A file is still there for runc (the runtime decides: fail open or closed); consumed input that
        // must not run is refused, and after an internal failure it is handed on unchanged.
        if (!stream || e.is_refusal() || e.is_undecodable()) throw;
      }
    } else {
      ctx.events.emit("kmem.update_not_inspected",
                      {{"resources", source}, {"reason", "larger than " + std::to_string(kMaxUpdateDocument) + " bytes"}});
      if (!stream) return;  // runc reads the file itself
    }
    if (!stream && !stripped) return;  // the file as it is

    // One fd for runc, holding exactly what it should read: for consumed input this must work, or runc
    // would run with the input eaten — refuse instead.
    try {
      UniqueFd fd = doc.complete ? fd_with_content(deliver, from_stdin, "runc-guard-update-resources") : relay_through_pipe(doc.text, input, from_stdin);
      if (from_stdin) {
        if (ctx.replacement_stdin >= 0) ::close(ctx.replacement_stdin);
        ctx.replacement_stdin = fd.release();
      } else {
        // Not close-on-exec: runc (this very process after exec) opens it by path.
        std::vector<std::string> argv = ctx.argv();
        const std::string path = "/proc/self/fd/" + std::to_string(fd.get());
        argv = with_flag_value(argv, resources_flag, path);
        ctx.set_argv(std::move(argv));
        if (stripped) stripped->details["replaced_by"] = path;
        (void)fd.release();  // owned by runc from the exec on
      }
    } catch (const Error& e) {
      if (!stream) throw;
      throw Error::refusal("cannot hand the update resources on to runc after reading them: " + std::string(e.what()));
    }
    if (stripped) report_kmem_stripped(ctx, *stripped);
  }
};

}  // namespace

std::unique_ptr<Guard> make_kmem_update_guard() { return std::make_unique<KmemUpdateGuard>(); }

}  // namespace rg
