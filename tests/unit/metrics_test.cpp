#include <gtest/gtest.h>

#include "temp_dir.h"
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "oci/base/files.h"
#include "oci/guard/metrics.h"

namespace rg {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

CounterSet read_counters(const fs::path& dir) { return parse_counters(read_file((dir / kMetricsFileName).string())); }

TEST(Metrics, SeriesKeysAndEscaping) {
  EXPECT_EQ(series_key(metric::kInitKilled, {}), "runc_guard_init_killed_total");
  EXPECT_EQ(series_key(metric::kInvocations, {{"command", "create"}}), R"(runc_guard_invocations_total{command="create"})");
  EXPECT_EQ(series_key("m", {{"a", "x\"y\\z\n"}, {"b", "2"}}), R"(m{a="x\"y\\z\n",b="2"})");
}

TEST(Metrics, ExpositionFormatRoundTrips) {
  CounterSet counters{{R"(runc_guard_invocations_total{command="create"})", 3},
                      {R"(runc_guard_invocations_total{command="state"})", 12},
                      {"runc_guard_init_unstuck_total", 1}};
  std::string text = format_counters(counters);
  EXPECT_EQ(text,
            "# HELP runc_guard_init_unstuck_total Blocked runc init processes un-stuck without loss by enlarging their pipe.\n"
            "# TYPE runc_guard_init_unstuck_total counter\n"
            "runc_guard_init_unstuck_total 1\n"
            "# HELP runc_guard_invocations_total runc invocations through runc-guard, by runc command.\n"
            "# TYPE runc_guard_invocations_total counter\n"
            "runc_guard_invocations_total{command=\"create\"} 3\n"
            "runc_guard_invocations_total{command=\"state\"} 12\n");
  EXPECT_EQ(parse_counters(text), counters);
  // Garbage lines (a hand-edited or truncated file) are skipped, not fatal.
  EXPECT_EQ(parse_counters("x 1\nbroken\ny notanumber\nz 2"), (CounterSet{{"x", 1}, {"z", 2}}));
}

TEST(Metrics, DisabledIsANoOp) {
  TempDir dir;
  Config config;  // textfile_dir empty
  count_metric(config, metric::kInitKilled);
  EXPECT_TRUE(fs::is_empty(dir.path()));
  // A missing parent is an error that must not escape (metrics are best effort) nor create anything.
  config.metrics.textfile_dir = (fs::path(dir.path()) / "no-parent" / "metrics").string();
  count_metric(config, metric::kInitKilled);  // never throws
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "no-parent"));
}

TEST(Metrics, MissingDirectoryIsCreatedLikeATmpfsAfterReboot) {
  TempDir dir;
  Config config;
  config.metrics.textfile_dir = (fs::path(dir.path()) / "metrics").string();
  count_metric(config, metric::kInitKilled);
  EXPECT_EQ(parse_counters(read_file((fs::path(dir.path()) / "metrics" / "runc_guard.prom").string()))["runc_guard_init_killed_total"], 1u);
}

TEST(Metrics, CountsAccumulateInTheFile) {
  TempDir dir;
  Config config;
  config.metrics.textfile_dir = dir.path();
  count_metric(config, metric::kInvocations, {{"command", "create"}});
  count_metric(config, metric::kInvocations, {{"command", "create"}});
  count_metric(config, metric::kInvocations, {{"command", "start"}});
  count_metric(config, metric::kSeccompHazard, {{"action", "watch"}}, 5);
  auto counters = read_counters(dir.path());
  EXPECT_EQ(counters[R"(runc_guard_invocations_total{command="create"})"], 2u);
  EXPECT_EQ(counters[R"(runc_guard_invocations_total{command="start"})"], 1u);
  EXPECT_EQ(counters[R"(runc_guard_seccomp_hazard_total{action="watch"})"], 5u);
  // Only the .prom file and the lock: no temp files left for node_exporter to trip over.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path())) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".runc_guard.prom.lock", "runc_guard.prom"}));
  EXPECT_EQ(fs::status(fs::path(dir.path()) / kMetricsFileName).permissions() & fs::perms::others_read, fs::perms::others_read);
}

TEST(Metrics, ConcurrentProcessesLoseNoIncrement) {
  TempDir dir;
  Config config;
  config.metrics.textfile_dir = dir.path();
  constexpr int kProcesses = 8, kIncrements = 250;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int i = 0; i < kIncrements; ++i) {
        count_metric(config, metric::kInvocations, {{"command", i % 2 ? "create" : "state"}});
        count_metric(config, metric::kInitUnstuck);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto counters = read_counters(dir.path());
  EXPECT_EQ(counters[R"(runc_guard_invocations_total{command="create"})"], kProcesses * kIncrements / 2u);
  EXPECT_EQ(counters[R"(runc_guard_invocations_total{command="state"})"], kProcesses * kIncrements / 2u);
  EXPECT_EQ(counters["runc_guard_init_unstuck_total"], static_cast<std::uint64_t>(kProcesses * kIncrements));
}

}  // namespace
}  // namespace rg
