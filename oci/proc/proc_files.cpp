#include "oci/proc/proc_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>

#include "oci/base/fd.h"
#include "oci/base/files.h"

namespace rg {
namespace {

std::string pid_dir(const std::string& proc_root, pid_t pid) { return proc_root + "/" + std::to_string(pid); }

std::string task_dir(const std::string& proc_root, pid_t pid, pid_t tid) {
  return pid_dir(proc_root, pid) + "/task/" + std::to_string(tid);
}

template <typename T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view trim_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::vector<pid_t> numeric_entries(const std::string& dir) {
  std::vector<pid_t> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return out;
  while (dirent* e = ::readdir(d.get())) {
    if (auto n = parse_number<pid_t>(e->d_name)) out.push_back(*n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  // comm may contain spaces and ')': it runs from the first '(' to the last ')'.
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  ProcStat st;
  auto pid = parse_number<pid_t>(trim_newline(text.substr(0, open)));
  if (!pid) return std::nullopt;
  st.pid = *pid;
  st.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields from 3 on; field N is rest[N - 3].
  auto rest = split_spaces(text.substr(close + 1));
  if (rest.size() < 20 || rest[0].size() != 1) return std::nullopt;
  st.state = rest[0][0];
  auto ppid = parse_number<pid_t>(rest[1]);
  auto start = parse_number<std::uint64_t>(rest[22 - 3]);
  if (!ppid || !start) return std::nullopt;
  st.ppid = *ppid;
  st.start_time = *start;
  return st;
}

std::optional<ProcStat> read_proc_stat(const std::string& proc_root, pid_t pid) {
  auto text = read_small_file(pid_dir(proc_root, pid) + "/stat");
  if (!text) return std::nullopt;
  return parse_proc_stat(*text);
}

std::vector<pid_t> list_pids(const std::string& proc_root) { return numeric_entries(proc_root); }

std::vector<pid_t> list_tasks(const std::string& proc_root, pid_t pid) {
  return numeric_entries(pid_dir(proc_root, pid) + "/task");
}

std::optional<std::vector<pid_t>> list_task_children(const std::string& proc_root, pid_t pid, pid_t tid) {
  auto text = read_small_file(task_dir(proc_root, pid, tid) + "/children", std::size_t{4} << 20);
  if (!text) return std::nullopt;
  std::vector<pid_t> out;
  for (std::string_view field : split_spaces(*text))
    if (auto n = parse_number<pid_t>(field); n && *n > 0) out.push_back(*n);
  return out;
}

std::optional<std::string> read_task_wchan(const std::string& proc_root, pid_t pid, pid_t tid) {
  auto text = read_small_file(task_dir(proc_root, pid, tid) + "/wchan");
  if (!text) return std::nullopt;
  return std::string(trim_newline(*text));
}

std::optional<SyscallState> parse_task_syscall(std::string_view text) {
  auto fields = split_spaces(text);
  if (fields.empty() || fields[0] == "running") return std::nullopt;
  auto nr = parse_number<long>(fields[0]);
  if (!nr || *nr < 0 || fields.size() < 7) return std::nullopt;
  SyscallState st;
  st.number = *nr;
  for (std::size_t i = 0; i < 6; ++i) {
    std::string_view f = fields[i + 1];
    if (f.substr(0, 2) != "0x") return std::nullopt;
    auto v = parse_number<std::uint64_t>(f.substr(2), 16);
    if (!v) return std::nullopt;
    st.args[i] = *v;
  }
  return st;
}

std::optional<SyscallState> read_task_syscall(const std::string& proc_root, pid_t pid, pid_t tid) {
  auto text = read_small_file(task_dir(proc_root, pid, tid) + "/syscall");
  if (!text) return std::nullopt;
  return parse_task_syscall(*text);
}

std::optional<std::string> read_fd_target(const std::string& proc_root, pid_t pid, int fd) {
  return read_link(pid_dir(proc_root, pid) + "/fd/" + std::to_string(fd));
}

std::optional<std::uint64_t> parse_pipe_inode(std::string_view target) {
  constexpr std::string_view prefix = "pipe:[";
  if (target.substr(0, prefix.size()) != prefix || target.empty() || target.back() != ']') return std::nullopt;
  return parse_number<std::uint64_t>(target.substr(prefix.size(), target.size() - prefix.size() - 1));
}

std::vector<FdEntry> list_fds(const std::string& proc_root, pid_t pid) {
  std::vector<FdEntry> out;
  for (pid_t fd : numeric_entries(pid_dir(proc_root, pid) + "/fd")) {
    if (auto target = read_fd_target(proc_root, pid, fd)) out.push_back({fd, *target});
  }
  return out;
}

std::optional<int> parse_fdinfo_access_mode(std::string_view text) {
  constexpr std::string_view key = "flags:";
  auto at = text.find(key);
  if (at == std::string_view::npos || (at > 0 && text[at - 1] != '\n')) return std::nullopt;
  auto line = text.substr(at + key.size());
  line = line.substr(0, line.find('\n'));
  auto fields = split_spaces(line);
  if (fields.empty()) return std::nullopt;
  auto flags = parse_number<unsigned>(fields[0], 8);
  if (!flags) return std::nullopt;
  return static_cast<int>(*flags & O_ACCMODE);
}

std::optional<int> read_fd_access_mode(const std::string& proc_root, pid_t pid, int fd) {
  auto text = read_small_file(pid_dir(proc_root, pid) + "/fdinfo/" + std::to_string(fd));
  if (!text) return std::nullopt;
  return parse_fdinfo_access_mode(*text);
}

std::optional<std::string> read_namespace(const std::string& proc_root, pid_t pid, const std::string& name) {
  return read_link(pid_dir(proc_root, pid) + "/ns/" + name);
}

std::vector<std::string> read_cmdline(const std::string& proc_root, pid_t pid) {
  std::vector<std::string> out;
  auto text = read_small_file(pid_dir(proc_root, pid) + "/cmdline");
  if (!text) return out;
  std::size_t start = 0;
  while (start < text->size()) {
    std::size_t end = text->find('\0', start);
    if (end == std::string::npos) end = text->size();
    out.push_back(text->substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool same_process_alive(const std::string& proc_root, const ProcessIdentity& who) {
  auto st = read_proc_stat(proc_root, who.pid);
  return st && st->start_time == who.start_time && st->state != 'Z' && st->state != 'X';
}

std::optional<double> read_uptime(const std::string& proc_root) {
  auto text = read_small_file(proc_root + "/uptime");
  if (!text) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text->c_str(), &end);
  if (end == text->c_str()) return std::nullopt;
  return v;
}

double seconds_since_start(double uptime_s, std::uint64_t start_time) {
  static const long ticks_per_s = ::sysconf(_SC_CLK_TCK);
  return uptime_s - static_cast<double>(start_time) / static_cast<double>(ticks_per_s > 0 ? ticks_per_s : 100);
}

}  // namespace rg
