#pragma once
// Another process's pipe, taken without ever opening a file that is not that pipe.
//
// /proc/PID/fd/N names whatever the process holds at N at the moment of the open, and a hostile process
// can dup2() another file over N (an O_PATH fd of a device node it made, a FUSE file, a tty) between our
// readlink and our open: opening it as root would then act on the attacker's behalf (a watchdog device
// arms the node's hardware watchdog on open). So the fd is first pinned without an open of its file —
// pidfd_getfd(2) on a pidfd of the verified process, or, on kernels without it (< 5.6), an O_PATH open
// of /proc/PID/fd/N, which never calls the file's open() — and then verified: our copy's /proc/self/fd
// link must read "pipe:[INODE]" (only an anonymous pipe reads like that) and fstat must show a FIFO with
// that inode. Only then is anything done with it.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "oci/base/fd.h"
#include "oci/proc/proc_files.h"

namespace rg {

enum class PinMethod { Auto, PidfdGetfd, OpathOpen };

// Our verified handle on fd `fd` of `who`, which must be pipe `inode` (F_GETPIPE_SZ, FIONREAD and
// F_SETPIPE_SZ work on it); an invalid fd when the process is gone, is not `who` any more, or the fd is not
// that pipe. Never opens anything but that pipe; never blocks. `method` is for tests (Auto: pidfd_getfd
// where the kernel has it).
UniqueFd pin_pipe_fd(const std::string& proc_root, const ProcessIdentity& who, int fd, std::uint64_t inode,
                     PinMethod method = PinMethod::Auto);

// A fresh read-only, non-blocking open of the pinned pipe (through /proc/self/fd/M of the handle): a
// separate open file whose close wakes a blocked writer on kernels where a resize alone does not. It
// reads nothing and adds no writer. Invalid when the pipe cannot be reopened.
UniqueFd reopen_pinned_pipe(int pinned, std::uint64_t inode);

// Capacity (F_GETPIPE_SZ) and queued bytes (FIONREAD) of a pipe through any fd of it.
struct PipeFill {
  std::size_t capacity = 0;
  std::size_t bytes = 0;
  // A blocking writer of whole pages (libseccomp's, Go's) sleeps only when every byte is taken.
  bool full() const { return capacity > 0 && bytes >= capacity; }
};
std::optional<PipeFill> pipe_fill(int fd);

// For tests: how the last pin_pipe_fd() in this process took the fd.
PinMethod last_pin_method();

}  // namespace rg
