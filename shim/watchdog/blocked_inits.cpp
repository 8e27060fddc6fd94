#include "shim/watchdog/blocked_inits.h"

#include <dirent.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <thread>

#include "oci/args.h"

namespace rg {
namespace {

struct Candidate {
  ProcStat stat;
  ExeFile exe;
  BlockedWrite write;
};

// The container id of an init: a parent runc names it on its command line (create/run/exec); after a
// create the parent is gone, and the state.json that names this pid tells.
std::string container_id_of(const std::string& proc_root, const ProcStat& init, bool parent_is_runc,
                            const FindBlockedOptions& options) {
  if (parent_is_runc) {
    RuncArgs args = parse_runc_args(read_cmdline(proc_root, init.ppid));
    if (args.does(Trait::StartsInit) && !args.container_id().empty()) return args.container_id();
  }
  for (const auto& root : options.state_roots) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(root.c_str()), ::closedir);
    if (!dir) continue;
    while (dirent* e = ::readdir(dir.get())) {
      std::string id = e->d_name;
      if (id == "." || id == "..") continue;
      auto state = read_runc_state(root, id);
      if (state && state->init.pid == init.pid && state->init.start_time == init.start_time) return id;
    }
  }
  return "";
}

std::map<pid_t, Candidate> blocked_init_candidates(const std::string& proc_root, RuncBinary& runc) {
  std::map<pid_t, Candidate> out;
  for (pid_t pid : list_pids(proc_root)) {
    auto st = read_proc_stat(proc_root, pid);
    if (!st || !is_runc_init_comm(st->comm)) continue;
    auto exe = exe_file_of(proc_root, pid);
    if (!exe || !runc.runs(proc_root, pid, exe)) continue;  // a name is not an identity
    if (auto blocked = find_blocked_write(proc_root, {pid, st->start_time}))
      out.emplace(pid, Candidate{*st, *exe, *blocked});
  }
  return out;
}

}  // namespace

std::vector<BlockedInit> find_blocked_inits(const std::string& proc_root, const FindBlockedOptions& options) {
  std::vector<BlockedInit> out;
  RuncBinary runc(options.runc_path);
  auto first = blocked_init_candidates(proc_root, runc);
  if (first.empty()) return out;
  std::this_thread::sleep_for(options.confirm_after);
  auto uptime = read_uptime(proc_root);
  for (const auto& [pid, seen] : first) {
    auto st = read_proc_stat(proc_root, pid);
    if (!st || st->start_time != seen.stat.start_time || st->comm != seen.stat.comm) continue;
    auto exe = exe_file_of(proc_root, pid);
    if (!exe || *exe != seen.exe) continue;  // exec'd in between
    const bool parent_is_runc = runc.runs(proc_root, st->ppid);
    std::string id = container_id_of(proc_root, *st, parent_is_runc, options);
    if (!parent_is_runc && id.empty()) continue;  // neither runc's child nor a container runc knows
    auto again = thread_blocked_write(proc_root, {pid, st->start_time}, seen.write.tid);
    if (!again || !same_blocked_write(*again, seen.write)) continue;
    BlockedInit init;
    init.process = {pid, st->start_time};
    init.comm = st->comm;
    init.exe = *exe;
    if (uptime) init.age_s = seconds_since_start(*uptime, st->start_time);
    init.container_id = std::move(id);
    init.write = *again;
    out.push_back(std::move(init));
  }
  return out;
}

UnstickResult unstick(const BlockedInit& init, const std::string& runc_path, std::size_t min_bytes,
                      const std::string& proc_root) {
  UnstickResult refused;
  auto st = read_proc_stat(proc_root, init.process.pid);
  auto exe = exe_file_of(proc_root, init.process.pid);
  RuncBinary runc(runc_path);
  if (!st || st->start_time != init.process.start_time || st->comm != init.comm || !exe || *exe != init.exe ||
      !runc.runs(proc_root, init.process.pid, exe)) {
    refused.error = "process " + std::to_string(init.process.pid) + " is no longer the blocked init that was found";
    return refused;
  }
  auto now = thread_blocked_write(proc_root, init.process, init.write.tid);
  if (!now || !same_blocked_write(*now, init.write)) {
    refused.unstuck = true;  // it moved on by itself
    return refused;
  }
  if (!now->read_end_held) {
    refused.error = "fd " + std::to_string(now->fd) + " of " + std::to_string(init.process.pid) +
                    " is a pipe another process reads; not touched";
    return refused;
  }
  UnstickOptions options;
  options.proc_root = proc_root;
  options.predicted_bytes = min_bytes;
  return unstick_blocked_write(init.process, *now, options);
}

}  // namespace rg
