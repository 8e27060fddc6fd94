#include "oci/kmem/accounting_guard.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "kmem_test_util.h"
#include "oci/base/error.h"
#include "oci/cgroup.h"
#include "oci/kmem/cgroup.h"
#include "oci/runc_version.h"

namespace rg {
namespace {

using namespace kmem_test;

const std::string kMemoryMount = "/sys/fs/cgroup/memory";

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// ---- runc versions ----

std::optional<std::string> version_text(std::string_view output) {
  auto build = parse_runc_version_output(output);
  if (!build) return std::nullopt;
  return build->text;
}

TEST(RuncVersion, ParsesRealOutputs) {
  EXPECT_EQ(version_text("runc version 1.1.5\ncommit: v1.1.5-0-gf19387a\nspec: 1.0.2-dev\ngo: go1.19.8\n"
                                      "libseccomp: 2.5.4\n"),
            "1.1.5");
  EXPECT_EQ(version_text("runc version 1.0.0-rc93\ncommit: 12644e614e25b05da6fd08a38ffa0cfe1903fdec\n"
                                      "spec: 1.0.2-dev\ngo: go1.13.15\nlibseccomp: 2.5.1\n"),
            "1.0.0-rc93");
  EXPECT_EQ(version_text("runc version 1.0.0-rc5+dev\ncommit: 4fc53a81fb7c994640722ac585fa9ca548971871\n"
                                      "spec: 1.0.0\n"),
            "1.0.0-rc5+dev");
  EXPECT_EQ(version_text("runc version 1.0.0~rc93+ds1\nspec: 1.0.2-dev\n"), "1.0.0~rc93+ds1");
  EXPECT_EQ(version_text("runc version 1.0.0-rc10\r\ncommit: dc9208a\r\n"), "1.0.0-rc10");
  EXPECT_FALSE(version_text("crun version 1.8.1\ncommit: f8a096b\n"));
  EXPECT_FALSE(version_text("runc version \n"));
  EXPECT_FALSE(version_text(""));
}

bool runc_enables_kmem_on_create(std::string_view version) {
  auto build = parse_runc_version(version);
  return build && affected(build->version, RuncIssue::ImplicitKmemAccounting);
}

std::string probe_runc_version(const std::string& runc, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  return parse_runc_version_output(probe_runc_version_output(runc, timeout))->text;
}

struct CachedVersion {
  std::string version;
  bool from_cache;
};
CachedVersion cached_runc_version(const std::string& runc, const std::string& cache) {
  auto cached = cached_runc_build(runc, cache);
  return {cached.build.text, cached.from_cache};
}

TEST(RuncVersion, AffectedRange) {
  for (const char* v : {"1.0.0-rc5", "1.0.0-rc5+dev", "1.0.0-rc6", "1.0.0-rc10", "1.0.0-rc92", "1.0.0-rc93",
                        "1.0.0~rc93+ds1", "1.0.0-rc90-dirty"})
    EXPECT_TRUE(runc_enables_kmem_on_create(v)) << v;
  for (const char* v : {"1.0.0-rc4", "1.0.0-rc1", "1.0.0-rc94", "1.0.0-rc95", "1.0.0", "1.0.1", "1.0.3", "1.1.5",
                        "1.1.0-rc.1", "0.1.1", "1.0.0-rc", "1.0.0-beta", "2.0.0-rc10", "", "rc93", "1.0"})
    EXPECT_FALSE(runc_enables_kmem_on_create(v)) << v;
}

// A stand-in runc binary: a shell script printing `output`.
std::string write_script(const std::string& path, const std::string& body) {
  write_text(path, "#!/bin/sh\n" + body + "\n");
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST(RuncVersion, ProbesRealRunc) {
  ASSERT_TRUE(exists("/usr/bin/runc")) << "real runc 1.1.5 is expected at /usr/bin/runc";
  std::string v = probe_runc_version("/usr/bin/runc");
  EXPECT_TRUE(v.starts_with("1.1.")) << v;
  EXPECT_FALSE(runc_enables_kmem_on_create(v));
}

TEST(RuncVersion, ProbeRunsWithDevNullStdinAndLoopMarker) {
  TempDir dir;
  // Reads stdin (must be /dev/null, not ours) and reports the loop marker in the version string.
  std::string runc = write_script(dir / "runc", "cat >/dev/null; echo \"runc version 1.0.0-rc93+m$RUNC_GUARD_ACTIVE\"");
  // The marker names the child's own pid at depth 1: "<pid>.1".
  std::string v = probe_runc_version(runc);
  ASSERT_TRUE(v.starts_with("1.0.0-rc93+m")) << v;
  std::string marker = v.substr(std::string("1.0.0-rc93+m").size());
  ASSERT_TRUE(marker.ends_with(".1")) << marker;
  EXPECT_GT(std::stol(marker), 0) << marker;
  EXPECT_NE(std::stol(marker), ::getpid()) << "the marker must name the child, not us";
}

TEST(RuncVersion, ProbeFailuresAreErrors) {
  TempDir dir;
  EXPECT_THROW(probe_runc_version(write_script(dir / "fails", "echo 'runc version 1.1.5'; exit 1")), Error);
  EXPECT_THROW(probe_runc_version(write_script(dir / "other", "echo 'something else'")), Error);
  EXPECT_THROW(probe_runc_version(dir / "missing"), Error);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(probe_runc_version(write_script(dir / "hangs", "exec sleep 30"), std::chrono::milliseconds(200)), Error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));  // killed, not waited for
}

TEST(RuncVersion, CachedByBinaryIdentity) {
  TempDir dir;
  std::string cache = dir / "cache";
  std::string runc = write_script(dir / "runc", "echo 'runc version 1.0.0-rc93'");
  auto first = cached_runc_version(runc, cache);
  EXPECT_EQ(first.version, "1.0.0-rc93");
  EXPECT_FALSE(first.from_cache);
  auto second = cached_runc_version(runc, cache);
  EXPECT_EQ(second.version, "1.0.0-rc93");
  EXPECT_TRUE(second.from_cache);

  // The entry is what is used while the binary is unchanged...
  std::vector<std::string> entries;
  for (const auto& e : std::filesystem::directory_iterator(cache)) entries.push_back(e.path());
  ASSERT_EQ(entries.size(), 1u);
  struct stat st {};
  ASSERT_EQ(::stat(entries[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(st.st_uid, 0u);
  write_text(entries[0], "runc version 1.0.0-rc10\n");
  EXPECT_EQ(cached_runc_version(runc, cache).version, "1.0.0-rc10");
  // ...but not when it could have been planted by someone else.
  ::chmod(entries[0].c_str(), 0666);
  auto reprobe = cached_runc_version(runc, cache);
  EXPECT_EQ(reprobe.version, "1.0.0-rc93");
  EXPECT_FALSE(reprobe.from_cache);

  // An upgraded binary (new inode/mtime/size) is probed again.
  std::string upgraded = dir / "runc.new";
  write_script(upgraded, "echo 'runc version 1.1.5'");
  ASSERT_EQ(::rename(upgraded.c_str(), runc.c_str()), 0);
  auto after_upgrade = cached_runc_version(runc, cache);
  EXPECT_EQ(after_upgrade.version, "1.1.5");
  EXPECT_FALSE(after_upgrade.from_cache);
}

TEST(RuncVersion, CacheStaysSmall) {
  TempDir dir;
  std::string cache = dir / "cache";
  for (int i = 0; i < 20; ++i)
    cached_runc_version(write_script(dir / ("runc" + std::to_string(i)), "echo 'runc version 1.1.5'"), cache);
  auto entries = std::distance(std::filesystem::directory_iterator(cache), std::filesystem::directory_iterator());
  EXPECT_LE(entries, 16);
  EXPECT_GE(entries, 1);
}

TEST(RuncVersion, UnwritableCacheOnlyCostsAProbe) {
  TempDir dir;
  std::string runc = write_script(dir / "runc", "echo 'runc version 1.0.0-rc92'");
  write_text(dir / "file", "");
  auto v = cached_runc_version(runc, dir / "file/cache");  // cannot be created
  EXPECT_EQ(v.version, "1.0.0-rc92");
  EXPECT_FALSE(cached_runc_version(runc, dir / "file/cache").from_cache);
}

// ---- cgroup v1 paths ----

constexpr const char* kHostMountinfo =
    "25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "32 31 0:27 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "36 31 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory\n"
    "37 31 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup "
    "rw,cpu,cpuacct\n";
constexpr const char* kHostCgroup =
    "12:cpu,cpuacct:/user.slice\n5:memory:/user.slice/user-0.slice\n1:name=systemd:/user.slice/user-0.slice/session-1.scope\n";

TEST(MemoryHierarchy, FromHostMountinfo) {
  auto h = parse_cgroup_hierarchy(kHostMountinfo, kHostCgroup, "memory");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->mountpoint, "/sys/fs/cgroup/memory");
  EXPECT_EQ(h->root, "/");
  EXPECT_EQ(h->own_cgroup, "/user.slice/user-0.slice");
}

TEST(MemoryHierarchy, CgroupV2HasNone) {
  EXPECT_FALSE(parse_cgroup_hierarchy(
      "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n",
      "0::/user.slice/user-0.slice/session-1.scope\n", "memory"));
}

TEST(MemoryHierarchy, NestedAndEscapedMount) {
  auto h = parse_cgroup_hierarchy(
      "900 800 0:31 /docker/abc /sys/fs/cgroup/my\\040memory ro,nosuid - cgroup cgroup rw,memory,cpu\n",
      "4:cpu,memory:/docker/abc/sub\n", "memory");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->mountpoint, "/sys/fs/cgroup/my memory");
  EXPECT_EQ(h->root, "/docker/abc");
  EXPECT_EQ(resolve_cgroup_dir(*h, "", "ctr"), "/sys/fs/cgroup/my memory/sub/ctr");
  EXPECT_EQ(resolve_cgroup_dir(*h, "/docker/ctr", "ctr"), "/sys/fs/cgroup/my memory/docker/ctr");
}

TEST(MemoryHierarchy, ThisMachine) {
  auto h = find_cgroup_hierarchy("memory");
  ASSERT_TRUE(h) << "this test VM is expected to run cgroup v1 with the memory controller";
  EXPECT_EQ(h->mountpoint, kMemoryMount);
}

TEST(RuncCleanPath, LikeLibcontainerUtils) {
  EXPECT_EQ(runc_clean_path(""), "");
  EXPECT_EQ(runc_clean_path("/docker/abc"), "/docker/abc");
  EXPECT_EQ(runc_clean_path("//docker//./abc/"), "/docker/abc");
  EXPECT_EQ(runc_clean_path("/a/../../b"), "/b");
  EXPECT_EQ(runc_clean_path("../../escape"), "escape");
  EXPECT_EQ(runc_clean_path("a/../../b"), "b");
  EXPECT_EQ(runc_clean_path("."), ".");
  EXPECT_EQ(runc_clean_path("/"), "/");
}

struct ResolveCase {
  const char* cgroups_path;
  const char* id;
  const char* expected;
};
class ResolveMemoryDir : public ::testing::TestWithParam<ResolveCase> {};
TEST_P(ResolveMemoryDir, LikeRuncCgroupfsV1) {
  auto h = *parse_cgroup_hierarchy(kHostMountinfo, kHostCgroup, "memory");
  EXPECT_EQ(resolve_cgroup_dir(h, GetParam().cgroups_path, GetParam().id), GetParam().expected);
}
INSTANTIATE_TEST_SUITE_P(
    Table, ResolveMemoryDir,
    ::testing::Values(
        ResolveCase{"/docker/0123abcd", "0123abcd", "/sys/fs/cgroup/memory/docker/0123abcd"},  // dockerd
        ResolveCase{"/kubepods/burstable/podX/ctr", "ctr", "/sys/fs/cgroup/memory/kubepods/burstable/podX/ctr"},
        ResolveCase{"/../../etc", "c", "/sys/fs/cgroup/memory/etc"},  // cannot climb out of the hierarchy
        ResolveCase{"mygroup/ctr", "ctr", "/sys/fs/cgroup/memory/user.slice/user-0.slice/mygroup/ctr"},
        ResolveCase{"../../ctr", "ctr", "/sys/fs/cgroup/memory/user.slice/user-0.slice/ctr"},
        ResolveCase{"", "ctr", "/sys/fs/cgroup/memory/user.slice/user-0.slice/ctr"}));  // runc's default

// ---- pre-create and cleanup on the real cgroup v1 memory hierarchy ----

class RealMemoryCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(exists(kMemoryMount + "/cgroup.procs")) << "needs cgroup v1 memory at " << kMemoryMount;
    base_ = kMemoryMount + "/rg-kmem-unit-" + std::to_string(::getpid());
  }
  void TearDown() override {
    if (sleeper_ > 0) {
      ::kill(sleeper_, SIGKILL);
      ::waitpid(sleeper_, nullptr, 0);
    }
    // Deepest first; a cgroup is removed with rmdir.
    std::vector<std::string> dirs;
    if (exists(base_))
      for (auto it = std::filesystem::recursive_directory_iterator(base_); it != decltype(it)(); ++it)
        if (it->is_directory()) dirs.push_back(it->path());
    std::sort(dirs.begin(), dirs.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
    for (auto& d : dirs) ::rmdir(d.c_str());
    ::rmdir(base_.c_str());
  }
  // A process living in `dir`, to make it busy.
  void put_process_in(const std::string& dir) {
    sleeper_ = ::fork();
    if (sleeper_ == 0) {
      ::pause();
      ::_exit(0);
    }
    write_text(dir + "/cgroup.procs", std::to_string(sleeper_));
  }
  std::string base_;
  pid_t sleeper_ = -1;
};

TEST_F(RealMemoryCgroup, PrecreateMakesEveryMissingLevelAndReportsDeepestFirst) {
  std::string leaf = base_ + "/docker/ctr1";
  auto created = precreate_cgroup_dir(kMemoryMount, leaf);
  EXPECT_EQ(created, (std::vector<std::string>{leaf, base_ + "/docker", base_}));
  EXPECT_TRUE(exists(leaf + "/memory.limit_in_bytes"));  // a real cgroup, not a plain directory
  EXPECT_TRUE(precreate_cgroup_dir(kMemoryMount, leaf).empty());  // nothing new the second time
  EXPECT_THROW(precreate_cgroup_dir(kMemoryMount, "/tmp/elsewhere"), Error);
  EXPECT_THROW(precreate_cgroup_dir(kMemoryMount, kMemoryMount), Error);
}

TEST_F(RealMemoryCgroup, BusyOrNonEmptyCgroupsAreNeverRemoved) {
  auto created = precreate_cgroup_dir(kMemoryMount, base_ + "/ctr1");
  ASSERT_EQ(::mkdir((base_ + "/other").c_str(), 0755), 0);  // someone else's cgroup under our parent
  put_process_in(base_ + "/ctr1");
  remove_precreated_cgroup_dirs(created);
  EXPECT_TRUE(exists(base_ + "/ctr1"));   // has a task
  EXPECT_TRUE(exists(base_ + "/other"));  // not ours
  EXPECT_TRUE(exists(base_));             // has children
}

// ---- the guard ----

class KmemAccountingGuardTest : public RealMemoryCgroup {
 protected:
  struct Result {
    std::vector<nlohmann::json> events;
    std::unique_ptr<Guard> guard;
    std::string base;
    // The watchdog's part: runc exited with (`created`) or without the container.
    void runc_exited(bool created) {
      Config config;
      EventLog events_off("", "", "");
      WatchHints hints;
      WatchContext ctx{config, events_off, hints, "/proc", {}, Command::None, {}, {}, {}};
      guard->after_runc(ctx, RuncExit{created, false});
    }
    // What the guard removes when runc exits without having created the container — exactly what it
    // made, deepest first (removes it).
    std::vector<std::string> planned() {
      std::vector<std::string> before;
      if (exists(base)) {
        before.push_back(base);
        for (auto it = std::filesystem::recursive_directory_iterator(base); it != decltype(it)(); ++it)
          if (it->is_directory()) before.push_back(it->path());
      }
      std::sort(before.begin(), before.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
      runc_exited(false);
      std::vector<std::string> removed;
      for (auto& d : before)
        if (!exists(d)) removed.push_back(d);
      return removed;
    }
  };
  Result run(const std::string& runc_version, nlohmann::ordered_json memory, const Config& config,
             std::vector<std::string> extra_global = {}, std::string cgroups_path = "") {
    if (cgroups_path.empty()) cgroups_path = "/" + base_.substr(kMemoryMount.size() + 1) + "/ctr1";
    auto spec = nlohmann::ordered_json::parse(shared_config("default.config.json"));
    spec["linux"]["resources"]["memory"] = memory;
    spec["linux"]["cgroupsPath"] = cgroups_path;
    write_text(dir_ / "config.json", spec.dump());
    // A distinct binary per version, as the cache is keyed by the binary's identity.
    std::string runc = write_script(dir_ / ("runc-" + runc_version), "echo 'runc version " + runc_version + "'");
    std::vector<std::string> argv = {"runc"};
    argv.insert(argv.end(), extra_global.begin(), extra_global.end());
    for (std::string a : {"create", "--bundle", dir_.path().c_str(), "ctr1"}) argv.push_back(a);
    Invocation inv(config, argv, dir_.path(), runc);
    auto guard = make_kmem_accounting_guard_caching_in(dir_ / "runc-version-cache");
    guard->before_runc(inv.ctx);
    guard->before_exec(inv.ctx);  // as the runtime does, once the watchdog runs
    Result r{inv.flushed_events(), std::move(guard), base_};
    std::filesystem::remove(dir_ / "events.jsonl");
    return r;
  }
  std::string leaf() const { return base_ + "/ctr1"; }
  TempDir dir_;
};

const nlohmann::ordered_json kLimited = {{"limit", 268435456}, {"disableOOMKiller", false}};

TEST_F(KmemAccountingGuardTest, AffectedRuncGetsItsMemoryCgroupPrecreated) {
  for (const char* version : {"1.0.0-rc5", "1.0.0-rc10", "1.0.0-rc93"}) {
    SCOPED_TRACE(version);
    auto r = run(version, kLimited, kmem_config(kOldKernel));
    EXPECT_TRUE(exists(leaf()));
    EXPECT_EQ(r.planned(), (std::vector<std::string>{leaf(), base_}));
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0]["event"], "kmem.accounting_prevented");
    EXPECT_EQ(r.events[0]["details"]["runc_version"], version);
    EXPECT_EQ(r.events[0]["details"]["cgroup_dir"], leaf());
    TearDown();
  }
}

TEST_F(KmemAccountingGuardTest, NothingForUnaffectedRuncNewKernelOrNoMemorySetting) {
  auto check_nothing = [&](Result r) {
    EXPECT_FALSE(exists(base_));
    EXPECT_TRUE(r.planned().empty());
    EXPECT_TRUE(r.events.empty());
  };
  for (const char* version : {"1.0.0", "1.1.5", "1.0.0-rc94", "1.0.0-rc4"}) {
    SCOPED_TRACE(version);
    check_nothing(run(version, kLimited, kmem_config(kOldKernel)));
  }
  check_nothing(run("1.0.0-rc93", kLimited, kmem_config(kNewKernel)));
  check_nothing(run("1.0.0-rc93", {{"disableOOMKiller", false}}, kmem_config(kOldKernel)));  // docker's default
  // An explicit, allowed kernel limit: runc must set it on an empty cgroup it creates itself.
  check_nothing(run("1.0.0-rc93", {{"limit", 1 << 28}, {"kernel", 1 << 26}}, kmem_config(kOldKernel, KmemPolicy::Allow)));
}

TEST_F(KmemAccountingGuardTest, PrecreatedCgroupsGoWhenTheCreateFailedAndStayWhenItSucceeded) {
  auto failed = run("1.0.0-rc93", kLimited, kmem_config(kOldKernel));
  ASSERT_TRUE(exists(leaf()));
  EXPECT_TRUE(failed.guard->wants_watchdog());
  failed.runc_exited(false);
  EXPECT_FALSE(exists(base_));
  TearDown();
  auto created = run("1.0.0-rc93", kLimited, kmem_config(kOldKernel));
  ASSERT_TRUE(exists(leaf()));
  created.runc_exited(true);
  EXPECT_TRUE(exists(leaf()));  // runc owns it now
}

// The watchdog is a fork taken after before_runc and before before_exec made the directories: its copy of
// the guard knows only the plan, and that must be enough to remove them when runc-guard dies before its exec.
TEST_F(KmemAccountingGuardTest, TheWatchdogsCopyRemovesWhatWasPlanned) {
  auto spec = nlohmann::ordered_json::parse(shared_config("default.config.json"));
  spec["linux"]["resources"]["memory"] = kLimited;
  spec["linux"]["cgroupsPath"] = "/" + base_.substr(kMemoryMount.size() + 1) + "/ctr1";
  write_text(dir_ / "config.json", spec.dump());
  std::string runc = write_script(dir_ / "runc-1.0.0-rc93", "echo 'runc version 1.0.0-rc93'");
  Invocation inv(kmem_config(kOldKernel), {"runc", "create", "--bundle", dir_.path(), "ctr1"}, dir_.path(), runc);
  auto watchdogs_copy = make_kmem_accounting_guard_caching_in(dir_ / "runc-version-cache");
  watchdogs_copy->before_runc(inv.ctx);
  EXPECT_FALSE(exists(base_)) << "before_runc only plans";
  ASSERT_TRUE(watchdogs_copy->wants_watchdog());
  auto runtimes_copy = make_kmem_accounting_guard_caching_in(dir_ / "runc-version-cache");
  runtimes_copy->before_runc(inv.ctx);
  runtimes_copy->before_exec(inv.ctx);  // the runtime makes them, then dies before its exec
  ASSERT_TRUE(exists(leaf()));
  Config config;
  EventLog events_off("", "", "");
  WatchHints hints;
  WatchContext ctx{config, events_off, hints, "/proc", {}, Command::None, {}, {}, {}};
  watchdogs_copy->after_runc(ctx, RuncExit{false, false});
  EXPECT_FALSE(exists(base_));
}

TEST_F(KmemAccountingGuardTest, AllowWithoutExplicitLimitStillPrevents) {
  auto r = run("1.0.0-rc93", kLimited, kmem_config(kOldKernel, KmemPolicy::Allow));
  EXPECT_TRUE(exists(leaf()));
  EXPECT_EQ(r.events.size(), 1u);
}

TEST_F(KmemAccountingGuardTest, ExistingDirectoryIsJoinedAsIsAndNeverRecorded) {
  ASSERT_EQ(::mkdir(base_.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(leaf().c_str(), 0755), 0);
  auto r = run("1.0.0-rc93", kLimited, kmem_config(kOldKernel));
  EXPECT_TRUE(r.planned().empty());
  EXPECT_TRUE(r.events.empty());
}

TEST_F(KmemAccountingGuardTest, ObserveOnlyLogs) {
  auto r = run("1.0.0-rc93", kLimited, kmem_config(kOldKernel, KmemPolicy::Strip, Mode::Observe));
  EXPECT_FALSE(exists(base_));
  EXPECT_TRUE(r.planned().empty());
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0]["event"], "kmem.accounting_prevented");
  EXPECT_EQ(r.events[0]["details"]["observe"], true);
}

TEST_F(KmemAccountingGuardTest, SystemdDriverIsReportedAsNotCovered) {
  auto r = run("1.0.0-rc93", kLimited, kmem_config(kOldKernel), {"--systemd-cgroup"}, "system.slice:docker:ctr1");
  EXPECT_FALSE(exists(base_));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0]["event"], "kmem.accounting_not_covered");
}

TEST_F(KmemAccountingGuardTest, RelativeCgroupsPathIsUnderOurOwnMemoryCgroup) {
  auto h = find_cgroup_hierarchy("memory");
  ASSERT_TRUE(h);
  // Our own memory cgroup here is the hierarchy root or a slice; use a relative path below it.
  std::string rel = base_.substr(kMemoryMount.size() + 1) + "/ctr1";
  std::string expected = resolve_cgroup_dir(*h, rel, "ctr1");
  auto r = run("1.0.0-rc93", kLimited, kmem_config(kOldKernel), {}, rel);
  EXPECT_TRUE(exists(expected)) << expected;
  EXPECT_TRUE(r.guard->wants_watchdog());
  r.runc_exited(false);  // what it made goes again
  EXPECT_FALSE(exists(expected)) << expected;
}

TEST(KmemAccountingGuard, AppliesToCreateRunRestore) {
  auto g = make_kmem_accounting_guard();
  EXPECT_TRUE(g->applies(parse_runc_args(std::vector<std::string>{"runc", "create", "c"})));
  EXPECT_TRUE(g->applies(parse_runc_args(std::vector<std::string>{"runc", "run", "c"})));
  EXPECT_TRUE(g->applies(parse_runc_args(std::vector<std::string>{"runc", "restore", "c"})));
  EXPECT_FALSE(g->applies(parse_runc_args(std::vector<std::string>{"runc", "update", "c"})));
  EXPECT_FALSE(g->applies(parse_runc_args(std::vector<std::string>{"runc", "create", "-h"})));
}

}  // namespace
}  // namespace rg
