#pragma once
// The keeper: a small long-lived process holding a sealed in-memory copy of the real runc, so that runc-guard
// can exec runc from it for create, run, exec and restore.
//
// runc protects the host's binary (CVE-2019-5736) on every `runc init`: 1.0.x–1.1.14 bind-mount
// /proc/self/exe read-only (mount churn that keeps systemd busy on busy nodes), 1.1.15 and releases before
// rc91 copy the ~10 MB binary into a fresh memfd (CPU, and 10 MB per waiting init). runc skips both when it
// already runs from a memfd sealed with exactly F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE — which
// is what the keeper holds: one copy, made once per runc file, never writable again.
//
// The keeper publishes a root-owned record (/run/runc-guard/keeper/<hash of the runc path>.json): its pid
// and start time, the fd number of the copy, the copy's inode, and the runc file it copied (device, inode,
// size, mtime, ctime, sha256 — the file hashed as it was copied and the sealed copy hashed again, equal,
// with the file unchanged meanwhile). runc-guard trusts a copy only when the record is root's, the keeper
// is still that process, the runc file is still exactly that file, and the fd it takes from the keeper
// (pidfd_getfd: nothing is opened by path) is that memfd, with exactly runc's seals and runc's size. On any
// doubt it execs runc from its path as before — a missing, dead or forged keeper never blocks a container.
#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <string>

#include "oci/base/fd.h"
#include "oci/proc/runc_copy.h"

namespace rg {

// The runtime's side: an fd of the keeper's sealed copy of the runc at `runc_path` — which must still be the
// file `runc_now` — verified as described above, or an invalid fd. Never throws, never blocks.
struct KeeperCopy {
  UniqueFd fd;
  dev_t dev = 0;
  ino_t ino = 0;
};
KeeperCopy keeper_copy_of(const std::string& runc_path, const struct stat& runc_now, const std::string& dir = kKeeperDir);

// Starts a keeper for `runc_path` in the background (double fork, setsid, nothing of ours held) unless one
// holds its lock already, or one began within kKeeperRetryAfter and never published its copy (it failed or
// was killed: each start copies and hashes ~10 MB, and every exec probe on the node would start another).
// Returns at once; never throws. Started: a keeper was forked (it may still lose the lock to a concurrent
// start, or fail later — then its marker holds the next starts back); Failed: it could not even be forked.
enum class KeeperStart { Running, Started, BackingOff, Failed };
inline constexpr std::chrono::seconds kKeeperRetryAfter{30};
KeeperStart start_keeper_detached(const std::string& runc_path, const std::string& dir = kKeeperDir) noexcept;

struct KeeperOptions {
  std::string runc_path;
  std::string dir = kKeeperDir;
  std::chrono::milliseconds poll{1000};  // how often the runc file is looked at for an upgrade
  bool once = false;                     // make the copy, publish it and return (tests)
};
// The keeper itself: takes the lock (returns 0 at once if another keeper has it), copies, seals, publishes,
// and follows the runc file until SIGTERM/SIGINT (record removed) or until it cannot go on. Returns the exit
// code. Throws rg::Error when the first copy cannot be made. It ends by itself when the runc file is gone.
int run_keeper(const KeeperOptions& options);

}  // namespace rg
