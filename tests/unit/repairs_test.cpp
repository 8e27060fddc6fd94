// The node-killer guards' pure parts and their doctor checks on fake trees: cgroup paths of the systemd
// driver, a process's cgroup, the freezer's state, the reap-age config key, missing /dev/char links
// (found and, with --fix, made in a fake /dev with real device nodes), runc called again as the caller ran it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/proc/proc_files.h"
#include "oci/cgroup.h"
#include "oci/guard/config.h"
#include "oci/runc_call.h"
#include "shim/ctl/doctor.h"
#include "temp_dir.h"

namespace rg {
namespace {

using test::TempDir;

TEST(SystemdSlice, ExpandsLikeSystemd) {
  EXPECT_EQ(expand_systemd_slice("system.slice"), "/system.slice");
  EXPECT_EQ(expand_systemd_slice("kubepods-burstable-pod12.slice"),
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice");
  EXPECT_EQ(expand_systemd_slice("-.slice"), "/");
  for (const char* bad : {"", ".slice", "a--b.slice", "-a.slice", "a/b.slice", "system", "a.scope"})
    EXPECT_FALSE(expand_systemd_slice(bad)) << bad;
}

TEST(SystemdCgroupDir, KubeletAndDockerPaths) {
  CgroupHierarchy h{"freezer", "/sys/fs/cgroup/freezer", "/", "/"};
  EXPECT_EQ(resolve_systemd_cgroup_dir(h, "kubepods-burstable-pod12.slice:cri-containerd:abc"),
            "/sys/fs/cgroup/freezer/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/cri-containerd-abc.scope");
  EXPECT_EQ(resolve_systemd_cgroup_dir(h, "system.slice:docker:0123"), "/sys/fs/cgroup/freezer/system.slice/docker-0123.scope");
  EXPECT_EQ(resolve_systemd_cgroup_dir(h, ":runc:x"), "/sys/fs/cgroup/freezer/system.slice/runc-x.scope");
  EXPECT_EQ(resolve_systemd_cgroup_dir(h, "user.slice::my.slice"), "/sys/fs/cgroup/freezer/user.slice/my.slice");
  for (const char* bad : {"/docker/abc", "a:b", "system.slice:docker:", "bad--.slice:p:n", "system.slice:p:../x"})
    EXPECT_FALSE(resolve_systemd_cgroup_dir(h, bad)) << bad;
}

TEST(ProcessCgroupDir, V1AndV2) {
  CgroupHierarchy v1{"freezer", "/sys/fs/cgroup/freezer", "/", "/"};
  EXPECT_EQ(process_cgroup_dir(v1, "12:memory:/a\n7:freezer:/rg/c1\n1:name=systemd:/x\n"), "/sys/fs/cgroup/freezer/rg/c1");
  EXPECT_FALSE(process_cgroup_dir(v1, "12:memory:/a\n"));
  CgroupHierarchy v2{"", "/sys/fs/cgroup", "/", "/"};
  EXPECT_EQ(process_cgroup_dir(v2, "0::/kubepods.slice/x.scope\n"), "/sys/fs/cgroup/kubepods.slice/x.scope");
  CgroupHierarchy nested{"freezer", "/sys/fs/cgroup/freezer", "/docker/abc", "/"};
  EXPECT_EQ(process_cgroup_dir(nested, "7:freezer:/docker/abc/sub\n"), "/sys/fs/cgroup/freezer/sub");
  EXPECT_FALSE(process_cgroup_dir(nested, "7:freezer:/elsewhere\n"));
}

// A cgroup of its own in a real hierarchy (this test machine runs cgroup v1 with the freezer, and the
// unified hierarchy beside it), removed again at the end.
class RealCgroup {
 public:
  explicit RealCgroup(const std::string& mount) : dir_(mount + "/rg-unit-" + std::to_string(::getpid())) {
    std::filesystem::create_directory(dir_);
  }
  ~RealCgroup() {
    if (std::filesystem::exists(dir_ + "/cgroup.freeze")) std::ofstream(dir_ + "/cgroup.freeze") << "0";
    else if (std::filesystem::exists(dir_ + "/freezer.state")) std::ofstream(dir_ + "/freezer.state") << "THAWED";
    ::rmdir(dir_.c_str());
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

TEST(Freezer, StateOfARealV1Cgroup) {
  ASSERT_TRUE(std::filesystem::exists("/sys/fs/cgroup/freezer/freezer.state") || std::filesystem::exists("/sys/fs/cgroup/freezer"))
      << "this test VM runs cgroup v1 with the freezer";
  RealCgroup cg("/sys/fs/cgroup/freezer");
  EXPECT_EQ(read_freezer_state(cg.dir()), FreezerState::Thawed);
  std::ofstream(cg.dir() + "/freezer.state") << "FROZEN";
  EXPECT_EQ(read_freezer_state(cg.dir()), FreezerState::Frozen);
  RealCgroup child(cg.dir());  // frozen only because its parent is: runc reads it as thawed
  EXPECT_EQ(read_freezer_state(child.dir()), FreezerState::Thawed);
  thaw_cgroup(cg.dir());
  EXPECT_EQ(read_freezer_state(cg.dir()), FreezerState::Thawed);
  EXPECT_EQ(cgroup_procs(cg.dir()), std::vector<pid_t>{});
}

TEST(Freezer, StateOfARealV2Cgroup) {
  const std::string unified = "/sys/fs/cgroup/unified";
  ASSERT_TRUE(std::filesystem::exists(unified + "/cgroup.procs")) << "this test VM mounts the unified hierarchy there";
  RealCgroup cg(unified);
  ASSERT_TRUE(std::filesystem::exists(cg.dir() + "/cgroup.freeze"));
  EXPECT_EQ(read_freezer_state(cg.dir()), FreezerState::Thawed);
  std::ofstream(cg.dir() + "/cgroup.freeze") << "1";
  EXPECT_EQ(read_freezer_state(cg.dir()), FreezerState::Frozen);
  thaw_cgroup(cg.dir());
  EXPECT_EQ(read_freezer_state(cg.dir()), FreezerState::Thawed);
}

// Files that only look like cgroup files, or a real cgroup reached through a link, are never read,
// written, killed by or removed (the paths come from config.json).
TEST(Freezer, OnlyRealCgroupDirectoriesReachedWithoutLinks) {
  TempDir fake;
  fake.file("freezer.state", "FROZEN\n");
  fake.file("freezer.self_freezing", "1\n");
  fake.file("cgroup.procs", "1\n");
  EXPECT_FALSE(is_cgroup_dir(fake.path()));
  EXPECT_FALSE(read_freezer_state(fake.path()));
  EXPECT_FALSE(cgroup_procs(fake.path()));
  EXPECT_THROW(thaw_cgroup(fake.path()), Error);
  RealCgroup cg("/sys/fs/cgroup/freezer");
  EXPECT_TRUE(is_cgroup_dir(cg.dir()));
  std::filesystem::create_directory_symlink(cg.dir(), fake / "link");
  EXPECT_FALSE(is_cgroup_dir(fake / "link"));
  EXPECT_FALSE(is_cgroup_dir(cg.dir() + "/../" + std::filesystem::path(cg.dir()).filename().string()));
  EXPECT_FALSE(is_cgroup_dir("relative/path"));
}

// runc's own shortcut for absolute and systemd cgroup paths (/sys/fs/cgroup/<controller>, no mountinfo) finds
// the same mountpoints on this machine's real hierarchies as the mountinfo walk, and a relative path, which
// needs the mounted root, is refused rather than guessed.
TEST(CgroupHierarchies, DefaultPathsMatchMountinfo) {
  const auto walked = all_cgroup_hierarchies("/proc", RootNeeded::Yes);
  const auto shortcut = all_cgroup_hierarchies("/proc", RootNeeded::No);
  ASSERT_FALSE(walked.empty());
  ASSERT_EQ(walked.size(), shortcut.size());
  for (std::size_t k = 0; k < walked.size(); ++k) {
    SCOPED_TRACE(walked[k].controller);
    EXPECT_EQ(shortcut[k].controller, walked[k].controller);
    EXPECT_EQ(shortcut[k].mountpoint, walked[k].mountpoint);
    EXPECT_EQ(shortcut[k].own_cgroup, walked[k].own_cgroup);
    EXPECT_TRUE(walked[k].root_known);
    EXPECT_FALSE(shortcut[k].root_known);
    EXPECT_EQ(resolve_cgroup_dir(shortcut[k], "/kubepods/pod1/c1", "c1"), resolve_cgroup_dir(walked[k], "/kubepods/pod1/c1", "c1"));
    EXPECT_THROW(resolve_cgroup_dir(shortcut[k], "", "c1"), Error);
    EXPECT_THROW(resolve_cgroup_dir(shortcut[k], "relative/c1", "c1"), Error);
    EXPECT_EQ(process_cgroup_dir(shortcut[k], "0::/x\n"), std::nullopt);
  }
  EXPECT_EQ(root_needed_for("/docker/abc", false), RootNeeded::No);
  EXPECT_EQ(root_needed_for("system.slice:docker:abc", true), RootNeeded::No);
  EXPECT_EQ(root_needed_for("", false), RootNeeded::Yes);
  EXPECT_EQ(root_needed_for("docker/abc", false), RootNeeded::Yes);
}

TEST(SystemdCgroupDir, NeverAPath) {
  CgroupHierarchy h{"freezer", "/sys/fs/cgroup/freezer", "/", "/"};
  for (const char* bad : {"system.slice:../../../../tmp/evil:x", "system.slice:a/b:c", "system.slice:p:a/b",
                          "system.slice:p q:x", "../x.slice:p:n", "system.slice::../x.slice", "system.slice::..slice"})
    EXPECT_FALSE(resolve_systemd_cgroup_dir(h, bad)) << bad;
  EXPECT_TRUE(valid_systemd_unit_name("cri-containerd-0123abc.scope"));
  EXPECT_FALSE(valid_systemd_unit_name("a/b.scope"));
  EXPECT_FALSE(valid_systemd_unit_name(".hidden.scope"));
}

TEST(Config, ReapOrphanedCreatedAfter) {
  EXPECT_EQ(parse_config("{}", "f").watchdog.reap_orphaned_created_after_s, 0);
  EXPECT_EQ(parse_config(R"({"watchdog": {"reap_orphaned_created_after_s": 600}})", "f").watchdog.reap_orphaned_created_after_s, 600);
  EXPECT_THROW(parse_config(R"({"watchdog": {"reap_orphaned_created_after_s": -1}})", "f"), Error);
  EXPECT_THROW(parse_config(R"({"watchdog": {"reap_orphaned_created_after_s": "10m"}})", "f"), Error);
}

TEST(RuncCall, KeepsTheCallersGlobalFlags) {
  std::vector<std::string> argv{"runc", "--root", "r", "--systemd-cgroup", "--log", "l.json", "update", "-r", "-", "c1"};
  RuncCall call = RuncCall::from_argv("/usr/bin/runc", argv, "/work");
  EXPECT_EQ(call.global_flags, (std::vector<std::string>{"--root", "r", "--systemd-cgroup", "--log", "l.json"}));
  EXPECT_EQ(call.cwd, "/work");
  // It really runs: /bin/sh as "runc" sees the global flags, then the arguments.
  TempDir dir;
  RuncCall sh{"/bin/sh", {"-c", "echo \"$0 $*\" > " + dir.file("out")}, dir.path()};
  EXPECT_EQ(sh.run({"delete", "--force"}, std::chrono::seconds(5)), 0);
  std::ifstream out(dir.file("out"));
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(line, "delete --force");
  EXPECT_EQ((RuncCall{"/nonexistent", {}, "/"}.run({}, std::chrono::seconds(5))), 127);
}

// Doctor's device-links check in a fake /dev holding real device nodes (mknod as root).
class DeviceLinksDoctor : public ::testing::Test {
 protected:
  TempDir dev;
  void SetUp() override {
    ASSERT_EQ(::mknod((dev / "rgdev0").c_str(), S_IFCHR | 0600, ::makedev(242, 7)), 0);
    std::filesystem::create_directories(dev / "dri");
    ASSERT_EQ(::mknod((dev / "dri/card0").c_str(), S_IFCHR | 0600, ::makedev(226, 0)), 0);
    ASSERT_EQ(::mknod((dev / "rgblk").c_str(), S_IFBLK | 0600, ::makedev(7, 200)), 0);
    std::filesystem::create_directories(dev / "char");
    std::filesystem::create_symlink("../rgdev0", dev / "char/242:7");  // this one is there already
  }
  std::vector<CheckResult> run(bool fix) {
    Config config;
    config.guards["device-links"] = GuardPolicy::Enforce;
    DoctorOptions options;
    options.fix = fix;
    options.dev_root = dev.path();
    options.runc_roots = {dev / "no-runc-root"};
    std::vector<CheckResult> out;
    for (auto& r : check_guards_on_node(config, std::nullopt, "", options))
      if (r.id == "devices.links") out.push_back(r);
    return out;
  }
};

TEST_F(DeviceLinksDoctor, ListsMissingLinksAndFixMakesThem) {
  auto found = run(false);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].status, CheckStatus::Ok);
  std::set<std::string> missing;
  for (const auto& m : found[0].data["missing"]) missing.insert(m["link"].get<std::string>() + " " + m["target"].get<std::string>());
  EXPECT_EQ(missing, (std::set<std::string>{"char/226:0 ../dri/card0", "block/7:200 ../rgblk"}));
  EXPECT_FALSE(std::filesystem::exists(dev / "block")) << "a look must change nothing";

  auto fixed = run(true);
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_EQ(fixed[0].status, CheckStatus::Ok);
  EXPECT_EQ(std::filesystem::read_symlink(dev / "char/226:0"), "../dri/card0");
  EXPECT_EQ(std::filesystem::read_symlink(dev / "block/7:200"), "../rgblk");
  EXPECT_EQ(std::filesystem::read_symlink(dev / "char/242:7"), "../rgdev0");
  auto again = run(false);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].status, CheckStatus::Ok);
  EXPECT_TRUE(again[0].data["missing"].empty());
}

TEST_F(DeviceLinksDoctor, NothingIsMadeWhenTheGuardIsOff) {
  Config config;
  config.guards["device-links"] = GuardPolicy::Off;
  DoctorOptions options;
  options.fix = true;
  options.dev_root = dev.path();
  for (auto& r : check_guards_on_node(config, std::nullopt, "", options)) {
    if (r.id == "devices.links") {
      EXPECT_EQ(r.status, CheckStatus::Info);
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dev / "block"));
}

}  // namespace
}  // namespace rg

namespace rg {
namespace {

// A keeper's record of /bin/true with this test process playing the keeper.
RuncCopyRecord record_of_this_process() {
  struct stat st {};
  EXPECT_EQ(::stat("/bin/true", &st), 0);
  auto self = read_proc_stat("/proc", ::getpid());
  EXPECT_TRUE(self);
  RuncCopyRecord r;
  r.pid = ::getpid();
  r.start_time = self ? self->start_time : 0;
  r.fd = 3;
  r.runc_path = "/bin/true";
  r.set_runc_file(st);
  r.sha256 = std::string(64, 'a');
  return r;
}

// Doctor's keeper check against records in a private directory.
TEST(KeeperDoctor, RunningCurrentStaleAndMissing) {
  test::TempDir dir;
  EXPECT_EQ(check_keeper("/bin/true", "/proc", dir.path()).status, CheckStatus::Info);
  RuncCopyRecord r = record_of_this_process();
  const std::uint64_t own_start_time = r.start_time;
  write_file_atomic(runc_copy_record_path("/bin/true", dir.path()), r.to_json(), FileOwnership{0644, 0, 0});
  EXPECT_EQ(check_keeper("/bin/true", "/proc", dir.path()).status, CheckStatus::Ok);
  r.runc_ctime_nsec += 1;  // a copy of the file as it was before a change
  write_file_atomic(runc_copy_record_path("/bin/true", dir.path()), r.to_json(), FileOwnership{0644, 0, 0});
  EXPECT_EQ(check_keeper("/bin/true", "/proc", dir.path()).status, CheckStatus::Warn);
  r.start_time += 1;  // not this process any more: no keeper
  write_file_atomic(runc_copy_record_path("/bin/true", dir.path()), r.to_json(), FileOwnership{0644, 0, 0});
  EXPECT_EQ(check_keeper("/bin/true", "/proc", dir.path()).status, CheckStatus::Info);
  r.start_time = own_start_time;
  r.runc_ctime_nsec -= 1;  // current again, but the record is not root's
  write_file_atomic(runc_copy_record_path("/bin/true", dir.path()), r.to_json(), FileOwnership{0644, 65534, 0});
  EXPECT_EQ(check_keeper("/bin/true", "/proc", dir.path()).status, CheckStatus::Info) << "a record not root's is ignored";
}

// A keeper that began and never published its copy (its .attempt marker left, no live keeper): a warning that
// names when; a live keeper's record wins over an old marker.
TEST(KeeperDoctor, KeeperThatNeverPublished) {
  test::TempDir dir;
  const std::string record = runc_copy_record_path("/bin/true", dir.path());
  write_file_atomic(runc_copy_attempt_path("/bin/true", dir.path()), "", FileOwnership{0600, 0, 0});
  CheckResult r = check_keeper("/bin/true", "/proc", dir.path());
  EXPECT_EQ(r.status, CheckStatus::Warn);
  EXPECT_NE(r.evidence.find("never published its copy"), std::string::npos) << r.evidence;
  EXPECT_EQ(r.data.value("running", true), false);
  write_file_atomic(record, record_of_this_process().to_json(), FileOwnership{0644, 0, 0});
  EXPECT_EQ(check_keeper("/bin/true", "/proc", dir.path()).status, CheckStatus::Ok);
}

}  // namespace
}  // namespace rg
