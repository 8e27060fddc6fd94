#include "shim/keeper/keeper.h"

#include <fcntl.h>
#include <sha2.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "oci/base/child_process.h"
#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/cgroup.h"
#include "oci/proc/proc_files.h"

#include "oci/base/syscall_numbers.h"

namespace rg {
namespace {

// sha256 fed piece by piece (libmd), as hex.
class Sha256 {
 public:
  Sha256() { SHA256Init(&ctx_); }
  void update(const void* data, std::size_t size) { SHA256Update(&ctx_, static_cast<const std::uint8_t*>(data), size); }
  std::string hex() {
    char out[SHA256_DIGEST_STRING_LENGTH];
    SHA256End(&ctx_, out);
    return std::string(out, SHA256_DIGEST_STRING_LENGTH - 1);
  }

 private:
  SHA2_CTX ctx_;
};

// sha256 (hex) of `fd`'s first `size` bytes, read with pread.
std::string sha256_of(int fd, off_t size) {
  Sha256 sha;
  std::vector<std::uint8_t> buf(1 << 20);
  for (off_t at = 0; at < size;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error::from_errno("read for sha256");
    sha.update(buf.data(), static_cast<std::size_t>(n));
    at += n;
  }
  return sha.hex();
}

// A sealed memfd holding exactly the bytes of the runc file, and the record describing it (pid, start time
// and fd filled in by the caller).
struct Copy {
  UniqueFd memfd;
  RuncCopyRecord record;
};
Copy copy_runc(const std::string& runc_path) {
  UniqueFd src(::open(runc_path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat before {};
  if (!src || ::fstat(src.get(), &before) != 0) throw Error::from_errno("open " + runc_path);
  if (!S_ISREG(before.st_mode)) throw Error(runc_path + " is not a regular file");
  // Named "runc": runc exec'd from it is called "memfd:runc" (its comm comes from the file's name).
  // MFD_EXEC: kernels with vm.memfd_noexec would otherwise add F_SEAL_EXEC, and runc wants its four seals only.
  UniqueFd memfd(static_cast<int>(::syscall(SYS_memfd_create, "runc", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC)));
  if (!memfd && errno == EINVAL)
    memfd.reset(static_cast<int>(::syscall(SYS_memfd_create, "runc", MFD_CLOEXEC | MFD_ALLOW_SEALING)));
  if (!memfd) throw Error::from_errno("memfd_create");
  Copy copy;
  RuncCopyRecord& r = copy.record;
  r.runc_path = runc_path;
  r.set_runc_file(before);
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  off_t copied = 0;
  for (;;) {
    ssize_t n = ::read(src.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error::from_errno("read " + runc_path);
    if (n == 0) break;
    sha.update(buf.data(), static_cast<std::size_t>(n));
    write_all(memfd.get(), std::string_view(buf.data(), static_cast<std::size_t>(n)), "keeper memfd");
    copied += n;
  }
  struct stat after {};
  if (::fstat(src.get(), &after) != 0 || !r.copied(after) || copied != after.st_size)
    throw Error(runc_path + " changed while it was copied");
  r.sha256 = sha.hex();
  if (::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0 ||
      ::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SEAL) != 0)
    throw Error::from_errno("seal the keeper's copy");
  if (::fcntl(memfd.get(), F_GET_SEALS) != kRuncMemfdSeals) throw Error("the keeper's copy has other seals than runc's");
  // The sealed bytes hashed again: what runs is what was read.
  if (sha256_of(memfd.get(), copied) != r.sha256) throw Error("the keeper's copy differs from " + runc_path);
  struct stat sealed {};
  if (::fstat(memfd.get(), &sealed) != 0) throw Error::from_errno("fstat the keeper's copy");
  r.copy_dev = sealed.st_dev;
  r.copy_ino = sealed.st_ino;
  copy.memfd = std::move(memfd);
  return copy;
}

// A keeper forked by the runtime starts in its caller's cgroups — a shim's, perhaps a pod's, whose removal
// it must never hold up: it moves to a cgroup of its own (<hierarchy>/runc-guard-keeper) in each hierarchy,
// and gives up (false) unless every move worked.
bool leave_callers_cgroups() noexcept {
  try {
    for (const CgroupHierarchy& h : all_cgroup_hierarchies()) {
      const std::string dir = h.mountpoint + "/runc-guard-keeper";
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
      // A new v1 cpuset has no cpus or mems: it takes the root's, or no task can join.
      for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
        auto mine = read_small_file(dir + "/" + file, 4096);
        auto root = read_small_file(h.mountpoint + "/" + file, 4096);
        if (!mine || !root || mine->find_first_not_of(" \n") != std::string::npos) continue;
        UniqueFd f(::open((dir + "/" + file).c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!f || ::write(f.get(), root->data(), root->size()) < 0) return false;
      }
      UniqueFd procs(::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!procs || ::write(procs.get(), "0", 1) != 1) return false;
    }
    return true;
  } catch (...) {
    return false;
  }
}

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

}  // namespace

KeeperCopy keeper_copy_of(const std::string& runc_path, const struct stat& runc_now, const std::string& dir) {
  KeeperCopy out;
  auto record = read_runc_copy_record(runc_path, dir);
  if (!record || record->runc_path != runc_path || !record->copied(runc_now)) return out;
  UniqueFd pidfd = open_pidfd(record->pid);
  if (!pidfd) return out;  // gone, or a kernel before 5.3 (no pidfd_getfd either)
  // The pidfd refers to whatever process has the pid now; its start time, read after, must be the keeper's
  // (which predates its record): then the fd below comes from the keeper.
  if (!same_process_alive("/proc", {record->pid, record->start_time})) return out;
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), record->fd, 0)));
  if (!fd) return out;  // < 5.6: pidfd_getfd missing; nothing is ever opened by path instead
  ::fcntl(fd.get(), F_SETFD, FD_CLOEXEC);
  struct stat copy {};
  if (::fstat(fd.get(), &copy) != 0 || !S_ISREG(copy.st_mode) || copy.st_dev != record->copy_dev ||
      copy.st_ino != record->copy_ino || copy.st_size != runc_now.st_size ||
      ::fcntl(fd.get(), F_GET_SEALS) != kRuncMemfdSeals)
    return out;
  out.dev = copy.st_dev;
  out.ino = copy.st_ino;
  out.fd = std::move(fd);
  return out;
}

KeeperStart start_keeper_detached(const std::string& runc_path, const std::string& dir) noexcept {
  try {
    // A keeper holding the lock already: nothing to do (checked here so that the common case forks nothing).
    UniqueFd lock(::open(runc_copy_lock_path(runc_path, dir).c_str(), O_RDWR | O_CLOEXEC));
    if (lock && ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) return KeeperStart::Running;
    lock.reset();
    // A keeper that began recently and holds no lock failed or was killed before publishing: not again yet.
    struct stat attempt {};
    if (::stat(runc_copy_attempt_path(runc_path, dir).c_str(), &attempt) == 0) {
      const auto began = std::chrono::system_clock::from_time_t(attempt.st_mtim.tv_sec);
      const auto now = std::chrono::system_clock::now();
      if (began <= now + std::chrono::seconds(1) && now - began < kKeeperRetryAfter) return KeeperStart::BackingOff;
    }
    pid_t intermediate = ::fork();
    if (intermediate < 0) return KeeperStart::Failed;
    if (intermediate == 0) {
      ::setsid();
      if (::fork() != 0) ::_exit(0);
      int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      for (int fd = 0; fd <= 2; ++fd) null_fd >= 0 ? ::dup2(null_fd, fd) : ::close(fd);
      close_fds_from(3);
      if (::chdir("/") != 0) {
      }
      sigset_t none;
      ::sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      for (int sig : {SIGCHLD, SIGPIPE, SIGHUP, SIGTERM, SIGINT}) ::signal(sig, SIG_DFL);
      if (!leave_callers_cgroups()) ::_exit(1);
      int code = 1;
      try {
        code = run_keeper(KeeperOptions{runc_path, dir});
      } catch (...) {
      }
      ::_exit(code);
    }
    int status = 0;
    while (::waitpid(intermediate, &status, 0) < 0 && errno == EINTR) {
    }
    return KeeperStart::Started;
  } catch (...) {
    return KeeperStart::Failed;
  }
}

int run_keeper(const KeeperOptions& options) {
  mkdir_p(options.dir, 0755);
  const std::string record_path = runc_copy_record_path(options.runc_path, options.dir);
  const std::string lock_path = runc_copy_lock_path(options.runc_path, options.dir);
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock) throw Error::from_errno("open " + lock_path);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return 0;  // another keeper holds this runc already
    throw Error::from_errno("flock " + lock_path);
  }
  // A keeper whose runc is gone removes its lock file (below); one that opened that file before it went
  // holds a lock nobody else can see: it leaves.
  auto lock_is_ours = [&] {
    struct stat held {}, named {};
    return ::fstat(lock.get(), &held) == 0 && ::stat(lock_path.c_str(), &named) == 0 &&
           held.st_dev == named.st_dev && held.st_ino == named.st_ino;
  };
  if (!lock_is_ours()) return 0;
  const std::string attempt_path = runc_copy_attempt_path(options.runc_path, options.dir);
  auto runc_gone = [&](struct stat& st) { return ::stat(options.runc_path.c_str(), &st) != 0 && errno == ENOENT; };
  // Its runc gone, a keeper leaves nothing behind in the directory (one lock file per runc path that ever had
  // a keeper otherwise stays for good): removed while still held, so no second keeper can take the old one,
  // and only while the lock file is still ours (had someone removed it, a later keeper owns these names).
  auto remove_files = [&] {
    if (!lock_is_ours()) return;
    ::unlink(record_path.c_str());
    ::unlink(attempt_path.c_str());
    ::unlink(lock_path.c_str());
  };
  struct stat runc_at_start {};
  if (runc_gone(runc_at_start)) {
    remove_files();
    errno = ENOENT;
    throw Error::from_errno("open " + options.runc_path);  // as the copy would say: an operator's typo is an error
  }
  // Removed once the copy is published: left behind by a keeper that failed or was killed before, it holds
  // back on-demand starts for kKeeperRetryAfter (start_keeper_detached).
  UniqueFd attempt(::open(attempt_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (attempt) ::futimens(attempt.get(), nullptr);
  attempt.reset();
  ::prctl(PR_SET_NAME, "rg-keeper", 0, 0, 0);
  // Run on a thread of its own (a small hard stack limit, oci/base/stack_limit.h), prctl named only that
  // thread; the process's name (ps, pgrep) is its first thread's.
  if (::syscall(SYS_gettid) != ::getpid()) {
    UniqueFd comm(::open("/proc/self/comm", O_WRONLY | O_CLOEXEC));
    if (comm && ::write(comm.get(), "rg-keeper", 9) != 9) {
    }
  }
  struct sigaction stop {};
  stop.sa_handler = on_stop;
  ::sigaction(SIGTERM, &stop, nullptr);
  ::sigaction(SIGINT, &stop, nullptr);
  const auto self = read_proc_stat("/proc", ::getpid());
  if (!self) throw Error("cannot read our own /proc stat");

  Copy current = copy_runc(options.runc_path);
  auto publish = [&](Copy& copy) {
    copy.record.pid = ::getpid();
    copy.record.start_time = self->start_time;
    copy.record.fd = copy.memfd.get();
    write_file_atomic(record_path, copy.record.to_json(), FileOwnership{0644, 0, 0}, Symlink::Replace, Durability::Atomic);
  };
  publish(current);
  ::unlink(attempt_path.c_str());
  if (options.once) return 0;
  while (!g_stop) {
    std::this_thread::sleep_for(options.poll);
    struct stat now {};
    if (runc_gone(now)) break;  // nothing to keep
    if (current.record.copied(now)) {
      // The record was removed (e.g. /run cleaned): publish it again.
      if (::access(record_path.c_str(), F_OK) != 0 && !g_stop) publish(current);
      continue;
    }
    try {
      Copy fresh = copy_runc(options.runc_path);  // runc was upgraded: a new copy, then the old one goes
      publish(fresh);
      current = std::move(fresh);
    } catch (const Error&) {
      // mid-upgrade: the next look tries again; meanwhile the record no longer matches and is not used
    }
  }
  struct stat runc_now {};
  if (runc_gone(runc_now)) remove_files();
  else ::unlink(record_path.c_str());  // stopped: the lock file stays for the next keeper of this runc
  return 0;
}

}  // namespace rg
