#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "oci/base/error.h"
#include "shim/runtime/real_runc.h"

namespace rg {
namespace {

TEST(RealRunc, CandidateListIsTheDocumentedOne) {
  auto c = default_runc_candidates("/opt/bin:/usr/bin");
  std::vector<std::string> want = {"/usr/bin/runc.real", "/usr/bin/runc", "/usr/sbin/runc", "/usr/local/bin/runc",
                                   "/usr/local/sbin/runc", "/opt/bin/docker-runc", "/usr/bin/docker-runc"};
  EXPECT_EQ(c, want);
}

TEST(RealRunc, FindsSystemRunc) {
  ASSERT_TRUE(std::filesystem::exists("/usr/sbin/runc")) << "Debian's runc package must be installed";
  RealRunc r = locate_real_runc(Config{}, "/nonexistent", "/proc/self/exe");
  EXPECT_TRUE(r.path == "/usr/bin/runc" || r.path == "/usr/sbin/runc") << r.path;
}

// When runc-guard is installed as the system runc, every candidate that is the same file is skipped.
TEST(RealRunc, SkipsItselfAndFallsBackToDockerRuncOnPath) {
  char tmpl[] = "/tmp/rg-realrunc-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::filesystem::copy_file("/usr/sbin/runc", dir + "/docker-runc");
  ::chmod((dir + "/docker-runc").c_str(), 0755);
  RealRunc r = locate_real_runc(Config{}, dir.c_str(), "/usr/sbin/runc");
  EXPECT_EQ(r.path, dir + "/docker-runc");
  try {
    locate_real_runc(Config{}, "/nonexistent", "/usr/sbin/runc");
    ADD_FAILURE() << "found a runc although the only one is 'ourselves'";
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_refusal());
    EXPECT_NE(std::string(e.what()).find("cannot find the real runc"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(RealRunc, ConfiguredPathMustExistAndBeExecutable) {
  Config c;
  c.runtime.path = "/nonexistent/runc";
  c.source = "/etc/runc-guard/config.json";
  EXPECT_THROW(locate_real_runc(c, nullptr), Error);
  char tmpl[] = "/tmp/rg-notexec-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::fchmod(fd, 0644);
  ::close(fd);
  c.runtime.path = tmpl;
  EXPECT_THROW(locate_real_runc(c, nullptr), Error);
  ::unlink(tmpl);
}

}  // namespace
}  // namespace rg
