#include "oci/guard/metrics.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <charconv>
#include <cstdlib>

#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "oci/base/files.h"

namespace rg {
namespace {

std::string_view help_for(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kHelp[] = {
      {metric::kInvocations, "runc invocations through runc-guard, by runc command."},
      {metric::kKmemStripped, "Kernel-memory limits removed from a spec or update on an old kernel."},
      {metric::kKmemRejected, "Creates or updates refused because they set kernel-memory limits on an old kernel."},
      {metric::kKmemAccountingPrevented, "Memory cgroups pre-created so that an old runc does not switch kmem accounting on."},
      {metric::kSeccompHazard, "Creates whose seccomp program is larger than the pipe runc init would get, by action."},
      {metric::kInitBlocked, "runc init processes found blocked writing to a full pipe."},
      {metric::kInitUnstuck, "Blocked runc init processes un-stuck without loss by enlarging their pipe."},
      {metric::kInitKilled, "runc init processes killed at the init deadline."},
      {metric::kGuardRefused, "Invocations refused by a guard (runc never ran), by guard."},
      {metric::kGuardFailed, "Internal guard failures that failed open (runc ran unguarded), by guard."},
      {metric::kVirtualPatch, "Invocations a virtual patch found a runc CVE's trigger in, by CVE and action (refused, stripped, observed)."},
      {metric::kRepairs, "Node-killer repairs and refusals by the watchdog guards, by guard and action."},
      {metric::kKeeperStarts, "On-demand keeper starts: forked (started), held back because one failed or was killed within the last 30 s (deferred), not forked at all (failed)."},
  };
  for (const auto& [metric_name, help] : kHelp)
    if (metric_name == name) return help;
  return "runc-guard counter.";
}

void escape_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string_view metric_name_of(std::string_view key) { return key.substr(0, key.find('{')); }

}  // namespace

std::string series_key(std::string_view name, std::initializer_list<MetricLabel> labels) {
  std::string key(name);
  if (labels.size() == 0) return key;
  key += '{';
  bool first = true;
  for (const auto& label : labels) {
    if (!first) key += ',';
    first = false;
    key += label.name;
    key += "=\"";
    escape_label_value(key, label.value);
    key += '"';
  }
  key += '}';
  return key;
}

CounterSet parse_counters(std::string_view text) {
  CounterSet counters;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    // The value follows the last space; label values we write never contain a raw newline.
    auto space = line.rfind(' ');
    if (space == std::string_view::npos || space == 0) continue;
    std::string_view value = line.substr(space + 1);
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size()) continue;
    counters[std::string(line.substr(0, space))] = n;
  }
  return counters;
}

std::string format_counters(const CounterSet& counters) {
  std::string out;
  std::string_view current;
  for (const auto& [key, value] : counters) {
    std::string_view name = metric_name_of(key);
    if (name != current) {
      current = name;
      out += "# HELP " + std::string(name) + " " + std::string(help_for(name)) + "\n";
      out += "# TYPE " + std::string(name) + " counter\n";
    }
    out += key + " " + std::to_string(value) + "\n";
  }
  return out;
}

void add_to_counter_file(const std::string& dir, std::string_view name, std::initializer_list<MetricLabel> labels,
                         std::uint64_t n) {
  const std::string path = dir + "/" + std::string(kMetricsFileName);
  // A lock file of its own: the data file is replaced by rename, so a lock on it would not exclude anyone.
  const std::string lock_path = dir + "/.runc_guard.prom.lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock && errno == ENOENT) {
    // A tmpfs directory such as /run/runc-guard/metrics is gone after a reboot: create it (one level).
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw Error::from_errno("mkdir " + dir);
    lock.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  }
  if (!lock) throw Error::from_errno("open " + lock_path);
  // Bounded in time: a stopped or stuck lock holder must not hang every runc call on the node; past the
  // bound the count is dropped. Polled often: holders keep it well under a millisecond, and a waiter that
  // looked rarely would keep losing to invocations arriving later.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) throw Error::from_errno("flock " + lock_path);
    if (std::chrono::steady_clock::now() >= give_up)
      throw Error("metrics lock " + lock_path + " held for over 0.5 s; dropping this count");
    ::usleep(100);
  }

  CounterSet counters;
  {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd) counters = parse_counters(read_fd(fd.get(), path));
    else if (errno != ENOENT) throw Error::from_errno("open " + path);
  }
  counters[series_key(name, labels)] += n;
  std::string text = format_counters(counters);

  // No fsync: a counter file lost in a power cut is a counter reset, which Prometheus handles, and every
  // invocation would pay for the sync. 0644: node_exporter usually runs as nobody.
  write_file_atomic(path, text, FileOwnership{0644, ::geteuid(), ::getegid()}, Symlink::Replace, Durability::Atomic);
}

void count_metric(const Config& config, std::string_view name, std::initializer_list<MetricLabel> labels,
                  std::uint64_t n) noexcept {
  if (config.metrics.textfile_dir.empty()) return;
  try {
    add_to_counter_file(config.metrics.textfile_dir, name, labels, n);
  } catch (...) {
    // Best effort: a full disk or a missing directory must never fail a container.
  }
}

}  // namespace rg
