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

std::string read_update_document(int fd) {
  // Like runc's json.Decoder, stop after the first value: a writer that keeps stdin open must not hang us.
  return read_fd(fd, "update resources",
                 [](std::string_view so_far) { return end_of_first_json_value(so_far).has_value(); });
}

UpdateResources filter_update_resources(std::string_view text) {
  UpdateResources out;
  std::size_t end = end_of_first_json_value(text).value_or(text.size());
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(text.substr(0, end));
  } catch (const nlohmann::json::exception&) {
    out.filtered = std::string(text);
    return out;
  }
  out.parsed = true;
  nlohmann::ordered_json* memory = doc.is_object() ? resources_memory(doc) : nullptr;
  out.kernel_settings = memory ? kernel_memory_settings(*memory) : nlohmann::ordered_json::object();
  if (out.kernel_settings.empty()) {
    out.filtered = std::string(text);
    return out;
  }
  remove_kernel_memory_fields(*memory);
  out.filtered = doc.dump() + std::string(text.substr(end));
  return out;
}

UniqueFd fd_with_content(std::string_view content, bool close_on_exec) {
  UniqueFd memfd(::memfd_create("runc-guard-update-resources", close_on_exec ? MFD_CLOEXEC : 0));
  if (memfd) {
    write_all(memfd.get(), content, "update resources");
    if (::lseek(memfd.get(), 0, SEEK_SET) != 0) throw Error::from_errno("lseek memfd");
    return memfd;
  }
  if (errno != ENOSYS) throw Error::from_errno("memfd_create");
  // CentOS 7's 3.10 kernels have no memfd_create: a pipe holds the document if it fits its buffer.
  int fds[2];
  if (::pipe2(fds, close_on_exec ? O_CLOEXEC : 0) != 0) throw Error::from_errno("pipe2");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  if (content.size() > 65536 && ::fcntl(write_end.get(), F_SETPIPE_SZ, static_cast<int>(content.size())) < 0)
    throw Error::from_errno("enlarge pipe for " + std::to_string(content.size()) + " bytes of update resources");
  write_all(write_end.get(), content, "update resources");
  return read_end;
}

namespace {

bool is_kernel_memory_flag(const ParsedFlag& f) {
  return f.known && (f.name == "kernel-memory" || f.name == "kernel-memory-tcp");
}

// Removes the given flags (each with its value slot) from argv, last first so indexes stay valid.
void erase_flags(std::vector<std::string>& argv, std::vector<const ParsedFlag*> flags) {
  std::sort(flags.begin(), flags.end(), [](auto* a, auto* b) { return a->index > b->index; });
  for (const ParsedFlag* f : flags) {
    auto first = argv.begin() + static_cast<std::ptrdiff_t>(f->index);
    argv.erase(first, first + static_cast<std::ptrdiff_t>(f->span));
  }
}

// Points the resources flag at `path`, keeping its spelling ("-r X", "--resources=X").
void replace_flag_value(std::vector<std::string>& argv, const ParsedFlag& flag, const std::string& path) {
  if (flag.span == 2) {
    argv[flag.index + 1] = path;
    return;
  }
  std::string& arg = argv[flag.index];
  arg = arg.substr(0, arg.find('=') + 1) + path;
}

class KmemUpdateGuard final : public Guard {
 public:
  std::string_view name() const override { return "kmem_update"; }

  bool applies(const RuncArgs& args) const override { return args.does(Trait::Updates); }

  void apply(InvocationContext& ctx) override {
    KmemPolicy policy = parse_kmem_policy(ctx.config.kernel_memory.policy);
    if (policy == KmemPolicy::Allow) return;
    KernelGate gate = evaluate_kernel_gate(ctx.config.kernel_memory);
    if (!gate.below_minimum()) return;  // stdin stays untouched

    nlohmann::ordered_json settings = nlohmann::ordered_json::object();
    std::vector<const ParsedFlag*> kmem_flags;
    const ParsedFlag* resources_flag = ctx.args.flag("resources");
    const bool uses_document = resources_flag && resources_flag->value && !resources_flag->value->empty();
    std::optional<UpdateResources> document;

    if (uses_document) {
      // runc ignores every other flag when -r is given, so only the document counts.
      const std::string& source = *resources_flag->value;
      std::string text;
      // Consumed input (stdin, a FIFO, /dev/stdin…) must reach runc whatever happens next: hand it over at
      // once, and refuse rather than run runc with the input eaten.
      auto hand_over = [&](auto&& deliver) {
        try {
          deliver();
        } catch (const Error& e) {
          throw Error::refusal("cannot hand the update resources on to runc after reading them: " +
                               std::string(e.what()));
        }
      };
      if (source == "-") {
        text = read_update_document(STDIN_FILENO);
        hand_over([&] { set_stdin(ctx, fd_with_content(text, true)); });
      } else {
        UniqueFd file(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st {};
        if (!file || ::fstat(file.get(), &st) != 0) return;  // runc reports an unreadable file itself
        if (S_ISREG(st.st_mode)) {
          text = read_fd(file.get(), source);
        } else {
          text = read_update_document(file.get());
          hand_over([&] {
            UniqueFd copy = fd_with_content(text, false);  // not close-on-exec: runc opens it by path
            replace_flag_value(ctx.argv, *resources_flag, "/proc/self/fd/" + std::to_string(copy.get()));
            (void)copy.release();
          });
        }
      }
      document = filter_update_resources(text);
      if (!document->parsed) return;  // and malformed JSON
      for (const auto& [key, value] : document->kernel_settings.items()) settings["memory." + key] = value;
    } else {
      for (const ParsedFlag& f : ctx.args.command_flags)
        if (is_kernel_memory_flag(f)) kmem_flags.push_back(&f);
      for (const char* name : {"kernel-memory", "kernel-memory-tcp"})
        if (auto value = ctx.args.flag_value(name); value && !value->empty())  // runc skips an empty value
          settings[std::string("--") + name] = *value;
    }
    if (decide_kmem_action(policy, true, !settings.empty()) == KmemAction::Keep) return;

    KmemFinding finding{gate, gate.details(), describe_settings(settings, ""), "update",
                        "drop the kernel memory setting"};
    finding.details["settings"] = settings;
    if (uses_document) finding.details["resources"] = *resources_flag->value;
    if (!enact_kmem_decision(ctx, policy == KmemPolicy::Reject, finding)) return;

    if (document) {
      if (*resources_flag->value == "-") {
        set_stdin(ctx, fd_with_content(document->filtered, true));
      } else {
        // Not close-on-exec: runc (this very process after exec) opens it by path.
        UniqueFd copy = fd_with_content(document->filtered, false);
        replace_flag_value(ctx.argv, *resources_flag, "/proc/self/fd/" + std::to_string(copy.get()));
        finding.details["replaced_by"] = "/proc/self/fd/" + std::to_string(copy.get());
        (void)copy.release();  // owned by runc from the exec on
      }
    }
    erase_flags(ctx.argv, kmem_flags);
    report_kmem_stripped(ctx, finding);
  }

 private:
  static void set_stdin(InvocationContext& ctx, UniqueFd fd) {
    if (ctx.replacement_stdin >= 0) ::close(ctx.replacement_stdin);
    ctx.replacement_stdin = fd.release();
  }
};

}  // namespace

std::unique_ptr<Guard> make_kmem_update_guard() { return std::make_unique<KmemUpdateGuard>(); }

}  // namespace rg
