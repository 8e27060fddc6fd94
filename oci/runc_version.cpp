#include "oci/runc_version.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "oci/base/child_process.h"
#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "oci/base/files.h"

namespace rg {

std::string RuncVersion::to_string() const {
  std::string out = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (rc != kRelease) out += "-rc" + std::to_string(rc);
  return out;
}

namespace {

std::optional<unsigned> take_number(std::string_view& s) {
  unsigned v = 0;
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i < 6) v = v * 10 + unsigned(s[i++] - '0');
  if (i == 0 || (i < s.size() && s[i] >= '0' && s[i] <= '9')) return std::nullopt;
  s.remove_prefix(i);
  return v;
}

bool take(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Suffixes upstream itself produces (a development or dirty build); anything else is a distribution's.
bool upstream_suffix(std::string_view s) { return s.empty() || s.starts_with("+dev") || s == "-dirty"; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

}  // namespace

std::optional<RuncBuild> parse_runc_version(std::string_view text) {
  RuncBuild out;
  out.text = std::string(text);
  std::string_view s = text;
  take(s, "v");
  auto major = take_number(s);
  if (!major || !take(s, ".")) return std::nullopt;
  auto minor = take_number(s);
  if (!minor) return std::nullopt;
  unsigned patch = 0;
  if (take(s, ".")) {
    auto p = take_number(s);
    if (!p) return std::nullopt;
    patch = *p;
  }
  out.version = RuncVersion::release(*major, *minor, patch);
  // "-rc93" upstream ("-rc.1" from 1.1 on), "~rc93" in Debian (where ~ sorts before the release, as rc does).
  const bool debian_rc = s.starts_with("~rc");
  if (take(s, "-rc") || take(s, "~rc")) {
    take(s, ".");
    auto rc = take_number(s);
    if (!rc) return std::nullopt;
    out.version.rc = static_cast<int>(*rc);
  }
  out.distribution = debian_rc || !upstream_suffix(s);
  return out;
}

std::optional<RuncBuild> parse_runc_version_output(std::string_view output) {
  std::optional<RuncBuild> build;
  std::string commit, spec, go, libseccomp;
  while (!output.empty()) {
    auto eol = output.find('\n');
    std::string_view line = trim(output.substr(0, eol));
    output.remove_prefix(eol == std::string_view::npos ? output.size() : eol + 1);
    auto value_of = [&](std::string_view key) -> std::optional<std::string> {
      if (!line.starts_with(key)) return std::nullopt;
      return std::string(trim(line.substr(key.size())));
    };
    if (auto v = value_of("runc version "); v && !build) {
      std::string_view word = *v;
      word = word.substr(0, word.find_first_of(" \t"));
      if (word.empty() || !(build = parse_runc_version(word))) return std::nullopt;
    } else if (auto c = value_of("commit:")) {
      commit = *c;
    } else if (auto sp = value_of("spec:")) {
      spec = *sp;
    } else if (auto g = value_of("go:")) {
      go = *g;
    } else if (auto l = value_of("libseccomp:")) {
      libseccomp = *l;
    }
  }
  if (!build) return std::nullopt;
  build->commit = std::move(commit);
  build->spec = std::move(spec);
  build->go = std::move(go);
  build->libseccomp = std::move(libseccomp);
  return build;
}

// ---- knowledge ----

namespace {
using V = RuncVersion;
constexpr V kOldest = V::candidate(0, 0, 0, 0);
constexpr V kNewest = V::release(99999, 0, 0);
constexpr V rc(int n) { return V::candidate(1, 0, 0, n); }
constexpr V r(unsigned ma, unsigned mi, unsigned pa) { return V::release(ma, mi, pa); }
constexpr RuncVersionRange upto(V last) { return {kOldest, last}; }
constexpr RuncVersionRange between(V first, V last) { return {first, last}; }
// The last release before `v`, as an inclusive bound.
constexpr V before(unsigned ma, unsigned mi, unsigned pa) { return V::candidate(ma, mi, pa, 0); }

constexpr RuncIssueInfo kIssues[] = {
    {RuncIssue::SeccompExportHang, "runc-init-pipe-hang", IssueSeverity::Problem, {between(rc(93), rc(93))}, 1,
     "1.0.0-rc94",
     "runc init hangs exporting a seccomp program larger than its pipe (8 KiB once pipe-user-pages-soft is exceeded)",
     "keep runc-guard's watchdog on (watchdog.unstick) or upgrade runc to 1.0.0-rc94 or later"},
    {RuncIssue::Cve2019_5736, "CVE-2019-5736", IssueSeverity::Problem, {upto(rc(6))}, 1, "1.0.0-rc7",
     "a container can overwrite the host's runc binary and gain root on the host",
     "upgrade runc to 1.0.0-rc7 or later now"},
    {RuncIssue::Cve2024_21626, "CVE-2024-21626", IssueSeverity::Warning, {between(rc(93), r(1, 1, 11))}, 1, "1.1.12",
     "a leaked file descriptor lets a container (or a malicious image's WORKDIR) reach the host filesystem "
     "(\"Leaky Vessels\")",
     "runc-guard's virtual patch refuses such containers; upgrade runc to 1.1.12 or later"},
    {RuncIssue::Cve2025_31133, "CVE-2025-31133", IssueSeverity::Warning, {upto(before(1, 2, 8))}, 1, "1.2.8",
     "masked paths, /dev/console and procfs writes can be redirected by a malicious image (with CVE-2025-52565 "
     "and CVE-2025-52881): container escape",
     "runc-guard's virtual patch checks the created container before start; upgrade runc to 1.2.8 or later"},
    {RuncIssue::Cve2022_29162, "CVE-2022-29162", IssueSeverity::Warning, {upto(r(1, 1, 1))}, 1, "1.1.2",
     "processes get inheritable capabilities (exec --cap, or a spec's inheritable set), which file capabilities "
     "can raise to permitted on execve",
     "runc-guard's virtual patch strips them; upgrade runc to 1.1.2 or later"},
    {RuncIssue::Cve2023_27561, "CVE-2023-27561", IssueSeverity::Warning, {between(rc(95), r(1, 1, 4))}, 1, "1.1.5",
     "a /proc that is a symlink in the image bypasses AppArmor (with CVE-2023-28642; a regression of CVE-2019-19921)",
     "runc-guard's virtual patch refuses such images; upgrade runc to 1.1.5 or later"},
    {RuncIssue::Cve2019_19921, "CVE-2019-19921", IssueSeverity::Warning, {upto(rc(9))}, 1, "1.0.0-rc10",
     "a /proc mount target that is a symlink bypasses AppArmor",
     "runc-guard's virtual patch refuses such images; upgrade runc"},
    {RuncIssue::Cve2021_30465, "CVE-2021-30465", IssueSeverity::Warning, {upto(rc(94))}, 1, "1.0.0-rc95",
     "a symlink-exchange race on mount targets mounts host paths into a container (needs several containers "
     "sharing a volume)",
     "upgrade runc to 1.0.0-rc95 or later"},
    {RuncIssue::ImplicitKmemAccounting, "runc-implicit-kmem", IssueSeverity::Warning, {between(rc(5), rc(93))}, 1,
     "1.0.0-rc94",
     "creating a memory cgroup switches kernel-memory accounting on (memcg ID leak on kernels < 4.0, e.g. CentOS 7)",
     "on kernels < 4.0 keep runc-guard's kernel_memory guard on, or boot with cgroup.memory=nokmem"},
    {RuncIssue::FreezeLeftOnKill, "runc-frozen-on-kill", IssueSeverity::Warning, {between(rc(91), before(1, 4, 0))}, 1,
     "",
     "killed while it freezes the cgroup around a resource update (systemd driver on cgroup v1), runc leaves the "
     "container FROZEN: exec and delete hang, pods stay Terminating",
     "keep runc-guard's frozen-container guard on"},
    // Checked here with 1.0.3 (and 1.1.x, which refuses or thaws by itself): frozen_container.sh.
    {RuncIssue::FrozenCgroupHangs, "runc-frozen-hangs", IssueSeverity::Warning, {upto(before(1, 1, 0))}, 1, "1.1.0",
     "a frozen container or cgroup (paused, or left frozen by a killed runc) hangs create and exec forever, and "
     "delete --force fails after 10 s (\"container init still running\") leaving the container behind",
     "keep runc-guard's frozen-container guard on (it refuses create/exec there and thaws before delete --force); "
     "upgrade runc to 1.1"},
    {RuncIssue::DevicesLostOnReload, "runc-devices-lost", IssueSeverity::Warning, {between(r(1, 1, 3), r(1, 1, 6))}, 1,
     "1.1.7",
     "after systemctl daemon-reload, devices without a /dev/char/M:m (or /dev/block) link lose their cgroup "
     "permission (GPU containers: \"Failed to initialize NVML: Unknown Error\")",
     "keep runc-guard's device-link guard on, or run nvidia-ctk system create-dev-char-symlinks; upgrade runc"},
    {RuncIssue::KmemLimitsIgnored, "runc-ignores-kmem", IssueSeverity::Info, {between(rc(94), kNewest)}, 1, "",
     "kernel-memory limits are ignored by runc itself (it warns and drops them)", ""},
    {RuncIssue::ExeCopiedPerInit, "runc-copies-binary", IssueSeverity::Info, {between(r(1, 1, 15), before(1, 2, 0))}, 1,
     "", "every runc init copies the ~10 MB runc binary into memory", "runc-guard's keeper avoids the copy"},
    {RuncIssue::ExeBindMountedPerInit, "runc-binds-binary", IssueSeverity::Info, {between(rc(91), r(1, 1, 14))}, 1, "",
     "every runc init bind-mounts /proc/self/exe read-only (mount churn on busy nodes)",
     "runc-guard's keeper avoids the mount"},
};
}  // namespace

std::span<const RuncIssueInfo> runc_issues() { return kIssues; }

const RuncIssueInfo& issue_info(RuncIssue issue) {
  for (const auto& i : kIssues)
    if (i.issue == issue) return i;
  throw Error("unknown runc issue");
}

bool affected(const RuncVersion& version, RuncIssue issue) {
  const RuncIssueInfo& info = issue_info(issue);
  for (int i = 0; i < info.range_count; ++i)
    if (info.ranges[i].contains(version)) return true;
  return false;
}

std::vector<const RuncIssueInfo*> issues_of(const RuncVersion& version) {
  std::vector<const RuncIssueInfo*> out;
  for (const auto& i : kIssues)
    if (affected(version, i.issue)) out.push_back(&i);
  std::stable_sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->severity > b->severity; });
  return out;
}

// ---- asking the binary ----

namespace {
long long now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}
}  // namespace

std::string probe_runc_version_output(const std::string& runc_path, std::chrono::milliseconds timeout) {
  Pipe out = Pipe::create();
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) throw Error::from_errno("open /dev/null");
  SpawnOptions options;
  options.path = runc_path;
  options.argv = {runc_path, "--version"};
  options.stdin_fd = devnull.get();
  options.stdout_fd = out.write_end.get();
  options.stderr_fd = devnull.get();
  ChildProcess child = spawn(options);
  out.write_end.reset();

  std::string output;
  const long long deadline = now_ms() + timeout.count();
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0) throw Error(runc_path + " --version did not answer within " + std::to_string(timeout.count()) + " ms");
    pollfd pfd{out.read_end.get(), POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw Error::from_errno("poll");
    }
    if (ready == 0) continue;
    char buf[4096];
    ssize_t n = ::read(out.read_end.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::from_errno("read " + runc_path + " --version");
    }
    if (n == 0) break;
    if (output.size() < 65536) output.append(buf, static_cast<std::size_t>(n));
  }
  int code = child.wait();
  if (code != 0) throw Error(runc_path + " --version failed (exit status " + std::to_string(code) + ")");
  if (!parse_runc_version_output(output))
    throw Error("cannot find \"runc version\" in the output of " + runc_path + " --version");
  return output;
}

namespace {

bool trusted(const struct stat& st) { return st.st_uid == 0 && (st.st_mode & 022) == 0; }

// Creates `dir` (and its parents) root-only-writable; false when it is not usable as a trusted cache.
bool ensure_cache_dir(const std::string& dir) {
  try {
    mkdir_p(dir);
  } catch (const Error&) {
    return false;
  }
  struct stat st {};
  return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && trusted(st);
}

// Keeps the cache bounded: entries of replaced binaries are never looked up again, so once there are
// more than a few, all but the current one go.
void prune_cache(const std::string& dir, const std::string& keep) {
  constexpr std::size_t kMaxEntries = 16;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d.get()))
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  if (names.size() <= kMaxEntries) return;
  for (const std::string& name : names)
    if (name != keep) ::unlinkat(::dirfd(d.get()), name.c_str(), 0);
}

}  // namespace

CachedRuncBuild cached_runc_build(const std::string& runc_path, const std::string& cache_dir) {
  struct stat bin {};
  if (::stat(runc_path.c_str(), &bin) != 0) throw Error::from_errno("stat " + runc_path);
  const std::string key = std::to_string(bin.st_dev) + "-" + std::to_string(bin.st_ino) + "-" +
                          std::to_string(bin.st_mtim.tv_sec) + "." + std::to_string(bin.st_mtim.tv_nsec) + "-" +
                          std::to_string(bin.st_size);
  const std::string entry = cache_dir + "/" + key;

  UniqueFd fd(::open(entry.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st {};
  if (fd && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && trusted(st) && st.st_size < 65536) {
    try {
      if (auto build = parse_runc_version_output(read_fd(fd.get(), entry))) return {std::move(*build), true};
    } catch (const Error&) {
      // unreadable entry: probe again below
    }
  }
  fd.reset();

  std::string output = probe_runc_version_output(runc_path);
  CachedRuncBuild result{*parse_runc_version_output(output), false};
  if (ensure_cache_dir(cache_dir)) {
    try {
      write_file_atomic(entry, output, FileOwnership{0644, 0, 0}, Symlink::Replace, Durability::Atomic);
      prune_cache(cache_dir, key);
    } catch (const Error&) {
      // a read-only /run only costs the next invocation another probe
    }
  }
  return result;
}

}  // namespace rg
