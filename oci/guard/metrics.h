#pragma once
// Counters for dashboards, as a Prometheus node_exporter textfile collector file:
// <metrics.textfile_dir>/runc_guard.prom. Each runc-guard invocation is a short-lived process, so the
// counters live in the file: every update is a read-modify-write under an exclusive flock on a separate
// lock file (<dir>/.runc_guard.prom.lock), written to a temp file and renamed over the old one, so the
// collector never reads a half-written file and concurrent invocations never lose an increment.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oci/guard/config.h"

namespace rg {

// Metric names (see the README's metrics reference).
namespace metric {
constexpr std::string_view kInvocations = "runc_guard_invocations_total";        // {command}
constexpr std::string_view kKmemStripped = "runc_guard_kmem_stripped_total";
constexpr std::string_view kKmemRejected = "runc_guard_kmem_rejected_total";
constexpr std::string_view kKmemAccountingPrevented = "runc_guard_kmem_accounting_prevented_total";
constexpr std::string_view kSeccompHazard = "runc_guard_seccomp_hazard_total";  // {action}
constexpr std::string_view kInitBlocked = "runc_guard_init_blocked_total";
constexpr std::string_view kInitUnstuck = "runc_guard_init_unstuck_total";
constexpr std::string_view kInitKilled = "runc_guard_init_killed_total";
constexpr std::string_view kGuardRefused = "runc_guard_guard_refused_total";    // {guard}
constexpr std::string_view kGuardFailed = "runc_guard_guard_failed_total";      // {guard} (failed open)
constexpr std::string_view kVirtualPatch = "runc_guard_virtual_patch_total";   // {cve, action}
constexpr std::string_view kRepairs = "runc_guard_repairs_total";              // {guard, action}
constexpr std::string_view kKeeperStarts = "runc_guard_keeper_starts_total";    // {outcome}
}  // namespace metric

constexpr std::string_view kMetricsFileName = "runc_guard.prom";

struct MetricLabel {
  std::string_view name;
  std::string_view value;
};

// Adds n to the counter `name{labels}`. A no-op costing one string test when metrics.textfile_dir is
// empty. Never throws and never fails the invocation: metrics are best effort.
void count_metric(const Config& config, std::string_view name, std::initializer_list<MetricLabel> labels = {},
                  std::uint64_t n = 1) noexcept;

// Same, in `dir` (for tests and runc-guardctl). Throws rg::Error.
void add_to_counter_file(const std::string& dir, std::string_view name, std::initializer_list<MetricLabel> labels,
                         std::uint64_t n);

// The exposition format as pure functions (tests, doctor). A series key is `name{a="x",b="y"}` or `name`.
using CounterSet = std::map<std::string, std::uint64_t>;
CounterSet parse_counters(std::string_view text);      // ignores comments and lines it cannot read
std::string format_counters(const CounterSet& counters);  // with # HELP / # TYPE per metric
std::string series_key(std::string_view name, std::initializer_list<MetricLabel> labels);

}  // namespace rg
