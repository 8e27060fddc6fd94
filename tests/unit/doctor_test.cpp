#include <gtest/gtest.h>

#include <filesystem>

#include "oci/base/files.h"
#include "oci/base/text.h"
#include "shim/ctl/doctor.h"
#include "oci/runc_version.h"

namespace rg {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> issue_ids(std::string_view version) {
  std::vector<std::string> ids;
  for (const RuncIssueInfo* issue : issues_of(parse_runc_version(version)->version))
    if (issue->severity != IssueSeverity::Info) ids.push_back(std::string(issue->id));
  return ids;
}

RuncVersion v(std::string_view text) { return parse_runc_version(text)->version; }

TEST(RuncVersions, ParseAndOrder) {
  EXPECT_EQ(v("1.0.0-rc93"), RuncVersion::candidate(1, 0, 0, 93));
  EXPECT_EQ(v("1.0.0~rc93+ds1"), RuncVersion::candidate(1, 0, 0, 93));
  EXPECT_EQ(v("1.1.5+ds1"), RuncVersion::release(1, 1, 5));
  EXPECT_EQ(v("v1.1.12"), RuncVersion::release(1, 1, 12));
  EXPECT_EQ(v("1.1.12-0ubuntu2~22.04.1"), RuncVersion::release(1, 1, 12));
  EXPECT_EQ(v("1.1.0-rc.1"), RuncVersion::candidate(1, 1, 0, 1));
  EXPECT_FALSE(parse_runc_version("unknown"));
  EXPECT_FALSE(parse_runc_version("1"));
  EXPECT_FALSE(parse_runc_version("1.0.0-rc"));
  EXPECT_LT(v("1.0.0-rc93"), v("1.0.0"));
  EXPECT_LT(v("1.0.0-rc5"), v("1.0.0-rc10"));
  EXPECT_GT(v("1.1.12"), v("1.1.5"));
  // Distribution builds may carry backported fixes; upstream dev/dirty builds are not theirs.
  EXPECT_TRUE(parse_runc_version("1.1.5+ds1")->distribution);
  EXPECT_TRUE(parse_runc_version("1.0.0~rc93+ds1")->distribution);
  EXPECT_TRUE(parse_runc_version("1.1.12-0ubuntu2~22.04.1")->distribution);
  EXPECT_FALSE(parse_runc_version("1.1.12")->distribution);
  EXPECT_FALSE(parse_runc_version("1.0.0-rc5+dev")->distribution);
  EXPECT_FALSE(parse_runc_version("1.0.0-rc90-dirty")->distribution);
}

TEST(RuncKnownIssues, TableByVersion) {
  using V = std::vector<std::string>;
  EXPECT_EQ(issue_ids("1.0.0-rc93"),
            (V{"runc-init-pipe-hang", "CVE-2024-21626", "CVE-2025-31133", "CVE-2022-29162", "CVE-2021-30465",
               "runc-implicit-kmem", "runc-frozen-on-kill", "runc-frozen-hangs"}));
  EXPECT_EQ(issue_ids("1.1.5+ds1"), (V{"CVE-2024-21626", "CVE-2025-31133", "runc-frozen-on-kill", "runc-devices-lost"}));
  EXPECT_EQ(issue_ids("1.1.12"), (V{"CVE-2025-31133", "runc-frozen-on-kill"}));
  EXPECT_EQ(issue_ids("1.2.8"), (V{"runc-frozen-on-kill"}));
  EXPECT_EQ(issue_ids("1.4.0"), V{});
}

TEST(RuncKnownIssues, RangesAtTheirEdges) {
  struct Case {
    RuncIssue issue;
    std::vector<const char*> affected, fixed;
  };
  const Case cases[] = {
      {RuncIssue::SeccompExportHang, {"1.0.0-rc93", "1.0.0~rc93+ds1"}, {"1.0.0-rc92", "1.0.0-rc94", "1.0.0"}},
      {RuncIssue::ImplicitKmemAccounting, {"1.0.0-rc5", "1.0.0-rc5+dev", "1.0.0-rc10", "1.0.0-rc93", "1.0.0-rc90-dirty"},
       {"1.0.0-rc4", "1.0.0-rc94", "1.0.0", "1.1.5", "1.1.0-rc.1", "0.1.1"}},
      // Checked with strace on the real releases: rc94 and later never write memory.kmem.* (kmem_real_runc.sh).
      {RuncIssue::KmemLimitsIgnored, {"1.0.0-rc94", "1.0.3", "1.1.0", "1.1.5+ds1", "1.1.15"}, {"1.0.0-rc93", "1.0.0-rc10"}},
      {RuncIssue::Cve2019_5736, {"1.0.0-rc6", "1.0.0-rc1"}, {"1.0.0-rc7", "1.0.0-rc10"}},
      {RuncIssue::Cve2024_21626, {"1.0.0-rc93", "1.1.0", "1.1.11"}, {"1.0.0-rc92", "1.1.12", "1.1.15"}},
      {RuncIssue::Cve2022_29162, {"1.1.0", "1.1.1", "1.0.3"}, {"1.1.2", "1.1.12"}},
      {RuncIssue::Cve2023_27561, {"1.0.0-rc95", "1.0.0", "1.1.4"}, {"1.0.0-rc94", "1.1.5"}},
      {RuncIssue::Cve2019_19921, {"1.0.0-rc9"}, {"1.0.0-rc10"}},
      {RuncIssue::Cve2025_31133, {"1.1.15", "1.2.7", "1.0.0-rc10"}, {"1.2.8", "1.3.3"}},
      {RuncIssue::FrozenCgroupHangs, {"1.0.3", "1.0.0-rc93", "1.0.0-rc10"}, {"1.1.0", "1.1.12"}},
      {RuncIssue::DevicesLostOnReload, {"1.1.3", "1.1.6"}, {"1.1.2", "1.1.7"}},
  };
  for (const auto& c : cases) {
    for (const char* a : c.affected) EXPECT_TRUE(affected(v(a), c.issue)) << issue_info(c.issue).id << " " << a;
    for (const char* f : c.fixed) EXPECT_FALSE(affected(v(f), c.issue)) << issue_info(c.issue).id << " " << f;
  }
}

// A fake /proc and /sys tree per test.
class DoctorChecks : public ::testing::Test {
 protected:
  fs::path root = fs::temp_directory_path() / ("rg-doctor-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override { fs::remove_all(root); }
  void TearDown() override { fs::remove_all(root); }
  void put(const std::string& rel, const std::string& content) {
    fs::create_directories((root / rel).parent_path());
    write_file_atomic((root / rel).string(), content);
  }
  std::string proc() { return (root / "proc").string(); }
  std::string sys() { return (root / "sys").string(); }
};

TEST_F(DoctorChecks, KernelAgainstThreshold) {
  EXPECT_EQ(check_kernel_kmem("3.10.0-1160.el7.x86_64", "4.0").status, CheckStatus::Fail);
  EXPECT_EQ(check_kernel_kmem("4.19.0-0.bpo.8-amd64", "4.0").status, CheckStatus::Ok);
  EXPECT_EQ(check_kernel_kmem("6.18.44-fc-v669", "4.0").status, CheckStatus::Ok);
  EXPECT_EQ(check_kernel_kmem("garbage", "4.0").status, CheckStatus::Error);
}

TEST_F(DoctorChecks, MemoryCgroupCount) {
  auto with = [&](int n) {
    put("proc/cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t2\t10\t1\nmemory\t4\t" +
                            std::to_string(n) + "\t1\n");
    return check_memory_cgroup_count(proc());
  };
  EXPECT_EQ(with(43).status, CheckStatus::Ok);
  EXPECT_EQ(with(43).data["num_cgroups"], 43);
  EXPECT_EQ(with(40000).status, CheckStatus::Warn);
  EXPECT_EQ(with(65000).status, CheckStatus::Fail);
  EXPECT_EQ(check_memory_cgroup_count((root / "nowhere").string()).status, CheckStatus::Error);
}

TEST_F(DoctorChecks, KmemAccountingOnEngineParents) {
  put("sys/fs/cgroup/memory/docker/memory.kmem.limit_in_bytes", "9223372036854771712\n");
  EXPECT_EQ(check_kmem_accounting(sys(), true).status, CheckStatus::Ok);
  put("sys/fs/cgroup/memory/kubepods/memory.kmem.limit_in_bytes", "9223372036854771712\n");
  put("sys/fs/cgroup/memory/kubepods/memory.kmem.slabinfo", "slabinfo - version: 2.1\n");
  auto at_risk = check_kmem_accounting(sys(), true);
  EXPECT_EQ(at_risk.status, CheckStatus::Fail);
  EXPECT_NE(at_risk.evidence.find("kubepods (slabinfo readable)"), std::string::npos) << at_risk.evidence;
  EXPECT_EQ(check_kmem_accounting(sys(), false).status, CheckStatus::Info);
  put("sys/fs/cgroup/memory/docker/memory.kmem.limit_in_bytes", "1073741824\n");
  EXPECT_NE(check_kmem_accounting(sys(), true).evidence.find("docker (limit set)"), std::string::npos);
}

TEST_F(DoctorChecks, NokmemOnCommandLine) {
  put("proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet\n");
  EXPECT_EQ(check_nokmem(proc(), true).status, CheckStatus::Warn);
  EXPECT_EQ(check_nokmem(proc(), false).status, CheckStatus::Ok);
  put("proc/cmdline", "ro cgroup.memory=nosocket,nokmem quiet\n");
  EXPECT_EQ(check_nokmem(proc(), true).status, CheckStatus::Ok);
  EXPECT_EQ(check_nokmem(proc(), true).data["nokmem"], true);
}

TEST_F(DoctorChecks, PipeLimitsAndProbe) {
  put("proc/sys/fs/pipe-user-pages-soft", "16384\n");
  put("proc/sys/fs/pipe-user-pages-hard", "0\n");
  put("proc/sys/fs/pipe-max-size", "1048576\n");
  auto healthy = check_pipe_limits(proc(), [] { return std::size_t{65536}; });
  EXPECT_EQ(healthy.status, CheckStatus::Ok);
  EXPECT_EQ(healthy.data["pipe_user_pages_soft"], 16384);
  EXPECT_EQ(healthy.data["runc_init_pipe_capacity"], 65536);
  auto reduced = check_pipe_limits(proc(), [] { return std::size_t{8192}; });
  EXPECT_EQ(reduced.status, CheckStatus::Warn);
  EXPECT_NE(reduced.evidence.find("8192 B pipe"), std::string::npos);
  // Only rc93 (or an unknown runc) blocks on it: for any other runc the reduced pipe is only told.
  auto harmless = check_pipe_limits(proc(), [] { return std::size_t{8192}; }, false);
  EXPECT_EQ(harmless.status, CheckStatus::Info);
  EXPECT_NE(harmless.evidence.find("8192 B pipe"), std::string::npos);
  auto failed = check_pipe_limits(proc(), []() -> std::size_t { throw std::runtime_error("EPERM"); });
  EXPECT_EQ(failed.status, CheckStatus::Error);
}

TEST_F(DoctorChecks, RuncGuardConfig) {
  put("etc/config.json", "{\"mode\": \"observe\"}\n");
  auto ok = check_runc_guard_config((root / "etc/config.json").string(), true);
  EXPECT_EQ(ok.status, CheckStatus::Ok);
  EXPECT_EQ(ok.data["mode"], "observe");
  put("etc/bad.json", "{\"mode\": \"maybe\"}\n");
  EXPECT_EQ(check_runc_guard_config((root / "etc/bad.json").string(), true).status, CheckStatus::Fail);
  EXPECT_EQ(check_runc_guard_config((root / "etc/missing.json").string(), false).status, CheckStatus::Info);
}

TEST(DoctorReport, ExitCodeAndJson) {
  DoctorReport report;
  report.checks.push_back({"a", CheckStatus::Ok, "fine", "", {}});
  report.checks.push_back({"b", CheckStatus::Info, "note", "", {}});
  EXPECT_EQ(report.exit_code(), 0);
  report.checks.push_back({"c", CheckStatus::Error, "could not look", "x", {}});
  EXPECT_EQ(report.exit_code(), 2);
  report.checks.push_back({"d", CheckStatus::Warn, "hmm", "do y", {}});
  EXPECT_EQ(report.exit_code(), 1);
  auto j = report.to_json();
  EXPECT_EQ(j["schema"], 1);
  EXPECT_EQ(j["result"], "problems");
  EXPECT_EQ(j["checks"][3]["status"], "warn");
  EXPECT_EQ(j["checks"][3]["advice"], "do y");
  std::string table = report.to_table();
  EXPECT_NE(table.find("STATUS  CHECK  EVIDENCE\nok      a      fine\n"), std::string::npos) << table;
  EXPECT_NE(table.find("\n               advice: do y\n"), std::string::npos) << table;
}

}  // namespace
}  // namespace rg

namespace rg {
namespace {

// Container ids and paths in evidence come from outside: the table escapes them, JSON stays valid.
TEST(DoctorOutput, HostileBytesAreEscapedInTheTableAndValidInJson) {
  DoctorReport report;
  report.checks.push_back({"init.blocked", CheckStatus::Fail, "container \xff\xfe\x1b[31mred\x1b[0m \xc2\x9b" "2J",
                           "kill \x07it", {{"container_id", "\xff\x1b"}}});
  const std::string table = report.to_table();
  EXPECT_EQ(table.find('\x1b'), std::string::npos) << table;
  EXPECT_EQ(table.find('\x07'), std::string::npos) << table;
  EXPECT_EQ(table.find("\xc2\x9b"), std::string::npos) << "8-bit CSI reached the table";
  EXPECT_NE(table.find("container \\xff\\xfe\\x1b[31mred"), std::string::npos) << table;
  const std::string json = report.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  EXPECT_TRUE(valid_utf8(json));
  EXPECT_FALSE(nlohmann::json::parse(json, nullptr, false).is_discarded());
}

}  // namespace
}  // namespace rg
