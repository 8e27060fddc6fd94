#include "shim/ctl/runc_known_issues.h"

#include <charconv>

namespace rg {
namespace {

bool read_number(std::string_view& text, unsigned& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

RuncVersion v(unsigned major, unsigned minor, unsigned patch, std::optional<unsigned> rc = std::nullopt) {
  return {major, minor, patch, rc};
}

}  // namespace

std::optional<RuncVersion> parse_runc_version(std::string_view text) {
  if (!text.empty() && text.front() == 'v') text.remove_prefix(1);
  RuncVersion out;
  if (!read_number(text, out.major) || text.empty() || text.front() != '.') return std::nullopt;
  text.remove_prefix(1);
  if (!read_number(text, out.minor)) return std::nullopt;
  if (!text.empty() && text.front() == '.') {
    text.remove_prefix(1);
    if (!read_number(text, out.patch)) return std::nullopt;
  }
  // "-rc93" upstream, "~rc93" in Debian (where ~ sorts before the release, as rc does).
  if (text.size() > 3 && (text[0] == '-' || text[0] == '~') && text.substr(1, 2) == "rc") {
    text.remove_prefix(3);
    unsigned rc = 0;
    if (!read_number(text, rc)) return std::nullopt;
    out.rc = rc;
  }
  return out;
}

int compare(const RuncVersion& a, const RuncVersion& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  if (a.rc == b.rc) return 0;
  if (!a.rc) return 1;  // the release comes after its release candidates
  if (!b.rc) return -1;
  return *a.rc < *b.rc ? -1 : 1;
}

std::vector<KnownIssue> known_issues(const RuncVersion& version) {
  auto before = [&](const RuncVersion& bound) { return compare(version, bound) < 0; };
  auto within = [&](const RuncVersion& low, const RuncVersion& high) {
    return compare(version, low) >= 0 && compare(version, high) <= 0;
  };
  std::vector<KnownIssue> issues;
  if (before(v(1, 0, 0, 6)))
    issues.push_back({"CVE-2019-5736", IssueSeverity::Problem,
                      "a container can overwrite the host's runc binary and gain root on the host",
                      "upgrade runc to 1.0.0-rc6 or later now"});
  if (compare(version, v(1, 0, 0, 93)) == 0)
    issues.push_back({"runc-init-pipe-hang", IssueSeverity::Problem,
                      "runc init hangs exporting a seccomp program larger than its pipe (8 KiB once "
                      "pipe-user-pages-soft is exceeded)",
                      "keep runc-guard's watchdog on (watchdog.unstick) or upgrade runc to 1.0.0 or later"});
  if (within(v(1, 0, 0, 5), v(1, 0, 0, 93)))
    issues.push_back({"runc-implicit-kmem", IssueSeverity::Warning,
                      "creating a memory cgroup switches kernel-memory accounting on (memcg ID leak on kernels "
                      "< 4.0, e.g. CentOS 7)",
                      "on kernels < 4.0 keep runc-guard's kernel_memory guard on, or boot with cgroup.memory=nokmem"});
  if (before(v(1, 1, 12)))
    issues.push_back({"CVE-2024-21626", IssueSeverity::Warning,
                      "a leaked file descriptor lets a container (or a malicious image's WORKDIR) reach the host "
                      "filesystem (\"Leaky Vessels\")",
                      "upgrade runc to 1.1.12 or later"});
  return issues;
}

}  // namespace rg
