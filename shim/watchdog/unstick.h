#pragma once
// A thread blocked writing into a full pipe, and the lossless way to free it: pin the pipe (never opening
// anything that is not it, oci/proc/foreign_fd.h), reopen it read-only, enlarge it with F_SETPIPE_SZ (the
// resize wakes writers on >= 5.x kernels, the close of the reopened file on older ones), close, and check
// the write went through. Nothing is read, so nothing is lost.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oci/proc/foreign_fd.h"
#include "oci/proc/proc_files.h"

namespace rg {

// Kernel functions a writer sleeps in while a pipe is full: 6.x, 5.x, 3.10/4.x, splice.
bool is_pipe_write_wchan(std::string_view wchan);
// write(2)/writev(2) on this architecture.
bool is_write_syscall(long number);

// One thread of one process sleeping in a write to a full pipe.
struct BlockedWrite {
  pid_t tid = 0;
  int fd = -1;
  std::uint64_t pipe_inode = 0;
  std::string wchan;
  PipeFill fill;
  bool read_end_held = false;  // the same process holds the pipe open for reading (rc93's export pipe)
};

// Whether thread `tid` of `who` is blocked writing to a full pipe right now. Reads wchan, syscall, the fd
// link and fdinfo; the fill is read through a pinned, verified handle on the pipe (no other open).
std::optional<BlockedWrite> thread_blocked_write(const std::string& proc_root, const ProcessIdentity& who, pid_t tid);
// The first thread of `who` that is; nullopt when none.
std::optional<BlockedWrite> find_blocked_write(const std::string& proc_root, const ProcessIdentity& who);
// Same thread, same fd, same pipe: what "blocked on two consecutive looks" compares.
bool same_blocked_write(const BlockedWrite& a, const BlockedWrite& b);

// Whether `pid` itself has pipe `inode` open for reading.
bool holds_pipe_read_end(const std::string& proc_root, pid_t pid, std::uint64_t inode);

constexpr std::size_t kUnstickFallbackBytes = std::size_t{1} << 20;  // no prediction from the seccomp engine
constexpr std::size_t kUnstickMaxBytes = std::size_t{64} << 20;      // 16384 ring slots: ~640 KiB of kernel memory

// What to enlarge a blocked pipe to: at least the predicted program (fallback 1 MiB) and twice its current
// capacity, rounded up to a power of two, capped at kUnstickMaxBytes. Pure.
std::size_t unstick_target_size(std::optional<std::size_t> predicted_bytes, std::size_t current_capacity);

struct EnlargeResult {
  std::size_t size_before = 0;
  std::size_t size_after = 0;
  std::size_t bytes_before = 0;
};
// One attempt: pin fd FD of `who` (it must still be pipe `inode`), reopen it O_RDONLY|O_NONBLOCK,
// F_SETPIPE_SZ(target), close. Throws rg::Error.
EnlargeResult enlarge_pipe(const std::string& proc_root, const ProcessIdentity& who, int fd, std::uint64_t inode,
                           std::size_t target_bytes);

struct UnstickResult {
  bool unstuck = false;
  int attempts = 0;
  std::size_t size_before = 0;
  std::size_t size_after = 0;
  std::size_t bytes_before = 0;  // queued in the pipe when we found it
  std::size_t bytes_after = 0;   // queued after the write went through (0 if the reader already drained it)
  std::chrono::microseconds latency{0};  // from the first enlarge to the write seen finished
  std::string error;
};

struct UnstickOptions {
  std::string proc_root = "/proc";
  std::optional<std::size_t> predicted_bytes;
  int max_attempts = 4;
  std::chrono::milliseconds recheck_window{100};
};

// Enlarges, closes and re-checks, doubling the size on each retry, until the thread is no longer blocked
// on that pipe (or the process is gone) or the attempts run out. The caller checks identity and ownership
// of the read end first. Never throws.
UnstickResult unstick_blocked_write(const ProcessIdentity& who, const BlockedWrite& blocked, const UnstickOptions& options);

}  // namespace rg
