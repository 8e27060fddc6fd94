#pragma once
// create/run/restore: runc v1.0.0-rc5…rc93 switch kernel-memory accounting on for every memory cgroup they
// create with any memory setting, even without a kernel limit. On a kernel older than
// kernel_memory.min_kernel (cgroup v1, cgroupfs driver) this guard creates the container's memory cgroup
// directory first, so runc joins it as is; the watchdog removes the directories it made again when runc
// exits without having created the container (after_runc).
//
// Not covered: the systemd cgroup driver (--systemd-cgroup, cgroupsPath "slice:prefix:name"), where systemd
// creates the unit's directories; such invocations are logged as kmem.accounting_not_covered.
#include <memory>
#include <string>

#include "oci/guard/guard.h"
#include "oci/runc_version.h"

namespace rg {

std::unique_ptr<Guard> make_kmem_accounting_guard();
// `runc_version_cache_dir`: where `runc --version` answers are cached (tests point it elsewhere).
std::unique_ptr<Guard> make_kmem_accounting_guard_caching_in(std::string runc_version_cache_dir);

}  // namespace rg
