#pragma once
// create/run/restore: kernel-memory limits in config.json (linux.resources.memory.kernel/kernelTCP, what
// `docker run --kernel-memory` sets) on a kernel older than kernel_memory.min_kernel are stripped, rejected
// or allowed as kernel_memory.policy says.
#include <memory>

#include "oci/guard/guard.h"

namespace rg {

std::unique_ptr<Guard> make_kmem_spec_guard();

}  // namespace rg
