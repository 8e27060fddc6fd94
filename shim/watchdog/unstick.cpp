#include "shim/watchdog/unstick.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <thread>

#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "oci/proc/proc_files.h"

namespace rg {
namespace {

std::size_t round_up_pow2(std::size_t n) {
  std::size_t p = 4096;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

bool is_pipe_write_wchan(std::string_view wchan) {
  static constexpr std::array<std::string_view, 4> kNames = {"anon_pipe_write", "pipe_write", "pipe_wait",
                                                             "pipe_wait_writable"};
  return std::find(kNames.begin(), kNames.end(), wchan) != kNames.end();
}

bool is_write_syscall(long number) { return number == SYS_write || number == SYS_writev; }

std::optional<BlockedWrite> thread_blocked_write(const std::string& proc_root, const ProcessIdentity& who, pid_t tid) {
  const pid_t pid = who.pid;
  auto wchan = read_task_wchan(proc_root, pid, tid);
  if (!wchan) return std::nullopt;
  // "0"/"" is what a kernel that hides wchan shows; then the syscall and the full pipe must carry the proof.
  bool wchan_hidden = wchan->empty() || *wchan == "0";
  if (!wchan_hidden && !is_pipe_write_wchan(*wchan)) return std::nullopt;
  auto call = read_task_syscall(proc_root, pid, tid);
  if (!call || !is_write_syscall(call->number) || call->args[0] > 0x7fffffff) return std::nullopt;
  int fd = static_cast<int>(call->args[0]);
  auto target = read_fd_target(proc_root, pid, fd);
  auto inode = target ? parse_pipe_inode(*target) : std::nullopt;
  if (!inode) return std::nullopt;
  UniqueFd pipe = pin_pipe_fd(proc_root, who, fd, *inode);
  auto fill = pipe ? pipe_fill(pipe.get()) : std::nullopt;
  if (!fill || !fill->full()) return std::nullopt;
  BlockedWrite out;
  out.tid = tid;
  out.fd = fd;
  out.pipe_inode = *inode;
  out.wchan = *wchan;
  out.fill = *fill;
  out.read_end_held = holds_pipe_read_end(proc_root, pid, *inode);
  return out;
}

std::optional<BlockedWrite> find_blocked_write(const std::string& proc_root, const ProcessIdentity& who) {
  for (pid_t tid : list_tasks(proc_root, who.pid)) {
    if (auto blocked = thread_blocked_write(proc_root, who, tid)) return blocked;
  }
  return std::nullopt;
}

bool same_blocked_write(const BlockedWrite& a, const BlockedWrite& b) {
  return a.tid == b.tid && a.fd == b.fd && a.pipe_inode == b.pipe_inode;
}

bool holds_pipe_read_end(const std::string& proc_root, pid_t pid, std::uint64_t inode) {
  for (const FdEntry& entry : list_fds(proc_root, pid)) {
    if (parse_pipe_inode(entry.target) != inode) continue;
    auto mode = read_fd_access_mode(proc_root, pid, entry.fd);
    if (mode && (*mode == O_RDONLY || *mode == O_RDWR)) return true;
  }
  return false;
}

std::size_t unstick_target_size(std::optional<std::size_t> predicted_bytes, std::size_t current_capacity) {
  std::size_t wanted = std::max(predicted_bytes.value_or(kUnstickFallbackBytes), current_capacity * 2);
  return std::min(round_up_pow2(wanted), kUnstickMaxBytes);
}

EnlargeResult enlarge_pipe(const std::string& proc_root, const ProcessIdentity& who, int fd, std::uint64_t inode,
                           std::size_t target_bytes) {
  const std::string name = "fd " + std::to_string(fd) + " of " + std::to_string(who.pid);
  UniqueFd pinned = pin_pipe_fd(proc_root, who, fd, inode);
  if (!pinned) throw Error(name + " is no longer the blocked pipe (process gone, pid reused or fd replaced)");
  UniqueFd pipe = reopen_pinned_pipe(pinned.get(), inode);
  if (!pipe) throw Error::from_errno("reopen the pipe of " + name);
  pinned.reset();
  auto before = pipe_fill(pipe.get());
  if (!before) throw Error::from_errno("inspect the pipe of " + name);
  // As root (CAP_SYS_RESOURCE) this may exceed fs.pipe-max-size and the per-user soft limit.
  if (::fcntl(pipe.get(), F_SETPIPE_SZ, static_cast<int>(target_bytes)) < 0)
    throw Error::from_errno("F_SETPIPE_SZ " + std::to_string(target_bytes) + " on the pipe of " + name);
  int after = ::fcntl(pipe.get(), F_GETPIPE_SZ);
  // Closing is part of the fix: on old kernels only the release of a pipe file wakes the sleeping writer.
  pipe.reset();
  return EnlargeResult{before->capacity, after > 0 ? static_cast<std::size_t>(after) : target_bytes, before->bytes};
}

UnstickResult unstick_blocked_write(const ProcessIdentity& who, const BlockedWrite& blocked, const UnstickOptions& options) {
  using Clock = std::chrono::steady_clock;
  UnstickResult result;
  result.size_before = blocked.fill.capacity;
  result.bytes_before = blocked.fill.bytes;
  const auto started = Clock::now();
  std::size_t capacity = blocked.fill.capacity;
  std::optional<std::size_t> predicted = options.predicted_bytes;
  try {
    while (result.attempts < options.max_attempts) {
      std::size_t target = unstick_target_size(predicted, capacity);
      if (target <= capacity) {
        result.error = "pipe already at the " + std::to_string(capacity) + " B cap and still full";
        return result;
      }
      ++result.attempts;
      EnlargeResult enlarged = enlarge_pipe(options.proc_root, who, blocked.fd, blocked.pipe_inode, target);
      result.size_after = enlarged.size_after;
      capacity = enlarged.size_after;
      // Re-check: the woken writer needs a moment to copy the rest and return from write(2).
      const auto give_up = Clock::now() + options.recheck_window;
      std::optional<BlockedWrite> still;
      do {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        still = thread_blocked_write(options.proc_root, who, blocked.tid);
        if (still && !same_blocked_write(*still, blocked)) still.reset();
      } while (still && Clock::now() < give_up);
      if (!still) {
        result.unstuck = true;
        result.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
        if (UniqueFd pipe = pin_pipe_fd(options.proc_root, who, blocked.fd, blocked.pipe_inode))
          if (auto now = pipe_fill(pipe.get())) result.bytes_after = now->bytes;
        return result;
      }
      predicted.reset();  // the prediction was too small: keep doubling
    }
    result.error = "still blocked after " + std::to_string(result.attempts) + " enlargements";
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

}  // namespace rg
