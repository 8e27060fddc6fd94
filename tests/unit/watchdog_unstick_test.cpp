// The watchdog against the real kernel: child processes named runc:[2:INIT] really blocked in a pipe write,
// found through the real /proc, un-stuck with the data intact, left alone when another process reads the
// pipe, and killed at the deadline by the watch loop itself.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "temp_dir.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "oci/base/files.h"
#include "shim/watchdog/blocked_inits.h"
#include "shim/watchdog/unstick.h"
#include "oci/proc/foreign_fd.h"
#include "shim/watchdog/watchdog_loop.h"

namespace rg {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr std::size_t kProgramBytes = 12152;  // what the fake rc93 exports

// A forked child that is killed and reaped on scope exit.
struct Child {
  pid_t pid = -1;
  Child() = default;
  explicit Child(pid_t p) : pid(p) {}
  Child(Child&& o) noexcept : pid(std::exchange(o.pid, -1)) {}
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  int wait() {
    int status = 0;
    ::waitpid(std::exchange(pid, -1), &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

std::vector<unsigned char> pattern(std::size_t n) {
  std::vector<unsigned char> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>(i * 31 + 7);
  return v;
}

// The body of a fake init: one write of the whole program into a 4096 B pipe, then (if it holds the read
// end) read it back and exit 0 only when it is byte-for-byte what was written.
[[noreturn]] void blocked_writer_body(Pipe& pipe, bool holds_read_end) {
  ::prctl(PR_SET_NAME, "runc:[2:INIT]", 0, 0, 0);
  if (!holds_read_end) pipe.read_end.reset();
  ::fcntl(pipe.write_end.get(), F_SETPIPE_SZ, 4096);
  auto data = pattern(kProgramBytes);
  ssize_t n = ::write(pipe.write_end.get(), data.data(), data.size());
  if (n != static_cast<ssize_t>(data.size())) ::_exit(2);
  if (!holds_read_end) ::_exit(0);
  pipe.write_end.reset();
  std::vector<unsigned char> back;
  unsigned char buf[4096];
  ssize_t r;
  while ((r = ::read(pipe.read_end.get(), buf, sizeof buf)) > 0) back.insert(back.end(), buf, buf + r);
  ::_exit(back == data ? 0 : 3);
}

// Returns the child and, when the child does not hold it, the read end (held by us, never read).
Child spawn_blocked_writer(bool holds_read_end, UniqueFd* foreign_read_end = nullptr) {
  Pipe pipe = Pipe::create();
  pid_t pid = ::fork();
  if (pid == 0) blocked_writer_body(pipe, holds_read_end);
  if (foreign_read_end) *foreign_read_end = std::move(pipe.read_end);
  return Child(pid);
}

ProcessIdentity identity(pid_t pid) { return {pid, read_proc_stat("/proc", pid)->start_time}; }

// The fake inits are forks of this test binary: to the scan, this binary is "the configured runc".
constexpr const char* kTestRunc = "/proc/self/exe";
std::vector<BlockedInit> scan() {
  FindBlockedOptions options;
  options.runc_path = kTestRunc;
  return find_blocked_inits("/proc", options);
}

std::size_t pipe_capacity(pid_t pid, const BlockedWrite& w) {
  UniqueFd pinned = pin_pipe_fd("/proc", identity(pid), w.fd, w.pipe_inode);
  return pinned ? pipe_fill(pinned.get())->capacity : 0;
}

std::optional<BlockedWrite> wait_until_blocked(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (auto b = find_blocked_write("/proc", identity(pid))) return b;
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

std::vector<nlohmann::json> read_events(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(RealKernel, FindsTheBlockedInitAndUnsticksItLosslessly) {
  Child init = spawn_blocked_writer(true);
  auto blocked = wait_until_blocked(init.pid);
  ASSERT_TRUE(blocked) << "the child never blocked in a pipe write";
  EXPECT_EQ(blocked->tid, init.pid);
  EXPECT_EQ(blocked->fill.capacity, 4096u);
  EXPECT_EQ(blocked->fill.bytes, 4096u);
  EXPECT_TRUE(blocked->read_end_held);
  EXPECT_TRUE(is_pipe_write_wchan(blocked->wchan) || blocked->wchan == "0") << blocked->wchan;

  // doctor's scan of the whole /proc sees it (among whatever else the node runs).
  auto found = scan();
  auto it = std::find_if(found.begin(), found.end(), [&](const BlockedInit& b) { return b.process.pid == init.pid; });
  ASSERT_NE(it, found.end());
  EXPECT_EQ(it->comm, "runc:[2:INIT]");
  EXPECT_EQ(it->write.fd, blocked->fd);
  EXPECT_GE(it->age_s, 0.0);

  UnstickResult r = unstick(*it, kTestRunc, kProgramBytes);
  EXPECT_TRUE(r.unstuck) << r.error;
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.size_before, 4096u);
  EXPECT_GE(r.size_after, kProgramBytes);
  EXPECT_EQ(r.bytes_before, 4096u);
  EXPECT_EQ(init.wait(), 0) << "the program read back differs from what was written";
}

TEST(RealKernel, APipeAnotherProcessReadsIsReportedNotTouched) {
  UniqueFd read_end;
  Child init = spawn_blocked_writer(false, &read_end);
  auto blocked = wait_until_blocked(init.pid);
  ASSERT_TRUE(blocked);
  EXPECT_FALSE(blocked->read_end_held);
  auto found = scan();
  auto it = std::find_if(found.begin(), found.end(), [&](const BlockedInit& b) { return b.process.pid == init.pid; });
  ASSERT_NE(it, found.end());
  UnstickResult r = unstick(*it, kTestRunc, kProgramBytes);
  EXPECT_FALSE(r.unstuck);
  EXPECT_NE(r.error.find("not touched"), std::string::npos) << r.error;
  EXPECT_EQ(pipe_capacity(init.pid, *blocked), 4096u);
  // Only its reader can free it.
  std::vector<char> sink(kProgramBytes);
  ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
  std::size_t got = 0;
  for (int i = 0; i < 200 && got < kProgramBytes; ++i) {
    ssize_t n = ::read(read_end.get(), sink.data(), sink.size());
    if (n > 0) got += static_cast<std::size_t>(n);
    else std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(init.wait(), 0);
}

TEST(RealKernel, UnstickRefusesAProcessThatChanged) {
  Child init = spawn_blocked_writer(true);
  ASSERT_TRUE(wait_until_blocked(init.pid));
  auto found = scan();
  auto it = std::find_if(found.begin(), found.end(), [&](const BlockedInit& b) { return b.process.pid == init.pid; });
  ASSERT_NE(it, found.end());
  BlockedInit stale = *it;
  stale.process.start_time += 1;  // as if the pid now belonged to another process
  UnstickResult r = unstick(stale, kTestRunc, kProgramBytes);
  EXPECT_FALSE(r.unstuck);
  EXPECT_EQ(pipe_capacity(init.pid, it->write), 4096u);
}

// A stand-in for the watched runc: forks the init (blocked on its own pipe or on one we hold), waits for it
// and exits with its status.
Child spawn_fake_runc(bool init_holds_read_end) {
  pid_t pid = ::fork();
  if (pid == 0) {
    UniqueFd foreign;
    Child init = spawn_blocked_writer(init_holds_read_end, &foreign);
    ::_exit(init.wait());
  }
  return Child(pid);
}

using test::TempDir;

WatchSpec spec_for(const Child& runc, const TempDir& dir) {
  WatchSpec spec;
  spec.runc = {runc.pid, read_proc_stat("/proc", runc.pid)->start_time};
  spec.runc_path = "/proc/self/exe";  // the fake inits are forks of this test binary
  spec.command = Command::Exec;
  spec.detached = true;
  spec.container_id = "c1";
  spec.state_root = dir.path();
  spec.call = RuncCall{spec.runc_path, {}, dir.path()};
  spec.log_path = dir.path() + "/log.json";
  spec.log_format = "json";
  spec.config.log.events = dir.path() + "/events.jsonl";
  return spec;
}

TEST(InitWatcher, UnsticksTheInitOfTheWatchedRuncAndEndsWhenRuncExits) {
  TempDir dir;
  Child runc = spawn_fake_runc(true);
  WatchSpec spec = spec_for(runc, dir);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, runc.pid, 0)));
  EventLog events(spec.config.log.events, "exec", "c1");
  InitWatcher watcher(spec, pidfd.get(), events);
  auto started = WatchClock::now();
  EXPECT_EQ(watcher.run(), WatchEnd::RuncExited);
  EXPECT_LT(WatchClock::now() - started, 1s);
  EXPECT_EQ(runc.wait(), 0) << "init failed: program not intact";
  events.close();
  auto lines = read_events(spec.config.log.events);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["event"], "init.blocked");
  EXPECT_EQ(lines[0]["details"]["action"], "unstick");
  EXPECT_EQ(lines[1]["event"], "init.unstuck");
  EXPECT_EQ(lines[1]["details"]["bytes_before"], 4096);
  EXPECT_EQ(lines[1]["details"]["pipe_size_before"], 4096);
  EXPECT_EQ(lines[1]["details"]["pipe_size_after"], 1 << 20);  // no prediction: the 1 MiB fallback
  EXPECT_LE(lines[1]["details"]["latency_ms"].get<double>(), 250.0);
  EXPECT_FALSE(fs::exists(spec.log_path)) << "success paths write nothing for the user";
}

TEST(InitWatcher, ObserveModeDetectsButNeverActs) {
  TempDir dir;
  Child runc = spawn_fake_runc(true);
  WatchSpec spec = spec_for(runc, dir);
  spec.config.mode = Mode::Observe;
  spec.config.watchdog.init_timeout_s = 1;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, runc.pid, 0)));
  EventLog events(spec.config.log.events, "exec", "c1");
  InitWatcher watcher(spec, pidfd.get(), events);
  std::thread stop([&] {
    std::this_thread::sleep_for(1500ms);
    ::kill(runc.pid, SIGTERM);  // ends the watch
  });
  EXPECT_EQ(watcher.run(), WatchEnd::RuncExited);
  stop.join();
  events.close();
  auto lines = read_events(spec.config.log.events);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["event"], "init.blocked");
  EXPECT_EQ(lines[0]["details"]["action"], "observe");
  ::kill(lines[0]["details"]["pid"].get<pid_t>(), SIGKILL);  // the orphaned init, still blocked: untouched
  EXPECT_EQ(lines[1]["event"], "init.deadline_exceeded");
  EXPECT_FALSE(fs::exists(spec.log_path));
}

TEST(InitWatcher, KillsAtTheDeadlineWhenTheInitCannotBeUnstuck) {
  TempDir dir;
  Child runc = spawn_fake_runc(false);  // the pipe's reader is the fake runc, which never reads
  WatchSpec spec = spec_for(runc, dir);
  spec.config.watchdog.init_timeout_s = 1;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, runc.pid, 0)));
  EventLog events(spec.config.log.events, "exec", "c1");
  InitWatcher watcher(spec, pidfd.get(), events);
  auto started = WatchClock::now();
  EXPECT_EQ(watcher.run(), WatchEnd::Killed);
  EXPECT_LT(WatchClock::now() - started, 2s);
  EXPECT_EQ(runc.wait(), 128 + SIGKILL);
  events.close();
  auto lines = read_events(spec.config.log.events);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["details"]["action"], "report (another process holds the read end)");
  EXPECT_EQ(lines[1]["event"], "init.killed");
  EXPECT_EQ(lines[1]["details"]["inits_killed"].size(), 1u);
  EXPECT_TRUE(lines[1]["details"]["runc_killed"]);
  auto log = nlohmann::json::parse(read_file(spec.log_path));
  EXPECT_EQ(log["level"], "error");
  EXPECT_EQ(log["msg"], "runc-guard: runc init did not finish within 1s (blocked writing fd " +
                            std::to_string(lines[0]["details"]["fd"].get<int>()) + ", pipe 4096 B full); killed");
}

}  // namespace
}  // namespace rg

namespace rg {
namespace {

// The pid can be reused between the look and the un-stick: the reopened fd must still be the same pipe.
TEST(EnlargePipe, RefusesWhenTheFdIsNoLongerTheBlockedPipe) {
  Pipe p = Pipe::create();
  struct stat st {};
  ASSERT_EQ(::fstat(p.write_end.get(), &st), 0);
  EXPECT_THROW(enlarge_pipe("/proc", identity(::getpid()), p.write_end.get(), st.st_ino + 1, 131072), Error);
  EXPECT_EQ(::fcntl(p.write_end.get(), F_GETPIPE_SZ), 65536);  // untouched
  EnlargeResult r = enlarge_pipe("/proc", identity(::getpid()), p.write_end.get(), st.st_ino, 131072);
  EXPECT_EQ(r.size_after, 131072u);
}

}  // namespace
}  // namespace rg
