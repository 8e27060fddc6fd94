#include "oci/proc/runc_init.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "oci/base/fd.h"
#include "oci/proc/runc_copy.h"

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

namespace rg {
namespace {

// The device of memfds on this kernel: that of one we make ourselves (once).
std::optional<dev_t> memfd_device() {
  static const std::optional<dev_t> dev = []() -> std::optional<dev_t> {
    UniqueFd fd(static_cast<int>(::syscall(SYS_memfd_create, "rg-probe", MFD_CLOEXEC)));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) return std::nullopt;
    return st.st_dev;
  }();
  return dev;
}

// statx on an O_PATH fd without asking the file's filesystem (cached attributes), else fstat.
bool stat_without_sync(int fd, struct stat& out) {
#ifdef STATX_BASIC_STATS
  struct statx stx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx) == 0) {
    out = {};
    out.st_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
    out.st_ino = stx.stx_ino;
    out.st_size = static_cast<off_t>(stx.stx_size);
    out.st_mode = stx.stx_mode;
    return true;
  }
  if (errno != ENOSYS) return false;
#endif
  return ::fstat(fd, &out) == 0;  // kernels before 4.11
}

}  // namespace

bool is_runc_init_comm(std::string_view comm) {
  return comm == "runc:[0:PARENT]" || comm == "runc:[1:CHILD]" || comm == kRuncInitStage2;
}

std::optional<ExeFile> exe_file_of(const std::string& proc_root, pid_t pid) {
  const std::string link = proc_root + "/" + std::to_string(pid) + "/exe";
  UniqueFd fd(::open(link.c_str(), O_PATH | O_CLOEXEC));
  struct stat st {};
  if (!fd || !stat_without_sync(fd.get(), st) || !S_ISREG(st.st_mode)) return std::nullopt;
  ExeFile exe{st.st_dev, st.st_ino, st.st_size, false};
  auto mem = memfd_device();
  exe.memfd = mem && *mem == st.st_dev;
  return exe;
}

RuncBinary::RuncBinary(std::string path) : path_(std::move(path)) {
  UniqueFd fd(::open(path_.c_str(), O_PATH | O_CLOEXEC));
  struct stat st {};
  if (fd && stat_without_sync(fd.get(), st) && S_ISREG(st.st_mode)) file_ = ExeFile{st.st_dev, st.st_ino, st.st_size, false};
}

bool RuncBinary::runs(const std::string& proc_root, pid_t pid, const std::optional<ExeFile>& known) {
  return matches(proc_root, pid, known, true);
}

bool RuncBinary::runs_identified(const std::string& proc_root, pid_t pid) {
  return matches(proc_root, pid, std::nullopt, false);
}

bool RuncBinary::matches(const std::string& proc_root, pid_t pid, const std::optional<ExeFile>& known, bool compare_bytes) {
  if (!file_) return false;
  std::optional<ExeFile> exe = known ? known : exe_file_of(proc_root, pid);
  if (!exe) return false;
  if (exe->dev == file_->dev && exe->ino == file_->ino) return true;
  if (!exe->memfd || exe->size != file_->size) return false;
  if (!compare_bytes) return keepers_copy(*exe) || same_bytes_as_runc(proc_root, pid, *exe, false);
  auto key = std::make_pair(exe->dev, exe->ino);
  if (auto it = clones_.find(key); it != clones_.end()) return it->second;
  bool same = keepers_copy(*exe) || same_bytes_as_runc(proc_root, pid, *exe, true);
  clones_[key] = same;
  return same;
}

bool RuncBinary::keepers_copy(const ExeFile& exe) const {
  auto record = read_runc_copy_record(path_);
  struct stat now {};
  return record && record->copy_dev == exe.dev && record->copy_ino == exe.ino && ::stat(path_.c_str(), &now) == 0 &&
         record->copied(now);
}

bool RuncBinary::same_bytes_as_runc(const std::string& proc_root, pid_t pid, const ExeFile& exe, bool compare_bytes) {
  // Pin the memfd (O_PATH), check it is the one seen, then read it through our own fd: a memfd's open()
  // and reads are plain memory, nothing a container can slow down.
  const std::string link = proc_root + "/" + std::to_string(pid) + "/exe";
  UniqueFd pinned(::open(link.c_str(), O_PATH | O_CLOEXEC));
  struct stat st {};
  if (!pinned || !stat_without_sync(pinned.get(), st) || st.st_dev != exe.dev || st.st_ino != exe.ino) return false;
  UniqueFd clone(::open(("/proc/self/fd/" + std::to_string(pinned.get())).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!clone) return false;
  // runc seals its clone (SEAL|SHRINK|GROW|WRITE): without the write seals the bytes could change later.
  const int needed = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  int seals = ::fcntl(clone.get(), F_GET_SEALS);
  if (seals < 0 || (seals & needed) != needed) return false;
  if (!compare_bytes) return seals == (needed | F_SEAL_SEAL);
  UniqueFd runc(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!runc) return false;
  std::vector<char> a(1 << 16), b(1 << 16);
  off_t offset = 0;
  while (offset < exe.size) {
    ssize_t n = ::pread(clone.get(), a.data(), a.size(), offset);
    if (n <= 0) return false;
    ssize_t m = ::pread(runc.get(), b.data(), static_cast<std::size_t>(n), offset);
    if (m != n || std::memcmp(a.data(), b.data(), static_cast<std::size_t>(n)) != 0) return false;
    offset += n;
  }
  return true;
}

bool is_waiting_runc_init(const std::string& proc_root, const ProcessIdentity& init, const std::string& runc_path) {
  auto st = read_proc_stat(proc_root, init.pid);
  if (!st || st->start_time != init.start_time || st->comm != kRuncInitStage2) return false;
  RuncBinary runc(runc_path);
  // Identified by runc's own record (pid, start time): its sealed copy of runc need not be read through.
  return runc.runs_identified(proc_root, init.pid);
}

}  // namespace rg
