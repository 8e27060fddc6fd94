// The /proc readers on a fake tree generated here (texts as 3.10, 5.x and 6.x kernels print them) and on
// the real /proc.
#include "oci/proc/proc_files.h"
#include "oci/proc/runc_init.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "shim/watchdog/blocked_inits.h"

namespace rg {
namespace {

namespace fs = std::filesystem;

// A throwaway /proc lookalike.
class FakeProc {
 public:
  FakeProc() {
    char tmpl[] = "/tmp/rg-fakeproc-XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  ~FakeProc() { fs::remove_all(root_); }
  const std::string& root() const { return root_; }
  void file(const std::string& rel, const std::string& text) {
    fs::create_directories(fs::path(root_ + "/" + rel).parent_path());
    std::ofstream(root_ + "/" + rel) << text;
  }
  void link(const std::string& rel, const std::string& target) {
    fs::create_directories(fs::path(root_ + "/" + rel).parent_path());
    fs::create_symlink(target, root_ + "/" + rel);
  }

 private:
  std::string root_;
};

TEST(ProcStat, ParsesField22AndAWeirdComm) {
  // comm with a space and a ')' (a process may name itself anything).
  auto st = parse_proc_stat(
      "4474 (runc:[2:INIT] x)) S 1 4474 4474 0 -1 4194560 93 0 0 0 0 0 0 0 20 0 1 0 123818 3018752 278 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->pid, 4474);
  EXPECT_EQ(st->comm, "runc:[2:INIT] x)");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 1);
  EXPECT_EQ(st->start_time, 123818u);
  EXPECT_FALSE(parse_proc_stat("garbage"));
  EXPECT_FALSE(parse_proc_stat("12 (x) S 1 2 3"));  // truncated
}

TEST(ProcStat, RealProcMatchesOurselves) {
  auto st = read_proc_stat("/proc", ::getpid());
  ASSERT_TRUE(st);
  EXPECT_EQ(st->pid, ::getpid());
  EXPECT_EQ(st->ppid, ::getppid());
  EXPECT_GT(st->start_time, 0u);
  EXPECT_FALSE(read_proc_stat("/proc", 0x7ffffff0));  // no such process: empty, not an exception
}

TEST(ProcSyscall, ParsesBlockedWriteAndRejectsRunning) {
  auto st = parse_task_syscall("1 0x6 0x5619059686a0 0x1340 0x7fd13e2374f0 0x7 0x5619058c8fa0 0x7ffffb2e84d8 0x7fd13e316350\n");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->number, 1);
  EXPECT_EQ(st->args[0], 6u);
  EXPECT_EQ(st->args[2], 0x1340u);
  EXPECT_FALSE(parse_task_syscall("running\n"));
  EXPECT_FALSE(parse_task_syscall("-1 0x7ffd8e6e1828 0x7f8e5b516350\n"));  // blocked, not in a syscall
  EXPECT_FALSE(parse_task_syscall("1 6 0x0 0x0 0x0 0x0 0x0"));            // args must be hex
}

TEST(ProcFdinfo, AccessModeFromOctalFlags) {
  EXPECT_EQ(parse_fdinfo_access_mode("pos:\t0\nflags:\t02000000\nmnt_id:\t16\nino:\t75593\n"), O_RDONLY);
  EXPECT_EQ(parse_fdinfo_access_mode("pos:\t0\nflags:\t02000001\nmnt_id:\t16\n"), O_WRONLY);
  EXPECT_EQ(parse_fdinfo_access_mode("pos:\t0\nflags:\t0100002\n"), O_RDWR);
  EXPECT_FALSE(parse_fdinfo_access_mode("pos:\t0\n"));
}

TEST(ProcFd, PipeInodeFromLinkText) {
  EXPECT_EQ(parse_pipe_inode("pipe:[24471]"), 24471u);
  EXPECT_FALSE(parse_pipe_inode("socket:[24471]"));
  EXPECT_FALSE(parse_pipe_inode("/tmp/pipe:[1]"));
  EXPECT_FALSE(parse_pipe_inode("pipe:[12"));
}

TEST(ProcFakeTree, EveryReaderTakesTheProcRoot) {
  FakeProc proc;
  proc.file("4474/stat", "4474 (runc:[2:INIT]) S 900 4474 4474 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 123818 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  proc.file("4474/task/4474/wchan", "anon_pipe_write");
  proc.file("4474/task/4474/syscall", "1 0x5 0x0 0x1340 0x0 0x0 0x0 0x0 0x0\n");
  proc.file("4474/task/4480/wchan", "futex_wait_queue");
  proc.file("4474/task/4480/syscall", "202 0x1 0x0 0x0 0x0 0x0 0x0 0x0 0x0\n");
  proc.file("4474/fdinfo/4", "pos:\t0\nflags:\t02000000\n");
  proc.file("4474/fdinfo/5", "pos:\t0\nflags:\t02000001\n");
  proc.link("4474/fd/4", "pipe:[75593]");
  proc.link("4474/fd/5", "pipe:[75593]");
  proc.link("4474/fd/0", "/dev/null");
  proc.link("4474/exe", "/proc/self/exe");
  proc.file("4474/cmdline", std::string("runc\0init\0", 10));
  proc.file("self/x", "");
  proc.file("uptime", "1234.56 789.00\n");
  proc.link("4474/ns/pid", "pid:[4026532210]");

  EXPECT_EQ(list_pids(proc.root()), std::vector<pid_t>{4474});  // "self" is not a pid
  EXPECT_EQ(list_tasks(proc.root(), 4474), (std::vector<pid_t>{4474, 4480}));
  EXPECT_EQ(read_proc_stat(proc.root(), 4474)->comm, "runc:[2:INIT]");
  EXPECT_EQ(read_task_wchan(proc.root(), 4474, 4474), "anon_pipe_write");
  EXPECT_EQ(read_task_syscall(proc.root(), 4474, 4474)->args[0], 5u);
  EXPECT_EQ(read_fd_target(proc.root(), 4474, 5), "pipe:[75593]");
  auto fds = list_fds(proc.root(), 4474);
  ASSERT_EQ(fds.size(), 3u);
  EXPECT_EQ(fds[0].target, "/dev/null");
  EXPECT_EQ(read_fd_access_mode(proc.root(), 4474, 4), O_RDONLY);
  EXPECT_TRUE(holds_pipe_read_end(proc.root(), 4474, 75593));
  EXPECT_FALSE(holds_pipe_read_end(proc.root(), 4474, 11111));
  EXPECT_EQ(read_cmdline(proc.root(), 4474), (std::vector<std::string>{"runc", "init"}));
  EXPECT_DOUBLE_EQ(*read_uptime(proc.root()), 1234.56);
  EXPECT_EQ(read_namespace(proc.root(), 4474, "pid"), "pid:[4026532210]");
  EXPECT_NE(read_namespace("/proc", ::getpid(), "pid"), std::nullopt);
  // The exe link leads to this very binary: same identity as /proc/self/exe.
  auto exe = exe_file_of(proc.root(), 4474);
  ASSERT_TRUE(exe);
  EXPECT_TRUE(RuncBinary("/proc/self/exe").runs(proc.root(), 4474));
  EXPECT_FALSE(RuncBinary("/bin/sh").runs(proc.root(), 4474));
  // A pipe-write wchan but a fd that is no real pipe: not a blocked write (nothing to probe).
  const ProcessIdentity init{4474, read_proc_stat(proc.root(), 4474)->start_time};
  EXPECT_FALSE(thread_blocked_write(proc.root(), init, 4474));
  EXPECT_FALSE(thread_blocked_write(proc.root(), init, 4480));
}

TEST(ProcFakeTree, OlderKernelsWchanNames) {
  EXPECT_TRUE(is_pipe_write_wchan("anon_pipe_write"));  // 6.x
  EXPECT_TRUE(is_pipe_write_wchan("pipe_write"));       // 5.x
  EXPECT_TRUE(is_pipe_write_wchan("pipe_wait"));        // 3.10 / 4.x
  EXPECT_FALSE(is_pipe_write_wchan("pipe_read"));
  EXPECT_FALSE(is_pipe_write_wchan("wait_for_partner"));  // an init waiting on exec.fifo: normal
  EXPECT_TRUE(is_write_syscall(SYS_write));
  EXPECT_FALSE(is_write_syscall(SYS_read));
}

}  // namespace
}  // namespace rg
