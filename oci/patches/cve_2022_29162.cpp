// CVE-2022-29162 (runc before 1.1.2): processes were started with inheritable capabilities — those of the
// spec or exec's -p process.json as written, and on `exec --cap X` runc added X to the inheritable (and
// ambient) sets — so a program with inheritable file capabilities gained them on execve. The patch gives
// runc documents without them: inheritable is cut down to what the ambient set needs (a capability must be
// inheritable to be ambient), in config.json (create/run/restore) and in exec's process.json; `exec --cap`
// on an affected runc becomes an exec of a process.json built the way runc builds one from the flags, with
// the added capabilities in the bounding, effective and permitted sets only — as runc 1.1.2 does.
#include <algorithm>
#include <charconv>
#include <optional>

#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/base/text.h"
#include "oci/patches/virtual_patch.h"
#include "oci/spec_schema.h"

namespace rg {
namespace {

using Json = nlohmann::ordered_json;

// A flag value that is a decimal integer and nothing else.
std::optional<long long> whole_integer(std::string_view s) {
  long long n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return n;
}

std::vector<std::string> strings_of(const Json* list) {
  std::vector<std::string> out;
  if (list && list->is_array())
    for (const auto& s : *list)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

// Inheritable without what the ambient set does not need; nullopt when nothing must go.
std::optional<std::vector<std::string>> trimmed_inheritable(const Json& capabilities) {
  const auto inheritable = strings_of(view_at(capabilities, {"inheritable"}));
  const auto ambient = strings_of(view_at(capabilities, {"ambient"}));
  std::vector<std::string> keep;
  for (const auto& c : inheritable)
    if (std::find(ambient.begin(), ambient.end(), c) != ambient.end()) keep.push_back(c);
  if (keep.size() == inheritable.size()) return std::nullopt;
  return keep;
}

std::string describe(const std::vector<std::string>& caps) {
  std::string out;
  for (const auto& c : caps) out += (out.empty() ? "" : ",") + c;
  return out.empty() ? "none" : out;
}

class Cve202229162 final : public VirtualPatch {
 public:
  Cve202229162() : VirtualPatch("cve-2022-29162", RuncIssue::Cve2022_29162) {}

  bool applies(const RuncArgs& args) const override {
    return args.does(Trait::ReadsSpec) || args.does(Trait::ProcessFile);
  }

  void before_runc(InvocationContext& ctx) override {
    const RuncArgs& args = ctx.args();
    if (args.does(Trait::ReadsSpec)) {
      Spec& spec = ctx.spec();
      const Json* caps = view_at(spec.view(), {"process", "capabilities"});
      auto keep = caps ? trimmed_inheritable(*caps) : std::nullopt;
      if (!keep) return;
      strip(ctx, spec, {"process", "capabilities"}, *caps, *keep, "process.capabilities.inheritable");
      return;
    }
    if (auto file = args.flag_value("process"); file && !file->empty()) {
      Spec process = Spec::load(absolute_path(*file), oci_process_type());
      const Json* caps = view_at(process.view(), {"capabilities"});
      auto keep = caps ? trimmed_inheritable(*caps) : std::nullopt;
      if (!keep) return;
      const Json before = *caps;
      if (!strip(ctx, process, {"capabilities"}, before, *keep, "exec --process " + *file + ": capabilities.inheritable"))
        return;
      hand_on(ctx, args, process.serialize());
      return;
    }
    const bool adds_caps = args.flag("cap") != nullptr;
    const RuncBuild* runc = ctx.runc_build();
    if (!adds_caps || (runc && !affected(runc->version, RuncIssue::Cve2022_29162))) return;
    exec_with_built_process(ctx, args);
  }

 private:
  // Returns false in observe mode (logged, nothing changed).
  bool strip(InvocationContext& ctx, Spec& doc, std::initializer_list<std::string_view> path, const Json& caps,
             const std::vector<std::string>& keep, const std::string& what) const {
    const auto before = strings_of(view_at(caps, {"inheritable"}));
    Json details{{"inheritable_before", before}, {"inheritable_after", keep}};
    if (ctx.observe_only()) {
      found(ctx.config, ctx.events, GuardPolicy::Observe, ctx.runc_build(), what + " = " + describe(before), details);
      return false;
    }
    doc.replace_field(path, "inheritable", Json(keep));
    repaired(ctx.config, ctx.events, ctx.runc_build(), what + " " + describe(before) + " -> " + describe(keep), details);
    return true;
  }

  // runc reads the (new) process document from a memfd that survives the exec: "-p /proc/self/fd/N".
  static void hand_on(InvocationContext& ctx, const RuncArgs& args, const std::string& document,
                      std::vector<const ParsedFlag*> consumed = {}) {
    UniqueFd fd = fd_with_content(document, false, "runc-guard-process");
    const std::string path = "/proc/self/fd/" + std::to_string(fd.get());
    std::vector<std::string> argv = ctx.argv();
    if (const ParsedFlag* p = args.flag("process"); p && consumed.empty()) {
      argv = with_flag_value(std::move(argv), *p, path);
    } else {
      argv = without_flags(std::move(argv), consumed);
      // The container id and what followed it: runc ignores a command when -p is given.
      const RuncArgs now = parse_runc_args(argv);
      std::size_t id_at = now.positional_indexes.empty() ? argv.size() : now.positional_indexes.front();
      std::string id = now.container_id();
      argv.resize(id_at);
      argv.insert(argv.end(), {"--process", path, id});
    }
    ctx.set_argv(std::move(argv));
    (void)fd.release();  // runc's from the exec on
  }

  // `exec --cap` on an affected runc: what runc's getProcess would build, minus its inheritable/ambient
  // additions, handed to runc as -p.
  void exec_with_built_process(InvocationContext& ctx, const RuncArgs& args) const {
    const ContainerBundle* container = ctx.container_bundle();
    if (!container) return;  // runc reports a missing container itself
    Json p = Json::object();
    if (const auto* process = view_at(container->spec.view(), {"process"})) p = *process;
    std::vector<const ParsedFlag*> consumed;
    std::vector<std::string> added;
    Json argv = Json::array();
    for (std::size_t k = 1; k < args.positionals.size(); ++k) {
      // runc would pass these bytes on as they are; a process.json (JSON, read by Go) cannot carry them.
      if (!valid_utf8(args.positionals[k]))
        throw Error::refusal("CVE-2022-29162: exec --cap on runc " + (ctx.runc_build() ? ctx.runc_build()->text : std::string("?")) +
                             " is made safe by handing runc a process.json, which cannot carry the argument \"" +
                             printable(args.positionals[k]) + "\" (not UTF-8); run it without --cap or upgrade runc to 1.1.2");
      argv.push_back(args.positionals[k]);
    }
    p["args"] = argv;
    for (const ParsedFlag& f : args.command_flags) {
      if (!f.known) continue;
      const std::string v = f.value.value_or("");
      if (f.name == "cwd") {
        if (!v.empty()) p["cwd"] = v;
      } else if (f.name == "apparmor") {
        if (!v.empty()) p["apparmorProfile"] = v;
      } else if (f.name == "process-label") {
        if (!v.empty()) p["selinuxLabel"] = v;
      } else if (f.name == "cap") {
        added.push_back(v);
      } else if (f.name == "env") {
        p["env"].push_back(v);
      } else if (f.name == "tty") {
        p["terminal"] = !f.value || parse_go_bool(*f.value).value_or(false);
      } else if (f.name == "no-new-privs") {
        p["noNewPrivileges"] = !f.value || parse_go_bool(*f.value).value_or(false);
      } else if (f.name == "user") {
        // "uid[:gid]", strconv.Atoi each, as runc does.
        const auto colon = v.find(':');
        auto number = [&](std::string_view s) {
          auto n = whole_integer(s);
          if (!n) throw Error("exec --user " + v + " is not uid[:gid]");
          return *n;
        };
        if (!v.empty()) {
          p["user"]["uid"] = static_cast<std::uint32_t>(number(std::string_view(v).substr(0, colon)));
          if (colon != std::string::npos) p["user"]["gid"] = static_cast<std::uint32_t>(number(std::string_view(v).substr(colon + 1)));
        }
      } else if (f.name == "additional-gids") {
        auto gid = whole_integer(v);
        if (!gid) throw Error("exec --additional-gids " + v + " is not a number");  // runc refuses it itself
        p["user"]["additionalGids"].push_back(*gid);
      } else {
        continue;  // detach, pid-file, console-socket, preserve-fds, cgroup, …: kept for runc
      }
      consumed.push_back(&f);
    }
    Json& caps = p["capabilities"];
    if (!caps.is_object()) caps = Json::object();
    for (const char* set : {"bounding", "effective", "permitted"})
      for (const auto& c : added) caps[set].push_back(c);
    if (auto keep = trimmed_inheritable(caps)) caps["inheritable"] = *keep;
    Json details{{"added_capabilities", added}};
    if (ctx.observe_only()) {
      found(ctx.config, ctx.events, GuardPolicy::Observe, ctx.runc_build(),
            "exec --cap " + describe(added) + " would make them inheritable", details);
      return;
    }
    hand_on(ctx, args, p.dump(), consumed);
    repaired(ctx.config, ctx.events, ctx.runc_build(),
             "exec --cap " + describe(added) + " run with a process.json that leaves them out of the inheritable set",
             details);
  }
};

}  // namespace

std::unique_ptr<Guard> make_cve_2022_29162_guard() { return std::make_unique<Cve202229162>(); }

}  // namespace rg
