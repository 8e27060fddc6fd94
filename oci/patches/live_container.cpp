#include "oci/patches/live_container.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "oci/base/fd.h"
#include "oci/base/files.h"

#include "oci/base/syscall_numbers.h"

namespace rg {
namespace {

struct FileKey {
  dev_t dev = 0;
  ino_t ino = 0;
  std::uint64_t mnt = 0;
  bool operator==(const FileKey&) const = default;
};

std::optional<FileKey> key_of(int fd) {
  struct statx stx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO | STATX_MNT_ID, &stx) != 0) return std::nullopt;
  FileKey k{makedev(stx.stx_dev_major, stx.stx_dev_minor), stx.stx_ino, 0};
  if (stx.stx_mask & STATX_MNT_ID) {
    k.mnt = stx.stx_mnt_id;
  } else if (auto info = read_small_file("/proc/self/fdinfo/" + std::to_string(fd))) {  // kernels < 5.8
    auto at = info->find("mnt_id:");
    if (at != std::string::npos) k.mnt = std::strtoull(info->c_str() + at + 7, nullptr, 10);
  }
  return k;
}

}  // namespace

const std::vector<MountEntry>& LiveContainer::mounts() {
  if (!mounts_) mounts_ = read_mountinfo(proc_root_, init_);
  return *mounts_;
}

LiveContainer::Lookup LiveContainer::lookup(std::string_view path) const {
  Lookup out;
  if (!root_) root_.reset(::open((proc_root_ + "/" + std::to_string(init_) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_) return out;
  const UniqueFd& root = root_;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const std::string rel = path.empty() ? std::string(".") : std::string(path);
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root.get(), rel.c_str(), &how, sizeof how)));
  if (!fd && errno == ENOSYS) {
    // Kernels before 5.6: one component at a time, never following a link.
    UniqueFd at(::fcntl(root.get(), F_DUPFD_CLOEXEC, 0));
    std::size_t pos = 0;
    while (at && pos < rel.size()) {
      std::size_t slash = rel.find('/', pos);
      std::string part = rel.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      pos = slash == std::string::npos ? rel.size() : slash + 1;
      if (part.empty() || part == ".") continue;
      if (part == "..") {  // masked and read-only paths are clean; ".." never leads anywhere we check
        errno = EXDEV;
        at.reset();
        break;
      }
      at.reset(::openat(at.get(), part.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      struct stat st {};
      if (at && pos < rel.size() && ::fstatat(at.get(), "", &st, AT_EMPTY_PATH) == 0 && S_ISLNK(st.st_mode)) {
        errno = ELOOP;
        at.reset();
      }
    }
    fd = std::move(at);
  }
  if (!fd) {
    out.result = errno == ENOENT || errno == ENOTDIR ? Lookup::Result::Missing
                 : errno == ELOOP || errno == EXDEV  ? Lookup::Result::ThroughLink
                                                     : Lookup::Result::Unreadable;
    return out;
  }
  struct statx stx {};
  if (::statx(fd.get(), "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx) != 0) return out;
  out.st.st_mode = stx.stx_mode;
  out.st.st_rdev = makedev(stx.stx_rdev_major, stx.stx_rdev_minor);
  out.st.st_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
  out.st.st_ino = stx.stx_ino;
  out.result = S_ISLNK(stx.stx_mode) ? Lookup::Result::ThroughLink : Lookup::Result::Found;
  return out;
}

LiveContainer::Place LiveContainer::cwd_place() const {
  const std::string dir = proc_root_ + "/" + std::to_string(init_);
  UniqueFd root(::open((dir + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd cur(::open((dir + "/cwd").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root || !cur) return Place::Unknown;
  auto root_key = key_of(root.get());
  if (!root_key) return Place::Unknown;
  for (int step = 0; step < 4096; ++step) {
    auto here = key_of(cur.get());
    if (!here) return Place::Unknown;
    if (*here == *root_key) return Place::Inside;
    UniqueFd parent(::openat(cur.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!parent) return Place::Unknown;
    auto up = key_of(parent.get());
    if (!up) return Place::Unknown;
    if (*up == *here) return Place::Outside;  // the top of its mount tree, and the root never met
    cur = std::move(parent);
  }
  return Place::Unknown;
}

}  // namespace rg
