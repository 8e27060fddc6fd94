#include "oci/base/stack_limit.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace rg {
namespace {

constexpr rlim_t kJsonStack = rlim_t{8} << 20;  // depth 10000 needs ~4 MiB; twice that for everything else
struct rlimit caller_limit {};
struct rlimit our_limit {};
bool raised = false;

}  // namespace

bool raise_stack_limit_for_json() noexcept {
  if (raised) {  // again, after an execve that failed
    return ::setrlimit(RLIMIT_STACK, &our_limit) == 0 && our_limit.rlim_cur >= kJsonStack;
  }
  struct rlimit now {};
  if (::getrlimit(RLIMIT_STACK, &now) != 0) return false;
  if (now.rlim_cur == RLIM_INFINITY || now.rlim_cur >= kJsonStack) return true;
  struct rlimit wanted = now;
  wanted.rlim_cur = now.rlim_max == RLIM_INFINITY || now.rlim_max >= kJsonStack ? kJsonStack : now.rlim_max;
  if (wanted.rlim_cur <= now.rlim_cur || ::setrlimit(RLIMIT_STACK, &wanted) != 0) return false;
  caller_limit = now;
  our_limit = wanted;
  raised = true;
  return our_limit.rlim_cur >= kJsonStack;
}

namespace {

struct StackedCall {
  const std::function<int()>& body;
  sigset_t mask;         // the caller's, which runc is to inherit
  int parent_death = 0;  // the caller's PR_SET_PDEATHSIG (containerd asks SIGKILL): a per-thread setting
  pid_t parent = 0;
  int result = 0;
};

void* run_stacked(void* p) {
  auto* call = static_cast<StackedCall*>(p);
  ::pthread_sigmask(SIG_SETMASK, &call->mask, nullptr);
  if (call->parent_death > 0) {
    ::prctl(PR_SET_PDEATHSIG, call->parent_death, 0, 0, 0);
    if (::getppid() != call->parent) ::raise(call->parent_death);  // the parent died before it was set
  }
  call->result = call->body();
  return nullptr;
}

}  // namespace

int on_stack_for_json(const std::function<int()>& body) {
  if (raise_stack_limit_for_json()) return body();
  StackedCall call{body, {}};
  // Signals sent to the process are the body's to take or leave, never this waiting thread's: blocked here
  // before the thread exists, and the thread starts from the caller's mask.
  sigset_t all;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &call.mask);
  ::prctl(PR_GET_PDEATHSIG, &call.parent_death, 0, 0, 0);
  call.parent = ::getppid();
  pthread_attr_t attr;
  pthread_t thread;
  bool started = false;
  if (::pthread_attr_init(&attr) == 0) {
    started = ::pthread_attr_setstacksize(&attr, kJsonStack) == 0 && ::pthread_create(&thread, &attr, run_stacked, &call) == 0;
    ::pthread_attr_destroy(&attr);
  }
  if (!started) {  // the caller's own stack, as before this fallback existed (deep JSON may not fit)
    ::pthread_sigmask(SIG_SETMASK, &call.mask, nullptr);
    return body();
  }
  ::pthread_join(thread, nullptr);
  return call.result;
}

void restore_caller_stack_limit() noexcept {
  // prlimit64 itself: one system call, async-signal-safe in a forked child.
  if (raised) ::syscall(SYS_prlimit64, 0, RLIMIT_STACK, &caller_limit, nullptr);
}

}  // namespace rg
