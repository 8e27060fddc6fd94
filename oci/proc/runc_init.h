#pragma once
// Telling a real `runc init` from a process that only looks like one. Everything a container controls is
// forgeable: any process can name itself "runc:[2:INIT]" (prctl) and run from a memfd named
// "runc_cloned:/proc/self/exe" (memfd_create + fexecve). What it cannot forge is the executable's
// identity: the configured runc file itself (same device and inode; runc 1.0–1.1's read-only bind mount
// of it keeps both), or runc's sealed memfd clone of that exact file (same size and the same bytes, and
// sealed so they cannot change after the comparison).
//
// Nothing here blocks on a container's files: the executable is reached with an O_PATH open of
// /proc/PID/exe (the file's own open() never runs) and statx(AT_STATX_DONT_SYNC) (no FUSE round trip);
// content is read only from a memfd.
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "oci/proc/proc_files.h"

namespace rg {

// runc's init stages name themselves runc:[0:PARENT], runc:[1:CHILD], runc:[2:INIT] (PR_SET_NAME).
bool is_runc_init_comm(std::string_view comm);
inline constexpr std::string_view kRuncInitStage2 = "runc:[2:INIT]";

// What /proc/PID/exe leads to, found without blocking.
struct ExeFile {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  bool memfd = false;  // lives on the kernel's internal shmem mount (memfd_create)
  friend bool operator==(const ExeFile&, const ExeFile&) = default;
};
std::optional<ExeFile> exe_file_of(const std::string& proc_root, pid_t pid);

// The configured runc, to recognise its inits.
class RuncBinary {
 public:
  explicit RuncBinary(std::string path);
  const std::string& path() const { return path_; }
  // Whether `pid` runs this runc (the file, its bind mount, its sealed memfd clone, or the keeper's sealed
  // copy of it). `exe`, when given, is what exe_file_of() returned for it. Content comparisons are
  // remembered per memfd; the keeper's copy is known by its record (oci/proc/runc_copy.h), not compared.
  bool runs(const std::string& proc_root, pid_t pid, const std::optional<ExeFile>& exe = std::nullopt);
  // The same, but a memfd of runc's size sealed exactly as runc seals its copy counts without comparing
  // its bytes — only for a process already identified otherwise (pid and start time from runc's own
  // state.json, before `start`: nothing but runc has run in it yet). A started container that forges all
  // of this only makes its own container look created: callers act on nothing but that container.
  bool runs_identified(const std::string& proc_root, pid_t pid);

 private:
  // runs() (compare_bytes) and runs_identified() (a memfd sealed as runc seals its copy suffices).
  bool matches(const std::string& proc_root, pid_t pid, const std::optional<ExeFile>& known, bool compare_bytes);
  bool keepers_copy(const ExeFile& exe) const;
  bool same_bytes_as_runc(const std::string& proc_root, pid_t pid, const ExeFile& exe, bool compare_bytes);
  std::string path_;
  std::optional<ExeFile> file_;
  std::map<std::pair<dev_t, ino_t>, bool> clones_;
};

// A container `runc create` left waiting on exec.fifo: `init` (from its state.json) is still that process
// (pid and start time), named runc:[2:INIT] and running the runc at `runc_path` (RuncBinary::runs_identified).
bool is_waiting_runc_init(const std::string& proc_root, const ProcessIdentity& init, const std::string& runc_path);

}  // namespace rg
