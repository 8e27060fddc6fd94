#pragma once
// A sealed in-memory copy of the real runc, held by runc-guard's keeper (shim/keeper/keeper.h), and the
// root-owned record that says which memfd holds a copy of which runc file. Here, below the keeper, because
// telling runc's processes from others (runc_init.h) must know such a copy when an init runs from it.
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rg {

inline constexpr const char* kKeeperDir = "/run/runc-guard/keeper";
// The seals runc (cloned_binary.c) requires of a memfd it runs from to skip its own copy.
inline constexpr int kRuncMemfdSeals = 0x0001 | 0x0002 | 0x0004 | 0x0008;  // SEAL | SHRINK | GROW | WRITE

struct RuncCopyRecord {
  pid_t pid = 0;  // the keeper
  std::uint64_t start_time = 0;
  int fd = -1;    // the copy's fd in the keeper
  std::string runc_path;
  // The runc file copied.
  std::uint64_t runc_dev = 0, runc_ino = 0, runc_size = 0;
  std::int64_t runc_mtime_sec = 0, runc_mtime_nsec = 0, runc_ctime_sec = 0, runc_ctime_nsec = 0;
  std::string sha256;
  // The sealed copy.
  std::uint64_t copy_dev = 0, copy_ino = 0;

  std::string to_json() const;
  static std::optional<RuncCopyRecord> from_json(std::string_view text);
  // The record describes this very file (device, inode, size, mtime, ctime).
  bool copied(const struct stat& runc) const;
  // Records `runc` as the file copied (what copied() compares).
  void set_runc_file(const struct stat& runc);
};

// <dir>/<16 hex digits of the runc path's hash>.json.
std::string runc_copy_record_path(const std::string& runc_path, const std::string& dir = kKeeperDir);
// The same with .lock: the file a keeper holds flock'ed for as long as it keeps this runc.
std::string runc_copy_lock_path(const std::string& runc_path, const std::string& dir = kKeeperDir);
// The same with .attempt: left by a keeper from the moment it holds the lock until its copy is published, so
// it outlives a keeper that failed or was killed before (on-demand starts back off on it; doctor reports it).
std::string runc_copy_attempt_path(const std::string& runc_path, const std::string& dir = kKeeperDir);
// The record for `runc_path`, only if it is a regular file owned by root and not writable by others (read
// without following a link); nullopt otherwise.
std::optional<RuncCopyRecord> read_runc_copy_record(const std::string& runc_path, const std::string& dir = kKeeperDir);

}  // namespace rg
