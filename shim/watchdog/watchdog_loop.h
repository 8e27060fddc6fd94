#pragma once
// The watch itself, run inside the detached watchdog process: find this invocation's runc inits, detect a
// blocked one, un-stick it, enforce the deadline, then do the plan's post-exit work. Everything here is
// separate from the process model (shim/watchdog.cpp) so it can be driven directly.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "oci/guard/event_log.h"
#include "oci/guard/guard.h"
#include "oci/proc/runc_init.h"
#include "shim/watchdog/unstick.h"

namespace rg {

using WatchClock = std::chrono::steady_clock;

// Everything the watchdog needs, copied out of the invocation before the fork: paths are absolute because
// the watchdog leaves the caller's working directory (it must not keep a bundle's mount busy).
struct WatchSpec {
  std::string proc_root = "/proc";
  ProcessIdentity runc;   // the runtime's own pid, which becomes runc's at execve
  std::string runc_path;  // what is exec'd: the identity an init's exe must match
  Command command = Command::None;
  std::string container_id;
  std::string state_root;                 // --root, absolute
  RuncCall call;                          // runc as the caller ran it, for `runc delete --force`
  bool detached = false;                  // run -d / exec -d
  std::string log_path;                   // --log, absolute; "" when not given
  std::string log_format;
  Config config;  // watchdog.*, mode, log.events, metrics — and what the guards' watchdog hooks read

  bool observe() const { return config.mode == Mode::Observe; }
  std::chrono::seconds init_timeout() const { return std::chrono::seconds(config.watchdog.init_timeout_s); }
};

// "Blocked" needs the same thread in a write on the same fd of the same full pipe on two looks this far
// apart.
constexpr std::chrono::milliseconds kBlockedConfirmation{100};

// First look soon after the start, then steady; twice as fast when the seccomp engine predicted a hazard.
struct PollSchedule {
  std::chrono::milliseconds first;
  std::chrono::milliseconds steady;
};
PollSchedule poll_schedule(bool pipe_block_expected);

// Turns one look per init into confirmed blocks, once per episode. Pure: time is passed in.
class BlockDetector {
 public:
  struct Confirmed {
    BlockedWrite write;
    WatchClock::time_point first_seen;
  };
  // Feed what one look found for one init (nullopt: not blocked). Returns the block when this look
  // confirms it; an episode already confirmed is not returned again until the init was seen unblocked.
  std::optional<Confirmed> observe(const ProcessIdentity& init, const std::optional<BlockedWrite>& look,
                                   WatchClock::time_point now);
  // Forget an init (gone or exec'd).
  void forget(const ProcessIdentity& init);
  // When the earliest unconfirmed episode can be confirmed: the watcher looks again right then, so a block
  // is acted on ~100 ms after it was first seen whatever the polling rate.
  std::optional<WatchClock::time_point> next_confirmation_due() const;

 private:
  struct Episode {
    BlockedWrite write;
    WatchClock::time_point first_seen;
    bool confirmed = false;
  };
  std::map<std::pair<pid_t, std::uint64_t>, Episode> episodes_;
};

// The watched runc's descendants. Walked down from runc through /proc/PID/task/TID/children, so a look
// costs what runc's own process tree holds, not what the node runs (a busy node has thousands of
// processes). A descendant stays one when reparented (its known pid and start time are looked at
// directly). Kernels without the children files: every pid is listed, and a process once seen as not
// descending from runc stays so (reparenting only moves processes up), so each look reads stat only for
// new pids and descendants; a full re-read every few seconds covers pid reuse.
class DescendantTracker {
 public:
  DescendantTracker(std::string proc_root, ProcessIdentity root) : proc_root_(std::move(proc_root)), root_(root) {}
  std::vector<ProcStat> refresh();

 private:
  std::optional<std::vector<ProcStat>> walk_children();
  std::vector<ProcStat> scan_all();

  std::string proc_root_;
  ProcessIdentity root_;
  enum class ChildrenFiles { Unknown, Present, Absent };
  ChildrenFiles children_files_ = ChildrenFiles::Unknown;
  std::map<pid_t, std::uint64_t> outsiders_;     // pid → start time (scan_all)
  std::map<pid_t, std::uint64_t> descendants_;  // pid → start time
  unsigned looks_ = 0;
};

enum class WatchEnd { RuncExited, InitExeced, Killed };

// The runc-format line appended to --log when the deadline kills an init.
std::string deadline_message(std::chrono::seconds timeout, const std::optional<BlockedWrite>& last_block,
                             const std::string& last_wait, bool cleaned_up);

class InitWatcher {
 public:
  // runc_pidfd: a pidfd of the watched runc (-1 on kernels without pidfd_open; then /proc is polled).
  // hints: what the guards told the pipe remedy (WatchContext::hints after their in_watchdog hooks).
  InitWatcher(WatchSpec spec, int runc_pidfd, EventLog& events, WatchHints hints = {});
  // Blocks until the watch ends.
  WatchEnd run();
  // True once the watched runc has exited; false after `timeout`.
  bool wait_for_runc_exit(std::chrono::milliseconds timeout);
  // For a command without inits (update): waits for runc, and kills it at the deadline (enforce) or
  // reports it (observe). Killed when the deadline killed it, else RuncExited.
  WatchEnd run_with_runc_deadline();

 private:
  // SIGKILL to the watched runc (through its pidfd; without one, check-then-kill), then up to 2 s for it to
  // exit. Whether the signal was sent.
  bool kill_runc();
  struct TrackedInit {
    ProcessIdentity id;
    std::string comm;
    ExeFile exe;  // recorded on first sight: a change is an exec
  };

  std::vector<TrackedInit> look_for_inits(bool& init_execed);
  void check_for_block(const TrackedInit& init, WatchClock::time_point now);
  void handle_block(const TrackedInit& init, const BlockDetector::Confirmed& block);
  void count(std::string_view metric_name) const noexcept;
  void enforce_deadline(const std::vector<TrackedInit>& inits);

  WatchSpec spec_;
  int runc_pidfd_;
  EventLog& events_;
  WatchHints hints_;
  RuncBinary runc_;
  DescendantTracker descendants_;
  BlockDetector detector_;
  std::map<pid_t, TrackedInit> tracked_;
  std::set<std::pair<pid_t, std::uint64_t>> not_runc_;  // never inits: not runc, or exec'd since
  std::optional<std::string> runc_pid_ns_;               // to recognise the container's process
  std::optional<BlockedWrite> last_block_;
  std::string last_wait_;  // wchan of the last init looked at, for the deadline message
  bool deadline_reported_ = false;
};

}  // namespace rg
