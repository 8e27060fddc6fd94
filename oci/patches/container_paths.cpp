#include "oci/patches/container_paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <deque>

#include "oci/base/text.h"
#include "oci/spec.h"

namespace rg {
namespace {

constexpr int kMaxLinks = 40;  // the kernel's MAXSYMLINKS

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  for (std::string_view c : split(path, '/'))
    if (!c.empty() && c != ".") out.emplace_back(c);
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  if (parts.empty()) return "/";
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out;
}

// Lexically clean absolute path ("" stays "/").
std::string clean(std::string_view path) {
  std::vector<std::string> out;
  for (auto& c : components(path)) {
    if (c == "..") {
      if (!out.empty()) out.pop_back();
    } else {
      out.push_back(std::move(c));
    }
  }
  return join(out);
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool is_process_dir(std::string_view name) { return name == "self" || name == "thread-self" || all_digits(name); }

std::optional<std::string> host_link(const std::string& host_path) {
  struct stat st {};
  if (::lstat(host_path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return std::nullopt;
  char buf[4096];
  ssize_t n = ::readlink(host_path.c_str(), buf, sizeof buf);
  if (n <= 0) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

const ContainerFs::Mount* mount_covering(const ContainerFs& fs, const std::string& path) {
  const ContainerFs::Mount* best = nullptr;
  for (const auto& m : fs.mounts) {
    const std::string& d = m.destination;
    bool covers = path == d || d == "/" || (path.size() > d.size() && path.compare(0, d.size(), d) == 0 && path[d.size()] == '/');
    if (covers && (!best || d.size() >= best->destination.size())) best = &m;
  }
  return best;
}

// The link at `path` inside the container, if it is one.
std::optional<std::string> container_link(const ContainerFs& fs, const std::vector<std::string>& parts,
                                          std::string_view cwd) {
  const std::string path = join(parts);
  // procfs' magic links that lead somewhere else in the same container.
  if (parts.size() >= 3 && parts[0] == "proc" && is_process_dir(parts[1])) {
    std::size_t at = 2;
    if (parts.size() >= 5 && parts[2] == "task") at = 4;
    if (parts.size() == at + 1 && parts[at] == "root") return std::string("/");
    if (parts.size() == at + 1 && parts[at] == "cwd") return std::string(cwd);
  }
  const ContainerFs::Mount* m = mount_covering(fs, path);
  if (!m) return host_link(fs.rootfs + path);
  if (m->bind) {
    if (path == m->destination) return std::nullopt;  // the mount point itself
    return host_link(m->source + path.substr(m->destination.size()));
  }
  if (m->type == "tmpfs" && m->destination == "/dev") {
    // runc's setupDevSymlinks on the /dev tmpfs it mounts.
    static const std::pair<std::string_view, std::string_view> kDevLinks[] = {
        {"/dev/fd", "/proc/self/fd"},       {"/dev/stdin", "/proc/self/fd/0"}, {"/dev/stdout", "/proc/self/fd/1"},
        {"/dev/stderr", "/proc/self/fd/2"}, {"/dev/ptmx", "pts/ptmx"},         {"/dev/core", "/proc/kcore"}};
    for (const auto& [from, to] : kDevLinks)
      if (path == from) return std::string(to);
  }
  return std::nullopt;  // proc, sysfs, devpts, mqueue, cgroup…: nothing the image can plant
}

}  // namespace

bool is_fd_directory(std::string_view path) {
  auto p = components(path);
  if (p.size() == 2 && p[0] == "dev" && p[1] == "fd") return true;
  if (p.size() < 3 || p[0] != "proc" || !is_process_dir(p[1])) return false;
  if (p.size() == 3) return p[2] == "fd";
  return p.size() == 5 && p[2] == "task" && p[4] == "fd";
}

ContainerFs ContainerFs::from_spec(const nlohmann::ordered_json& view, const std::string& bundle) {
  ContainerFs fs;
  std::string root = view_string(view, {"root", "path"});
  if (root.empty()) root = "rootfs";
  fs.rootfs = root.front() == '/' ? root : bundle + "/" + root;
  if (const auto* mounts = view_at(view, {"mounts"}); mounts && mounts->is_array()) {
    for (const auto& m : *mounts) {
      Mount mount;
      mount.destination = clean(view_string(m, {"destination"}));
      mount.type = view_string(m, {"type"});
      mount.source = view_string(m, {"source"});
      mount.bind = mount.type == "bind";
      if (const auto* options = view_at(m, {"options"}); options && options->is_array())
        for (const auto& o : *options)
          if (o.is_string() && (o == "bind" || o == "rbind")) mount.bind = true;
      if (mount.bind && !mount.source.empty() && mount.source.front() != '/') mount.source = bundle + "/" + mount.source;
      fs.mounts.push_back(std::move(mount));
    }
  }
  return fs;
}

PathWalk walk_container_path(const ContainerFs& fs, std::string_view path, std::string_view cwd) {
  std::vector<std::string> done;
  std::deque<std::string> todo;
  for (auto& c : components(path.empty() || path.front() != '/' ? std::string(cwd) + "/" + std::string(path) : std::string(path)))
    todo.push_back(std::move(c));
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    // Any step below a file-descriptor directory names one of the process's open files.
    if (is_fd_directory(join(done))) return {join(done) + "/" + c, join(done)};
    done.push_back(std::move(c));
    if (auto target = container_link(fs, done, cwd)) {
      if (++links > kMaxLinks) return {"", ""};
      done.pop_back();
      if (!target->empty() && target->front() == '/') done.clear();
      auto parts = components(*target);
      todo.insert(todo.begin(), parts.begin(), parts.end());
    }
  }
  return {join(done), ""};
}

std::optional<std::string> env_value(const nlohmann::ordered_json& env, std::string_view name) {
  std::optional<std::string> out;
  if (!env.is_array()) return out;
  for (const auto& e : env) {
    if (!e.is_string()) continue;
    const std::string& s = e.get_ref<const std::string&>();
    if (s.size() > name.size() && s.compare(0, name.size(), name) == 0 && s[name.size()] == '=')
      out = s.substr(name.size() + 1);
  }
  return out;
}

}  // namespace rg
