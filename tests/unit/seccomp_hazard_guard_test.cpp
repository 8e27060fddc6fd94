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
  std::unique_ptr<Guard> guard;
  std::string events;           // logged on the create path
  std::optional<Error> error;
  WatchHints watch;             // what the guard told the watchdog (after its in_watchdog hook)
  std::string watchdog_events;  // logged by that hook
};

class SeccompHazardGuard : public ::testing::Test {
 protected:
  TempDir tmp;

  std::optional<GuardPolicy> guard_policy;  // guards.seccomp_hazard, when a test sets one

  Config config_for(const std::string& policy, Mode mode = Mode::Enforce, bool watchdog = false) {
    Config cfg;
    cfg.mode = mode;
    if (guard_policy) cfg.guards["seccomp_hazard"] = *guard_policy;
    cfg.seccomp.on_hazard = policy == "reject" ? OnHazard::Reject : policy == "ignore" ? OnHazard::Ignore : OnHazard::Watch;
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
               const std::string& command = "create", bool watchdog = false, bool then_watchdog = true) {
    Config cfg = config_for(policy, mode, watchdog);
    std::vector<std::string> argv{"runc", command, "--bundle", bundle, "ctr1"};
    RuncLog log("", "json");
    const std::string events_path = tmp.file("events.jsonl");
    std::filesystem::remove(events_path);
    EventLog events(events_path, command, "ctr1");
    InvocationContext ctx(cfg, argv, log, events);
    ctx.guard_policy = cfg.policy_of("seccomp_hazard", GuardPolicy::Enforce);
    GuardRun out;
    out.guard = make_seccomp_hazard_guard();
    EXPECT_TRUE(out.guard->applies(ctx.args()));
    try {
      out.guard->before_runc(ctx);
    } catch (const Error& e) {
      out.error = e;
    }
    events.close();
    std::error_code ec;
    if (std::filesystem::exists(events_path, ec)) out.events = slurp(events_path);
    if (then_watchdog && !out.error) in_watchdog(out, policy, mode, watchdog);
    return out;
  }

  // The guard's part in the watchdog process (a fork of the runtime: same guard object).
  void in_watchdog(GuardRun& r, const std::string& policy, Mode mode, bool watchdog) {
    const std::string events_path = tmp.file("watchdog-events.jsonl");
    std::filesystem::remove(events_path);
    Config cfg = config_for(policy, mode, watchdog);
    {
      EventLog events(events_path, "create", "ctr1");
      WatchContext ctx{cfg, events, r.watch, "/proc", {}, Command::None, {}, {}, {}};
      r.guard->in_watchdog(ctx);
    }
    std::error_code ec;
    if (std::filesystem::exists(events_path, ec)) r.watchdog_events = slurp(events_path);
  }
};

TEST_F(SeccompHazardGuard, AppliesToCreateAndRunOnly) {
  auto guard = make_seccomp_hazard_guard();
  auto parse = [](std::vector<std::string> v) { return parse_runc_args(v); };
  EXPECT_TRUE(guard->applies(parse({"runc", "create", "--bundle", "/b", "id"})));
  EXPECT_TRUE(guard->applies(parse({"runc", "run", "id"})));
  EXPECT_FALSE(guard->applies(parse({"runc", "create", "--help"})));
  EXPECT_FALSE(guard->applies(parse({"runc", "start", "id"})));
  EXPECT_FALSE(guard->applies(parse({"runc", "exec", "id"})));
}

// Predicted where runc can block exporting its filter: 1.0.0-rc93 (upstream or a distribution's build) and a
// runc whose version is unknown; no other release, unless the config asks for it.
TEST_F(SeccompHazardGuard, OnByDefaultOnlyWhereRuncExportsIntoAnUndrainedPipe) {
  auto guard = make_seccomp_hazard_guard();
  const std::vector<std::string> argv{"runc", "create", "--bundle", "/b", "id"};
  const RuncArgs create = parse_runc_args(argv);
  auto policy_for = [&](std::string_view version) {
    const std::optional<RuncBuild> build = parse_runc_version(version);
    EXPECT_TRUE(build) << version;
    return guard->default_policy(build ? &*build : nullptr, create);
  };
  EXPECT_EQ(policy_for("1.0.0-rc93"), GuardPolicy::Enforce);
  EXPECT_EQ(policy_for("1.0.0~rc93+ds1"), GuardPolicy::Enforce);
  EXPECT_EQ(guard->default_policy(nullptr, create), GuardPolicy::Enforce);
  for (std::string_view fixed_or_never : {"1.0.0-rc92", "1.0.0-rc94", "1.0.0", "1.1.5+ds1", "1.1.15"})
    EXPECT_EQ(policy_for(fixed_or_never), GuardPolicy::Off) << fixed_or_never;
  Config forced;
  forced.guards["seccomp_hazard"] = GuardPolicy::Enforce;
  EXPECT_EQ(forced.policy_of("seccomp_hazard", policy_for("1.1.5")), GuardPolicy::Enforce);
}

TEST_F(SeccompHazardGuard, HazardousBundleUnderReducedPipes) {
  const std::string bundle = bundle_from(shared_testdata("docker-20.10/bigprofile.config.json"));  // NNP, 9024 B
  HeldPipes held(8);
  ScopedPipeUserPagesSoft lowered(16);

  const GuardRun watch = run(bundle, "watch");
  EXPECT_FALSE(watch.error);
  EXPECT_TRUE(watch.watch.pipe_block_expected);
  ASSERT_TRUE(watch.watch.pipe_write_bytes);
  EXPECT_GT(*watch.watch.pipe_write_bytes, 8192u);
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
  guard_policy = GuardPolicy::Observe;  // guards.seccomp_hazard: "observe", the mode enforcing
  const GuardRun observed_by_policy = run(bundle, "reject");
  guard_policy.reset();
  EXPECT_FALSE(observed_by_policy.error);
  EXPECT_NE(observed_by_policy.events.find("\"observe_only\":true"), std::string::npos) << observed_by_policy.events;

  const GuardRun ignored = run(bundle, "ignore");
  EXPECT_FALSE(ignored.error);
  EXPECT_FALSE(ignored.watch.pipe_block_expected);
  EXPECT_TRUE(ignored.watch.pipe_write_bytes);
  EXPECT_EQ(ignored.events.find("seccomp.hazard"), std::string::npos);
}

TEST_F(SeccompHazardGuard, NoHazardWithNormalPipesOrSmallProgramsOrWithoutNnp) {
  {
    ScopedPipeUserPagesSoft unlimited(0);
    const GuardRun r = run(bundle_from(shared_testdata("docker-20.10/bigprofile.config.json")), "reject");
    EXPECT_FALSE(r.error);
    EXPECT_FALSE(r.watch.pipe_block_expected);
    EXPECT_TRUE(r.watch.pipe_write_bytes);
  }
  HeldPipes held(8);
  ScopedPipeUserPagesSoft lowered(16);
  const GuardRun small = run(bundle_from(shared_testdata("docker-20.10/nnp.config.json")), "reject");  // NNP, 7680 B
  EXPECT_FALSE(small.error);
  EXPECT_EQ(small.watch.pipe_write_bytes, std::optional<std::size_t>(7680));
  const GuardRun no_nnp = run(bundle_from(shared_testdata("docker-20.10/default.config.json")), "reject");
  EXPECT_FALSE(no_nnp.error);
  EXPECT_FALSE(no_nnp.watch.pipe_block_expected);
}

TEST_F(SeccompHazardGuard, BundleWithoutSeccompIsLeftAlone) {
  const std::string b = tmp.file("plain");
  std::filesystem::create_directories(b);
  std::ofstream(b + "/config.json") << R"({"ociVersion":"1.0.2","process":{"noNewPrivileges":true},"linux":{}})";
  const GuardRun r = run(b, "reject");
  EXPECT_FALSE(r.error);
  EXPECT_FALSE(r.watch.pipe_write_bytes);
}

TEST_F(SeccompHazardGuard, SecondCreateIsServedFromTheCache) {
  const std::string bundle = bundle_from(shared_testdata("docker-20.10/nnp.config.json"));
  run(bundle, "watch");
  const auto key_files = std::distance(std::filesystem::directory_iterator(tmp.file("cache")), {});
  EXPECT_EQ(key_files, 1);
  const GuardRun again = run(bundle, "watch");
  EXPECT_EQ(again.watch.pipe_write_bytes, std::optional<std::size_t>(7680));
}

// A cold cache costs the create path nothing: the detached watchdog compiles (before its first look) and
// completes the plan exactly as the guard would have; the next create is served from the cache.
TEST_F(SeccompHazardGuard, ColdProfileIsCompiledByTheWatchdogNotOnTheCreatePath) {
  const std::string bundle = bundle_from(shared_testdata("docker-20.10/bigprofile.config.json"));  // NNP, 9024 B
  HeldPipes held(8);
  ScopedPipeUserPagesSoft lowered(16);

  GuardRun cold = run(bundle, "watch", Mode::Enforce, "create", true, /*then_watchdog=*/false);
  EXPECT_FALSE(cold.error);
  EXPECT_TRUE(cold.guard->wants_watchdog());  // the compile is left to the watchdog
  EXPECT_EQ(cold.events.find("seccomp.hazard"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp.file("cache")) &&
               std::distance(std::filesystem::directory_iterator(tmp.file("cache")), {}) > 0);

  // In the watchdog process.
  in_watchdog(cold, "watch", Mode::Enforce, true);
  ASSERT_TRUE(cold.watch.pipe_write_bytes);
  EXPECT_GT(*cold.watch.pipe_write_bytes, 8192u);
  EXPECT_TRUE(cold.watch.pipe_block_expected);
  EXPECT_NE(cold.watchdog_events.find("\"seccomp.hazard\""), std::string::npos) << cold.watchdog_events;
  EXPECT_NE(cold.watchdog_events.find("\"deferred\":true"), std::string::npos) << cold.watchdog_events;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.file("cache")), {}), 1);

  // Warm: decided on the create path, no deferral.
  GuardRun warm = run(bundle, "watch", Mode::Enforce, "create", true, false);
  EXPECT_NE(warm.events.find("seccomp.hazard"), std::string::npos);
  in_watchdog(warm, "watch", Mode::Enforce, true);
  EXPECT_TRUE(warm.watch.pipe_block_expected);
  EXPECT_EQ(warm.watch.pipe_write_bytes, cold.watch.pipe_write_bytes);
  EXPECT_EQ(warm.watchdog_events.find("deferred"), std::string::npos);
}

TEST_F(SeccompHazardGuard, RejectNeverDefersItsVerdict) {
  const std::string bundle = bundle_from(shared_testdata("docker-20.10/bigprofile.config.json"));
  HeldPipes held(8);
  ScopedPipeUserPagesSoft lowered(16);
  GuardRun r = run(bundle, "reject", Mode::Enforce, "create", true);
  ASSERT_TRUE(r.error);
  EXPECT_TRUE(r.error->is_refusal());
}

}  // namespace
}  // namespace rg::seccomp
