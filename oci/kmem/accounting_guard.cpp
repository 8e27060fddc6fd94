#include "oci/kmem/accounting_guard.h"

#include "oci/guard/metrics.h"

#include <sys/stat.h>
#include <unistd.h>

#include "oci/base/error.h"
#include "oci/kmem/cgroup.h"
#include "oci/kmem/policy.h"
#include "oci/runc_version.h"

namespace rg {
namespace {

class KmemAccountingGuard final : public Guard {
 public:
  explicit KmemAccountingGuard(std::string cache_dir) : cache_dir_(std::move(cache_dir)) {}
  std::string_view name() const override { return "kmem_accounting"; }

  bool applies(const RuncArgs& args) const override {
    return args.does(Trait::ReadsSpec);
  }

  void apply(InvocationContext& ctx) override {
    KmemPolicy policy = parse_kmem_policy(ctx.config.kernel_memory.policy);
    KernelGate gate = evaluate_kernel_gate(ctx.config.kernel_memory);
    if (!gate.below_minimum()) return;
    if (::geteuid() != 0) return;  // rootless runc cannot create cgroups in the memory hierarchy either

    Spec& spec = ctx.spec();
    nlohmann::ordered_json* memory = spec_memory(spec.json());
    if (!memory || !memory_assigned(*memory)) return;  // runc would not create the directory with accounting
    // An allowed explicit limit: a pre-created directory would make runc's later kmem limit write fail with
    // EBUSY (old kernels only accept the first kmem limit on an empty cgroup), so leave runc alone.
    if (policy == KmemPolicy::Allow && !kernel_memory_settings(*memory).empty()) return;

    if (ctx.runc_path.empty()) throw Error("the real runc's path is unknown");
    RuncVersionInfo runc = cached_runc_version(ctx.runc_path, cache_dir_);
    if (!runc_enables_kmem_on_create(runc.version)) return;

    nlohmann::json details = gate.details();
    details["runc"] = ctx.runc_path;
    details["runc_version"] = runc.version;
    if (ctx.args.global_bool("systemd-cgroup")) {
      details["reason"] = "systemd cgroup driver: systemd creates the memory cgroup, runc-guard cannot pre-create it";
      ctx.events.emit("kmem.accounting_not_covered", details);
      return;
    }
    std::optional<MemoryHierarchy> hierarchy = find_memory_hierarchy();
    if (!hierarchy) return;  // no cgroup v1 memory controller: nothing to switch on

    std::string cgroups_path;
    if (auto linux_it = spec.json().find("linux"); linux_it != spec.json().end() && linux_it->is_object())
      if (auto p = linux_it->find("cgroupsPath"); p != linux_it->end() && p->is_string()) cgroups_path = p->get<std::string>();
    const std::string dir = resolve_memory_cgroup_dir(*hierarchy, cgroups_path, ctx.args.container_id());
    details["cgroup_dir"] = dir;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) return;  // runc joins an existing directory without enabling accounting

    if (ctx.observe_only()) {
      details["observe"] = true;
      ctx.events.emit("kmem.accounting_prevented", details);
      return;
    }
    std::vector<std::string> created = precreate_cgroup_dir(hierarchy->mountpoint, dir);
    auto& to_remove = ctx.watch.cgroup_dirs_to_remove_if_create_failed;
    to_remove.insert(to_remove.end(), created.begin(), created.end());
    details["created"] = created;
    ctx.events.emit("kmem.accounting_prevented", details);
    count_metric(ctx.config, metric::kKmemAccountingPrevented);
  }

 private:
  std::string cache_dir_;
};

}  // namespace

std::unique_ptr<Guard> make_kmem_accounting_guard(std::string runc_version_cache_dir) {
  return std::make_unique<KmemAccountingGuard>(std::move(runc_version_cache_dir));
}

}  // namespace rg
