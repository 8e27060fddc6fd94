#pragma once
// `runc-guardctl doctor`: the manual diagnosis of the two incidents (kmem memcg leak, runc init hang on a
// small pipe), automated. Each check is a small named function over /proc and /sys roots (tests point them
// at fake trees) returning status, evidence and one line of advice.
//
// JSON (--json), schema 1 — stable: fields are only ever added.
//   {"schema": 1, "runc_guard": "<version>", "result": "healthy" | "problems" | "incomplete",
//    "exit_code": 0 | 1 | 2,
//    "checks": [{"id": "<stable id>", "status": "ok" | "info" | "warn" | "fail" | "error",
//                "evidence": "<what was seen>", "advice": "<one line, empty when ok>", "data": {…}}]}
// Check ids: kernel.kmem, cgroup.memory_count, cgroup.kmem_accounting, kernel.nokmem, pipe.limits,
// runc.binary, runc.issue.<issue id> (one per known issue), runc_guard.virtual_patches, runc_guard.config,
// runc_guard.engines,
// init.blocked (one per blocked init, or one "ok" row when there is none).
// Exit code: 1 if any check is warn or fail; otherwise 2 if any check could not run (error); otherwise 0.
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "oci/guard/check.h"
#include "oci/guard/config.h"
#include "oci/proc/runc_copy.h"
#include "oci/runc_version.h"

namespace rg {


struct DoctorReport {
  std::vector<CheckResult> checks;
  int exit_code() const;
  nlohmann::json to_json() const;
  std::string to_table() const;  // aligned columns STATUS CHECK EVIDENCE, advice indented below
};

// ---- the checks ----

// Kernel release against kernel_memory.min_kernel: below it, kmem accounting leaks memcg IDs.
CheckResult check_kernel_kmem(std::string_view release, std::string_view min_kernel);
// num_cgroups of the memory controller (/proc/cgroups) against the 65535 memcg ID limit.
CheckResult check_memory_cgroup_count(const std::string& proc_root);
// Whether kmem accounting is active on the engines' parent cgroups (docker, kubepods, system.slice, …).
CheckResult check_kmem_accounting(const std::string& sys_root, bool kernel_at_risk);
// cgroup.memory=nokmem on the kernel command line.
CheckResult check_nokmem(const std::string& proc_root, bool kernel_at_risk);
// pipe-user-pages-soft/-hard, pipe-max-size, and the capacity runc init would get now (seccomp probe).
// `runc_hangs`: the node's runc is 1.0.0-rc93 or unknown (the one release whose init blocks on a small pipe);
// for any other a reduced pipe is reported as Info, not a warning.
CheckResult check_pipe_limits(const std::string& proc_root, const std::function<std::size_t()>& probe_capacity,
                              bool runc_hangs = true);
// The real runc runtime-guard forwards to: path, version, and one result per known issue of that version.
// `found`: set to the version when it could be read.
std::vector<CheckResult> check_real_runc(const Config& config,
                                         const std::function<std::string(const std::string&)>& version_of,
                                         std::optional<RuncBuild>* found = nullptr);
// Which virtual patches run for this runc ("virtual patches active for runc X.Y.Z: …"), warn when one is
// switched off although the release is affected.
CheckResult check_virtual_patches(const Config& config, const std::optional<RuncBuild>& runc);
// runc-guard's own config: valid, secure (root-owned, not group/other-writable), and its mode.
CheckResult check_runc_guard_config(const std::string& config_path, bool explicitly_requested);
// The keeper (shim/keeper/keeper.h) for the runc at `runc_path`: whether one runs and holds a copy of that
// runc file as it is now (info either way: without it runc runs from its path).
CheckResult check_keeper(const std::string& runc_path, const std::string& proc_root = "/proc",
                         const std::string& keeper_dir = kKeeperDir);
// Blocked inits of the runc at `runc_path` on the node (identity checked as the watchdog checks it); with
// unstick, each is un-stuck losslessly (watchdog's method). Without unstick nothing of another process is
// opened: /proc text, fd links, and pipe figures through a pinned, verified handle.
// `runc_roots`: runc --root directories besides the engines' defaults, whose state.json files name inits.
std::vector<CheckResult> check_blocked_inits(const std::string& proc_root, const std::string& runc_path, bool unstick,
                                             const std::vector<std::string>& runc_roots = {});

struct DoctorOptions {
  std::string proc_root = "/proc";
  std::string sys_root = "/sys";
  std::string config_path;        // empty: $RUNC_GUARD_CONFIG or the default path
  bool unstick = false;
  bool fix = false;                // the guards' safe repairs (Guard::node_checks)
  std::string dev_root = "/dev";
  std::vector<std::string> runc_roots;  // extra runc --root directories (besides docker/containerd/CRI-O's)
  std::string kernel_release;     // empty: uname(2)
  std::function<std::size_t()> probe_capacity;                   // default: the seccomp engine's probe
  std::function<std::string(const std::string&)> runc_version;  // default: `runc --version`
  // Extra checks from layers doctor does not link (runc-guardctl adds the engine registrations).
  std::vector<std::function<CheckResult(const Config&)>> extra_checks;
};

// Every guard's view of the node (Guard::node_checks), with the policy the runtime would give it for this
// runc; with `fix`, their safe repairs.
std::vector<CheckResult> check_guards_on_node(const Config& config, const std::optional<RuncBuild>& runc,
                                              const std::string& runc_path, const DoctorOptions& options);

// Never throws for a failing check (that check reports "error"); throws rg::Error only when doctor cannot
// run at all.
DoctorReport run_doctor(const DoctorOptions& options);

}  // namespace rg
