// What seccomp filter a process really runs with, seen from both sides (built static: it also runs inside a
// busybox container).
//
//   seccomp_probe dump PID FILE   host side: the classic-BPF program of PID's (only) filter, as the kernel
//                                 holds it (PTRACE_SECCOMP_GET_FILTER; needs CAP_SYS_ADMIN and no seccomp
//                                 of our own), written to FILE as raw struct sock_filter[]; prints the
//                                 instruction count.
//   seccomp_probe call NR...      container side: raw x86_64 syscall NR (all arguments 0) for each NR;
//   seccomp_probe call32 NR...    the same through the i386 ABI (int $0x80).
//                                 Prints "NR=0" on success, else "NR=<errno name>" (EPERM: refused by a
//                                 filter; ENOSYS: the kernel has no such syscall), one per line.
#include <errno.h>
#include <linux/filter.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int usage() {
  std::fprintf(stderr, "usage: seccomp_probe dump PID FILE | call NR... | call32 NR...\n");
  return 2;
}

const char* errno_name(int e) {
  if (e == 0) return "0";
  const char* name = strerrorname_np(e);
  return name ? name : "E?";
}

long call_i386(long nr) {
  long ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(0L), "c"(0L), "d"(0L), "S"(0L), "D"(0L) : "memory");
  return ret;
}

int dump(pid_t pid, const char* path) {
  if (::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) != 0 || ::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr) != 0) {
    std::fprintf(stderr, "seccomp_probe: cannot seize %d: %s\n", pid, std::strerror(errno));
    return 1;
  }
  int status = 0;
  if (::waitpid(pid, &status, __WALL) != pid) {
    std::fprintf(stderr, "seccomp_probe: waitpid %d: %s\n", pid, std::strerror(errno));
    return 1;
  }
  int rc = 0;
  long count = ::ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0L, nullptr);
  std::vector<sock_filter> program(count > 0 ? static_cast<std::size_t>(count) : 0);
  if (count <= 0 || ::ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0L, program.data()) != count) {
    std::fprintf(stderr, "seccomp_probe: PTRACE_SECCOMP_GET_FILTER %d: %s\n", pid, count < 0 ? std::strerror(errno) : "empty");
    rc = 1;
  }
  // A second filter (index 1) would mean the program we compare is not the only one.
  if (rc == 0 && ::ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 1L, nullptr) >= 0) {
    std::fprintf(stderr, "seccomp_probe: %d runs more than one filter\n", pid);
    rc = 1;
  }
  ::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
  if (rc != 0) return rc;
  FILE* out = std::fopen(path, "wb");
  if (!out || std::fwrite(program.data(), sizeof(sock_filter), program.size(), out) != program.size() || std::fclose(out) != 0) {
    std::fprintf(stderr, "seccomp_probe: write %s: %s\n", path, std::strerror(errno));
    return 1;
  }
  std::printf("%ld\n", count);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string mode = argv[1];
  if (mode == "dump" && argc == 4) return dump(static_cast<pid_t>(std::atol(argv[2])), argv[3]);
  if ((mode == "call" || mode == "call32") && argc >= 3) {
    for (int i = 2; i < argc; ++i) {
      long nr = std::atol(argv[i]);
      int err = 0;
      if (mode == "call") {
        if (::syscall(nr, 0L, 0L, 0L, 0L, 0L, 0L) < 0) err = errno;
      } else {
        long ret = call_i386(nr);
        if (ret < 0 && ret > -4096) err = static_cast<int>(-ret);
      }
      std::printf("%ld=%s\n", nr, errno_name(err));
    }
    return 0;
  }
  return usage();
}
