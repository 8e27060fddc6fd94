#include "shim/watchdog/watchdog_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "oci/base/child_process.h"
#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "oci/runc_log.h"
#include "oci/guard/metrics.h"
#include "oci/runc_state.h"

namespace rg {

namespace {

using std::chrono::milliseconds;

double ms_between(WatchClock::time_point from, WatchClock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}


}  // namespace

PollSchedule poll_schedule(bool pipe_block_expected) {
  if (pipe_block_expected) return {milliseconds(25), milliseconds(50)};
  return {milliseconds(50), milliseconds(100)};
}

std::optional<BlockDetector::Confirmed> BlockDetector::observe(const ProcessIdentity& init,
                                                               const std::optional<BlockedWrite>& look,
                                                               WatchClock::time_point now) {
  auto key = std::make_pair(init.pid, init.start_time);
  auto it = episodes_.find(key);
  if (!look) {
    if (it != episodes_.end()) episodes_.erase(it);
    return std::nullopt;
  }
  if (it == episodes_.end() || !same_blocked_write(it->second.write, *look)) {
    episodes_[key] = Episode{*look, now, false};
    return std::nullopt;
  }
  Episode& episode = it->second;
  episode.write = *look;  // the latest fill figures
  if (episode.confirmed || now - episode.first_seen < kBlockedConfirmation) return std::nullopt;
  episode.confirmed = true;
  return Confirmed{episode.write, episode.first_seen};
}

void BlockDetector::forget(const ProcessIdentity& init) { episodes_.erase({init.pid, init.start_time}); }

std::optional<WatchClock::time_point> BlockDetector::next_confirmation_due() const {
  std::optional<WatchClock::time_point> due;
  for (const auto& [key, episode] : episodes_) {
    if (episode.confirmed) continue;
    auto at = episode.first_seen + kBlockedConfirmation;
    if (!due || at < *due) due = at;
  }
  return due;
}

std::vector<ProcStat> DescendantTracker::refresh() {
  if (auto walked = walk_children()) return std::move(*walked);
  return scan_all();
}

std::optional<std::vector<ProcStat>> DescendantTracker::walk_children() {
  // Breadth first from runc and from every descendant already known (it may have been reparented): a
  // process is taken when it is known (same start time) or its parent was taken before it.
  std::vector<pid_t> queue{root_.pid};
  for (const auto& [pid, start] : descendants_) queue.push_back(pid);
  std::map<pid_t, std::uint64_t> descendants;
  std::set<pid_t> visited;
  std::vector<ProcStat> out;
  bool any_children_file = false;
  for (std::size_t next = 0; next < queue.size(); ++next) {
    const pid_t pid = queue[next];
    if (!visited.insert(pid).second) continue;
    if (pid != root_.pid) {
      auto st = read_proc_stat(proc_root_, pid);
      if (!st) continue;
      auto known = descendants_.find(pid);
      const bool was_descendant = known != descendants_.end() && known->second == st->start_time;
      if (!was_descendant && st->ppid != root_.pid && !descendants.count(st->ppid)) continue;
      descendants[pid] = st->start_time;
      out.push_back(std::move(*st));
    }
    for (pid_t tid : list_tasks(proc_root_, pid)) {
      auto children = list_task_children(proc_root_, pid, tid);
      if (!children) continue;
      any_children_file = true;
      queue.insert(queue.end(), children->begin(), children->end());
    }
  }
  // No children file anywhere: this kernel has none (or runc and all we knew are gone, when a scan finds
  // nothing either) — list every pid instead.
  if (!any_children_file) {
    if (children_files_ == ChildrenFiles::Unknown)
      children_files_ = list_task_children(proc_root_, ::getpid(), ::getpid()) ? ChildrenFiles::Present : ChildrenFiles::Absent;
    if (children_files_ == ChildrenFiles::Absent) return std::nullopt;
  }
  descendants_ = std::move(descendants);
  std::sort(out.begin(), out.end(), [](const ProcStat& a, const ProcStat& b) { return a.pid < b.pid; });
  return out;
}

std::vector<ProcStat> DescendantTracker::scan_all() {
  // Every ~3 s at the steady rate, re-read everything: a pid may have been reused.
  if (++looks_ % 32 == 0) outsiders_.clear();
  std::vector<ProcStat> fresh;
  std::map<pid_t, std::uint64_t> still_outside;
  for (pid_t pid : list_pids(proc_root_)) {
    if (pid == root_.pid) continue;
    if (auto it = outsiders_.find(pid); it != outsiders_.end()) {
      still_outside.insert(*it);
      continue;
    }
    if (auto st = read_proc_stat(proc_root_, pid)) fresh.push_back(std::move(*st));
  }
  // Classify the freshly read: a descendant's parent is the root or a descendant (possibly also fresh).
  std::map<pid_t, std::uint64_t> descendants;
  auto is_known_descendant = [&](const ProcStat& st) {
    auto it = descendants_.find(st.pid);
    return it != descendants_.end() && it->second == st.start_time;
  };
  bool changed = true;
  std::vector<bool> inside(fresh.size(), false);
  while (changed) {
    changed = false;
    for (std::size_t i = 0; i < fresh.size(); ++i) {
      if (inside[i]) continue;
      const ProcStat& st = fresh[i];
      if (is_known_descendant(st) || st.ppid == root_.pid || descendants.count(st.ppid)) {
        inside[i] = true;
        descendants[st.pid] = st.start_time;
        changed = true;
      }
    }
  }
  std::vector<ProcStat> out;
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    if (inside[i]) out.push_back(fresh[i]);
    else still_outside[fresh[i].pid] = fresh[i].start_time;
  }
  descendants_ = std::move(descendants);
  outsiders_ = std::move(still_outside);
  return out;
}

std::string deadline_message(std::chrono::seconds timeout, const std::optional<BlockedWrite>& last_block,
                             const std::string& last_wait, bool cleaned_up) {
  std::string why;
  if (last_block) {
    why = "blocked writing fd " + std::to_string(last_block->fd) + ", pipe " +
          std::to_string(last_block->fill.capacity) + " B full";
  } else if (!last_wait.empty() && last_wait != "0") {
    why = "waiting in " + last_wait;
  } else {
    why = "still running";
  }
  return "runc-guard: runc init did not finish within " + std::to_string(timeout.count()) + "s (" + why + "); killed" +
         (cleaned_up ? " and cleaned up" : "");
}

InitWatcher::InitWatcher(WatchSpec spec, int runc_pidfd, EventLog& events, WatchHints hints)
    : spec_(std::move(spec)),
      runc_pidfd_(runc_pidfd),
      events_(events),
      hints_(hints),
      runc_(spec_.runc_path),
      descendants_(spec_.proc_root, spec_.runc) {}

bool InitWatcher::wait_for_runc_exit(milliseconds timeout) {
  if (runc_pidfd_ >= 0) {
    pollfd p{runc_pidfd_, POLLIN, 0};
    int n;
    do n = ::poll(&p, 1, static_cast<int>(std::max<long>(0, timeout.count())));
    while (n < 0 && errno == EINTR);
    return n > 0;
  }
  auto until = WatchClock::now() + timeout;
  for (;;) {
    if (!same_process_alive(spec_.proc_root, spec_.runc)) return true;
    auto left = until - WatchClock::now();
    if (left <= milliseconds(0)) return false;
    std::this_thread::sleep_for(std::min<WatchClock::duration>(left, milliseconds(10)));
  }
}

std::vector<InitWatcher::TrackedInit> InitWatcher::look_for_inits(bool& init_execed) {
  std::vector<TrackedInit> inits;
  if (spec_.command == Command::Start) {
    // The init was started by an earlier `runc create`: not our child; state.json names it.
    if (auto state = read_runc_state(spec_.state_root, spec_.container_id)) {
      auto st = read_proc_stat(spec_.proc_root, state->init.pid);
      auto exe = st ? exe_file_of(spec_.proc_root, st->pid) : std::nullopt;
      auto known = tracked_.find(state->init.pid);
      if (known != tracked_.end() && (!exe || !(known->second.exe == *exe))) return inits;  // exec'd: done
      if (st && st->start_time == state->init.start_time && is_runc_init_comm(st->comm) && exe &&
          runc_.runs(spec_.proc_root, st->pid, exe)) {
        TrackedInit init{state->init, st->comm, *exe};
        tracked_[init.id.pid] = init;
        inits.push_back(init);
      }
    }
    return inits;
  }
  std::map<pid_t, TrackedInit> seen;
  for (const ProcStat& st : descendants_.refresh()) {
    const ProcessIdentity id{st.pid, st.start_time};
    const auto key = std::make_pair(st.pid, st.start_time);
    if (not_runc_.count(key)) continue;
    auto tracked = tracked_.find(st.pid);
    const bool was_init = tracked != tracked_.end() && tracked->second.id.start_time == st.start_time;
    if (was_init) {
      // The identity recorded on first sight: any change of the executable is an exec, and the end of it
      // as an init — it is never taken for one again.
      auto exe = exe_file_of(spec_.proc_root, st.pid);
      if (!exe || !(*exe == tracked->second.exe)) {
        not_runc_.insert(key);
        init_execed = true;  // same process, no longer runc: it exec'd the user's process
        continue;
      }
      seen[st.pid] = TrackedInit{id, st.comm, *exe};
      inits.push_back(seen[st.pid]);
      continue;
    }
    // Only runc's own children can be its inits (every stage is cloned with CLONE_PARENT), and only if
    // they run our runc: a process of the container (a descendant too, for a foreground run) can take any
    // name and run from any memfd.
    if (st.ppid != spec_.runc.pid) continue;
    auto exe = exe_file_of(spec_.proc_root, st.pid);
    if (exe && runc_.runs(spec_.proc_root, st.pid, exe)) {
      if (is_runc_init_comm(st.comm)) {
        seen[st.pid] = TrackedInit{id, st.comm, *exe};
        inits.push_back(seen[st.pid]);
      }
      continue;  // runc itself before it renamed the child: looked at again next time
    }
    // A healthy init may live and exec between two looks. runc's child that is not runc and lives in
    // another pid namespace (the container's) is the user's process: the init has exec'd. Hooks run in
    // runc's own namespace and do not count.
    not_runc_.insert(key);
    if (!runc_pid_ns_) runc_pid_ns_ = read_namespace(spec_.proc_root, spec_.runc.pid, "pid");
    auto ns = read_namespace(spec_.proc_root, st.pid, "pid");
    if (ns && runc_pid_ns_ && *ns != *runc_pid_ns_) init_execed = true;
  }
  for (const auto& [pid, init] : tracked_)
    if (!seen.count(pid)) detector_.forget(init.id);
  tracked_ = std::move(seen);
  return inits;
}

void InitWatcher::check_for_block(const TrackedInit& init, WatchClock::time_point now) {
  auto look = find_blocked_write(spec_.proc_root, init.id);
  if (auto confirmed = detector_.observe(init.id, look, now)) handle_block(init, *confirmed);
}

void InitWatcher::count(std::string_view metric_name) const noexcept {
  if (spec_.config.metrics.textfile_dir.empty()) return;
  try {
    add_to_counter_file(spec_.config.metrics.textfile_dir, metric_name, {}, 1);
  } catch (...) {
    // Metrics are best effort.
  }
}

void InitWatcher::handle_block(const TrackedInit& init, const BlockDetector::Confirmed& block) {
  const BlockedWrite& w = block.write;
  last_block_ = w;
  std::string action = "unstick";
  if (spec_.observe()) action = "observe";
  else if (!spec_.config.watchdog.unstick) action = "report (watchdog.unstick is off)";
  else if (!w.read_end_held) action = "report (another process holds the read end)";
  count(metric::kInitBlocked);
  events_.emit("init.blocked", {{"pid", init.id.pid},
                                {"comm", init.comm},
                                {"tid", w.tid},
                                {"fd", w.fd},
                                {"pipe_inode", w.pipe_inode},
                                {"pipe_size", w.fill.capacity},
                                {"pipe_bytes", w.fill.bytes},
                                {"wchan", w.wchan},
                                {"read_end_held", w.read_end_held},
                                {"seen_blocked_ms", ms_between(block.first_seen, WatchClock::now())},
                                {"runc_pid", spec_.runc.pid},
                                {"action", action}});
  if (action != "unstick") return;
  // Identity re-check right before touching it: same pid, start time, still the init recorded first.
  auto st = read_proc_stat(spec_.proc_root, init.id.pid);
  auto exe = exe_file_of(spec_.proc_root, init.id.pid);
  if (!st || st->start_time != init.id.start_time || !is_runc_init_comm(st->comm) || !exe || !(*exe == init.exe))
    return;
  UnstickOptions options;
  options.proc_root = spec_.proc_root;
  options.predicted_bytes = hints_.pipe_write_bytes;
  UnstickResult r = unstick_blocked_write(init.id, w, options);
  double latency_ms = ms_between(block.first_seen, WatchClock::now());
  nlohmann::json details = {{"pid", init.id.pid},
                            {"fd", w.fd},
                            {"bytes_before", r.bytes_before},
                            {"bytes_after", r.bytes_after},
                            {"pipe_size_before", r.size_before},
                            {"pipe_size_after", r.size_after},
                            {"attempts", r.attempts},
                            {"latency_ms", latency_ms},
                            {"unstick_ms", r.latency.count() / 1000.0}};
  if (r.unstuck) {
    last_block_.reset();
    events_.emit("init.unstuck", details);
    count(metric::kInitUnstuck);
  } else {
    details["error"] = r.error;
    events_.emit("init.unstick_failed", details);
  }
}

void InitWatcher::enforce_deadline(const std::vector<TrackedInit>& inits) {
  bool cleans_up = command_has(spec_.command, Trait::Creates);
  if (!inits.empty()) last_wait_ = read_task_wchan(spec_.proc_root, inits.front().id.pid, inits.front().id.pid).value_or("");
  std::string message = deadline_message(spec_.init_timeout(), last_block_, last_wait_, cleans_up);
  nlohmann::json details = {{"timeout_s", spec_.init_timeout().count()}, {"runc_pid", spec_.runc.pid}, {"message", message}};
  if (spec_.observe()) {
    deadline_reported_ = true;
    details["action"] = "observe";
    events_.emit("init.deadline_exceeded", details);
    return;
  }
  // The user's line first: the caller reads --log as soon as runc dies.
  RuncLog(spec_.log_path, spec_.log_format).write(LogLevel::Error, message);
  nlohmann::json killed = nlohmann::json::array();
  for (const TrackedInit& init : inits) {
    // With a pidfd the pid cannot be reused after the checks below. Without one (kernels < 5.3, CentOS 7)
    // it is check-then-kill: the slow check (the executable) goes first, and only a read of
    // /proc/PID/stat separates the last check from kill(2).
    UniqueFd pidfd = open_pidfd(init.id.pid);
    auto exe = exe_file_of(spec_.proc_root, init.id.pid);
    if (!exe || !(*exe == init.exe)) continue;
    auto st = read_proc_stat(spec_.proc_root, init.id.pid);
    if (!st || st->start_time != init.id.start_time) continue;
    bool sent = pidfd ? pidfd_send_sigkill(pidfd.get()) : ::kill(init.id.pid, SIGKILL) == 0;
    if (sent) killed.push_back(init.id.pid);
  }
  details["inits_killed"] = killed;
  details["runc_killed"] = kill_runc();
  if (cleans_up) details["delete_force_exit"] = spec_.call.delete_force(spec_.container_id, milliseconds(10000));
  events_.emit("init.killed", details);
  count(metric::kInitKilled);
}

bool InitWatcher::kill_runc() {
  bool killed = false;
  if (runc_pidfd_ >= 0) killed = pidfd_send_sigkill(runc_pidfd_);
  else if (same_process_alive(spec_.proc_root, spec_.runc)) killed = ::kill(spec_.runc.pid, SIGKILL) == 0;
  wait_for_runc_exit(milliseconds(2000));
  return killed;
}

WatchEnd InitWatcher::run_with_runc_deadline() {
  if (wait_for_runc_exit(spec_.init_timeout())) return WatchEnd::RuncExited;
  const std::string message = "runc-guard: runc " + std::string(command_name(spec_.command)) + " did not finish within " +
                              std::to_string(spec_.init_timeout().count()) + "s; killed";
  nlohmann::json details = {{"timeout_s", spec_.init_timeout().count()}, {"runc_pid", spec_.runc.pid}, {"message", message}};
  if (spec_.observe()) {
    details["action"] = "observe";
    events_.emit("runc.deadline_exceeded", details);
    while (!wait_for_runc_exit(std::chrono::minutes(1))) {
    }
    return WatchEnd::RuncExited;
  }
  RuncLog(spec_.log_path, spec_.log_format).write(LogLevel::Error, message);
  details["runc_killed"] = kill_runc();
  events_.emit("runc.killed", details);
  return WatchEnd::Killed;
}

WatchEnd InitWatcher::run() {
  const PollSchedule schedule = poll_schedule(hints_.pipe_block_expected);
  const auto started = WatchClock::now();
  const auto deadline = started + spec_.init_timeout();
  auto next_look = started + schedule.first;
  bool waits_for_exec = command_has(spec_.command, Trait::Foreground) && !spec_.detached;
  for (;;) {
    // Rounded up: waking a little early would make a confirmation look fall short of 100 ms.
    auto wait = std::chrono::ceil<milliseconds>(next_look - WatchClock::now());
    if (wait_for_runc_exit(std::max(wait, milliseconds(0)))) return WatchEnd::RuncExited;
    auto now = WatchClock::now();
    bool init_execed = false;
    std::vector<TrackedInit> inits = look_for_inits(init_execed);
    if (init_execed && waits_for_exec) return WatchEnd::InitExeced;
    for (const TrackedInit& init : inits) check_for_block(init, now);
    if (now >= deadline && !inits.empty() && !deadline_reported_) {
      enforce_deadline(inits);
      if (!spec_.observe()) return WatchEnd::Killed;
    }
    next_look = now + schedule.steady;
    if (auto due = detector_.next_confirmation_due()) next_look = std::min(next_look, *due + milliseconds(1));
  }
}

}  // namespace rg
