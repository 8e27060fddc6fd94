#include "oci/proc/foreign_fd.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "oci/base/syscall_numbers.h"

namespace rg {
namespace {

PinMethod g_last_method = PinMethod::Auto;

// The handle is that pipe: our own fd link reads "pipe:[inode]" and fstat agrees. readlink of our fd
// never calls into the file's filesystem, so a FUSE file or a device is rejected without being touched.
bool is_that_pipe(int handle, std::uint64_t inode) {
  auto target = read_fd_target("/proc", ::getpid(), handle);
  if (!target || parse_pipe_inode(*target) != inode) return false;
  struct stat st {};
  return ::fstat(handle, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_ino == inode;
}

UniqueFd pin_by_getfd(const std::string& proc_root, const ProcessIdentity& who, int fd, bool& unsupported) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, who.pid, 0)));
  if (!pidfd) {
    unsupported = errno == ENOSYS;
    return {};
  }
  // From here on the pid cannot be reused under us: check it is still the process we identified.
  auto st = read_proc_stat(proc_root, who.pid);
  if (!st || st->start_time != who.start_time) return {};
  UniqueFd handle(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  if (!handle) unsupported = errno == ENOSYS;
  else ::fcntl(handle.get(), F_SETFD, FD_CLOEXEC);  // pidfd_getfd sets it already; never leak into runc
  return handle;
}

UniqueFd pin_by_opath(const std::string& proc_root, const ProcessIdentity& who, int fd) {
  const std::string path = proc_root + "/" + std::to_string(who.pid) + "/fd/" + std::to_string(fd);
  // O_PATH: the magic link is followed to the file without calling its open().
  UniqueFd handle(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!handle) return {};
  auto st = read_proc_stat(proc_root, who.pid);
  if (!st || st->start_time != who.start_time) return {};  // pid reused: whatever we pinned is not ours
  return handle;
}

}  // namespace

UniqueFd pin_pipe_fd(const std::string& proc_root, const ProcessIdentity& who, int fd, std::uint64_t inode,
                     PinMethod method) {
  UniqueFd handle;
  bool unsupported = false;
  if (method != PinMethod::OpathOpen && proc_root == "/proc") {
    handle = pin_by_getfd(proc_root, who, fd, unsupported);
    g_last_method = PinMethod::PidfdGetfd;
  }
  if (!handle && method != PinMethod::PidfdGetfd && (method == PinMethod::OpathOpen || unsupported || proc_root != "/proc")) {
    handle = pin_by_opath(proc_root, who, fd);
    g_last_method = PinMethod::OpathOpen;
  }
  if (!handle || !is_that_pipe(handle.get(), inode)) return {};
  // An O_PATH handle carries no pipe operations: the verified pipe is reopened read-only for them.
  if (g_last_method == PinMethod::OpathOpen) return reopen_pinned_pipe(handle.get(), inode);
  return handle;
}

UniqueFd reopen_pinned_pipe(int pinned, std::uint64_t inode) {
  UniqueFd fd(::open(("/proc/self/fd/" + std::to_string(pinned)).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd || !is_that_pipe(fd.get(), inode)) return {};
  return fd;
}

std::optional<PipeFill> pipe_fill(int fd) {
  int capacity = ::fcntl(fd, F_GETPIPE_SZ);
  int bytes = 0;
  if (capacity < 0 || ::ioctl(fd, FIONREAD, &bytes) != 0) return std::nullopt;
  return PipeFill{static_cast<std::size_t>(capacity), static_cast<std::size_t>(bytes)};
}

PinMethod last_pin_method() { return g_last_method; }

}  // namespace rg
