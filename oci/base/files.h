#pragma once
// Small file helpers: whole-file reads and the atomic replace every rewrite of a file goes through.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/base/fd.h"

namespace rg {

// Reads to EOF, or until `complete` (when given) says what was read so far is enough — for a writer that
// may keep its end open.
std::string read_fd(int fd, std::string_view name_for_errors,
                    const std::function<bool(std::string_view)>& complete = {});
std::string read_file(const std::string& path);  // throws rg::Error naming the path
// A small file read in one go (/proc entries, caches, sysfs); nullopt when it cannot be opened or read
// (a vanished process is the normal case there) or is larger than `max_bytes`. Never throws.
std::optional<std::string> read_small_file(const std::string& path, std::size_t max_bytes = std::size_t{1} << 20);

// mkdir -p: every missing component created with `mode` (the last one with `last_mode` when given).
// Returns the directories it created, deepest first. Throws rg::Error naming the component.
std::vector<std::string> mkdir_p(const std::string& dir, mode_t mode = 0755, std::optional<mode_t> last_mode = std::nullopt);
// write(2) until everything is written (EINTR and short writes handled); throws rg::Error.
void write_all(int fd, std::string_view data, std::string_view name_for_errors);

struct FileOwnership {
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

// Replaces `path` with `content` so that a crash, kill -9 or full disk at any moment leaves either the old
// or the new file: temp file in the same directory, write, fchmod/fchown, fsync, rename, fsync(dir).
// `ownership` defaults to the existing file's (or 0644 root for a new file).
// A symlink at `path` is replaced by the new file (Replace: the safe default in directories others can
// write to, e.g. a planted link in a cache), or the file it points to is replaced (WriteTarget: operator
// files that config management links, such as daemon.json, stay links).
// Durability::Atomic skips both fsyncs: still old-or-new after a crash of the writer, but possibly empty
// after a power cut — for counters and caches that are cheaper to lose than to sync on every call.
enum class Symlink { Replace, WriteTarget };
enum class Durability { Synced, Atomic };
void write_file_atomic(const std::string& path, std::string_view content,
                       std::optional<FileOwnership> ownership = std::nullopt, Symlink symlink = Symlink::Replace,
                       Durability durability = Durability::Synced);

std::string dirname_of(const std::string& path);

// The working directory. Throws rg::Error.
std::string current_dir();
// `path` made absolute against `dir` (the working directory when not given); "" and absolute paths stay.
std::string absolute_path(const std::string& path);
std::string absolute_path(const std::string& path, const std::string& dir);

// A readable fd positioned at the start of `content`: a memfd named `name` (a pipe where memfd_create is
// missing, e.g. CentOS 7's 3.10). Without close_on_exec it survives into runc, which opens it as
// /proc/self/fd/N. Throws rg::Error.
UniqueFd fd_with_content(std::string_view content, bool close_on_exec, const char* name = "runc-guard-document");

// Test hook: called with the name of each step of write_file_atomic as it completes ("created", "written",
// "chmod", "chown", "fsync", "linked" (O_TMPFILE only), "renamed", "dir_fsync"), so tests can kill -9 the
// process exactly there.
using AtomicWriteStepHook = void (*)(std::string_view step);
void set_atomic_write_step_hook(AtomicWriteStepHook hook) noexcept;

}  // namespace rg
