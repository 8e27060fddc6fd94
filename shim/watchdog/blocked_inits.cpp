#include "shim/watchdog/blocked_inits.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "oci/args.h"
#include "oci/base/files.h"

namespace rg {

bool is_runc_init_comm(std::string_view comm) {
  return comm == "runc:[0:PARENT]" || comm == "runc:[1:CHILD]" || comm == "runc:[2:INIT]";
}

bool is_runc_memfd_link(std::string_view exe_link) {
  constexpr std::string_view prefix = "/memfd:runc_cloned:";
  return exe_link.substr(0, prefix.size()) == prefix;
}

std::optional<FileId> file_id_of(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

bool exe_is_runc(const ExeIdentity& exe, const std::optional<FileId>& real_runc) {
  if (is_runc_memfd_link(exe.link)) return true;
  return real_runc && exe.dev == real_runc->dev && exe.ino == real_runc->ino;
}

bool same_process_alive(const std::string& proc_root, const ProcessIdentity& who) {
  auto st = read_proc_stat(proc_root, who.pid);
  return st && st->start_time == who.start_time && st->state != 'Z' && st->state != 'X';
}

std::optional<StateInit> read_state_init(const std::string& state_root, const std::string& id) {
  try {
    auto j = nlohmann::json::parse(read_file(state_root + "/" + id + "/state.json"));
    const auto& pid = j.at("init_process_pid");
    const auto& start = j.at("init_process_start");
    StateInit out;
    out.init.pid = pid.get<pid_t>();
    // runc writes a number; very old versions wrote a string.
    out.init.start_time = start.is_string() ? std::stoull(start.get<std::string>()) : start.get<std::uint64_t>();
    if (out.init.pid <= 0) return std::nullopt;
    return out;
  } catch (const std::exception&) {
    return std::nullopt;  // no container, not created yet, or being written
  }
}

namespace {

// The container id of an init: a parent runc names it on its command line (create/run/exec); after a
// create the parent is gone, and the state.json that names this pid tells.
std::string container_id_of(const std::string& proc_root, const ProcStat& init, const FindBlockedOptions& options) {
  auto parent_argv = read_cmdline(proc_root, init.ppid);
  if (!parent_argv.empty()) {
    RuncArgs args = parse_runc_args(parent_argv);
    if (args.does(Trait::StartsInit) && !args.container_id().empty()) return args.container_id();
  }
  for (const auto& root : options.state_roots) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(root.c_str()), ::closedir);
    if (!dir) continue;
    while (dirent* e = ::readdir(dir.get())) {
      std::string id = e->d_name;
      if (id == "." || id == "..") continue;
      auto state = read_state_init(root, id);
      if (state && state->init.pid == init.pid && state->init.start_time == init.start_time) return id;
    }
  }
  return "";
}

struct Candidate {
  ProcStat stat;
  BlockedWrite write;
};

std::map<pid_t, Candidate> blocked_init_candidates(const std::string& proc_root) {
  std::map<pid_t, Candidate> out;
  for (pid_t pid : list_pids(proc_root)) {
    auto st = read_proc_stat(proc_root, pid);
    if (!st || !is_runc_init_comm(st->comm)) continue;
    if (auto blocked = find_blocked_write(proc_root, pid)) out.emplace(pid, Candidate{*st, *blocked});
  }
  return out;
}

}  // namespace

std::vector<BlockedInit> find_blocked_inits(const std::string& proc_root, const FindBlockedOptions& options) {
  std::vector<BlockedInit> out;
  auto first = blocked_init_candidates(proc_root);
  if (first.empty()) return out;
  std::this_thread::sleep_for(options.confirm_after);
  long ticks_per_s = ::sysconf(_SC_CLK_TCK);
  auto uptime = read_uptime(proc_root);
  for (const auto& [pid, seen] : first) {
    auto st = read_proc_stat(proc_root, pid);
    if (!st || st->start_time != seen.stat.start_time) continue;
    auto again = thread_blocked_write(proc_root, pid, seen.write.tid);
    if (!again || !same_blocked_write(*again, seen.write)) continue;
    auto exe = read_exe(proc_root, pid);
    BlockedInit init;
    init.process = {pid, st->start_time};
    init.comm = st->comm;
    if (exe) init.exe = *exe;
    if (uptime && ticks_per_s > 0) init.age_s = *uptime - static_cast<double>(st->start_time) / ticks_per_s;
    init.container_id = container_id_of(proc_root, *st, options);
    init.write = *again;
    out.push_back(std::move(init));
  }
  return out;
}

UnstickResult unstick(const BlockedInit& init, std::size_t min_bytes, const std::string& proc_root) {
  UnstickResult refused;
  auto st = read_proc_stat(proc_root, init.process.pid);
  auto exe = read_exe(proc_root, init.process.pid);
  if (!st || st->start_time != init.process.start_time || st->comm != init.comm || !exe || exe->dev != init.exe.dev ||
      exe->ino != init.exe.ino) {
    refused.error = "process " + std::to_string(init.process.pid) + " is no longer the blocked init that was found";
    return refused;
  }
  auto now = thread_blocked_write(proc_root, init.process.pid, init.write.tid);
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
  return unstick_blocked_write(init.process.pid, *now, options);
}

}  // namespace rg
