#include "oci/kernel_release.h"

#include <gtest/gtest.h>

namespace rg {
namespace {

struct ReleaseCase {
  const char* release;
  unsigned major, minor, patch;
};

class KernelReleaseParses : public ::testing::TestWithParam<ReleaseCase> {};

TEST_P(KernelReleaseParses, RealReleaseStrings) {
  const ReleaseCase& c = GetParam();
  auto v = parse_kernel_release(c.release);
  ASSERT_TRUE(v.has_value()) << c.release;
  EXPECT_EQ(v->major, c.major) << c.release;
  EXPECT_EQ(v->minor, c.minor) << c.release;
  EXPECT_EQ(v->patch, c.patch) << c.release;
}

INSTANTIATE_TEST_SUITE_P(
    Releases, KernelReleaseParses,
    ::testing::Values(ReleaseCase{"3.10.0-1160.el7.x86_64", 3, 10, 0},        // CentOS 7.9
                      ReleaseCase{"3.10.0-514.10.2.el7.x86_64", 3, 10, 0},    // CentOS 7.3
                      ReleaseCase{"4.19.0-0.bpo.8-amd64", 4, 19, 0},          // Debian backports
                      ReleaseCase{"5.4.94-1.el7.elrepo.x86_64", 5, 4, 94},    // ELRepo kernel-lt on EL7
                      ReleaseCase{"6.18.44-fc-v669", 6, 18, 44},              // Firecracker guest
                      ReleaseCase{"6.1.0-13-amd64", 6, 1, 0},                 // Debian 12
                      ReleaseCase{"4.0", 4, 0, 0},                            // the default threshold
                      ReleaseCase{"4.0.0-rc1", 4, 0, 0},                      // mainline rc
                      ReleaseCase{"2.6.32.61-1-ARCH", 2, 6, 32},              // four-part 2.6 releases
                      ReleaseCase{"3.10+", 3, 10, 0},                         // git build suffix
                      ReleaseCase{"5.15.0-1034-azure", 5, 15, 0},
                      ReleaseCase{"4.14.314-237.533.amzn2.x86_64", 4, 14, 314},
                      ReleaseCase{"5.10.0-rt", 5, 10, 0}));

class KernelReleaseMalformed : public ::testing::TestWithParam<const char*> {};

TEST_P(KernelReleaseMalformed, IsRefused) { EXPECT_FALSE(parse_kernel_release(GetParam()).has_value()) << GetParam(); }

INSTANTIATE_TEST_SUITE_P(Malformed, KernelReleaseMalformed,
                         ::testing::Values("", "4", "4.", ".4", "v4.0", "linux-4.0", "a.b", "4.x", "4..0",
                                           "-3.10.0", " 3.10.0", "3.10.0 ", "3.10.0\n", "3.10.0\t-el7",
                                           "100000.0", "4.100000", "4.0.9999999999", "\x7f" "4.0"));

TEST(KernelRelease, ComparisonAgainstThreshold) {
  auto minimum = *parse_kernel_release("4.0");
  EXPECT_LT(*parse_kernel_release("3.10.0-1160.el7.x86_64"), minimum);
  EXPECT_LT(*parse_kernel_release("3.10.0-514.10.2.el7.x86_64"), minimum);
  EXPECT_LT(*parse_kernel_release("3.19.8"), minimum);
  EXPECT_EQ(*parse_kernel_release("4.0.0-rc1"), minimum);  // 4.0 itself is new enough
  EXPECT_GT(*parse_kernel_release("4.19.0-0.bpo.8-amd64"), minimum);
  EXPECT_GT(*parse_kernel_release("5.4.94-1.el7.elrepo.x86_64"), minimum);
  EXPECT_GT(*parse_kernel_release("6.18.44-fc-v669"), minimum);
  // Numeric, not lexicographic.
  EXPECT_LT(*parse_kernel_release("4.9.0"), *parse_kernel_release("4.10.0"));
  EXPECT_LT(*parse_kernel_release("4.4.9"), *parse_kernel_release("4.4.10"));
}

TEST(KernelRelease, ToString) { EXPECT_EQ(to_string(*parse_kernel_release("5.4.94-1.el7")), "5.4.94"); }

TEST(KernelRelease, RunningKernelParses) {
  std::string release = running_kernel_release();
  EXPECT_TRUE(parse_kernel_release(release).has_value()) << release;
}

}  // namespace
}  // namespace rg
