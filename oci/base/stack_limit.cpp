#include "oci/base/stack_limit.h"

#include <sys/resource.h>

namespace rg {
namespace {

constexpr rlim_t kJsonStack = rlim_t{8} << 20;  // depth 10000 needs ~4 MiB; twice that for everything else
struct rlimit caller_limit {};
bool raised = false;

}  // namespace

void raise_stack_limit_for_json() noexcept {
  struct rlimit now {};
  if (raised || ::getrlimit(RLIMIT_STACK, &now) != 0) return;
  if (now.rlim_cur == RLIM_INFINITY || now.rlim_cur >= kJsonStack) return;
  struct rlimit wanted = now;
  wanted.rlim_cur = now.rlim_max == RLIM_INFINITY || now.rlim_max >= kJsonStack ? kJsonStack : now.rlim_max;
  if (wanted.rlim_cur <= now.rlim_cur || ::setrlimit(RLIMIT_STACK, &wanted) != 0) return;
  caller_limit = now;
  raised = true;
}

void restore_caller_stack_limit() noexcept {
  if (raised) ::setrlimit(RLIMIT_STACK, &caller_limit);
}

}  // namespace rg
