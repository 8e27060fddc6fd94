// Taking another process's pipe: pinned without an open of its file and verified before use, by both
// methods (pidfd_getfd and the O_PATH fallback). The child processes here are the hostile side: they put
// something else behind the fd number the watchdog looks at.
#include "oci/proc/foreign_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "oci/base/fd.h"
#include "temp_dir.h"

namespace rg {
namespace {

// A child holding a full 4096 B pipe at fd 9 (read end at fd 8), until killed.
class PipeHolder {
 public:
  PipeHolder() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    ::fcntl(fds[1], F_SETPIPE_SZ, 4096);
    std::string page(4096, 'p');
    EXPECT_EQ(::write(fds[1], page.data(), page.size()), 4096);
    struct stat st {};
    ::fstat(fds[0], &st);
    inode = st.st_ino;
    int ready[2];
    EXPECT_EQ(::pipe(ready), 0);
    // Out of the way of fds 8 and 9, which the child takes.
    for (int& r : ready) {
      int high = ::fcntl(r, F_DUPFD, 20);
      ::close(r);
      r = high;
    }
    pid = ::fork();
    if (pid == 0) {
      ::dup2(fds[0], 8);
      ::dup2(fds[1], 9);
      if (fds[0] != 8 && fds[0] != 9) ::close(fds[0]);
      if (fds[1] != 8 && fds[1] != 9) ::close(fds[1]);
      (void)!::write(ready[1], "r", 1);
      for (;;) ::pause();
    }
    char c;
    EXPECT_EQ(::read(ready[0], &c, 1), 1);
    ::close(ready[0]);
    ::close(ready[1]);
    ::close(fds[0]);
    ::close(fds[1]);
    who = {pid, read_proc_stat("/proc", pid)->start_time};
  }
  ~PipeHolder() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  pid_t pid = -1;
  ProcessIdentity who;
  std::uint64_t inode = 0;
};

class PinMethods : public ::testing::TestWithParam<PinMethod> {};

TEST_P(PinMethods, PinsTheVerifiedPipeAndReadsItsFill) {
  PipeHolder holder;
  UniqueFd pinned = pin_pipe_fd("/proc", holder.who, 9, holder.inode, GetParam());
  ASSERT_TRUE(pinned);
  EXPECT_EQ(last_pin_method(), GetParam());
  auto fill = pipe_fill(pinned.get());
  ASSERT_TRUE(fill);
  EXPECT_EQ(fill->capacity, 4096u);
  EXPECT_EQ(fill->bytes, 4096u);
  EXPECT_TRUE(fill->full());
  EXPECT_TRUE(::fcntl(pinned.get(), F_GETFD) & FD_CLOEXEC);
  // A reopen is a separate read-only open file of the same pipe; resizing through it is lossless.
  UniqueFd reopened = reopen_pinned_pipe(pinned.get(), holder.inode);
  ASSERT_TRUE(reopened);
  ASSERT_GE(::fcntl(reopened.get(), F_SETPIPE_SZ, 65536), 65536);
  EXPECT_EQ(pipe_fill(pinned.get())->bytes, 4096u);
}

TEST_P(PinMethods, RefusesAnythingButThatPipe) {
  PipeHolder holder;
  EXPECT_FALSE(pin_pipe_fd("/proc", holder.who, 9, holder.inode + 1, GetParam()));  // another pipe
  EXPECT_FALSE(pin_pipe_fd("/proc", holder.who, 200, holder.inode, GetParam()));    // nothing there
  EXPECT_FALSE(pin_pipe_fd("/proc", {holder.pid, holder.who.start_time + 1}, 9, holder.inode, GetParam()));  // not that process
}

INSTANTIATE_TEST_SUITE_P(Both, PinMethods, ::testing::Values(PinMethod::PidfdGetfd, PinMethod::OpathOpen));

// The attack: the watched process holds a file at the fd number instead of the pipe (dup2 after our
// readlink). Opening /proc/PID/fd/N as root would open that file; pinning must not, and must refuse it.
// inotify on the file counts every open.
TEST_P(PinMethods, NeverOpensAFileSwappedInForThePipe) {
  test::TempDir dir("rg-pin");
  const std::string canary = dir.file("canary", "secret");
  UniqueFd notify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  ASSERT_TRUE(notify);
  ASSERT_GE(::inotify_add_watch(notify.get(), canary.c_str(), IN_OPEN), 0);
  PipeHolder holder;
  pid_t swapper = ::fork();
  if (swapper == 0) {
    int path_fd = ::open(canary.c_str(), O_PATH);  // how a process without read access would hold it
    ::dup2(path_fd, 9);
    ::kill(::getpid(), SIGSTOP);
    for (;;) ::pause();
  }
  int status = 0;
  ASSERT_EQ(::waitpid(swapper, &status, WUNTRACED), swapper);
  // The child opened the canary itself (O_PATH: no IN_OPEN on this kernel or one event); drain it.
  char buf[4096];
  while (::read(notify.get(), buf, sizeof buf) > 0) {
  }
  const ProcessIdentity who{swapper, read_proc_stat("/proc", swapper)->start_time};
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(pin_pipe_fd("/proc", who, 9, holder.inode, GetParam()));
  ssize_t n = ::read(notify.get(), buf, sizeof buf);
  int opens = 0;
  for (ssize_t off = 0; n > 0 && off < n;) {
    auto* ev = reinterpret_cast<inotify_event*>(buf + off);
    if (ev->mask & IN_OPEN) ++opens;
    off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
  }
  // Neither method opens it: pidfd_getfd duplicates, O_PATH pins without the file's open().
  EXPECT_EQ(opens, 0);
  ::kill(swapper, SIGKILL);
  ::waitpid(swapper, nullptr, 0);
}

}  // namespace
}  // namespace rg
