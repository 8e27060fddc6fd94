#include "oci/runc_version.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <vector>

#include "oci/base/child_process.h"
#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "oci/base/files.h"
#include "oci/base/loop_marker.h"

extern char** environ;

namespace rg {

std::optional<std::string> parse_runc_version_output(std::string_view output) {
  constexpr std::string_view kPrefix = "runc version ";
  std::size_t pos = 0;
  while (pos < output.size()) {
    std::size_t eol = output.find('\n', pos);
    std::string_view line = output.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (line.starts_with(kPrefix)) {
      line.remove_prefix(kPrefix.size());
      std::size_t end = line.find_first_of(" \t\r");
      std::string_view version = line.substr(0, end);
      if (!version.empty()) return std::string(version);
      return std::nullopt;
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return std::nullopt;
}

namespace {
std::optional<unsigned> take_number(std::string_view& s) {
  unsigned v = 0;
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i < 6) v = v * 10 + unsigned(s[i++] - '0');
  if (i == 0) return std::nullopt;
  s.remove_prefix(i);
  return v;
}
bool take(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}
}  // namespace

bool runc_enables_kmem_on_create(std::string_view version) {
  std::string_view s = version;
  auto major = take_number(s);
  if (!major || !take(s, '.')) return false;
  auto minor = take_number(s);
  if (!minor || !take(s, '.')) return false;
  auto patch = take_number(s);
  if (!patch || *major != 1 || *minor != 0 || *patch != 0) return false;
  if (!take(s, '-') && !take(s, '~')) return false;  // 1.0.0 final: kmem no longer enabled on create
  if (!s.starts_with("rc")) return false;
  s.remove_prefix(2);
  auto rc = take_number(s);
  return rc && *rc >= 5 && *rc <= 93;
}

namespace {

long long now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

}  // namespace

std::string probe_runc_version(const std::string& runc_path, std::chrono::milliseconds timeout) {
  Pipe out = Pipe::create();
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) throw Error::from_errno("open /dev/null");
  std::vector<char*> argv = {const_cast<char*>(runc_path.c_str()), const_cast<char*>("--version"), nullptr};
  // The loop marker: should runc_path lead back to runc-guard, it refuses instead of recursing.
  std::vector<char*> envp = environment_with_loop_marker(environ);

  pid_t pid = ::fork();
  if (pid < 0) throw Error::from_errno("fork");
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (::dup2(devnull.get(), STDIN_FILENO) < 0 || ::dup2(out.write_end.get(), STDOUT_FILENO) < 0 ||
        ::dup2(devnull.get(), STDERR_FILENO) < 0)
      ::_exit(127);
    ::execve(runc_path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ChildProcess child(pid);
  out.write_end.reset();

  std::string output;
  const long long deadline = now_ms() + timeout.count();
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0) throw Error(runc_path + " --version did not answer within " + std::to_string(timeout.count()) + " ms");
    pollfd pfd{out.read_end.get(), POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw Error::from_errno("poll");
    }
    if (ready == 0) continue;
    char buf[4096];
    ssize_t n = ::read(out.read_end.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::from_errno("read " + runc_path + " --version");
    }
    if (n == 0) break;
    if (output.size() < 65536) output.append(buf, static_cast<std::size_t>(n));
  }
  int code = child.wait();
  if (code != 0) throw Error(runc_path + " --version failed (exit status " + std::to_string(code) + ")");
  auto version = parse_runc_version_output(output);
  if (!version) throw Error("cannot find \"runc version\" in the output of " + runc_path + " --version");
  return *version;
}

namespace {

bool trusted(const struct stat& st) { return st.st_uid == 0 && (st.st_mode & 022) == 0; }

// Creates `dir` (and its parent) root-only-writable; false when it is not usable as a trusted cache.
bool ensure_cache_dir(const std::string& dir) {
  std::string parent = dirname_of(dir);
  ::mkdir(parent.c_str(), 0755);
  ::mkdir(dir.c_str(), 0755);
  struct stat st {};
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && trusted(st);
}

// Keeps the cache bounded: entries of replaced binaries are never looked up again, so once there are
// more than a few, all but the current one go.
void prune_cache(const std::string& dir, const std::string& keep) {
  constexpr std::size_t kMaxEntries = 16;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d.get()))
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  if (names.size() <= kMaxEntries) return;
  for (const std::string& name : names)
    if (name != keep) ::unlinkat(::dirfd(d.get()), name.c_str(), 0);
}

}  // namespace

RuncVersionInfo cached_runc_version(const std::string& runc_path, const std::string& cache_dir) {
  struct stat bin {};
  if (::stat(runc_path.c_str(), &bin) != 0) throw Error::from_errno("stat " + runc_path);
  const std::string key = std::to_string(bin.st_dev) + "-" + std::to_string(bin.st_ino) + "-" +
                          std::to_string(bin.st_mtim.tv_sec) + "." + std::to_string(bin.st_mtim.tv_nsec) + "-" +
                          std::to_string(bin.st_size);
  const std::string entry = cache_dir + "/" + key;

  UniqueFd fd(::open(entry.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat st {};
  if (fd && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && trusted(st)) {
    try {
      std::string text = read_fd(fd.get(), entry);
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      if (!text.empty() && text.find('\n') == std::string::npos) return {text, true};
    } catch (const Error&) {
      // unreadable entry: probe again below
    }
  }
  fd.reset();

  RuncVersionInfo info{probe_runc_version(runc_path), false};
  if (ensure_cache_dir(cache_dir)) {
    try {
      write_file_atomic(entry, info.version + "\n", FileOwnership{0644, 0, 0});
      prune_cache(cache_dir, key);
    } catch (const Error&) {
      // a read-only /run only costs the next invocation another probe
    }
  }
  return info;
}

}  // namespace rg
