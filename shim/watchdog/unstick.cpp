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

std::string fd_path(const std::string& proc_root, pid_t pid, int fd) {
  return proc_root + "/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
}

// Non-blocking so that reopening never waits for a writer; read-only so that we never add a writer the
// reader would wait for. We read nothing through it.
UniqueFd reopen_pipe(const std::string& proc_root, pid_t pid, int fd) {
  return UniqueFd(::open(fd_path(proc_root, pid, fd).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
}

std::optional<PipeFill> fill_of(int fd) {
  int capacity = ::fcntl(fd, F_GETPIPE_SZ);
  int bytes = 0;
  if (capacity < 0 || ::ioctl(fd, FIONREAD, &bytes) != 0) return std::nullopt;
  return PipeFill{static_cast<std::size_t>(capacity), static_cast<std::size_t>(bytes)};
}

std::size_t round_up_pow2(std::size_t n) {
  std::size_t p = 4096;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

std::optional<PipeFill> probe_pipe(const std::string& proc_root, pid_t pid, int fd) {
  UniqueFd pipe = reopen_pipe(proc_root, pid, fd);
  if (!pipe) return std::nullopt;
  return fill_of(pipe.get());
}

bool is_pipe_write_wchan(std::string_view wchan) {
  static constexpr std::array<std::string_view, 4> kNames = {"anon_pipe_write", "pipe_write", "pipe_wait",
                                                             "pipe_wait_writable"};
  return std::find(kNames.begin(), kNames.end(), wchan) != kNames.end();
}

bool is_write_syscall(long number) { return number == SYS_write || number == SYS_writev; }

std::optional<BlockedWrite> thread_blocked_write(const std::string& proc_root, pid_t pid, pid_t tid) {
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
  auto fill = probe_pipe(proc_root, pid, fd);
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

std::optional<BlockedWrite> find_blocked_write(const std::string& proc_root, pid_t pid) {
  for (pid_t tid : list_tasks(proc_root, pid)) {
    if (auto blocked = thread_blocked_write(proc_root, pid, tid)) return blocked;
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

EnlargeResult enlarge_pipe(const std::string& proc_root, pid_t pid, int fd, std::size_t target_bytes,
                           std::uint64_t expected_inode) {
  UniqueFd pipe = reopen_pipe(proc_root, pid, fd);
  if (!pipe) throw Error::from_errno("open " + fd_path(proc_root, pid, fd));
  if (expected_inode != 0) {
    struct stat st {};
    if (::fstat(pipe.get(), &st) != 0 || !S_ISFIFO(st.st_mode) || st.st_ino != expected_inode)
      throw Error(fd_path(proc_root, pid, fd) + " is no longer the blocked pipe (process gone or pid reused)");
  }
  auto before = fill_of(pipe.get());
  if (!before) throw Error::from_errno("inspect pipe " + fd_path(proc_root, pid, fd));
  // As root (CAP_SYS_RESOURCE) this may exceed fs.pipe-max-size and the per-user soft limit.
  if (::fcntl(pipe.get(), F_SETPIPE_SZ, static_cast<int>(target_bytes)) < 0)
    throw Error::from_errno("F_SETPIPE_SZ " + std::to_string(target_bytes) + " on " + fd_path(proc_root, pid, fd));
  int after = ::fcntl(pipe.get(), F_GETPIPE_SZ);
  // Closing is part of the fix: on old kernels only the release of a pipe file wakes the sleeping writer.
  pipe.reset();
  return EnlargeResult{before->capacity, after > 0 ? static_cast<std::size_t>(after) : target_bytes, before->bytes};
}

UnstickResult unstick_blocked_write(pid_t pid, const BlockedWrite& blocked, const UnstickOptions& options) {
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
      EnlargeResult enlarged = enlarge_pipe(options.proc_root, pid, blocked.fd, target, blocked.pipe_inode);
      result.size_after = enlarged.size_after;
      capacity = enlarged.size_after;
      // Re-check: the woken writer needs a moment to copy the rest and return from write(2).
      const auto give_up = Clock::now() + options.recheck_window;
      std::optional<BlockedWrite> still;
      do {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        still = thread_blocked_write(options.proc_root, pid, blocked.tid);
        if (still && !same_blocked_write(*still, blocked)) still.reset();
      } while (still && Clock::now() < give_up);
      if (!still) {
        result.unstuck = true;
        result.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
        if (auto now = probe_pipe(options.proc_root, pid, blocked.fd)) result.bytes_after = now->bytes;
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
