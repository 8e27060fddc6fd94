#pragma once
#include <sys/file.h>
#include <sys/stat.h>
#include "temp_dir.h"
// Shared helpers of the seccomp_*_test.cpp files: profile loading and generation, a direct (file) export,
// a forked child that is always killed and reaped, a temp dir, and a scoped pipe-user-pages-soft change that
// is restored even if the test process dies.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "oci/base/fd.h"
#include "seccomp/filter.h"

namespace rg::seccomp::testing {

inline std::string shared_testdata(const std::string& rel) { return std::string(RG_SHARED_TESTDATA) + "/" + rel; }
inline std::string test_data(const std::string& rel) { return std::string(RG_TEST_DATA) + "/" + rel; }

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::ordered_json load_json(const std::string& path) { return nlohmann::ordered_json::parse(slurp(path)); }

// linux.seccomp of an OCI config, or the document itself for a bare profile.
inline nlohmann::ordered_json load_seccomp(const std::string& path) {
  auto doc = load_json(path);
  if (doc.contains("linux")) return doc["linux"]["seccomp"];
  return doc;
}

inline std::vector<std::string> docker_configs() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(shared_testdata("docker-20.10"))) {
    const std::string p = e.path().string();
    if (p.size() > 12 && p.compare(p.size() - 12, 12, ".config.json") == 0) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  if (out.empty()) throw std::runtime_error("no docker-20.10/*.config.json test data");
  return out;
}

// A 3-arch allow-list of every syscall; each rule gets `conditions_per_syscall` (0-6) conditions on distinct
// arguments, which makes the program grow (6 gives well over 64 KiB).
inline nlohmann::ordered_json generated_profile(int conditions_per_syscall, std::uint32_t default_errno = 1) {
  auto base = load_seccomp(shared_testdata("seccomp/all-syscalls-3arch.json"));
  nlohmann::ordered_json p;
  p["defaultAction"] = "SCMP_ACT_ERRNO";
  p["defaultErrnoRet"] = default_errno;
  p["architectures"] = base["architectures"];
  auto rules = nlohmann::ordered_json::array();
  std::uint64_t v = 1;
  for (const auto& name : base["syscalls"][0]["names"]) {
    nlohmann::ordered_json rule{{"names", {name}}, {"action", "SCMP_ACT_ALLOW"}};
    for (int i = 0; i < conditions_per_syscall; ++i)
      rule["args"].push_back({{"index", i}, {"value", v++ * 0x100000007ull}, {"op", "SCMP_CMP_EQ"}});
    rules.push_back(rule);
  }
  p["syscalls"] = rules;
  return p;
}

// A profile whose program exceeds 64 KiB (about 70 KiB): every syscall allowed only when its first argument
// matches a mask, for all ten little-endian architectures libseccomp can mix. (libseccomp compiles
// conditional rules slowly — seconds — so build it once per test.)
inline nlohmann::ordered_json large_profile() {
  auto p = generated_profile(0);
  p["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86",      "SCMP_ARCH_X32",      "SCMP_ARCH_AARCH64",
                        "SCMP_ARCH_ARM",    "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_RISCV64",  "SCMP_ARCH_MIPSEL64",
                        "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"};
  std::uint64_t v = 1;
  for (auto& rule : p["syscalls"])
    rule["args"].push_back({{"index", 0}, {"value", v++}, {"valueTwo", 0xffffffffffULL}, {"op", "SCMP_CMP_MASKED_EQ"}});
  return p;
}

// seccomp_export_bpf / _pfc straight into a regular file, read back: the reference for the pipe export.
inline std::vector<std::uint8_t> direct_export(const Filter& f, bool pfc = false) {
  char path[] = "/tmp/rg-seccomp-direct-XXXXXX";
  UniqueFd fd(::mkstemp(path));
  if (!fd) throw std::runtime_error("mkstemp failed");
  ::unlink(path);
  const int rc = pfc ? seccomp_export_pfc(f.get(), fd.get()) : seccomp_export_bpf(f.get(), fd.get());
  if (rc < 0) throw std::runtime_error(std::string("direct export failed: ") + std::strerror(-rc));
  struct stat st {};
  ::fstat(fd.get(), &st);
  if (!S_ISREG(st.st_mode)) throw std::runtime_error("direct export target is not a regular file");
  std::vector<std::uint8_t> out(static_cast<std::size_t>(st.st_size));
  if (::pread(fd.get(), out.data(), out.size(), 0) != static_cast<ssize_t>(out.size()))
    throw std::runtime_error("pread failed");
  return out;
}

using test::TempDir;

// A forked child that is SIGKILLed and reaped when the owner goes out of scope.
class Child {
 public:
  template <typename Fn>
  static Child fork_run(Fn&& fn) {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int code = 120;
      try {
        code = fn();
      } catch (...) {
      }
      ::_exit(code);
    }
    return Child(pid);
  }
  Child(Child&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  Child(const Child&) = delete;
  ~Child() { kill_and_reap(); }

  pid_t pid() const { return pid_; }
  // Exit status (waitpid form), or -1 if still running after timeout_ms.
  int wait_for(int timeout_ms) {
    for (int waited = 0;; waited += 5) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return status;
      }
      if (waited >= timeout_ms) return -1;
      ::usleep(5000);
    }
  }
  void kill_and_reap() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_;
};

// Sets /proc/sys/fs/pipe-user-pages-soft for the scope. The original value comes back on scope exit and,
// should this process die first (crash, SIGKILL), from a guardian process that restores it as soon as the
// pipe it shares with us reports EOF.
class ScopedPipeUserPagesSoft {
 public:
  static constexpr const char* kPath = "/proc/sys/fs/pipe-user-pages-soft";

  // The same lock tests/lib.sh's set_pipe_soft_limit takes: the limit is machine-wide, so two tests (ctest -j,
  // a shell test beside the unit tier) must never change or restore it under each other.
  static constexpr const char* kLock = "/run/lock/runc-guard-tests-pipe-user-pages-soft.lock";

  explicit ScopedPipeUserPagesSoft(unsigned long value) {
    ::mkdir("/run/lock", 0755);
    lock_.reset(::open(kLock, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!lock_ || ::flock(lock_.get(), LOCK_EX) != 0) throw std::runtime_error(std::string("cannot lock ") + kLock);
    original_ = read_value();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    UniqueFd read_end(fds[0]);
    alive_.reset(fds[1]);
    guardian_ = ::fork();
    if (guardian_ < 0) throw std::runtime_error("fork failed");
    if (guardian_ == 0) {  // guardian: async-signal-safe calls only
      ::signal(SIGINT, SIG_IGN);
      ::signal(SIGTERM, SIG_IGN);
      ::signal(SIGHUP, SIG_IGN);
      ::close(fds[1]);
      char b;
      while (::read(fds[0], &b, 1) != 0) {
        if (errno != EINTR) break;
      }
      write_value(original_);
      ::_exit(0);
    }
    read_end.reset();
    if (!write_value(value)) {
      restore();
      throw std::runtime_error(std::string("cannot write ") + kPath + ": " + std::strerror(errno));
    }
  }
  ~ScopedPipeUserPagesSoft() { restore(); }
  ScopedPipeUserPagesSoft(const ScopedPipeUserPagesSoft&) = delete;
  ScopedPipeUserPagesSoft& operator=(const ScopedPipeUserPagesSoft&) = delete;

  static unsigned long read_value() {
    std::ifstream in(kPath);
    unsigned long v = 0;
    if (!(in >> v)) throw std::runtime_error(std::string("cannot read ") + kPath);
    return v;
  }
  unsigned long original() const { return original_; }

 private:
  static bool write_value(unsigned long v) {
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%lu\n", v);
    int fd = ::open(kPath, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::write(fd, buf, static_cast<std::size_t>(n)) == n;
    ::close(fd);
    return ok;
  }
  void restore() {
    if (guardian_ > 0) {
      write_value(original_);
      alive_.reset();  // EOF: the guardian restores (again) and exits
      int status;
      ::waitpid(guardian_, &status, 0);
      guardian_ = -1;
    }
  }

  unsigned long original_ = 0;
  UniqueFd alive_;
  UniqueFd lock_;  // declared last: released after the restore
  pid_t guardian_ = -1;
};

// Pipes held open to push uid 0's pipe-page usage over a lowered soft limit.
struct HeldPipes {
  explicit HeldPipes(int n) {
    for (int i = 0; i < n; ++i) pipes.push_back(Pipe::create());
  }
  std::vector<Pipe> pipes;
};

}  // namespace rg::seccomp::testing
