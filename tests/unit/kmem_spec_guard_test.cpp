#include "oci/kmem/spec_guard.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "kmem_test_util.h"
#include "oci/base/error.h"

namespace rg {
namespace {

using namespace kmem_test;

constexpr std::string_view kKernelField = "\"kernel\":67108864,";

std::string stripped_kmem_config() {
  std::string text = shared_config("kmem.config.json");
  auto pos = text.find(kKernelField);
  EXPECT_NE(pos, std::string::npos);
  EXPECT_EQ(text.find(kKernelField, pos + 1), std::string::npos);
  return text.erase(pos, kKernelField.size());
}

struct Bundle {
  TempDir dir;
  std::string config_path;
  explicit Bundle(const std::string& config_text) : config_path(dir / "config.json") {
    write_text(config_path, config_text);
  }
  std::vector<std::string> create_argv(const std::string& command = "create") const {
    return {"runc", "--root", dir / "root", "--log", dir / "log.json", "--log-format", "json", command,
            "--bundle", dir.path(), "--pid-file", dir / "init.pid", "ctr1"};
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
};

// Runs the guard the way the runtime does: apply, flush whatever it changed, then tell the user.
void run_guard(Invocation& inv) {
  make_kmem_spec_guard()->before_runc(inv.ctx);
  inv.ctx.flush_spec();
  inv.ctx.publish_warnings();
}

TEST(KmemSpecGuard, AppliesToCommandsThatCreateContainers) {
  auto guard = make_kmem_spec_guard();
  auto applies = [&](std::vector<std::string> argv) { return guard->applies(parse_runc_args(argv)); };
  EXPECT_TRUE(applies({"runc", "create", "--bundle", "/b", "id"}));
  EXPECT_TRUE(applies({"runc", "run", "-d", "id"}));
  EXPECT_TRUE(applies({"runc", "restore", "--image-path", "/i", "id"}));
  EXPECT_FALSE(applies({"runc", "create", "--help"}));
  for (const char* c : {"start", "exec", "update", "delete", "kill", "state", "ps", "pause"})
    EXPECT_FALSE(applies({"runc", c, "id"})) << c;
}

TEST(KmemSpecGuard, DockerKernelMemoryConfigIsStrippedByteExactly) {
  Bundle bundle(shared_config("kmem.config.json"));
  ASSERT_EQ(::chmod(bundle.config_path.c_str(), 0640), 0);
  ASSERT_EQ(::chown(bundle.config_path.c_str(), 1234, 5678), 0);
  Invocation inv(kmem_config(kOldKernel), bundle.create_argv(), bundle.dir.path());
  run_guard(inv);

  // Only the kernel field is gone; every other byte (key order, unknown fields, dockerd's compact style) stays.
  EXPECT_EQ(slurp(bundle.config_path), stripped_kmem_config());
  struct stat st {};
  ASSERT_EQ(::stat(bundle.config_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(bundle.files(), (std::vector<std::string>{"config.json", "events.jsonl", "log.json"}));  // no temp left

  auto log = inv.log_lines();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["level"], "warning");
  EXPECT_EQ(log[0]["msg"],
            "runc-guard: kernel memory limit removed (linux.resources.memory.kernel=67108864): kernel "
            "3.10.0-1160.el7.x86_64 < 4.0 leaks memory cgroup IDs with kernel memory accounting");
  auto events = inv.flushed_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["event"], "kmem.stripped");
  EXPECT_EQ(events[0]["id"], "ctr1");
  EXPECT_EQ(events[0]["details"]["settings"], (nlohmann::json{{"kernel", 67108864}}));
  EXPECT_EQ(events[0]["details"]["kernel_release"], kOldKernel);
  EXPECT_EQ(events[0]["details"]["config"], bundle.config_path);
  EXPECT_FALSE(events[0]["details"].contains("observe"));
}

TEST(KmemSpecGuard, KernelTcpAndMinusOneAreStrippedToo) {
  auto spec = nlohmann::ordered_json::parse(shared_config("default.config.json"));
  spec["linux"]["resources"]["memory"]["kernel"] = -1;
  spec["linux"]["resources"]["memory"]["kernelTCP"] = 1073741824;
  Bundle bundle(spec.dump());
  Invocation inv(kmem_config(kOldKernel), bundle.create_argv("run"), bundle.dir.path());
  run_guard(inv);
  EXPECT_EQ(slurp(bundle.config_path), shared_config("default.config.json"));
  auto events = inv.flushed_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["details"]["settings"], (nlohmann::json{{"kernel", -1}, {"kernelTCP", 1073741824}}));
}

// Every config that needs no change stays the very same file: same bytes, same inode, same mtime.
struct UntouchedCase {
  const char* config;
  const char* kernel;
  const char* policy;
  Mode mode;
};
class KmemSpecGuardUntouched : public ::testing::TestWithParam<UntouchedCase> {};

TEST_P(KmemSpecGuardUntouched, ConfigStaysByteIdenticalOnDisk) {
  const auto& c = GetParam();
  const std::string original = shared_config(c.config);
  Bundle bundle(original);
  struct stat before {}, after {};
  ASSERT_EQ(::stat(bundle.config_path.c_str(), &before), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a rewrite would show in mtime
  Invocation inv(kmem_config(c.kernel, c.policy, c.mode), bundle.create_argv(), bundle.dir.path());
  run_guard(inv);
  ASSERT_EQ(::stat(bundle.config_path.c_str(), &after), 0);
  EXPECT_EQ(slurp(bundle.config_path), original);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
  EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
  EXPECT_TRUE(inv.log_lines().empty());
  auto events = inv.flushed_events();
  if (c.mode == Mode::Observe) {
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["details"]["observe"], true);
    EXPECT_EQ(events[0]["event"], std::string(c.policy) == "reject" ? "kmem.rejected" : "kmem.stripped");
  } else {
    EXPECT_TRUE(events.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Configs, KmemSpecGuardUntouched,
    ::testing::Values(UntouchedCase{"default.config.json", kOldKernel, "strip", Mode::Enforce},
                      UntouchedCase{"nnp.config.json", kOldKernel, "strip", Mode::Enforce},
                      UntouchedCase{"bigprofile.config.json", kOldKernel, "strip", Mode::Enforce},
                      UntouchedCase{"default.config.json", kOldKernel, "reject", Mode::Enforce},
                      UntouchedCase{"kmem.config.json", kNewKernel, "strip", Mode::Enforce},
                      UntouchedCase{"kmem.config.json", "4.0.0", "reject", Mode::Enforce},
                      UntouchedCase{"kmem.config.json", kOldKernel, "allow", Mode::Enforce},
                      UntouchedCase{"kmem.config.json", kOldKernel, "strip", Mode::Observe},
                      UntouchedCase{"kmem.config.json", kOldKernel, "reject", Mode::Observe}));

TEST(KmemSpecGuard, RejectRefusesWithClearMessageAndLeavesConfig) {
  const std::string original = shared_config("kmem.config.json");
  Bundle bundle(original);
  Invocation inv(kmem_config(kOldKernel, "reject"), bundle.create_argv(), bundle.dir.path());
  try {
    make_kmem_spec_guard()->before_runc(inv.ctx);
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_refusal());
    EXPECT_EQ(std::string(e.what()),
              "kernel memory limit refused (linux.resources.memory.kernel=67108864): kernel 3.10.0-1160.el7.x86_64 "
              "is older than 4.0, where kernel memory accounting leaks memory cgroup IDs until the node cannot "
              "create cgroups; drop the limit (docker run --kernel-memory) or set kernel_memory.policy");
  }
  inv.ctx.flush_spec();
  EXPECT_EQ(slurp(bundle.config_path), original);
  auto events = inv.flushed_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["event"], "kmem.rejected");
}

TEST(KmemSpecGuard, MalformedConfigFailsOpenAsInternalError) {
  Bundle bundle("{\"linux\": ");
  Invocation inv(kmem_config(kOldKernel), bundle.create_argv(), bundle.dir.path());
  try {
    make_kmem_spec_guard()->before_runc(inv.ctx);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_FALSE(e.is_refusal());  // the runtime logs guard.failed and runc reports the bad config itself
  }
  EXPECT_EQ(slurp(bundle.config_path), "{\"linux\": ");
}

// ---- atomicity of the rewrite: kill -9 at every step, and at random moments ----

const char* g_kill_at_step = nullptr;
void kill_at_step(std::string_view step) {
  if (g_kill_at_step && step == g_kill_at_step) ::raise(SIGKILL);
}

TEST(KmemSpecGuardAtomicity, KillNineAtEveryStepLeavesOldOrNewConfig) {
  const std::string old_text = shared_config("kmem.config.json");
  const std::string new_text = stripped_kmem_config();
  struct StepCase {
    const char* step;
    bool renamed;
    bool temp_file_may_stay;  // a named temporary file exists only between the link and the rename
  };
  for (StepCase c : {StepCase{"created", false, false}, StepCase{"written", false, false},
                     StepCase{"chmod", false, false}, StepCase{"chown", false, false}, StepCase{"fsync", false, false},
                     StepCase{"linked", false, true}, StepCase{"renamed", true, false},
                     StepCase{"dir_fsync", true, false}}) {
    SCOPED_TRACE(c.step);
    Bundle bundle(old_text);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      g_kill_at_step = c.step;
      set_atomic_write_step_hook(kill_at_step);
      try {
        Invocation inv(kmem_config(kOldKernel), bundle.create_argv(), bundle.dir.path());
        run_guard(inv);
      } catch (...) {
        ::_exit(3);
      }
      ::_exit(0);  // the hook never fired: the step does not exist
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    EXPECT_EQ(slurp(bundle.config_path), c.renamed ? new_text : old_text);
    // The new content lives in an unnamed file until it is linked: only a kill between the link and the
    // rename leaves a named temporary file (never a second config.json).
    for (const std::string& name : bundle.files())
      EXPECT_TRUE(name == "config.json" || name == "log.json" || name == "events.jsonl" ||
                  (c.temp_file_may_stay && name.starts_with("config.json.runc-guard-")))
          << name;
  }
}

TEST(KmemSpecGuardAtomicity, RandomKillNineDuringRewritesNeverLeavesAPartialConfig) {
  const std::string a = shared_config("kmem.config.json");
  const std::string b = stripped_kmem_config();
  Bundle bundle(a);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> delay_us(0, 3000);
  int killed_mid_run = 0;
  for (int round = 0; round < 60; ++round) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (unsigned i = 0;; ++i) write_file_atomic(bundle.config_path, i % 2 ? a : b);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    killed_mid_run += WIFSIGNALED(status);
    std::string now = slurp(bundle.config_path);
    ASSERT_TRUE(now == a || now == b) << "partial config.json after round " << round << ": " << now.size()
                                      << " bytes";
  }
  EXPECT_EQ(killed_mid_run, 60);
}

}  // namespace
}  // namespace rg
