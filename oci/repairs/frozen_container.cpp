// Containers left FROZEN (runc-frozen-on-kill, runc-frozen-hangs).
//
// runc freezes a container's cgroup around Set() with the systemd driver on cgroup v1 (rc91 … 1.3.x):
// killed in that window — containerd's timeout — it leaves the cgroup FROZEN, every process in it and any
// later `runc init` stuck, pods Terminating. And runc before 1.1 hangs on a frozen cgroup by itself: create
// into one and exec into a frozen container block forever, delete --force fails after 10 s and leaves the
// container behind (checked here with 1.0.3; 1.1 refuses create/exec and thaws before delete by itself).
//
//   before_runc  create/run/restore into a frozen cgroup and exec into a frozen container are refused where
//                runc would hang; a frozen container is thawed before delete --force where runc would fail.
//                Records the cgroup's freezer state (and whether it existed) for after_runc.
//   in_watchdog  update has no init to watch: runc itself gets the deadline (watchdog.init_timeout_s).
//   after_runc   update (or create into an existing cgroup) found it thawed and left it frozen (runc died or
//                was killed in its freeze window): thawed. A create that left no state.json but cgroups runc
//                made: the runc processes in them that started while this runc ran killed, the cgroups
//                thawed and removed — only when nothing else is in them, only real cgroup directories.
//   node_checks  doctor: frozen containers (paused, or left frozen), and runc inits frozen in a cgroup no
//                container owns (--fix: killed, thawed, cgroup removed).
// Whether a frozen container was paused on purpose cannot be told from the cgroup (runc itself reports
// both as "paused"), so nothing is ever thawed that was frozen before runc-guard ran runc.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "oci/base/child_process.h"
#include "oci/guard/guard.h"
#include "oci/base/files.h"
#include "oci/cgroup.h"
#include "oci/proc/runc_init.h"
#include "oci/repairs/repair_report.h"
#include "oci/runc_state.h"

namespace rg {
namespace {

constexpr std::string_view kName = "frozen-container";

std::string_view freezer_name(std::optional<FreezerState> state) {
  if (!state) return "none";
  switch (*state) {
    case FreezerState::Thawed: return "THAWED";
    case FreezerState::Frozen: return "FROZEN";
    case FreezerState::Freezing: return "FREEZING";
  }
  return "?";
}

bool frozen(std::optional<FreezerState> state) { return state && *state != FreezerState::Thawed; }

// The freezer hierarchy: v1's freezer controller, else the unified v2 hierarchy.
std::optional<CgroupHierarchy> freezer_hierarchy(RootNeeded root = RootNeeded::Yes) {
  if (auto v1 = find_cgroup_hierarchy("freezer", "/proc", root)) return v1;
  return find_cgroup_hierarchy("", "/proc", root);
}

// A runc state's freezer directory (v1 "freezer", v2 the unified path under "").
std::string freezer_dir_of(const RuncState& state) {
  for (const char* key : {"freezer", ""})
    if (auto it = state.cgroup_paths.find(key); it != state.cgroup_paths.end() && !it->second.empty()) return it->second;
  return {};
}

// When every process in the cgroup directories `dirs` (a container's, one per hierarchy) runs the
// configured runc (inits that never became a container's process) and started within `started` (clock
// ticks since boot: the runc invocation's lifetime, so a later create that reuses the path is not taken for
// ours): kills them, thaws the freezer so the kills land, waits for the directories to empty and removes
// them. With anything else in them — or a directory that is not a cgroup or cannot be read — nothing is
// touched.
struct TickRange {
  std::uint64_t first = 0, last = UINT64_MAX;
};
struct CgroupCleanup {
  std::vector<pid_t> killed;
  std::vector<pid_t> left;  // processes that are not runc's: the cgroups are left alone
  std::vector<std::string> removed;
  bool complete = false;  // every directory is gone
};
CgroupCleanup remove_runc_cgroups(const std::string& proc_root, const std::string& runc_path,
                                  const std::vector<std::string>& candidates, TickRange started = {}) {
  CgroupCleanup out;
  std::vector<std::string> dirs;
  for (const std::string& dir : candidates)
    if (is_cgroup_dir(dir)) dirs.push_back(dir);
  RuncBinary runc(runc_path);
  struct Target {
    UniqueFd pidfd;
    ProcessIdentity id;
  };
  std::vector<Target> targets;
  // A runc init that lost its parent is on its way out and may not show its executable for a moment:
  // what is not identified as runc is looked at again for up to a second before the cgroups are left alone.
  for (int look = 0; look < 10; ++look) {
    if (look > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    targets.clear();
    out.left.clear();
    std::set<pid_t> seen;
    for (const std::string& dir : dirs) {
      auto procs = cgroup_procs(dir);
      if (!procs) return out;  // cannot see who is in it: leave everything alone
      for (pid_t pid : *procs) {
        if (!seen.insert(pid).second) continue;
        // The pidfd is taken before the process is identified, and the identity (start time) checked after:
        // a kill through it can only reach the process identified here.
        UniqueFd pidfd = open_pidfd(pid);
        auto st = read_proc_stat(proc_root, pid);
        if (!st || st->state == 'Z' || st->state == 'X') continue;  // gone, or exiting (its exe unreadable)
        if (!runc.runs(proc_root, pid) || st->start_time < started.first || st->start_time > started.last)
          out.left.push_back(pid);
        else
          targets.push_back({std::move(pidfd), {pid, st->start_time}});
      }
    }
    if (out.left.empty()) break;
  }
  if (!out.left.empty()) return out;
  for (Target& t : targets) {
    // Without pidfd (kernels < 5.3) the start time is checked right before kill(2).
    if (!t.pidfd && !same_process_alive(proc_root, t.id)) continue;
    if (t.pidfd ? pidfd_send_sigkill(t.pidfd.get()) : ::kill(t.id.pid, SIGKILL) == 0) out.killed.push_back(t.id.pid);
  }
  for (const std::string& dir : dirs) {
    try {
      if (frozen(read_freezer_state(dir))) thaw_cgroup(dir);
    } catch (const Error&) {
      // gone meanwhile
    }
  }
  auto populated = [&] {
    for (const std::string& dir : dirs)
      if (auto procs = cgroup_procs(dir); procs && !procs->empty()) return true;
    return false;
  };
  for (int i = 0; i < 200 && populated(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // A killed task stays in its cgroup (EBUSY) until its parent reaps it, and orphaned inits wait for
  // pid 1 to do that — some inits poll every couple of seconds.
  std::vector<std::string> pending = dirs;
  bool failed = false;
  for (int i = 0; i < 150 && !pending.empty(); ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::erase_if(pending, [&](const std::string& dir) {
      if (::rmdir(dir.c_str()) == 0) {
        out.removed.push_back(dir);
        return true;
      }
      if (errno == EBUSY) return false;  // try again
      failed = failed || errno != ENOENT;
      return true;
    });
  }
  out.complete = pending.empty() && !failed;
  return out;
}

// A container's cgroup directory in every hierarchy, as runc's driver names it.
std::vector<std::string> container_cgroup_dirs(std::string_view cgroups_path, std::string_view id, bool systemd) {
  std::vector<std::string> dirs;
  for (const CgroupHierarchy& h : all_cgroup_hierarchies("/proc", root_needed_for(cgroups_path, systemd))) {
    try {
      if (!systemd) dirs.push_back(resolve_cgroup_dir(h, cgroups_path, id));
      else if (auto d = resolve_systemd_cgroup_dir(h, cgroups_path)) dirs.push_back(*d);
    } catch (const Error&) {
      // this process sits outside that hierarchy's mounted root: runc would not manage it there either
    }
  }
  return dirs;
}

class FrozenContainerGuard final : public Guard {
 public:
  std::string_view name() const override { return kName; }
  bool applies(const RuncArgs& args) const override {
    return args.does(Trait::Creates) || args.is(Command::Exec) || args.does(Trait::Updates) ||
           (args.does(Trait::Deletes) && args.flag_bool("force"));
  }
  GuardPolicy default_policy(const RuncBuild* runc, const RuncArgs& args) const override {
    // delete --force: only runc before 1.1 needs the thaw (1.1 thaws by itself).
    if (args.does(Trait::Deletes)) return !runc || affected(runc->version, RuncIssue::FrozenCgroupHangs) ? GuardPolicy::Enforce : GuardPolicy::Off;
    return !runc || affected(runc->version, RuncIssue::FreezeLeftOnKill) ||
                   affected(runc->version, RuncIssue::FrozenCgroupHangs)
               ? GuardPolicy::Enforce
               : GuardPolicy::Off;
  }

  void before_runc(InvocationContext& ctx) override {
    const RuncArgs& args = ctx.args();
    command_ = args.command_id;
    watchdog_ = ctx.config.watchdog.enabled;
    const RuncBuild* runc = ctx.runc_build();
    hangs_ = !runc || affected(runc->version, RuncIssue::FrozenCgroupHangs);
    if (args.does(Trait::Creates)) {
      const std::string cgroups_path = view_string(ctx.spec().view(), {"linux", "cgroupsPath"});
      const bool systemd = args.global_bool("systemd-cgroup");
      // The cgroups runc will make: removed again by the watchdog if runc dies leaving no container.
      for (std::string& dir : container_cgroup_dirs(cgroups_path, args.container_id(), systemd)) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0) new_dirs_.push_back(std::move(dir));
      }
      auto hierarchy = freezer_hierarchy(root_needed_for(cgroups_path, systemd));
      if (!hierarchy) return;  // no freezer: nothing can be frozen
      if (systemd) {
        auto dir = resolve_systemd_cgroup_dir(*hierarchy, cgroups_path);
        if (!dir) return;
        dir_ = *dir;
      } else {
        dir_ = resolve_cgroup_dir(*hierarchy, cgroups_path, args.container_id());
      }
    } else {
      const RuncState* state = ctx.container_state();
      if (!state) return;  // runc reports a missing container itself
      dir_ = freezer_dir_of(*state);
    }
    if (dir_.empty()) return;
    before_ = read_freezer_state(dir_);
    if (!frozen(before_)) return;

    nlohmann::json details = {{"cgroup", dir_}, {"freezer", freezer_name(before_)},
                              {"runc_version", runc ? runc->text : "unknown"}};
    if (args.does(Trait::Deletes)) {
      if (!hangs_) return;  // runc 1.1 thaws before it kills
      if (ctx.observe_only()) return emit(ctx, "frozen.thawed", details, true);
      thaw_cgroup(dir_);
      details["freezer_after"] = freezer_name(read_freezer_state(dir_));
      details["reason"] = "delete --force of a frozen container fails on this runc (\"container init still running\")";
      emit(ctx, "frozen.thawed", details, false);
      return;
    }
    if (!hangs_ || args.does(Trait::Updates)) return;  // 1.1 refuses by itself; update does not hang
    const bool creates = args.does(Trait::Creates);
    const std::string what = creates ? "the container's cgroup " + dir_ + " is frozen" : "container " + args.container_id() + " is frozen";
    details["refused"] = creates ? "create into a frozen cgroup" : "exec into a frozen container";
    if (ctx.observe_only()) return emit(ctx, "frozen.refused", details, true);
    emit(ctx, "frozen.refused", details, false);
    throw Error::refusal(what + " (paused, or left frozen by a killed runc): runc " + (runc ? runc->text : std::string("?")) +
                         " would hang forever; " +
                         (creates ? "thaw or remove that cgroup first" : "resume it first (runc resume " + args.container_id() + ")"));
  }

  // After runc: the freezer to compare with, or the cgroup runc made for a create that failed — the
  // watchdog's work, so not when it is switched off.
  bool wants_watchdog() const override { return watchdog_ && (!new_dirs_.empty() || may_thaw()); }

  void in_watchdog(WatchContext& ctx) override {
    if (command_has(command_, Trait::Updates)) ctx.hints.runc_deadline = true;
  }

  void after_runc(WatchContext& ctx, const RuncExit& exit) override {
    const bool creates = command_has(command_, Trait::Creates);
    if (creates && !exit.container_exists) {
      std::vector<std::string> left_behind;  // cgroups runc made for a container that does not exist
      for (const std::string& dir : new_dirs_) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) == 0) left_behind.push_back(dir);
      }
      if (left_behind.empty()) return;  // runc cleaned up after itself
      nlohmann::json details = {{"cgroups", left_behind}, {"freezer", freezer_name(read_freezer_state(dir_))},
                                {"killed_at_deadline", exit.killed_at_deadline},
                                {"reason", "runc exited leaving no container but the cgroups it made"}};
      if (ctx.observe_only()) return emit(ctx, "cgroup.orphan_removed", details, true);
      // Only runc's processes started while this runc ran: not those of a later create reusing the path.
      const TickRange started{ctx.runc.start_time, ticks_since_boot(ctx.proc_root)};
      CgroupCleanup cleanup = remove_runc_cgroups(ctx.proc_root, ctx.call.runc_path, left_behind, started);
      details["inits_killed"] = cleanup.killed;
      details["other_processes"] = cleanup.left;
      details["removed"] = cleanup.complete;
      emit(ctx, "cgroup.orphan_removed", details, false);
      return;
    }
    if (!may_thaw()) return;
    auto now = read_freezer_state(dir_);
    if (!frozen(now)) return;
    nlohmann::json details = {{"cgroup", dir_}, {"freezer_before", freezer_name(before_)},
                              {"freezer_after_runc", freezer_name(now)},
                              {"killed_at_deadline", exit.killed_at_deadline},
                              {"reason", "runc left the container frozen (killed or failed in its freeze window)"}};
    if (ctx.observe_only()) return emit(ctx, "frozen.thawed", details, true);
    thaw_cgroup(dir_);
    details["freezer_now"] = freezer_name(read_freezer_state(dir_));
    emit(ctx, "frozen.thawed", details, false);
  }

  std::vector<CheckResult> node_checks(NodeContext& ctx) override {
    std::vector<CheckResult> out;
    nlohmann::json paused = nlohmann::json::array();
    std::set<std::string> owned;  // the cgroups of containers runc knows
    for (const std::string& root : ctx.runc_roots)
      for (const std::string& id : list_runc_containers(root)) {
        auto state = read_runc_state(root, id);
        if (!state) continue;
        const std::string dir = freezer_dir_of(*state);
        if (dir.empty()) continue;
        owned.insert(dir);
        if (frozen(read_freezer_state(dir))) paused.push_back({{"root", root}, {"id", id}, {"cgroup", dir}});
      }
    if (!paused.empty())
      out.push_back({"frozen.containers", CheckStatus::Info,
                     std::to_string(paused.size()) + " container(s) frozen: paused on purpose, or left frozen by a killed runc",
                     "if nobody paused it: runc --root ROOT resume ID", {{"containers", paused}}});
    if (ctx.runc_path.empty()) return out;
    auto hierarchy = freezer_hierarchy();
    if (!hierarchy) return out;
    // A runc (or runc init) frozen in a cgroup that is no container's: what a killed runc create leaves.
    RuncBinary runc(ctx.runc_path);
    std::set<std::string> reported;
    for (pid_t pid : list_pids(ctx.proc_root)) {
      if (!runc.runs(ctx.proc_root, pid)) continue;
      auto cgroup = read_small_file(ctx.proc_root + "/" + std::to_string(pid) + "/cgroup", 64 * 1024);
      auto found = cgroup ? process_cgroup_dir(*hierarchy, *cgroup) : std::nullopt;
      if (!found || found->empty() || *found == hierarchy->mountpoint || owned.count(*found) ||
          !frozen(read_freezer_state(*found)) || waits_for_known_container(ctx.proc_root, pid) ||
          !reported.insert(*found).second)
        continue;
      const std::string& dir = *found;
      CheckResult r{"frozen.orphaned_init", CheckStatus::Warn,
                    "runc init pid " + std::to_string(pid) + " is frozen in " + dir + " and no container owns it (left by a killed runc)",
                    "runc-guardctl doctor --fix kills it and removes the cgroup",
                    {{"pid", pid}, {"cgroup", dir}}};
      if (ctx.fix && ctx.policy != GuardPolicy::Off) {
        CgroupCleanup cleanup = remove_runc_cgroups(ctx.proc_root, ctx.runc_path, same_leaf_dirs(*cgroup, *hierarchy, dir));
        r.data["fixed"] = {{"killed", cleanup.killed}, {"other_processes", cleanup.left}, {"removed", cleanup.complete}};
        if (cleanup.complete) r.mark_fixed("fixed: killed and removed");
      }
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  // Thawed before, by a command that freezes (update; create with the systemd driver): what is frozen after
  // it was left so by runc. Never after exec, which freezes nothing — a pause meanwhile is someone's intent.
  bool may_thaw() const {
    return !dir_.empty() && before_ && !frozen(before_) &&
           (command_has(command_, Trait::Updates) || command_has(command_, Trait::Creates));
  }

  static std::uint64_t ticks_since_boot(const std::string& proc_root) {
    auto uptime = read_uptime(proc_root);
    return uptime ? static_cast<std::uint64_t>((*uptime + 1) * static_cast<double>(::sysconf(_SC_CLK_TCK))) : UINT64_MAX;
  }

  // A created container's init holds <root>/<id>/exec.fifo open: one whose state.json is there is a
  // container's (under a runc --root doctor was not told about), not a leftover.
  static bool waits_for_known_container(const std::string& proc_root, pid_t pid) {
    for (const FdEntry& fd : list_fds(proc_root, pid)) {
      if (!fd.target.ends_with("/exec.fifo")) continue;
      struct stat st {};
      if (::stat((dirname_of(fd.target) + "/state.json").c_str(), &st) == 0) return true;
    }
    return false;
  }

  // The process's cgroup in every hierarchy, where it is the same leaf as `freezer_dir` in the freezer's
  // (the container's cgroups; a hierarchy where it sits in an inherited parent cgroup is left out).
  static std::vector<std::string> same_leaf_dirs(const std::string& proc_cgroup, const CgroupHierarchy& freezer,
                                                 const std::string& freezer_dir) {
    const std::string rel = freezer_dir.substr(freezer.mountpoint.size());
    std::vector<std::string> dirs;
    for (const CgroupHierarchy& h : all_cgroup_hierarchies())
      if (auto d = process_cgroup_dir(h, proc_cgroup); d && *d == h.mountpoint + rel) dirs.push_back(*d);
    return dirs;
  }

  void emit(InvocationContext& ctx, std::string_view event, nlohmann::json details, bool observe) const {
    report_repair(ctx.config, ctx.events, kName, event, std::move(details), observe);
  }
  void emit(WatchContext& ctx, std::string_view event, nlohmann::json details, bool observe) const {
    report_repair(ctx.config, ctx.events, kName, event, std::move(details), observe);
  }

  Command command_ = Command::None;
  bool watchdog_ = false;
  bool hangs_ = false;
  std::string dir_;                    // the container's freezer cgroup ("" when unknown)
  std::vector<std::string> new_dirs_;  // create: its cgroups in every hierarchy that do not exist yet
  std::optional<FreezerState> before_;
};

}  // namespace

std::unique_ptr<Guard> make_frozen_container_guard() { return std::make_unique<FrozenContainerGuard>(); }

}  // namespace rg
