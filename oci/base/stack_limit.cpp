#include "oci/base/stack_limit.h"

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

void raise_stack_limit_for_json() noexcept {
  if (raised) {  // again, after an execve that failed
    ::setrlimit(RLIMIT_STACK, &our_limit);
    return;
  }
  struct rlimit now {};
  if (::getrlimit(RLIMIT_STACK, &now) != 0) return;
  if (now.rlim_cur == RLIM_INFINITY || now.rlim_cur >= kJsonStack) return;
  struct rlimit wanted = now;
  wanted.rlim_cur = now.rlim_max == RLIM_INFINITY || now.rlim_max >= kJsonStack ? kJsonStack : now.rlim_max;
  if (wanted.rlim_cur <= now.rlim_cur || ::setrlimit(RLIMIT_STACK, &wanted) != 0) return;
  caller_limit = now;
  our_limit = wanted;
  raised = true;
}

void restore_caller_stack_limit() noexcept {
  // prlimit64 itself: one system call, async-signal-safe in a forked child.
  if (raised) ::syscall(SYS_prlimit64, 0, RLIMIT_STACK, &caller_limit, nullptr);
}

}  // namespace rg
