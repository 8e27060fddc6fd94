// HazardGuard on real bundles: watch / reject / ignore, observe mode, and the predicted size for the watchdog.
#include <gtest/gtest.h>

#include "oci/base/error.h"
#include "seccomp/engine.h"
#include "seccomp/hazard_guard.h"
#include "seccomp_test_helpers.h"

namespace rg::seccomp {
namespace {

using namespace rg::seccomp::testing;

struct GuardRun {
  WatchPlan watch;
  std::string events;
  std::optional<Error> error;
};

class SeccompHazardGuard : public ::testing::Test {
 protected:
  TempDir tmp;

  Config config_for(const std::string& policy, Mode mode = Mode::Enforce, bool watchdog = false) {
    Config cfg;
    cfg.mode = mode;
    cfg.seccomp.on_hazard = policy;
    cfg.seccomp.cache_dir = tmp.file("cache");
    cfg.watchdog.enabled = watchdog;
    return cfg;
  }

  std::string bundle_from(const std::string& config) {
    const std::string b = tmp.file("bundle");
    std::filesystem::create_directories(b);
    std::filesystem::copy_file(config, b + "/config.json", std::filesystem::copy_options::overwrite_existing);
    return b;
  }

  // Without a watchdog to defer to (watchdog.enabled false) the guard compiles on the create path; the
  // deferral to the watchdog has tests of its own below.
  GuardRun run(const std::string& bundle, const std::string& policy, Mode mode = Mode::Enforce,
               const std::string& command = "create", bool watchdog = false) {
    Config cfg = config_for(policy, mode, watchdog);
    std::vector<std::string> argv{"runc", command, "--bundle", bundle, "ctr1"};
    RuncArgs args = parse_runc_args(argv);
    RuncLog log("", "json");
    const std::string events_path = tmp.file("events.jsonl");
    std::filesystem::remove(events_path);
    EventLog events(events_path, command, "ctr1");
    InvocationContext ctx(cfg, args, argv, log, events);
    GuardRun out;
    auto guard = make_hazard_guard();
    EXPECT_TRUE(guard->applies(args));
    try {
      guard->apply(ctx);
    } catch (const Error& e) {
      out.error = e;
    }
    events.close();
    out.watch = ctx.watch;
    std::error_code ec;
    if (std::filesystem::exists(events_path, ec)) out.events = slurp(events_path);
    return out;
  }
};

TEST_F(SeccompHazardGuard, AppliesToCreateAndRunOnly) {
  auto guard = make_hazard_guard();
  auto parse = [](std::vector<std::string> v) { return parse_runc_args(v); };
  EXPECT_TRUE(guard->applies(parse({"runc", "create", "--bundle", "/b", "id"})));
  EXPECT_TRUE(guard->applies(parse({"runc", "run", "id"})));
  EXPECT_FALSE(guard->applies(parse({"runc", "create", "--help"})));
  EXPECT_FALSE(guard->applies(parse({"runc", "start", "id"})));
  EXPECT_FALSE(guard->applies(parse({"runc", "exec", "id"})));
}

TEST_F(SeccompHazardGuard, HazardousBundleUnderReducedPipes) {
  const std::string bundle = bundle_from(shared_testdata("docker-20.10/bigprofile.config.json"));  // NNP, 9024 B
  HeldPipes held(8);
  ScopedPipeUserPagesSoft lowered(16);

  const GuardRun watch = run(bundle, "watch");
  EXPECT_FALSE(watch.error);
  EXPECT_TRUE(watch.watch.seccomp_hazard);
  ASSERT_TRUE(watch.watch.predicted_seccomp_bytes);
  EXPECT_GT(*watch.watch.predicted_seccomp_bytes, 8192u);
  EXPECT_NE(watch.events.find("seccomp.hazard"), std::string::npos) << watch.events;
  EXPECT_NE(watch.events.find("B program > 8192 B pipe"), std::string::npos) << watch.events;

  const GuardRun reject = run(bundle, "reject");
  ASSERT_TRUE(reject.error);
  EXPECT_TRUE(reject.error->is_refusal());
  EXPECT_EQ(std::string(reject.error->what()).rfind("runc init may block exporting seccomp: ", 0), 0u)
      << reject.error->what();
  EXPECT_NE(std::string(reject.error->what()).find("B program > 8192 B pipe"), std::string::npos);
  EXPECT_NE(reject.events.find("seccomp.hazard"), std::string::npos);

  const GuardRun observed = run(bundle, "reject", Mode::Observe);
  EXPECT_FALSE(observed.error);
  EXPECT_NE(observed.events.find("seccomp.hazard"), std::string::npos);

  const GuardRun ignored = run(bundle, "ignore");
  EXPECT_FALSE(ignored.error);
  EXPECT_FALSE(ignored.watch.seccomp_hazard);
  EXPECT_TRUE(ignored.watch.predicted_seccomp_bytes);
  EXPECT_EQ(ignored.events.find("seccomp.hazard"), std::string::npos);
}

TEST_F(SeccompHazardGuard, NoHazardWithNormalPipesOrSmallProgramsOrWithoutNnp) {
  {
    ScopedPipeUserPagesSoft unlimited(0);
    const GuardRun r = run(bundle_from(shared_testdata("docker-20.10/bigprofile.config.json")), "reject");
    EXPECT_FALSE(r.error);
    EXPECT_FALSE(r.watch.seccomp_hazard);
    EXPECT_TRUE(r.watch.predicted_seccomp_bytes);
  }
  HeldPipes held(8);
  ScopedPipeUserPagesSoft lowered(16);
  const GuardRun small = run(bundle_from(shared_testdata("docker-20.10/nnp.config.json")), "reject");  // NNP, 7680 B
  EXPECT_FALSE(small.error);
  EXPECT_EQ(small.watch.predicted_seccomp_bytes, std::optional<std::size_t>(7680));
  const GuardRun no_nnp = run(bundle_from(shared_testdata("docker-20.10/default.config.json")), "reject");
  EXPECT_FALSE(no_nnp.error);
  EXPECT_FALSE(no_nnp.watch.seccomp_hazard);
}

TEST_F(SeccompHazardGuard, BundleWithoutSeccompIsLeftAlone) {
  const std::string b = tmp.file("plain");
  std::filesystem::create_directories(b);
  std::ofstream(b + "/config.json") << R"({"ociVersion":"1.0.2","process":{"noNewPrivileges":true},"linux":{}})";
  const GuardRun r = run(b, "reject");
  EXPECT_FALSE(r.error);
  EXPECT_FALSE(r.watch.predicted_seccomp_bytes);
}

TEST_F(SeccompHazardGuard, SecondCreateIsServedFromTheCache) {
  const std::string bundle = bundle_from(shared_testdata("docker-20.10/nnp.config.json"));
  run(bundle, "watch");
  const auto key_files = std::distance(std::filesystem::directory_iterator(tmp.file("cache")), {});
  EXPECT_EQ(key_files, 1);
  const GuardRun again = run(bundle, "watch");
  EXPECT_EQ(again.watch.predicted_seccomp_bytes, std::optional<std::size_t>(7680));
}

// A cold cache costs the create path nothing: the detached watchdog compiles (before its first look) and
// completes the plan exactly as the guard would have; the next create is served from the cache.
TEST_F(SeccompHazardGuard, ColdProfileIsCompiledByTheWatchdogNotOnTheCreatePath) {
  const std::string bundle = bundle_from(shared_testdata("docker-20.10/bigprofile.config.json"));  // NNP, 9024 B
  HeldPipes held(8);
  ScopedPipeUserPagesSoft lowered(16);

  GuardRun cold = run(bundle, "watch", Mode::Enforce, "create", true);
  EXPECT_FALSE(cold.error);
  EXPECT_FALSE(cold.watch.deferred_seccomp_profile.empty());
  EXPECT_TRUE(cold.watch.deferred_no_new_privileges);
  EXPECT_FALSE(cold.watch.predicted_seccomp_bytes);  // nothing compiled on the create path
  EXPECT_EQ(cold.events.find("seccomp.hazard"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp.file("cache")) &&
               std::distance(std::filesystem::directory_iterator(tmp.file("cache")), {}) > 0);

  // In the watchdog process.
  const std::string events_path = tmp.file("watchdog-events.jsonl");
  {
    EventLog events(events_path, "create", "ctr1");
    resolve_deferred_seccomp(cold.watch, config_for("watch", Mode::Enforce, true), events);
  }
  EXPECT_TRUE(cold.watch.deferred_seccomp_profile.empty());
  ASSERT_TRUE(cold.watch.predicted_seccomp_bytes);
  EXPECT_GT(*cold.watch.predicted_seccomp_bytes, 8192u);
  EXPECT_TRUE(cold.watch.seccomp_hazard);
  const std::string logged = slurp(events_path);
  EXPECT_NE(logged.find("\"seccomp.hazard\""), std::string::npos) << logged;
  EXPECT_NE(logged.find("\"deferred\":true"), std::string::npos) << logged;

  // Warm: decided on the create path, no deferral.
  GuardRun warm = run(bundle, "watch", Mode::Enforce, "create", true);
  EXPECT_TRUE(warm.watch.deferred_seccomp_profile.empty());
  EXPECT_TRUE(warm.watch.seccomp_hazard);
  EXPECT_EQ(warm.watch.predicted_seccomp_bytes, cold.watch.predicted_seccomp_bytes);
}

TEST_F(SeccompHazardGuard, RejectNeverDefersItsVerdict) {
  const std::string bundle = bundle_from(shared_testdata("docker-20.10/bigprofile.config.json"));
  HeldPipes held(8);
  ScopedPipeUserPagesSoft lowered(16);
  GuardRun r = run(bundle, "reject", Mode::Enforce, "create", true);
  EXPECT_TRUE(r.watch.deferred_seccomp_profile.empty());
  ASSERT_TRUE(r.error);
  EXPECT_TRUE(r.error->is_refusal());
}

}  // namespace
}  // namespace rg::seccomp
