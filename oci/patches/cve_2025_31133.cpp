// CVE-2025-31133 / CVE-2025-52565 / CVE-2025-52881 (every runc before 1.2.8): a malicious image or mount
// configuration could make runc's masking and its /dev/console and procfs writes land on other files —
// the masked path bound to something other than /dev/null, /dev/console a host file, a procfs write
// redirected — and escape the container. Two checks:
//  - before create (unprivileged containers): no writable bind mount onto /dev, /dev/pts, /proc or /sys or
//    anything below /proc and /sys (lxcfs' file binds are known and allowed);
//  - before start, in the created container (its mountinfo, paths looked up without following links):
//    every masked file is the /dev/null character device, every masked directory a read-only tmpfs, every
//    read-only path mounted read-only, /proc a procfs, /dev/console (with a terminal) a devpts.
// A privileged container (CAP_SYS_ADMIN in its bounding set) can do all of this by design: not checked.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>

#include "oci/patches/container_paths.h"
#include "oci/patches/live_container.h"
#include "oci/patches/virtual_patch.h"

namespace rg {
namespace {

using Json = nlohmann::ordered_json;

// lxcfs (and tools like it) bind files over these, writable, on purpose.
constexpr std::string_view kLxcfsTargets[] = {"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
                                              "/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
                                              "/sys/devices/system/cpu/online"};

bool below(std::string_view path, std::string_view dir) {
  return path == dir || (path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/');
}

class Cve202531133 final : public VirtualPatch {
 public:
  Cve202531133() : VirtualPatch("cve-2025-31133", RuncIssue::Cve2025_31133) {}

  bool applies(const RuncArgs& args) const override {
    return args.is(Command::Create) || args.is(Command::Run) || args.does(Trait::StartsCreated);
  }

  void before_runc(InvocationContext& ctx) override {
    if (!ctx.args().does(Trait::ReadsSpec)) return;
    const Json& view = ctx.spec().view();
    if (process_has_capability(view, "CAP_SYS_ADMIN")) return;
    const ContainerFs fs = ContainerFs::from_spec(view, ctx.bundle());
    const auto* mounts = view_at(view, {"mounts"});
    for (std::size_t k = 0; k < fs.mounts.size(); ++k) {
      const auto& m = fs.mounts[k];
      if (!m.bind) continue;
      const std::string& d = m.destination;
      if (!(d == "/dev" || d == "/dev/pts" || below(d, "/proc") || below(d, "/sys"))) continue;
      bool read_only = false;
      if (mounts && k < mounts->size())
        if (const auto* options = view_at((*mounts)[k], {"options"}); options && options->is_array())
          read_only = std::find(options->begin(), options->end(), Json("ro")) != options->end();
      const bool lxcfs = std::find(std::begin(kLxcfsTargets), std::end(kLxcfsTargets), d) != std::end(kLxcfsTargets) ||
                         m.source.starts_with("/var/lib/lxcfs/");
      if (read_only || lxcfs) continue;
      found(ctx.config, ctx.events, ctx.guard_policy, ctx.runc_build(),
            "a writable bind mount of " + m.source + " onto " + d + " (runc's masks and procfs writes could be redirected)",
            {{"destination", d}, {"source", m.source}});
    }
  }

  void before_start(StartContext& ctx) override {
    if (!ctx.spec) return;  // the bundle's config.json could not be read: logged by the runtime
    const Json& view = ctx.spec->view();
    if (process_has_capability(view, "CAP_SYS_ADMIN")) return;
    LiveContainer init(ctx.proc_root, ctx.init.pid);
    auto refuse = [&](const std::string& what) {
      found(ctx.config, ctx.events, ctx.guard_policy, ctx.runc_build, what, {{"init", ctx.init.pid}});
    };
    const MountEntry* proc = mount_at(init.mounts(), "/proc");
    if (!proc || proc->fstype != "proc")
      refuse("/proc in the created container is " + (proc ? "a " + proc->fstype + " mount" : std::string("not a mount")) + ", not procfs");
    if (view_bool(view, {"process", "terminal"})) {
      const MountEntry* console = mount_at(init.mounts(), "/dev/console");
      if (!console || console->fstype != "devpts")
        refuse("/dev/console in the created container is " + (console ? "a " + console->fstype + " mount" : std::string("not a mount")) +
               ", not the container's pty (devpts)");
    }
    if (const auto* masked = view_at(view, {"linux", "maskedPaths"}); masked && masked->is_array()) {
      for (const auto& p : *masked) {
        if (!p.is_string()) continue;
        const std::string path = p.get<std::string>();
        auto seen = init.lookup(path);
        using R = LiveContainer::Lookup::Result;
        if (seen.result == R::Missing || seen.result == R::Unreadable) continue;  // runc skips what is not there
        if (seen.result == R::ThroughLink) {
          refuse("the masked path " + path + " is reached through a symlink in the created container");
        } else if (S_ISDIR(seen.st.st_mode)) {
          const MountEntry* m = mount_at(init.mounts(), path);
          if (!m || m->fstype != "tmpfs" || !m->read_only())
            refuse("the masked directory " + path + " is not a read-only tmpfs in the created container");
        } else if (!S_ISCHR(seen.st.st_mode) || major(seen.st.st_rdev) != 1 || minor(seen.st.st_rdev) != 3) {
          refuse("the masked file " + path + " is not /dev/null in the created container");
        }
      }
    }
    if (const auto* readonly = view_at(view, {"linux", "readonlyPaths"}); readonly && readonly->is_array()) {
      for (const auto& p : *readonly) {
        if (!p.is_string()) continue;
        const std::string path = p.get<std::string>();
        if (init.lookup(path).result != LiveContainer::Lookup::Result::Found) continue;
        const MountEntry* m = mount_at(init.mounts(), path);
        if (!m || !m->read_only()) refuse("the read-only path " + path + " is writable in the created container");
      }
    }
  }
};

}  // namespace

std::unique_ptr<Guard> make_cve_2025_31133_guard() { return std::make_unique<Cve202531133>(); }

}  // namespace rg
