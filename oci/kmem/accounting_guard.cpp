#include "oci/kmem/accounting_guard.h"

#include <sys/stat.h>
#include <unistd.h>

#include "oci/base/error.h"
#include "oci/guard/metrics.h"
#include "oci/cgroup.h"
#include "oci/kmem/cgroup.h"
#include "oci/kmem/policy.h"

namespace rg {
namespace {

class KmemAccountingGuard final : public Guard {
 public:
  explicit KmemAccountingGuard(std::string cache_dir) : cache_dir_(std::move(cache_dir)) {}
  std::string_view name() const override { return "kmem_accounting"; }
  bool applies(const RuncArgs& args) const override { return args.does(Trait::ReadsSpec); }

  void before_runc(InvocationContext& ctx) override {
    const KmemPolicy policy = ctx.config.kernel_memory.policy;
    KernelGate gate = evaluate_kernel_gate(ctx.config.kernel_memory);
    if (!gate.below_minimum()) return;
    if (::geteuid() != 0) return;  // rootless runc cannot create cgroups in the memory hierarchy either

    const Spec& spec = ctx.spec();
    const nlohmann::ordered_json* memory = view_at(spec.view(), {"linux", "resources", "memory"});
    if (!memory || !memory_assigned(*memory)) return;  // runc would not create the directory with accounting
    // An allowed explicit limit: a pre-created directory would make runc's later kmem limit write fail with
    // EBUSY (old kernels only accept the first kmem limit on an empty cgroup), so leave runc alone.
    if (policy == KmemPolicy::Allow && !kernel_memory_settings(*memory).empty()) return;

    if (!cache_dir_.empty()) ctx.runc_version_cache_dir = cache_dir_;
    const RuncBuild* runc = ctx.runc_build();
    if (!runc) throw Error("the real runc's version is unknown");
    if (!affected(runc->version, RuncIssue::ImplicitKmemAccounting)) return;

    nlohmann::json details = gate.details();
    details["runc"] = ctx.runc_path();
    details["runc_version"] = runc->text;
    if (ctx.args().global_bool("systemd-cgroup")) {
      details["reason"] = "systemd cgroup driver: systemd creates the memory cgroup, runc-guard cannot pre-create it";
      ctx.events.emit("kmem.accounting_not_covered", details);
      return;
    }
    std::optional<CgroupHierarchy> hierarchy = find_cgroup_hierarchy("memory");
    if (!hierarchy) return;  // no cgroup v1 memory controller: nothing to switch on

    const std::string dir = resolve_cgroup_dir(*hierarchy, view_string(spec.view(), {"linux", "cgroupsPath"}),
                                                      ctx.args().container_id());
    details["cgroup_dir"] = dir;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) return;  // runc joins an existing directory without enabling accounting

    if (ctx.observe_only()) {
      details["observe"] = true;
      ctx.events.emit("kmem.accounting_prevented", details);
      return;
    }
    // Made in before_exec, once the watchdog that removes them again is running.
    mountpoint_ = hierarchy->mountpoint;
    dir_ = dir;
    planned_ = missing_cgroup_dirs(mountpoint_, dir_);
    details_ = std::move(details);
  }

  // The directories must go again if runc does not create the container in them, also when runc-guard
  // itself dies before its exec: so they are made only now, after the watchdog (which knows the plan) was
  // forked.
  void before_exec(InvocationContext& ctx) override {
    if (planned_.empty()) return;
    details_["created"] = precreate_cgroup_dir(mountpoint_, dir_);
    ctx.events.emit("kmem.accounting_prevented", details_);
    count_metric(ctx.config, metric::kKmemAccountingPrevented);
  }

  bool wants_watchdog() const override { return !planned_.empty(); }

  // In the watchdog, which forked before before_exec: it removes what was planned (rmdir takes only empty
  // directories, so a cgroup runc or anyone else uses stays).
  void after_runc(WatchContext&, const RuncExit& exit) override {
    if (!exit.container_exists) remove_precreated_cgroup_dirs(planned_);
  }

 private:
  std::string cache_dir_;
  std::string mountpoint_, dir_;
  std::vector<std::string> planned_;  // the directories to make, deepest first
  nlohmann::json details_;
};

}  // namespace

std::unique_ptr<Guard> make_kmem_accounting_guard() { return make_kmem_accounting_guard_caching_in(""); }

std::unique_ptr<Guard> make_kmem_accounting_guard_caching_in(std::string runc_version_cache_dir) {
  return std::make_unique<KmemAccountingGuard>(std::move(runc_version_cache_dir));
}

}  // namespace rg
