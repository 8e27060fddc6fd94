// The pipe-capacity probe against the real kernel, with /proc/sys/fs/pipe-user-pages-soft moved for the
// duration of each test (restored on every exit path, a guardian process covering our own death).
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "seccomp/engine.h"
#include "seccomp/probe.h"
#include "seccomp_test_helpers.h"

namespace rg::seccomp {
namespace {

using namespace rg::seccomp::testing;

TEST(SeccompProbe, NormalCapacityWhenUnderTheSoftLimit) {
  ScopedPipeUserPagesSoft unlimited(0);  // 0: no soft limit at all
  EXPECT_EQ(probe_pipe_capacity(), 65536u);
}

TEST(SeccompProbe, ReducedCapacityWhenUid0IsOverTheSoftLimit) {
  const unsigned long before = ScopedPipeUserPagesSoft::read_value();
  {
    HeldPipes held(8);                  // 8 x 16 pages held by uid 0, whatever else runs
    ScopedPipeUserPagesSoft lowered(16);
    EXPECT_EQ(probe_pipe_capacity(), minimum_pipe_capacity());
    EXPECT_EQ(minimum_pipe_capacity(), 8192u);
    // We ourselves keep CAP_SYS_RESOURCE: our new pipes are still full size, so the probe's capability
    // drop is what makes the difference.
    Pipe own = Pipe::create();
    EXPECT_EQ(::fcntl(own.write_end.get(), F_GETPIPE_SZ), 65536);
  }
  EXPECT_EQ(ScopedPipeUserPagesSoft::read_value(), before) << "pipe-user-pages-soft not restored";
}

TEST(SeccompProbe, GuardianRestoresTheLimitWhenTheTestProcessDies) {
  const unsigned long before = ScopedPipeUserPagesSoft::read_value();
  Pipe ready = Pipe::create();
  Child victim = Child::fork_run([&] {
    ScopedPipeUserPagesSoft lowered(before == 17 ? 18 : 17);
    (void)!::write(ready.write_end.get(), "x", 1);
    ::pause();  // SIGKILLed here: no destructor runs
    return 0;
  });
  ready.write_end.reset();
  char b;
  ASSERT_EQ(::read(ready.read_end.get(), &b, 1), 1);
  EXPECT_NE(ScopedPipeUserPagesSoft::read_value(), before);
  victim.kill_and_reap();
  for (int i = 0; i < 200 && ScopedPipeUserPagesSoft::read_value() != before; ++i) ::usleep(5000);
  EXPECT_EQ(ScopedPipeUserPagesSoft::read_value(), before);
}

TEST(SeccompProbe, IsCheap) {
  std::vector<double> us;
  for (int i = 0; i < 201; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    (void)probe_pipe_capacity();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  RecordProperty("probe_median_us", std::to_string(us[us.size() / 2]));
  std::printf("probe: median %.1f us, p90 %.1f us, min %.1f us\n", us[us.size() / 2], us[us.size() * 9 / 10], us[0]);
  EXPECT_LT(us[us.size() / 2], 500.0);
}

TEST(SeccompProbe, HazardVerdictUsesTheProbe) {
  HeldPipes held(8);
  ScopedPipeUserPagesSoft lowered(16);
  const Verdict v = assess_hazard(true, 9024);
  EXPECT_TRUE(v.hazardous);
  EXPECT_EQ(v.message, "runc init may block exporting seccomp: 9024 B program > 8192 B pipe");
  EXPECT_FALSE(assess_hazard(false, 9024).hazardous);  // without NNP runc init still holds its capabilities
  const Verdict small = assess_hazard(true, 7680);
  EXPECT_FALSE(small.hazardous);
  EXPECT_FALSE(small.pipe_capacity.has_value());  // <= 2 pages never blocks: no probe needed
}

TEST(SeccompProbe, PureVerdict) {
  EXPECT_TRUE(hazard_verdict(true, 65537, 65536).hazardous);
  EXPECT_FALSE(hazard_verdict(true, 65536, 65536).hazardous);
  EXPECT_FALSE(hazard_verdict(false, 1 << 20, 8192).hazardous);
  EXPECT_FALSE(hazard_verdict(true, 1 << 20, std::nullopt).hazardous);
}

}  // namespace
}  // namespace rg::seccomp
