#include "shim/ctl/doctor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <sstream>

#include "oci/base/clock.h"
#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/base/text.h"
#include "oci/kernel_release.h"
#include "oci/runc_state.h"
#include "oci/runc_version.h"
#include "seccomp/probe.h"
#include "shim/watchdog/blocked_inits.h"
#include "shim/runtime/guards.h"
#include "shim/runtime/real_runc.h"

namespace rg {
namespace {

using Json = nlohmann::json;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::optional<long long> read_number(const std::string& path) {
  auto text = read_small_file(path);
  if (!text) return std::nullopt;
  std::string t = trim(*text);
  long long n = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return n;
}

CheckResult error_result(std::string id, const std::string& what) {
  return {std::move(id), CheckStatus::Error, what, "run doctor as root on the node itself", Json::object()};
}

constexpr long long kMemcgIdLimit = 65535;
// PAGE_COUNTER_MAX pages: what memory.kmem.limit_in_bytes reads when no limit was ever set.
constexpr long long kUnlimitedKmem = 9223372036854771712LL;

}  // namespace


CheckResult check_kernel_kmem(std::string_view release, std::string_view min_kernel) {
  auto running = parse_kernel_release(release);
  auto threshold = parse_kernel_release(min_kernel);
  Json data = {{"release", release}, {"min_kernel", min_kernel}};
  if (!running || !threshold)
    return {"kernel.kmem", CheckStatus::Error, "cannot parse kernel release \"" + std::string(release) + "\"",
            "set kernel_memory.kernel_release in the config if you know the kernel's real version", data};
  if (*running < *threshold)
    return {"kernel.kmem", CheckStatus::Fail,
            "kernel " + std::string(release) + " < " + std::string(min_kernel) +
                ": kernel-memory accounting leaks memory cgroup IDs (\"no space left on device\" after ~65535 containers)",
            "keep kernel_memory.policy strip (or reject) and boot with cgroup.memory=nokmem; upgrade the kernel", data};
  return {"kernel.kmem", CheckStatus::Ok,
          "kernel " + std::string(release) + " >= " + std::string(min_kernel) + ": kernel-memory accounting is safe",
          "", data};
}

CheckResult check_memory_cgroup_count(const std::string& proc_root) {
  auto text = read_small_file(proc_root + "/cgroups");
  if (!text) return error_result("cgroup.memory_count", "cannot read " + proc_root + "/cgroups");
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string name;
    long long hierarchy = 0, count = 0, enabled = 0;
    if (!(fields >> name >> hierarchy >> count >> enabled) || name != "memory") continue;
    Json data = {{"num_cgroups", count}, {"limit", kMemcgIdLimit}, {"enabled", enabled == 1}};
    std::string evidence = std::to_string(count) + " of " + std::to_string(kMemcgIdLimit) + " memory cgroups in use";
    if (!enabled) return {"cgroup.memory_count", CheckStatus::Info, "memory controller disabled", "", data};
    if (count * 10 >= kMemcgIdLimit * 9)
      return {"cgroup.memory_count", CheckStatus::Fail, evidence,
              "close to the memcg ID limit: new containers will fail with ENOSPC; find leaked cgroups, reboot the node",
              data};
    if (count * 2 >= kMemcgIdLimit)
      return {"cgroup.memory_count", CheckStatus::Warn, evidence,
              "over half the memcg IDs are used; on kernels < 4.0 leaked (removed) cgroups are not even counted here",
              data};
    return {"cgroup.memory_count", CheckStatus::Ok, evidence, "", data};
  }
  return {"cgroup.memory_count", CheckStatus::Info, "no memory controller in " + proc_root + "/cgroups", "", Json::object()};
}

CheckResult check_kmem_accounting(const std::string& sys_root, bool kernel_at_risk) {
  const std::string memory_root = sys_root + "/fs/cgroup/memory";
  if (::access(memory_root.c_str(), F_OK) != 0)
    return {"cgroup.kmem_accounting", CheckStatus::Ok, "no cgroup v1 memory hierarchy at " + memory_root, "", Json::object()};
  Json parents = Json::array();
  std::vector<std::string> active;
  for (const char* parent : {"docker", "kubepods", "kubepods.slice", "system.slice", "containerd", "machine.slice", "crio"}) {
    std::string dir = memory_root + "/" + parent;
    if (::access(dir.c_str(), F_OK) != 0) continue;
    auto limit = read_number(dir + "/memory.kmem.limit_in_bytes");
    bool limit_set = limit && *limit < kUnlimitedKmem;
    bool slabinfo = read_small_file(dir + "/memory.kmem.slabinfo").has_value();
    parents.push_back({{"cgroup", parent}, {"kmem_limit_set", limit_set}, {"slabinfo_readable", slabinfo}});
    if (limit_set || slabinfo) active.push_back(std::string(parent) + (limit_set ? " (limit set)" : " (slabinfo readable)"));
  }
  Json data = {{"parents", parents}};
  if (parents.empty())
    return {"cgroup.kmem_accounting", CheckStatus::Ok, "no engine parent cgroup (docker, kubepods, system.slice…) yet", "", data};
  if (active.empty())
    return {"cgroup.kmem_accounting", CheckStatus::Ok, "kmem accounting not active on the engines' parent cgroups", "", data};
  std::string list;
  for (const auto& a : active) list += (list.empty() ? "" : ", ") + a;
  if (kernel_at_risk)
    return {"cgroup.kmem_accounting", CheckStatus::Fail, "kmem accounting active on " + list,
            "every container created below these leaks its memcg ID on removal: boot with cgroup.memory=nokmem", data};
  return {"cgroup.kmem_accounting", CheckStatus::Info, "kmem accounting active on " + list + " (harmless on this kernel)",
          "", data};
}

CheckResult check_nokmem(const std::string& proc_root, bool kernel_at_risk) {
  auto cmdline = read_small_file(proc_root + "/cmdline");
  if (!cmdline) return error_result("kernel.nokmem", "cannot read " + proc_root + "/cmdline");
  bool nokmem = false;
  std::istringstream words(*cmdline);
  std::string word;
  while (words >> word)
    if (word.starts_with("cgroup.memory=") && word.find("nokmem") != std::string::npos) nokmem = true;
  Json data = {{"nokmem", nokmem}};
  if (nokmem) return {"kernel.nokmem", CheckStatus::Ok, "cgroup.memory=nokmem is set: kmem accounting is off kernel-wide", "", data};
  if (kernel_at_risk)
    return {"kernel.nokmem", CheckStatus::Warn, "cgroup.memory=nokmem is not on the kernel command line",
            "add cgroup.memory=nokmem to the kernel command line (grubby --update-kernel=ALL --args=cgroup.memory=nokmem) and reboot",
            data};
  return {"kernel.nokmem", CheckStatus::Ok, "cgroup.memory=nokmem not set (not needed on this kernel)", "", data};
}

CheckResult check_pipe_limits(const std::string& proc_root, const std::function<std::size_t()>& probe_capacity, bool runc_hangs) {
  auto soft = read_number(proc_root + "/sys/fs/pipe-user-pages-soft");
  auto hard = read_number(proc_root + "/sys/fs/pipe-user-pages-hard");
  auto max_size = read_number(proc_root + "/sys/fs/pipe-max-size");
  Json data = {{"pipe_user_pages_soft", soft ? Json(*soft) : Json()},
               {"pipe_user_pages_hard", hard ? Json(*hard) : Json()},
               {"pipe_max_size", max_size ? Json(*max_size) : Json()}};
  std::string limits = "pipe-user-pages-soft " + (soft ? std::to_string(*soft) : "?") + ", -hard " +
                       (hard ? std::to_string(*hard) : "?") + ", pipe-max-size " + (max_size ? std::to_string(*max_size) : "?");
  std::size_t capacity = 0;
  try {
    capacity = probe_capacity();
  } catch (const std::exception& e) {
    return {"pipe.limits", CheckStatus::Error, limits + "; probe failed: " + e.what(), "run doctor as root", data};
  }
  data["runc_init_pipe_capacity"] = capacity;
  std::string evidence = limits + "; runc init would get a " + std::to_string(capacity) + " B pipe now";
  if (capacity <= seccomp::minimum_pipe_capacity()) {
    if (!runc_hangs)
      return {"pipe.limits", CheckStatus::Info, evidence + " (only runc 1.0.0-rc93's init blocks on it: not this node's runc)", "", data};
    return {"pipe.limits", CheckStatus::Warn, evidence,
            "uid 0 is over pipe-user-pages-soft: seccomp programs larger than this hang runc 1.0.0-rc93's init; keep "
            "runc-guard's watchdog on or raise the limit (sysctl fs.pipe-user-pages-soft=0 removes it)",
            data};
  }
  return {"pipe.limits", CheckStatus::Ok, evidence, "", data};
}

std::vector<CheckResult> check_real_runc(const Config& config,
                                         const std::function<std::string(const std::string&)>& version_of,
                                         std::optional<RuncBuild>* found) {
  std::vector<CheckResult> results;
  RealRunc runc;
  try {
    runc = locate_real_runc(config, std::getenv("PATH"));
  } catch (const Error& e) {
    results.push_back({"runc.binary", CheckStatus::Fail, e.what(), "install runc or set runtime.path", Json::object()});
    return results;
  }
  std::string version_text;
  try {
    version_text = version_of(runc.path);
  } catch (const std::exception& e) {
    results.push_back({"runc.binary", CheckStatus::Error, runc.path + ": `runc --version` failed: " + e.what(),
                       "check that " + runc.path + " runs", {{"path", runc.path}}});
    return results;
  }
  auto build = parse_runc_version_output(version_text);
  if (!build) build = parse_runc_version(version_text);  // a bare version string
  Json data = {{"path", runc.path}, {"version", build ? build->text : version_text}};
  if (!build) {
    results.push_back({"runc.binary", CheckStatus::Warn, runc.path + ": unrecognised version \"" + version_text + "\"",
                       "known issues could not be checked", data});
    return results;
  }
  if (found) *found = build;
  const std::string& version = build->text;
  data["distribution_build"] = build->distribution;
  results.push_back({"runc.binary", CheckStatus::Ok, runc.path + " version " + version, "", data});
  for (const RuncIssueInfo* issue : issues_of(build->version)) {
    if (issue->severity == IssueSeverity::Info) continue;
    std::string evidence = "runc " + version + ": " + std::string(issue->id) + ": " + std::string(issue->summary);
    // Distributions backport fixes without changing the upstream version.
    if (build->distribution) evidence += " (affected by upstream version; the distribution may have backported the fix)";
    results.push_back({"runc.issue." + std::string(issue->id),
                       issue->severity == IssueSeverity::Problem ? CheckStatus::Fail : CheckStatus::Warn, evidence,
                       std::string(issue->advice),
                       {{"issue", issue->id}, {"version", version}, {"fixed_in", issue->fixed_in},
                        {"distribution_build", build->distribution}}});
  }
  return results;
}

namespace {
// The policy the runtime gives `guard` for a create on this runc (doctor's view of a guard).
GuardPolicy policy_for_create(const Config& config, const Guard& guard, const RuncBuild* runc) {
  static const std::vector<std::string> argv{"runc", std::string(command_name(Command::Create)), "doctor"};
  static const RuncArgs create = parse_runc_args(argv);
  return config.policy_of(guard.name(), guard.default_policy(runc, create));
}
}  // namespace

CheckResult check_virtual_patches(const Config& config, const std::optional<RuncBuild>& runc) {
  Json patches = Json::array();
  std::vector<std::string> active, off_but_affected;
  for (const auto& registration : registered_guards()) {
    auto guard = registration.make();
    auto issue = guard->patches();
    if (!issue) continue;
    const RuncIssueInfo& info = issue_info(*issue);
    const bool affected_upstream = !runc || affected(runc->version, *issue);
    const GuardPolicy policy = policy_for_create(config, *guard, runc ? &*runc : nullptr);
    patches.push_back({{"guard", guard->name()}, {"cve", info.id}, {"fixed_in", info.fixed_in},
                       {"affected_by_version", affected_upstream}, {"policy", policy_name(policy)}});
    if (policy != GuardPolicy::Off) active.push_back(std::string(info.id) + " (" + std::string(policy_name(policy)) + ")");
    else if (affected_upstream) off_but_affected.push_back(std::string(info.id));
  }
  const std::string version = runc ? runc->text : std::string("(version unknown)");
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? std::string("none") : out;
  };
  std::string evidence = "virtual patches active for runc " + version + ": " + list(active);
  if (runc && runc->distribution)
    evidence += " (affected by upstream version; the distribution may have backported the fixes)";
  Json data = {{"runc_version", version}, {"patches", patches}};
  if (!off_but_affected.empty())
    return {"runc_guard.virtual_patches", CheckStatus::Warn, evidence + "; switched off although affected: " + list(off_but_affected),
            "remove the \"off\" for these under \"guards\" in runc-guard's config, or upgrade runc", data};
  return {"runc_guard.virtual_patches", CheckStatus::Info, evidence, "", data};
}

CheckResult check_runc_guard_config(const std::string& config_path, bool explicitly_requested) {
  try {
    Config config = load_config(config_path, explicitly_requested);
    std::string mode = config.mode == Mode::Observe ? "observe" : "enforce";
    Json data = {{"path", config_path}, {"mode", mode}, {"file", !config.source.empty()},
                 {"metrics_textfile_dir", config.metrics.textfile_dir}};
    if (config.source.empty())
      return {"runc_guard.config", CheckStatus::Info, "no " + config_path + ": built-in defaults, mode " + mode,
              "", data};
    return {"runc_guard.config", CheckStatus::Ok, config_path + " valid and secure, mode " + mode, "", data};
  } catch (const Error& e) {
    return {"runc_guard.config", CheckStatus::Fail, e.what(),
            "fix it (runc-guardctl config check): runc-guard refuses every container while its config is invalid",
            {{"path", config_path}}};
  }
}

std::vector<CheckResult> check_blocked_inits(const std::string& proc_root, const std::string& runc_path,
                                             bool unstick_them, const std::vector<std::string>& runc_roots) {
  std::vector<CheckResult> results;
  std::vector<BlockedInit> blocked;
  try {
    FindBlockedOptions options;
    options.runc_path = runc_path;
    options.state_roots.insert(options.state_roots.end(), runc_roots.begin(), runc_roots.end());
    blocked = find_blocked_inits(proc_root, options);
  } catch (const std::exception& e) {
    results.push_back(error_result("init.blocked", std::string("cannot scan for blocked runc init: ") + e.what()));
    return results;
  }
  if (blocked.empty()) {
    results.push_back({"init.blocked", CheckStatus::Ok, "no runc init blocked on a pipe", "", {{"blocked", Json::array()}}});
    return results;
  }
  for (const auto& init : blocked) {
    const auto& w = init.write;
    Json data = {{"pid", init.process.pid},
                 {"start_time", init.process.start_time},
                 {"comm", init.comm},
                 {"age_s", init.age_s},
                 {"container_id", init.container_id},
                 {"tid", w.tid},
                 {"fd", w.fd},
                 {"pipe_inode", w.pipe_inode},
                 {"wchan", w.wchan},
                 {"pipe_capacity", w.fill.capacity},
                 {"pipe_bytes", w.fill.bytes},
                 {"read_end_held_by_init", w.read_end_held}};
    std::ostringstream evidence;
    evidence << "pid " << init.process.pid << " (" << init.comm << ")"
             << (init.container_id.empty() ? "" : " container " + init.container_id) << ", age "
             << static_cast<long>(init.age_s) << "s: thread " << w.tid << " blocked writing fd " << w.fd << ", pipe "
             << w.fill.capacity << " B with " << w.fill.bytes << " B queued"
             << (w.read_end_held ? ", read end held by the init itself" : "");
    CheckResult result{"init.blocked", CheckStatus::Fail, evidence.str(),
                       w.read_end_held ? "runc-guardctl doctor --unstick enlarges the pipe so the write completes, losing nothing"
                                       : "the pipe's reader is another process: find and fix it (doctor only un-sticks rc93's export pipe)",
                       data};
    if (unstick_them && w.read_end_held) {
      UnstickResult r = unstick(init, runc_path, kUnstickFallbackBytes, proc_root);
      result.data["unstick"] = {{"unstuck", r.unstuck}, {"attempts", r.attempts}, {"size_before", r.size_before},
                                {"size_after", r.size_after}, {"latency_us", r.latency.count()}, {"error", r.error}};
      if (r.unstuck) {
        result.mark_fixed("un-stuck: pipe " + std::to_string(r.size_before) + " -> " + std::to_string(r.size_after) +
                          " B in " + std::to_string(r.latency.count()) + " us");
      } else {
        result.evidence += "; un-stick failed: " + r.error;
        result.advice = "kill the init (and runc delete --force the container) if it stays blocked";
      }
    }
    results.push_back(std::move(result));
  }
  return results;
}

std::vector<CheckResult> check_guards_on_node(const Config& config, const std::optional<RuncBuild>& runc,
                                              const std::string& runc_path, const DoctorOptions& options) {
  std::vector<CheckResult> out;
  std::vector<std::string> roots = kDefaultRuncStateRoots;
  roots.insert(roots.end(), options.runc_roots.begin(), options.runc_roots.end());
  for (const auto& registration : registered_guards()) {
    auto guard = registration.make();
    const RuncBuild* build = runc ? &*runc : nullptr;
    NodeContext ctx{config, build, runc_path, policy_for_create(config, *guard, build), roots, options.fix,
                    options.proc_root, options.dev_root};
    try {
      for (auto& r : guard->node_checks(ctx)) {
        r.data["guard"] = guard->name();
        r.data["policy"] = policy_name(ctx.policy);
        out.push_back(std::move(r));
      }
    } catch (const std::exception& e) {
      out.push_back(error_result(std::string(guard->name()), std::string("cannot check: ") + e.what()));
    }
  }
  return out;
}

CheckResult check_keeper(const std::string& runc_path, const std::string& proc_root, const std::string& keeper_dir) {
  if (runc_path.empty()) return {"runc_guard.keeper", CheckStatus::Info, "no runc found: nothing to keep", "", {}};
  auto record = read_runc_copy_record(runc_path, keeper_dir);
  struct stat now {};
  const bool running = record && same_process_alive(proc_root, {record->pid, record->start_time});
  // A keeper that began and never published its copy (failed, or killed — OOM, a low RLIMIT_FSIZE) left its
  // attempt marker: on-demand starts are held back for 30 s after each; a steady state of this is a crash loop.
  struct stat attempt {};
  if (!running && ::stat(runc_copy_attempt_path(runc_path, keeper_dir).c_str(), &attempt) == 0)
    return {"runc_guard.keeper", CheckStatus::Warn,
            "a keeper for " + runc_path + " began " + rfc3339_utc(attempt.st_mtim.tv_sec) +
                " and never published its copy (it failed or was killed); runc runs from its path meanwhile",
            "look at the keeper's log (the DaemonSet's keeper container, journalctl -u runc-guard-keeper) and "
            "its memory limit; run `runc-guardctl keeper --runc " + runc_path + "` by hand to see its error",
            {{"runc", runc_path}, {"running", false}, {"attempt", rfc3339_utc(attempt.st_mtim.tv_sec)}}};
  if (!running)
    return {"runc_guard.keeper", CheckStatus::Info,
            "no keeper for " + runc_path + ": runc-guard runs runc from its path (runc protects its binary on every init)",
            "runc-guardctl keeper as a service (the DaemonSet's keeper container, runc-guard-keeper.service)",
            {{"runc", runc_path}, {"running", false}}};
  nlohmann::json data = {{"runc", runc_path}, {"running", true}, {"pid", record->pid}, {"sha256", record->sha256}};
  if (::stat(runc_path.c_str(), &now) != 0 || !record->copied(now))
    return {"runc_guard.keeper", CheckStatus::Warn, "keeper " + std::to_string(record->pid) + " holds a copy of an older " + runc_path,
            "it copies an upgraded runc within seconds; if this stays, restart the keeper", data};
  return {"runc_guard.keeper", CheckStatus::Ok,
          "keeper " + std::to_string(record->pid) + " holds a sealed copy of " + runc_path + " (sha256 " + record->sha256.substr(0, 12) + "…)",
          "", data};
}

int DoctorReport::exit_code() const {
  bool problems = false, incomplete = false;
  for (const auto& c : checks) {
    problems = problems || c.status == CheckStatus::Warn || c.status == CheckStatus::Fail;
    incomplete = incomplete || c.status == CheckStatus::Error;
  }
  return problems ? 1 : incomplete ? 2 : 0;
}

nlohmann::json DoctorReport::to_json() const {
  Json checks_json = Json::array();
  for (const auto& c : checks)
    checks_json.push_back({{"id", c.id}, {"status", status_name(c.status)}, {"evidence", c.evidence},
                           {"advice", c.advice}, {"data", c.data}});
  int code = exit_code();
  return {{"schema", 1},
          {"runc_guard", RUNC_GUARD_VERSION},
          {"result", code == 0 ? "healthy" : code == 1 ? "problems" : "incomplete"},
          {"exit_code", code},
          {"checks", checks_json}};
}

std::string DoctorReport::to_table() const {
  std::size_t status_width = 6, id_width = 5;
  for (const auto& c : checks) id_width = std::max(id_width, c.id.size());
  auto pad = [](std::string s, std::size_t width) {
    s.resize(std::max(s.size(), width), ' ');
    return s;
  };
  std::string out = pad("STATUS", status_width) + "  " + pad("CHECK", id_width) + "  EVIDENCE\n";
  for (const auto& c : checks) {
    // Evidence quotes container ids and paths: shown escaped, never as raw bytes on the operator's terminal.
    out += pad(std::string(status_name(c.status)), status_width) + "  " + pad(printable(c.id), id_width) + "  " +
           printable(c.evidence) + "\n";
    if (!c.advice.empty()) out += std::string(status_width + 2 + id_width + 2, ' ') + "advice: " + printable(c.advice) + "\n";
  }
  return out;
}

DoctorReport run_doctor(const DoctorOptions& options) {
  DoctorReport report;
  bool explicit_config = !options.config_path.empty() || std::getenv(std::string(kConfigEnv).c_str()) != nullptr;
  std::string config_path = options.config_path.empty() ? config_path_from_env() : options.config_path;

  CheckResult config_check = check_runc_guard_config(config_path, explicit_config);
  Config config;
  try {
    config = load_config(config_path, explicit_config);
  } catch (const Error&) {
    // Reported by config_check; the other checks use the defaults.
  }

  std::string release = options.kernel_release;
  if (release.empty()) release = config.kernel_memory.kernel_release;
  if (release.empty()) {
    try {
      release = running_kernel_release();
    } catch (const Error& e) {
      release = std::string(1, '?');  // not = "?": GCC 12 warns a bogus -Wrestrict on that once inlined
    }
  }
  CheckResult kernel = check_kernel_kmem(release, config.kernel_memory.min_kernel);
  bool kernel_at_risk = kernel.status == CheckStatus::Fail;
  report.checks.push_back(std::move(kernel));
  report.checks.push_back(check_memory_cgroup_count(options.proc_root));
  report.checks.push_back(check_kmem_accounting(options.sys_root, kernel_at_risk));
  report.checks.push_back(check_nokmem(options.proc_root, kernel_at_risk));
  auto version_of = options.runc_version ? options.runc_version
                                         : [](const std::string& path) { return probe_runc_version_output(path); };
  std::optional<RuncBuild> build;
  std::vector<CheckResult> runc_checks = check_real_runc(config, version_of, &build);
  report.checks.push_back(check_pipe_limits(options.proc_root,
                                            options.probe_capacity ? options.probe_capacity : [] { return seccomp::probe_pipe_capacity(); },
                                            !build || affected(build->version, RuncIssue::SeccompExportHang)));
  for (auto& r : runc_checks) report.checks.push_back(std::move(r));
  report.checks.push_back(check_virtual_patches(config, build));
  report.checks.push_back(std::move(config_check));
  for (const auto& extra : options.extra_checks) {
    try {
      report.checks.push_back(extra(config));
    } catch (const std::exception& e) {
      report.checks.push_back(error_result("extra", e.what()));
    }
  }
  std::string runc_path;
  try {
    runc_path = locate_real_runc(config, std::getenv("PATH")).path;
  } catch (const Error&) {
    // reported by runc.binary; without a runc nothing can be identified as its init
  }
  report.checks.push_back(check_keeper(runc_path, options.proc_root));
  for (auto& r : check_blocked_inits(options.proc_root, runc_path, options.unstick, options.runc_roots)) report.checks.push_back(std::move(r));
  for (auto& r : check_guards_on_node(config, build, runc_path, options)) report.checks.push_back(std::move(r));
  return report;
}

}  // namespace rg
