#pragma once
// Compiled-profile summaries keyed by profile_key(), one file per key in a root-only directory
// (default /run/runc-guard/seccomp, a tmpfs). Corrupt, foreign-owned or group/other-writable entries
// are ignored (and rewritten by the next store); writes are temp file + rename.
#include <optional>
#include <string>

#include "seccomp/summary.h"

namespace rg::seccomp {

class Cache {
 public:
  explicit Cache(std::string dir) : dir_(std::move(dir)) {}

  // nullopt on a miss or an entry that cannot be trusted; never throws.
  std::optional<Summary> load(const std::string& key) const noexcept;
  // Creates the directory (0700) if needed; refuses a directory not owned by us or a symlink.
  // Throws rg::Error.
  void store(const std::string& key, const Summary& summary) const;

  std::string entry_path(const std::string& key) const { return dir_ + "/" + key + ".json"; }
  const std::string& dir() const { return dir_; }

 private:
  void ensure_dir() const;
  std::string dir_;
};

}  // namespace rg::seccomp
