#include "oci/base/files.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "oci/base/error.h"

namespace rg {

std::string read_fd(int fd, std::string_view name, const std::function<bool(std::string_view)>& complete) {
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::from_errno("read " + std::string(name));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (complete && complete(out)) break;
  }
  return out;
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw Error::from_errno("open " + path);
  return read_fd(fd.get(), path);
}

std::optional<std::string> read_small_file(const std::string& path, std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) return out;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) return std::nullopt;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::vector<std::string> mkdir_p(const std::string& dir, mode_t mode, std::optional<mode_t> last_mode) {
  std::vector<std::string> created;
  for (std::size_t pos = 1; pos <= dir.size();) {
    std::size_t slash = dir.find('/', pos);
    if (slash == std::string::npos) slash = dir.size();
    if (slash > pos) {
      const std::string part = dir.substr(0, slash);
      const bool last = slash == dir.size() || dir.find_first_not_of('/', slash) == std::string::npos;
      if (::mkdir(part.c_str(), last && last_mode ? *last_mode : mode) == 0) created.insert(created.begin(), part);
      else if (errno != EEXIST) throw Error::from_errno("mkdir " + part);
    }
    pos = slash + 1;
  }
  return created;
}

std::string dirname_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string current_dir() {
  char buf[PATH_MAX];
  if (!::getcwd(buf, sizeof buf)) throw Error::from_errno("getcwd");
  return buf;
}

std::string absolute_path(const std::string& path, const std::string& dir) {
  if (path.empty() || path.front() == '/') return path;
  return dir + (dir.ends_with('/') ? "" : "/") + path;
}

std::string absolute_path(const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return absolute_path(path, current_dir());
}

namespace {
AtomicWriteStepHook g_step_hook = nullptr;
void step_done(std::string_view step) {
  if (g_step_hook) g_step_hook(step);
}
}  // namespace

void set_atomic_write_step_hook(AtomicWriteStepHook hook) noexcept { g_step_hook = hook; }

void write_all(int fd, std::string_view data, std::string_view name_for_errors) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::from_errno("write " + std::string(name_for_errors));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

namespace {
// Six characters for a temporary file name, as mkstemp picks them.
std::string random_suffix() {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  unsigned char bytes[6];
  if (::getrandom(bytes, sizeof bytes, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof bytes)) {
    const auto t = static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                   static_cast<unsigned long long>(::getpid());
    for (std::size_t k = 0; k < sizeof bytes; ++k) bytes[k] = static_cast<unsigned char>(t >> (8 * k));
  }
  std::string out;
  for (unsigned char b : bytes) out += kChars[b % (sizeof kChars - 1)];
  return out;
}
}  // namespace

void write_file_atomic(const std::string& link_or_path, std::string_view content,
                       std::optional<FileOwnership> ownership, Symlink symlink, Durability durability) {
  std::string path = link_or_path;
  if (struct stat lst {}; symlink == Symlink::WriteTarget && ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    char resolved[PATH_MAX];
    if (!::realpath(path.c_str(), resolved)) throw Error::from_errno("resolve symlink " + path);
    path = resolved;
  }
  if (!ownership) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0)
      ownership = FileOwnership{static_cast<mode_t>(st.st_mode & 07777), st.st_uid, st.st_gid};
    else
      ownership = FileOwnership{0644, ::getuid(), ::getgid()};
  }
  std::string dir = dirname_of(path);
  // The new content goes into an unnamed file (O_TMPFILE) until it is complete, so a kill before its link
  // leaves nothing behind; only the link and the rename stand between a named temporary file and the
  // replace. Where the filesystem or kernel has no O_TMPFILE, a named temporary file from the start.
  std::string tmpl = path + ".runc-guard-XXXXXX";
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  const bool unnamed = fd.valid();
  if (!unnamed) fd.reset(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (!fd) throw Error::from_errno("create temporary file in " + dir);
  bool named = !unnamed;
  try {
    step_done("created");
    write_all(fd.get(), content, tmpl);
    step_done("written");
    if (::fchmod(fd.get(), ownership->mode) != 0) throw Error::from_errno("fchmod " + tmpl);
    step_done("chmod");
    if (::fchown(fd.get(), ownership->uid, ownership->gid) != 0) throw Error::from_errno("fchown " + tmpl);
    step_done("chown");
    if (durability == Durability::Synced && ::fsync(fd.get()) != 0) throw Error::from_errno("fsync " + tmpl);
    step_done("fsync");
    if (unnamed) {
      // linkat cannot replace a file: link under a fresh name, then rename over the target.
      const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
      for (int attempt = 0; !named; ++attempt) {
        tmpl = path + ".runc-guard-" + random_suffix();
        if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, tmpl.c_str(), AT_SYMLINK_FOLLOW) == 0) named = true;
        else if (errno != EEXIST || attempt > 100) throw Error::from_errno("link temporary file in " + dir);
      }
      step_done("linked");
    }
    fd.reset();
    if (::rename(tmpl.c_str(), path.c_str()) != 0) throw Error::from_errno("rename " + tmpl + " to " + path);
    step_done("renamed");
  } catch (...) {
    if (named) ::unlink(tmpl.c_str());
    throw;
  }
  if (durability == Durability::Synced) {
    UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dirfd) ::fsync(dirfd.get());  // durability of the rename; the replace itself is already atomic
  }
  step_done("dir_fsync");
}

UniqueFd fd_with_content(std::string_view content, bool close_on_exec, const char* name) {
  UniqueFd memfd(::memfd_create(name, close_on_exec ? MFD_CLOEXEC : 0));
  if (memfd) {
    write_all(memfd.get(), content, name);
    if (::lseek(memfd.get(), 0, SEEK_SET) != 0) throw Error::from_errno("lseek memfd");
    return memfd;
  }
  if (errno != ENOSYS) throw Error::from_errno("memfd_create");
  // CentOS 7's 3.10 kernels have no memfd_create: a pipe holds the document if it fits its buffer.
  int fds[2];
  if (::pipe2(fds, close_on_exec ? O_CLOEXEC : 0) != 0) throw Error::from_errno("pipe2");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  if (content.size() > 65536 && ::fcntl(write_end.get(), F_SETPIPE_SZ, static_cast<int>(content.size())) < 0)
    throw Error::from_errno("enlarge pipe for " + std::to_string(content.size()) + " bytes of " + std::string(name));
  write_all(write_end.get(), content, name);
  return read_end;
}

}  // namespace rg
