// CVE-2019-19921 / CVE-2023-27561 / CVE-2023-28642 (runc before 1.0.0-rc10, and 1.0.0-rc95 … 1.1.4): an
// image whose /proc is a symlink — or a symlink among the parents of a proc mount or of a masked or
// read-only path — made runc mount procfs (and the masks) somewhere else, so AppArmor and the masks did
// not apply. Refused at create: in the rootfs, /proc must not be a symlink, every proc mount's target must
// be reached without one and be a directory, and no parent of a masked or read-only path may be one.
// Only lstat and readlink touch the image (nothing is followed).
#include <sys/stat.h>

#include "oci/base/text.h"
#include "oci/patches/container_paths.h"
#include "oci/patches/virtual_patch.h"

namespace rg {
namespace {

class Cve202327561 final : public VirtualPatch {
 public:
  Cve202327561() : VirtualPatch("cve-2023-27561", RuncIssue::Cve2023_27561) {}

  GuardPolicy default_policy(const RuncBuild* runc, const RuncArgs& args) const override {
    // Also the releases of the original bug (CVE-2019-19921).
    if (runc && affected(runc->version, RuncIssue::Cve2019_19921)) return GuardPolicy::Enforce;
    return VirtualPatch::default_policy(runc, args);
  }

  bool applies(const RuncArgs& args) const override { return args.does(Trait::ReadsSpec); }

  void before_runc(InvocationContext& ctx) override {
    const Spec& spec = ctx.spec();
    const ContainerFs fs = ContainerFs::from_spec(spec.view(), ctx.bundle());
    auto refuse = [&](const std::string& what) {
      found(ctx.config, ctx.events, ctx.guard_policy, ctx.runc_build(), what, {{"rootfs", fs.rootfs}});
    };
    if (link_at(fs.rootfs + "/proc")) refuse("the image's /proc is a symlink (to \"" + *link_at(fs.rootfs + "/proc") + "\")");
    for (const auto& m : fs.mounts) {
      if (m.type != "proc") continue;
      if (auto bad = first_link_on_the_way(fs, m.destination, true)) refuse("the proc mount target " + m.destination + " is reached through the symlink " + *bad);
      struct stat st {};
      if (::lstat((fs.rootfs + m.destination).c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        refuse("the proc mount target " + m.destination + " is not a directory in the image");
    }
    for (const char* list : {"maskedPaths", "readonlyPaths"}) {
      const auto* paths = view_at(spec.view(), {"linux", list});
      if (!paths || !paths->is_array()) continue;
      for (const auto& p : *paths)
        if (p.is_string())
          if (auto bad = first_link_on_the_way(fs, p.get<std::string>(), false))
            refuse(std::string("the parent ") + *bad + " of " + list + " entry " + p.get<std::string>() + " is a symlink in the image");
    }
  }

 private:
  static std::optional<std::string> link_at(const std::string& host_path) {
    struct stat st {};
    if (::lstat(host_path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return std::nullopt;
    char buf[4096];
    ssize_t n = ::readlink(host_path.c_str(), buf, sizeof buf);
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  }

  // The first component of `path` (its parents only, or the whole path with `including_last`) that is a
  // symlink in the image; components a spec mount covers are the mount's, not the image's.
  static std::optional<std::string> first_link_on_the_way(const ContainerFs& fs, const std::string& path, bool including_last) {
    std::vector<std::string_view> parts;
    for (std::string_view c : split(path, '/'))
      if (!c.empty() && c != ".") parts.push_back(c);
    std::string prefix;
    const std::size_t n = including_last ? parts.size() : (parts.empty() ? 0 : parts.size() - 1);
    for (std::size_t k = 0; k < n; ++k) {
      prefix += '/';
      prefix += parts[k];
      for (const auto& m : fs.mounts)
        if (m.destination != "/" && (prefix == m.destination || prefix.starts_with(m.destination + "/")) && prefix != path)
          return std::nullopt;  // below a mount: not the image's
      if (link_at(fs.rootfs + prefix)) return prefix;
    }
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<Guard> make_cve_2023_27561_guard() { return std::make_unique<Cve202327561>(); }

}  // namespace rg
