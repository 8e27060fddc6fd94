// The watchdog's decisions as pure logic: the blocked rule, polling, sizes, the user's message, the spec
// built from runc's argv, and the descendant scan over a fake /proc.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "oci/args.h"
#include "kmem_test_util.h"
#include "shim/watchdog/blocked_inits.h"
#include "shim/watchdog/watchdog.h"
#include "oci/proc/runc_init.h"
#include "oci/runc_state.h"
#include "shim/watchdog/watchdog_loop.h"

namespace rg {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

BlockedWrite write_on(pid_t tid, int fd, std::uint64_t inode) {
  BlockedWrite w;
  w.tid = tid;
  w.fd = fd;
  w.pipe_inode = inode;
  w.fill = {8192, 8192};
  return w;
}

TEST(BlockDetector, NeedsTheSameBlockOnTwoLooksAtLeast100msApart) {
  BlockDetector d;
  ProcessIdentity init{10, 555};
  auto t0 = WatchClock::time_point{} + 1s;
  EXPECT_FALSE(d.observe(init, write_on(10, 6, 99), t0));
  EXPECT_EQ(d.next_confirmation_due(), t0 + 100ms);
  EXPECT_FALSE(d.observe(init, write_on(10, 6, 99), t0 + 99ms));  // too soon
  auto confirmed = d.observe(init, write_on(10, 6, 99), t0 + 100ms);
  ASSERT_TRUE(confirmed);
  EXPECT_EQ(confirmed->first_seen, t0);
  EXPECT_EQ(confirmed->write.fd, 6);
  // Reported once per episode.
  EXPECT_FALSE(d.observe(init, write_on(10, 6, 99), t0 + 300ms));
  EXPECT_FALSE(d.next_confirmation_due());
}

TEST(BlockDetector, AnyChangeOrAnUnblockedLookStartsOver) {
  BlockDetector d;
  ProcessIdentity init{10, 555};
  auto t0 = WatchClock::time_point{} + 1s;
  d.observe(init, write_on(10, 6, 99), t0);
  EXPECT_FALSE(d.observe(init, write_on(11, 6, 99), t0 + 150ms));  // another thread
  EXPECT_FALSE(d.observe(init, write_on(11, 7, 99), t0 + 300ms));  // another fd
  EXPECT_FALSE(d.observe(init, write_on(11, 7, 98), t0 + 450ms));  // another pipe
  EXPECT_FALSE(d.observe(init, std::nullopt, t0 + 600ms));         // progress: not blocked
  EXPECT_FALSE(d.observe(init, write_on(11, 7, 98), t0 + 700ms));
  EXPECT_TRUE(d.observe(init, write_on(11, 7, 98), t0 + 800ms));
  // A new episode after it moved on is reported again.
  d.observe(init, std::nullopt, t0 + 900ms);
  d.observe(init, write_on(11, 7, 98), t0 + 1000ms);
  EXPECT_TRUE(d.observe(init, write_on(11, 7, 98), t0 + 1100ms));
}

TEST(BlockDetector, InitsAreTrackedByPidAndStartTime) {
  BlockDetector d;
  auto t0 = WatchClock::time_point{} + 1s;
  d.observe({10, 555}, write_on(10, 6, 99), t0);
  // Same pid, another process (reused pid): its own episode.
  EXPECT_FALSE(d.observe({10, 556}, write_on(10, 6, 99), t0 + 200ms));
  d.forget({10, 555});
  EXPECT_EQ(d.next_confirmation_due(), t0 + 300ms);
}

TEST(PollSchedule, FirstLookSoonFasterOnHazard) {
  EXPECT_EQ(poll_schedule(false).first, 50ms);
  EXPECT_EQ(poll_schedule(false).steady, 100ms);
  EXPECT_LT(poll_schedule(true).first, poll_schedule(false).first);
  EXPECT_LT(poll_schedule(true).steady, poll_schedule(false).steady);
}

TEST(UnstickTargetSize, PredictionFallbackDoublingAndCap) {
  EXPECT_EQ(unstick_target_size(std::nullopt, 8192), 1u << 20);  // no prediction: 1 MiB
  EXPECT_EQ(unstick_target_size(12152, 4096), 16384u);           // rounded up to a power of two
  EXPECT_EQ(unstick_target_size(100, 65536), 131072u);           // always more than it has now
  EXPECT_EQ(unstick_target_size(std::size_t{1} << 30, 4096), kUnstickMaxBytes);
  EXPECT_EQ(unstick_target_size(std::nullopt, kUnstickMaxBytes), kUnstickMaxBytes);  // cannot grow: caller stops
}

TEST(DeadlineMessage, SaysWhatTheInitWasStuckOn) {
  EXPECT_EQ(deadline_message(60s, write_on(1, 6, 2), "", true),
            "runc-guard: runc init did not finish within 60s (blocked writing fd 6, pipe 8192 B full); killed and "
            "cleaned up");
  EXPECT_EQ(deadline_message(10s, std::nullopt, "do_epoll_wait", false),
            "runc-guard: runc init did not finish within 10s (waiting in do_epoll_wait); killed");
  EXPECT_EQ(deadline_message(5s, std::nullopt, "0", false), "runc-guard: runc init did not finish within 5s (still running); killed");
}

TEST(InitIdentity, CommAndExe) {
  EXPECT_TRUE(is_runc_init_comm("runc:[0:PARENT]"));
  EXPECT_TRUE(is_runc_init_comm("runc:[1:CHILD]"));
  EXPECT_TRUE(is_runc_init_comm("runc:[2:INIT]"));
  EXPECT_FALSE(is_runc_init_comm("runc"));
  EXPECT_FALSE(is_runc_init_comm("runc:[3:EVIL]"));
  // The executable, not its name, is the identity: this test binary is "runc" for RuncBinary of itself,
  // whatever it calls itself; /bin/sh is not.
  EXPECT_TRUE(RuncBinary("/proc/self/exe").runs("/proc", ::getpid()));
  EXPECT_FALSE(RuncBinary("/bin/sh").runs("/proc", ::getpid()));
  EXPECT_FALSE(RuncBinary("/nonexistent/runc").runs("/proc", ::getpid()));
}

TEST(StateJson, InitPidAndStartTime) {
  char tmpl[] = "/tmp/rg-state-XXXXXX";
  std::string root = ::mkdtemp(tmpl);
  fs::create_directories(root + "/c1");
  std::ofstream(root + "/c1/state.json") << R"({"id":"c1","init_process_pid":4474,"init_process_start":123818})";
  fs::create_directories(root + "/c2");
  std::ofstream(root + "/c2/state.json") << R"({"id":"c2","init_process_pid":12,"init_process_start":"99"})";
  auto s1 = read_runc_state(root, "c1");
  ASSERT_TRUE(s1);
  EXPECT_EQ(s1->init.pid, 4474);
  EXPECT_EQ(s1->init.start_time, 123818u);
  EXPECT_EQ(read_runc_state(root, "c2")->init.start_time, 99u);
  EXPECT_FALSE(read_runc_state(root, "missing"));
  EXPECT_FALSE(read_runc_state(root, "../c1"));  // an id is never a path
  fs::remove_all(root);
}

// state.json as runc writes it: only the members read are kept, the rest (runc's whole libcontainer config)
// is still parsed, so a malformed document is refused wherever the damage is.
TEST(StateJson, ReadsOnlyWhatIsNeededFromAFullState) {
  const std::string full = R"({"id":"c","init_process_pid":7,"init_process_start":42,"created":"2026-12-06T00:00:00Z",
    "config":{"rootfs":"/b/rootfs","mounts":[{"source":"proc","destination":"/proc"}],"labels":["k=v","bundle=/run/b"],
              "cgroups":{"path":"/x","labels":["bundle=/wrong"]}},
    "cgroup_paths":{"memory":"/sys/fs/cgroup/memory/c","freezer":"/sys/fs/cgroup/freezer/c"},
    "namespace_paths":{"NEWNS":"/proc/7/ns/mnt"},"bundle":"/not/this"})";
  auto s = parse_runc_state(full);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->init.pid, 7);
  EXPECT_EQ(s->init.start_time, 42u);
  EXPECT_EQ(s->created, "2026-12-06T00:00:00Z");
  EXPECT_EQ(s->bundle, "/run/b");
  EXPECT_EQ(s->cgroup_paths.size(), 2u);
  EXPECT_EQ(s->cgroup_paths.at("freezer"), "/sys/fs/cgroup/freezer/c");
  EXPECT_FALSE(parse_runc_state(R"({"init_process_pid":7,"init_process_start":42,"config":{"mounts":[}})"));
  EXPECT_FALSE(parse_runc_state(R"({"init_process_pid":7,"init_process_start":42,"namespace_paths":{"a":}})"));
}

// runc reads state.json with Go's encoding/json, and so does runc-guard: keys match case-insensitively, a
// repeated key is decoded again (the last scalar wins, objects merge), bytes after the value are not read,
// and a value runc could not decode (a pid that is no integer) is no state.
TEST(StateJson, ReadAsGoReadsIt) {
  auto s = parse_runc_state(R"({"INIT_PROCESS_PID":5,"init_process_pid":7,"init_process_start":"42",
    "config":{"labels":["bundle=/first"]},"Config":{"Labels":["bundle=/second"]},
    "cgroup_paths":{"memory":"/m"},"cgroup_paths":{"freezer":"/f"}} trailing bytes runc never reads)");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->init.pid, 7);
  EXPECT_EQ(s->init.start_time, 42u);  // very old runc wrote the start time as a string
  EXPECT_EQ(s->bundle, "/second");
  EXPECT_EQ(s->cgroup_paths.size(), 2u);
  EXPECT_FALSE(parse_runc_state(R"({"init_process_pid":7.5,"init_process_start":42})"));
  EXPECT_FALSE(parse_runc_state(R"({"init_process_pid":"7","init_process_start":42})"));
  EXPECT_FALSE(parse_runc_state(R"({"init_process_start":42})"));
  EXPECT_FALSE(parse_runc_state(R"({"init_process_pid":4294967303,"init_process_start":42})"));  // never wraps to 7
  for (const char* start : {"-1", "1.5", "1e30", R"("-1")", R"(" 42")", R"("42x")"})
    EXPECT_FALSE(parse_runc_state(std::string(R"({"init_process_pid":7,"init_process_start":)") + start + "}")) << start;
  // What is not kept is still scanned as Go scans it: its syntax errors and its depth limit hold.
  EXPECT_FALSE(parse_runc_state(R"({"init_process_pid":7,"init_process_start":42,"config":{"mounts":[}})"));
  auto nested = [](std::size_t depth) {
    return R"({"init_process_pid":7,"init_process_start":42,"x":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  EXPECT_TRUE(parse_runc_state(nested(10000)));
  EXPECT_FALSE(parse_runc_state(nested(10001)));
}

// exec and start: every guard that asks sees the one state.json read of this invocation (exec's CVE-2024-21626
// patch and frozen-container each read and parsed it before).
TEST(StateJson, ReadOncePerInvocation) {
  kmem_test::TempDir dir;
  fs::create_directories(dir.path() + "/state/c1");
  const std::string state = dir.path() + "/state/c1/state.json";
  std::ofstream(state) << R"({"id":"c1","init_process_pid":4474,"init_process_start":123818})";
  Config config;
  kmem_test::Invocation exec(config, {"runc", "--root", dir.path() + "/state", "exec", "c1", "sh"}, dir.path());
  const RuncState* first = exec.ctx.container_state();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->init.pid, 4474);
  std::ofstream(state) << R"({"id":"c1","init_process_pid":99,"init_process_start":5})";
  EXPECT_EQ(exec.ctx.container_state(), first);
  EXPECT_EQ(exec.ctx.container_state()->init.pid, 4474);
  kmem_test::Invocation next(config, {"runc", "--root", dir.path() + "/state", "start", "c1"}, dir.path());
  ASSERT_TRUE(next.ctx.container_state());
  EXPECT_EQ(next.ctx.container_state()->init.pid, 99);
  kmem_test::Invocation missing(config, {"runc", "--root", dir.path() + "/state", "exec", "nope", "sh"}, dir.path());
  EXPECT_EQ(missing.ctx.container_state(), nullptr);
}

// exec's two virtual patches that read the container's config.json (CVE-2024-21626's process walk and
// CVE-2022-29162's process.json) share one read of it per invocation; a new argv may name another container.
TEST(StateJson, ContainerBundleReadOncePerInvocation) {
  kmem_test::TempDir dir;
  fs::create_directories(dir.path() + "/state/c1");
  fs::create_directories(dir.path() + "/bundle");
  std::ofstream(dir.path() + "/state/c1/state.json")
      << R"({"id":"c1","init_process_pid":4474,"init_process_start":123818,"config":{"labels":["bundle=)" << dir.path()
      << R"(/bundle"]}})";
  const std::string config_json = dir.path() + "/bundle/config.json";
  std::ofstream(config_json) << R"({"ociVersion":"1.0.2","process":{"cwd":"/first","args":["sh"]}})";
  Config config;
  kmem_test::Invocation exec(config, {"runc", "--root", dir.path() + "/state", "exec", "c1", "sh"}, dir.path());
  const ContainerBundle* first = exec.ctx.container_bundle();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->bundle, dir.path() + "/bundle");
  std::ofstream(config_json) << R"({"ociVersion":"1.0.2","process":{"cwd":"/second","args":["sh"]}})";
  EXPECT_EQ(exec.ctx.container_bundle(), first);
  EXPECT_EQ((*view_at(first->spec.view(), {"process", "cwd"})), "/first");
  exec.ctx.set_argv({"runc", "--root", dir.path() + "/state", "exec", "c1", "true"});
  ASSERT_TRUE(exec.ctx.container_bundle());
  EXPECT_EQ((*view_at(exec.ctx.container_bundle()->spec.view(), {"process", "cwd"})), "/second");
  kmem_test::Invocation missing(config, {"runc", "--root", dir.path() + "/state", "exec", "nope", "sh"}, dir.path());
  EXPECT_EQ(missing.ctx.container_bundle(), nullptr);
  // A config.json runc could not read: the same error each time it is asked, not a second read.
  std::ofstream(config_json) << R"({"process":)";
  kmem_test::Invocation broken(config, {"runc", "--root", dir.path() + "/state", "exec", "c1", "sh"}, dir.path());
  EXPECT_THROW(broken.ctx.container_bundle(), Error);
  std::ofstream(config_json) << R"({"ociVersion":"1.0.2"})";
  EXPECT_THROW(broken.ctx.container_bundle(), Error);
}

TEST(WatchSpec, FromRuncArgv) {
  Config config;
  config.watchdog.init_timeout_s = 7;
  config.watchdog.unstick = false;
  config.mode = Mode::Observe;
  std::vector<std::string> argv{"runc", "--root", "state", "--log", "log.json", "--log-format", "json",
                                "exec", "-d", "--pid-file", "p", "c1", "sh"};
  WatchSpec spec = make_watch_spec(WatchdogRequest{config, argv, "/usr/bin/runc", {}}, 42, "/work/dir");
  EXPECT_EQ(spec.runc.pid, 42);
  EXPECT_EQ(spec.command, Command::Exec);
  EXPECT_EQ(spec.container_id, "c1");
  EXPECT_EQ(spec.state_root, "/work/dir/state");
  EXPECT_EQ(spec.log_path, "/work/dir/log.json");
  EXPECT_EQ(spec.log_format, "json");
  EXPECT_EQ(spec.call.global_flags, (std::vector<std::string>{"--root", "state", "--log", "log.json", "--log-format", "json"}));
  EXPECT_EQ(spec.call.cwd, "/work/dir");
  EXPECT_EQ(spec.call.runc_path, "/usr/bin/runc");
  EXPECT_TRUE(spec.detached);
  EXPECT_TRUE(spec.observe());
  EXPECT_FALSE(spec.config.watchdog.unstick);
  EXPECT_EQ(spec.init_timeout(), 7s);

  std::vector<std::string> run{"runc", "run", "--bundle", "/b", "c2"};
  WatchSpec run_spec = make_watch_spec(WatchdogRequest{config, run, "/usr/bin/runc", {}}, 1, "/");
  EXPECT_EQ(run_spec.state_root, "/run/runc");
  EXPECT_TRUE(run_spec.call.global_flags.empty());
  EXPECT_FALSE(run_spec.detached);
  EXPECT_EQ(run_spec.log_path, "");
}

TEST(WatchdogApplies, OnlyCommandsThatStartInits) {
  Config on;
  Config off;
  off.watchdog.enabled = false;
  auto watches = [](const Config& c, std::string command, std::string arg = "x") {
    return watchdog_watches_inits(c, parse_runc_args(std::vector<std::string>{"runc", command, arg}));
  };
  for (std::string c : {"create", "run", "start", "exec", "restore"}) {
    EXPECT_TRUE(watches(on, c)) << c;
    EXPECT_FALSE(watches(off, c)) << c;
  }
  for (std::string c : {"delete", "state", "kill", "update", "ps", "list"}) EXPECT_FALSE(watches(on, c)) << c;
  EXPECT_FALSE(watches(on, "create", "--help"));
}

// Descendants on a fake /proc: children, grandchildren (possibly read in the same look), strangers, and a
// descendant that stays one when reparented.
TEST(DescendantTracker, FindsDescendantsIncrementally) {
  char tmpl[] = "/tmp/rg-desc-XXXXXX";
  std::string root = ::mkdtemp(tmpl);
  auto proc = [&](pid_t pid, pid_t ppid, std::uint64_t start, const std::string& comm) {
    fs::create_directories(root + "/" + std::to_string(pid));
    std::ofstream(root + "/" + std::to_string(pid) + "/stat")
        << pid << " (" << comm << ") S " << ppid << " 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 " << start
        << " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
  };
  auto pids_of = [](const std::vector<ProcStat>& v) {
    std::vector<pid_t> out;
    for (const auto& s : v) out.push_back(s.pid);
    return out;
  };
  proc(100, 1, 10, "runc");
  proc(50, 101, 12, "runc:[1:CHILD]");  // lower pid than its parent (pid wrap): still found
  proc(101, 100, 11, "runc:[0:PARENT]");
  proc(200, 1, 5, "sshd");
  DescendantTracker tracker(root, {100, 10});
  EXPECT_EQ(pids_of(tracker.refresh()), (std::vector<pid_t>{50, 101}));
  proc(102, 100, 13, "runc:[2:INIT]");
  proc(300, 200, 14, "bash");
  EXPECT_EQ(pids_of(tracker.refresh()), (std::vector<pid_t>{50, 101, 102}));
  // 101 exits, 50 is reparented to init: still runc's.
  fs::remove_all(root + "/101");
  proc(50, 1, 12, "runc:[1:CHILD]");
  EXPECT_EQ(pids_of(tracker.refresh()), (std::vector<pid_t>{50, 102}));
  fs::remove_all(root);
}

// The same on a fake /proc with /proc/PID/task/TID/children (what kernels with CONFIG_PROC_CHILDREN
// have): found by walking down from runc, children spread over runc's threads, a stranger wrongly listed
// as a child (a stale list) not taken, a reparented descendant kept, a pid reused by a stranger dropped.
TEST(DescendantTracker, WalksChildrenFiles) {
  char tmpl[] = "/tmp/rg-walk-XXXXXX";
  std::string root = ::mkdtemp(tmpl);
  auto proc = [&](pid_t pid, pid_t ppid, std::uint64_t start, const std::string& comm) {
    fs::create_directories(root + "/" + std::to_string(pid) + "/task/" + std::to_string(pid));
    std::ofstream(root + "/" + std::to_string(pid) + "/stat")
        << pid << " (" << comm << ") S " << ppid << " 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 " << start
        << " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
  };
  auto children = [&](pid_t pid, pid_t tid, const std::string& list) {
    fs::create_directories(root + "/" + std::to_string(pid) + "/task/" + std::to_string(tid));
    std::ofstream(root + "/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/children") << list;
  };
  auto pids_of = [](const std::vector<ProcStat>& v) {
    std::vector<pid_t> out;
    for (const auto& s : v) out.push_back(s.pid);
    return out;
  };
  proc(100, 1, 10, "runc");
  proc(101, 100, 11, "runc:[0:PARENT]");
  proc(50, 101, 12, "runc:[1:CHILD]");
  proc(200, 1, 5, "sshd");
  proc(400, 100, 20, "unlisted");  // in no children file: a look that read every pid would take it
  children(100, 100, "");
  children(100, 107, "101 200 ");  // a Go thread forked 101; 200 is not runc's child whatever the list says
  children(101, 101, "50 ");
  children(50, 50, "");
  children(200, 200, "300 ");
  DescendantTracker tracker(root, {100, 10});
  EXPECT_EQ(pids_of(tracker.refresh()), (std::vector<pid_t>{50, 101}));
  // 101 exits, 50 is reparented to init: still runc's; a new init appears under another thread.
  fs::remove_all(root + "/101");
  proc(50, 1, 12, "runc:[1:CHILD]");
  proc(102, 100, 13, "runc:[2:INIT]");
  children(100, 100, "102");
  children(100, 107, "200");
  EXPECT_EQ(pids_of(tracker.refresh()), (std::vector<pid_t>{50, 102}));
  // 50 exits and its pid goes to a stranger: not runc's.
  proc(50, 1, 99, "bash");
  EXPECT_EQ(pids_of(tracker.refresh()), (std::vector<pid_t>{102}));
  fs::remove_all(root);
}

}  // namespace
}  // namespace rg
