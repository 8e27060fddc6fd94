// The first stage's decisions against the full runtime's: it may exec runc itself only where the full
// runtime would pass the call through unchanged (never a guarded command, --version or something it
// does not know), and the cache it trusts records exactly what the runtime's decision rested on.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <random>

#include "oci/args.h"
#include "oci/runc_version.h"
#include "shim/first_stage/first_stage.h"
#include "shim/runtime/passthrough_cache.h"
#include "shim/runtime/runtime.h"

namespace rg {
namespace {

int first_stage_decision(const std::vector<std::string>& argv) {
  std::vector<char*> ptrs;
  for (const auto& a : argv) ptrs.push_back(const_cast<char*>(a.c_str()));
  ptrs.push_back(nullptr);
  return rg_first_stage_passes_through(static_cast<int>(argv.size()), ptrs.data());
}
bool first_stage_passes(const std::vector<std::string>& argv) { return first_stage_decision(argv) == RG_FS_PASS; }

// What the full runtime does with argv: exec runc straight away (pass-through) or not.
bool runtime_passes(const std::vector<std::string>& argv) {
  RuncArgs args = parse_runc_args(argv);
  return !args.wants_version() && !needs_guarding(args);
}

TEST(FirstStage, PassesThroughWhatTheRuntimePassesThrough) {
  using V = std::vector<std::string>;
  for (const V& argv : {V{"runc", "state", "c1"}, V{"runc", "--root", "/r", "state", "c1"}, V{"runc", "--root=/r", "kill", "c1", "9"},
                        V{"runc", "--log", "l.json", "--log-format", "json", "delete", "c1"}, V{"runc", "list", "-q"},
                        V{"runc", "--debug", "ps", "--format", "json", "c1"}, V{"runc", "events", "--stats", "c1"},
                        V{"runc", "features"}, V{"runc", "--systemd-cgroup", "pause", "c1"}, V{"runc", "-", "state"},
                        V{"runc", "--", "state", "c1"}}) {
    SCOPED_TRACE(testing::PrintToString(argv));
    EXPECT_TRUE(runtime_passes(argv));
    if (argv[1] != "-") {
      EXPECT_TRUE(first_stage_passes(argv));
    }
  }
}

TEST(FirstStage, LeavesToTheRuntimeEverythingElse) {
  using V = std::vector<std::string>;
  for (const V& argv :
       {V{"runc", "create", "--bundle", "b", "c1"}, V{"runc", "start", "c1"}, V{"runc", "exec", "c1", "sh"},
        V{"runc", "run", "c1"}, V{"runc", "update", "--memory", "1", "c1"}, V{"runc", "restore", "c1"},
        V{"runc", "delete", "--force", "c1"}, V{"runc", "delete", "-f", "c1"}, V{"runc", "delete", "c1", "--force"},
        V{"runc", "delete", "--force=false", "c1"}, V{"runc", "delete", "--force", "--help", "c1"}, V{"runc", "--version"}, V{"runc", "-v"}, V{"runc", "--help"},
        V{"runc"}, V{"runc", "--root"}, V{"runc", "--unknown-flag", "state", "c1"}, V{"runc", "frobnicate"},
        V{"runc", "--root", "state", "create", "c1"}, V{"runc", "-b", "create"}}) {
    SCOPED_TRACE(testing::PrintToString(argv));
    EXPECT_FALSE(first_stage_passes(argv));
  }
}

// Whatever argv: the first stage never passes through what the runtime would not.
TEST(FirstStage, NeverPassesThroughWhatTheRuntimeGuards) {
  const std::vector<std::string> words = {"state", "create", "delete", "kill", "exec", "start", "update", "run", "list", "ps",
                                          "--root", "/r", "--log", "-", "--", "--force", "-f", "--version", "-v", "--help",
                                          "-h", "--debug", "--systemd-cgroup", "--rootless", "true", "c1", "--root=/x",
                                          "--log-format=json", "-b", "--bundle", "help", "features", "pause", "events"};
  std::mt19937 rng(7);
  int passed = 0;
  for (int round = 0; round < 200000; ++round) {
    std::vector<std::string> argv{"runc"};
    const int n = std::uniform_int_distribution<int>(0, 6)(rng);
    for (int k = 0; k < n; ++k) argv.push_back(words[std::uniform_int_distribution<std::size_t>(0, words.size() - 1)(rng)]);
    const int decision = first_stage_decision(argv);
    if (decision == RG_FS_PASS_IF_FORCED_DELETE_PASSES) {
      // only `delete` whose one flag is --force/-f: what the cache's forced-delete answer is about
      RuncArgs args = parse_runc_args(argv);
      ASSERT_TRUE(args.is(Command::Delete) && args.flag_bool("force") && args.command_flags.size() >= 1) << testing::PrintToString(argv);
      for (const auto& f : args.command_flags) ASSERT_EQ(f.name, "force") << testing::PrintToString(argv);
      continue;
    }
    if (decision != RG_FS_PASS) continue;
    ++passed;
    ASSERT_TRUE(runtime_passes(argv)) << testing::PrintToString(argv);
  }
  EXPECT_GT(passed, 1000);  // the fast path is really taken
}

// The exact calls containerd 1.6 made for dockerd 20.10 (../shared/testdata/docker-20.10/runc-invocations.txt).
TEST(FirstStage, ContainerdsRealInvocations) {
  std::ifstream in(std::string(RG_SHARED_TESTDATA) + "/docker-20.10/runc-invocations.txt");
  ASSERT_TRUE(in) << "../shared/testdata must sit beside the checkout";
  int fast = 0, lines = 0, forced = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> argv;
    for (std::size_t at = 0; at < line.size();) {
      std::size_t end = line.find(' ', at);
      argv.push_back(line.substr(at, end - at));
      at = end == std::string::npos ? line.size() : end + 1;
    }
    ++lines;
    const int decision = first_stage_decision(argv);
    if (decision == RG_FS_PASS_IF_FORCED_DELETE_PASSES) {
      ++forced;
      continue;
    }
    const bool passes = decision == RG_FS_PASS;
    EXPECT_EQ(passes, runtime_passes(argv)) << line;
    fast += passes;
  }
  EXPECT_EQ(lines, 14);
  EXPECT_EQ(fast, 6);    // pause, resume, ps, kill ×2, delete
  EXPECT_EQ(forced, 2);  // delete --force ×2: fast where no guard acts on it (runc 1.1 and later)
}

TEST(FirstStage, CachePathIsTheConfigPathsHash) {
  char path[sizeof RG_PT_DIR + 20];
  rg_pt_cache_path("/etc/runc-guard/config.json", path);
  EXPECT_EQ(std::string(path), std::string(RG_PT_DIR) + "/" + [] {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(rg_fnv1a64("/etc/runc-guard/config.json", 27, RG_FNV_SEED)));
    return std::string(hex);
  }());
  EXPECT_EQ(rg_fnv1a64("a", 1, RG_FNV_SEED), 0xaf63dc4c8601ec8cull);  // FNV-1a 64 test vector
}

struct stat stat_of(const char* path) {
  struct stat st {};
  EXPECT_EQ(::stat(path, &st), 0) << path;
  return st;
}

TEST(PassthroughCache, RecordsWhatTheDecisionRestedOn) {
  Config config;
  config.source = "/etc/hostname";
  config.source_stat = stat_of("/etc/hostname");
  RealRunc runc{"/bin/true", stat_of("/bin/true"), {{"/usr/bin/runc.real", std::nullopt, ENOENT}, {"/bin/false", stat_of("/bin/false"), 0}}, false};
  auto cache = make_passthrough_cache("/etc/hostname", config, runc, stat_of("/bin/sh"));
  ASSERT_TRUE(cache);
  EXPECT_EQ(cache->magic, RG_PT_MAGIC);
  EXPECT_EQ(cache->size, sizeof(rg_pt_cache));
  EXPECT_EQ(cache->config_present, 1u);
  EXPECT_EQ(cache->config.ino, config.source_stat.st_ino);
  EXPECT_EQ(cache->config.ctime_nsec, config.source_stat.st_ctim.tv_nsec);
  ASSERT_EQ(cache->candidate_count, 3u);
  EXPECT_STREQ(cache->candidates[0].path, "/usr/bin/runc.real");
  EXPECT_EQ(cache->candidates[0].present, 0u);
  EXPECT_EQ(cache->candidates[1].present, 1u);
  EXPECT_STREQ(cache->candidates[2].path, "/bin/true");
  EXPECT_EQ(cache->candidates[2].id.ino, runc.stat.st_ino);
  EXPECT_EQ(cache->self.ino, stat_of("/bin/sh").st_ino);
  EXPECT_EQ(cache->checksum, rg_fnv1a64(&*cache, offsetof(rg_pt_cache, checksum), RG_FNV_SEED));
}

// delete --force: the frozen-container guard thaws before it on runc < 1.1 (and unknown ones); later
// releases thaw by themselves, so nothing acts on it there.
TEST(PassthroughCache, ForcedDeletePassesOnlyWhereNoGuardActs) {
  const RuncBuild v103 = *parse_runc_version("1.0.3"), v115 = *parse_runc_version("1.1.5+ds1"),
                  v1115 = *parse_runc_version("1.1.15");
  Config config;
  EXPECT_FALSE(forced_delete_passes_through(config, nullptr));
  EXPECT_FALSE(forced_delete_passes_through(config, &v103));
  EXPECT_TRUE(forced_delete_passes_through(config, &v115));
  EXPECT_TRUE(forced_delete_passes_through(config, &v1115));
  config.guards["frozen-container"] = GuardPolicy::Off;
  EXPECT_TRUE(forced_delete_passes_through(config, &v103));
}

TEST(PassthroughCache, NotWrittenWhereTheFirstStageCouldNotDecideAlike) {
  Config config;  // built-in defaults: no file
  RealRunc runc{"/bin/true", stat_of("/bin/true"), {}, false};
  EXPECT_TRUE(make_passthrough_cache(RG_DEFAULT_CONFIG, config, runc, stat_of("/bin/sh")));
  Config metrics = config;
  metrics.metrics.textfile_dir = "/run/metrics";
  EXPECT_FALSE(make_passthrough_cache(RG_DEFAULT_CONFIG, metrics, runc, stat_of("/bin/sh"))) << "metrics count every call";
  RealRunc on_path = runc;
  on_path.from_path_env = true;
  EXPECT_FALSE(make_passthrough_cache(RG_DEFAULT_CONFIG, config, on_path, stat_of("/bin/sh"))) << "depends on $PATH";
  RealRunc unreadable = runc;
  unreadable.passed_over.push_back({"/usr/bin/runc.real", std::nullopt, EACCES});
  EXPECT_FALSE(make_passthrough_cache(RG_DEFAULT_CONFIG, config, unreadable, stat_of("/bin/sh"))) << "not just absent";
  RealRunc long_path = runc;
  long_path.path = "/" + std::string(RG_PT_PATH_MAX, 'x');
  EXPECT_FALSE(make_passthrough_cache(RG_DEFAULT_CONFIG, config, long_path, stat_of("/bin/sh")));
  EXPECT_FALSE(make_passthrough_cache("/" + std::string(RG_PT_PATH_MAX, 'c'), config, runc, stat_of("/bin/sh")));
}

}  // namespace
}  // namespace rg
