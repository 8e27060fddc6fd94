#pragma once
// Which runc this is, and what that release is known for — the one place runc-guard keeps version
// knowledge (guards, the watchdog and doctor all ask here).
//
// A version is the upstream release numbers ("1.0.0-rc93" → 1.0.0 rc 93; a release sorts after its rcs),
// read from `runc --version` ("runc version 1.1.5+ds1"); Debian/Ubuntu spellings ("1.0.0~rc93+ds1",
// "1.1.12-0ubuntu2~22.04.1") are understood and marked as distribution builds, which may carry backported
// fixes without changing the version.
#include <chrono>
#include <compare>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rg {

struct RuncVersion {
  static constexpr int kRelease = -1;
  unsigned major = 0, minor = 0, patch = 0;
  int rc = kRelease;  // release candidate number, or kRelease

  static constexpr RuncVersion release(unsigned ma, unsigned mi, unsigned pa) { return {ma, mi, pa, kRelease}; }
  static constexpr RuncVersion candidate(unsigned ma, unsigned mi, unsigned pa, int rc) { return {ma, mi, pa, rc}; }
  friend constexpr auto operator<=>(const RuncVersion& a, const RuncVersion& b) {
    if (auto c = a.major <=> b.major; c != 0) return c;
    if (auto c = a.minor <=> b.minor; c != 0) return c;
    if (auto c = a.patch <=> b.patch; c != 0) return c;
    // A release comes after all of its release candidates.
    const int ra = a.rc == kRelease ? 1 << 30 : a.rc, rb = b.rc == kRelease ? 1 << 30 : b.rc;
    return ra <=> rb;
  }
  friend constexpr bool operator==(const RuncVersion&, const RuncVersion&) = default;
  std::string to_string() const;  // "1.0.0-rc93", "1.1.5"
};

// Inclusive on both ends.
struct RuncVersionRange {
  RuncVersion first;
  RuncVersion last;
  constexpr bool contains(const RuncVersion& v) const { return first <= v && v <= last; }
};

// What `runc --version` said.
struct RuncBuild {
  RuncVersion version;
  std::string text;          // the version as printed: "1.1.5+ds1"
  bool distribution = false; // a distribution's build of it ("+ds1", "~rc93", "-0ubuntu2")
  std::string commit, spec, go, libseccomp;  // "" when not printed (rc10 has no libseccomp line)
};

// "1.0.0-rc93" / "v1.1.12" / "1.0.0~rc93+ds1" / "1.1.12-0ubuntu2~22.04.1"; nullopt for anything else.
std::optional<RuncBuild> parse_runc_version(std::string_view text);
// The whole `runc --version` output; nullopt without a "runc version X" line runc-guard can read.
std::optional<RuncBuild> parse_runc_version_output(std::string_view output);

// ---- what releases are known for ----

enum class RuncIssue {
  Cve2019_5736,          // the host's runc binary can be overwritten from a container
  Cve2019_19921,         // /proc through a symlinked mount target (AppArmor bypass)
  Cve2021_30465,         // symlink-exchange race on mount targets
  Cve2022_29162,         // inheritable capabilities (exec --cap, spec) reach the process
  Cve2023_27561,         // /proc symlink again (CVE-2019-19921 regression), with CVE-2023-28642
  Cve2024_21626,         // leaked fd: process.cwd /proc/self/fd/N is a host directory
  Cve2025_31133,         // masked paths/ /dev/console / procfs writes redirected (with -52565, -52881)
  SeccompExportHang,     // runc init blocks exporting seccomp into a 2-page pipe
  ImplicitKmemAccounting,// every memory cgroup it creates gets kmem accounting (memcg ID leak < 4.0)
  KmemLimitsIgnored,     // kernel-memory limits are ignored (and warned about) by runc itself (rc94 on)
  FreezeLeftOnKill,      // killed around Set(), it leaves the cgroup FROZEN (systemd driver, cgroup v1)
  FrozenCgroupHangs,     // create into a frozen cgroup / exec into a frozen container hang; delete -f fails
  DevicesLostOnReload,   // DeviceAllow entries without /dev/char/M:m links are skipped (daemon-reload)
  ExeCopiedPerInit,      // every runc init copies the ~10 MB binary into memory (CVE-2019-5736 fix)
  ExeBindMountedPerInit, // every runc init bind-mounts /proc/self/exe read-only (mount churn)
};

enum class IssueSeverity { Info, Warning, Problem };

struct RuncIssueInfo {
  RuncIssue issue;
  std::string_view id;  // stable, for --json and events: "CVE-2024-21626", "runc-init-pipe-hang", …
  IssueSeverity severity;
  RuncVersionRange ranges[2];
  int range_count;
  std::string_view fixed_in;  // upstream release with the fix, "" when none
  std::string_view summary;
  std::string_view advice;
};

std::span<const RuncIssueInfo> runc_issues();
const RuncIssueInfo& issue_info(RuncIssue issue);
// By upstream version: a distribution build may have the fix backported.
bool affected(const RuncVersion& version, RuncIssue issue);
// Every issue of `version`, most severe first.
std::vector<const RuncIssueInfo*> issues_of(const RuncVersion& version);

// ---- asking the binary ----

// Runs `<runc_path> --version` (stdin/stderr on /dev/null, killed after `timeout`): its whole output.
// Throws rg::Error (no answer, non-zero exit, no "runc version" line).
std::string probe_runc_version_output(const std::string& runc_path,
                                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

inline constexpr std::string_view kRuncVersionCacheDir = "/run/runc-guard/runc-version";

struct CachedRuncBuild {
  RuncBuild build;
  bool from_cache = false;
};
// The build of the binary at `runc_path`, from the cache in `cache_dir` (one root-owned file per binary,
// keyed by device, inode, mtime and size, so an upgrade is noticed) or by asking it. A cache that cannot
// be read or written (or is not root-owned) only costs a probe. Throws rg::Error.
CachedRuncBuild cached_runc_build(const std::string& runc_path, const std::string& cache_dir);

}  // namespace rg
