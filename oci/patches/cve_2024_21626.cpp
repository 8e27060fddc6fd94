// CVE-2024-21626 ("Leaky Vessels", runc 1.0.0-rc93 … 1.1.11): runc init leaked a host directory fd
// (e.g. /sys/fs/cgroup) into the container, so a working directory — or the path of the program to run —
// of /proc/self/fd/N put the container's process in the host's filesystem. Refused wherever it can come
// from: process.cwd, process.args[0] and the PATH it is looked up in (create, run, restore; exec's --cwd,
// its program, its -p process.json), each resolved inside the container the way the kernel will (symlinks
// in the image and runc's /dev links included); and before `start`, the created init's working directory
// must lie inside its root.
#include <fcntl.h>

#include "oci/base/text.h"
#include "oci/patches/container_paths.h"
#include "oci/patches/live_container.h"
#include "oci/base/files.h"
#include "oci/patches/virtual_patch.h"
#include "oci/spec_schema.h"

namespace rg {
namespace {

class Cve202421626 final : public VirtualPatch {
 public:
  Cve202421626() : VirtualPatch("cve-2024-21626", RuncIssue::Cve2024_21626) {}

  bool applies(const RuncArgs& args) const override {
    return args.does(Trait::ReadsSpec) || args.does(Trait::ProcessFile) || args.does(Trait::StartsCreated);
  }

  void before_runc(InvocationContext& ctx) override {
    const RuncArgs& args = ctx.args();
    if (args.does(Trait::ReadsSpec)) {
      const Spec& spec = ctx.spec();
      const std::string bundle = ctx.bundle();
      const nlohmann::ordered_json* process = view_at(spec.view(), {"process"});
      if (process) check(ctx, ContainerFs::from_spec(spec.view(), bundle), *process, "process");
      return;
    }
    if (!args.does(Trait::ProcessFile)) return;
    const ContainerBundle* container = ctx.container_bundle();
    if (!container) return;  // runc reports a missing container itself
    const ContainerFs fs = ContainerFs::from_spec(container->spec.view(), container->bundle);
    if (auto file = args.flag_value("process"); file && !file->empty()) {
      Spec process = Spec::load(absolute_path(*file), oci_process_type());
      check(ctx, fs, process.view(), "exec --process " + *file);
      return;
    }
    // exec without -p: the container's process with the flags on top, as runc's getProcess builds it.
    nlohmann::ordered_json process = nlohmann::ordered_json::object();
    if (const auto* p = view_at(container->spec.view(), {"process"})) process = *p;
    if (auto c = args.flag_value("cwd"); c && !c->empty()) process["cwd"] = *c;
    nlohmann::ordered_json argv = nlohmann::ordered_json::array();
    for (std::size_t k = 1; k < args.positionals.size(); ++k) argv.push_back(args.positionals[k]);
    process["args"] = argv;
    for (const ParsedFlag& f : args.command_flags)
      if (f.known && f.name == "env" && f.value) process["env"].push_back(*f.value);
    check(ctx, fs, process, std::string(command_name(Command::Exec)));
  }

  void before_start(StartContext& ctx) override {
    LiveContainer init(ctx.proc_root, ctx.init.pid);
    if (init.cwd_place() == LiveContainer::Place::Outside)
      found(ctx.config, ctx.events, ctx.guard_policy, ctx.runc_build,
            "the created container's working directory is outside its root filesystem (a leaked host directory)",
            {{"init", ctx.init.pid}});
  }

 private:
  void check(InvocationContext& ctx, const ContainerFs& fs, const nlohmann::ordered_json& process,
             const std::string& where) const {
    const std::string cwd = view_string(process, {"cwd"}).empty() ? "/" : view_string(process, {"cwd"});
    refuse_if_leaky(ctx, fs, cwd, "/", where + ".cwd");
    const auto* args = view_at(process, {"args"});
    if (!args || !args->is_array() || args->empty() || !(*args)[0].is_string()) return;
    const std::string program = (*args)[0].get<std::string>();
    if (program.find('/') != std::string::npos) {
      refuse_if_leaky(ctx, fs, program, cwd, where + ".args[0]");
      return;
    }
    // A bare name is looked up in the container's PATH, in order.
    const auto* env = view_at(process, {"env"});
    auto path = env ? env_value(*env, "PATH") : std::nullopt;
    if (!path) return;
    for (std::string_view dir : split(*path, ':'))
      refuse_if_leaky(ctx, fs, std::string(dir.empty() ? "." : dir) + "/" + program, cwd, where + " PATH entry \"" + std::string(dir) + "\"");
  }

  void refuse_if_leaky(InvocationContext& ctx, const ContainerFs& fs, const std::string& path, const std::string& cwd,
                       const std::string& what) const {
    PathWalk walk = walk_container_path(fs, path, cwd);
    if (walk.fd_directory.empty()) return;
    found(ctx.config, ctx.events, ctx.guard_policy, ctx.runc_build(),
          what + " \"" + path + "\" resolves into " + walk.fd_directory + " (an open file descriptor of runc init)",
          {{"path", path}, {"resolved", walk.resolved}});
  }
};

}  // namespace

std::unique_ptr<Guard> make_cve_2024_21626_guard() { return std::make_unique<Cve202421626>(); }

}  // namespace rg
