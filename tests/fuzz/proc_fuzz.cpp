// The /proc readers the watchdog, doctor and guards use (oci/proc, oci/kmem/cgroup.h), over text a container
// can shape (its process names, its mounts). The first byte picks the reader; the rest is the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "oci/base/error.h"
#include "oci/base/text.h"
#include "oci/cgroup.h"
#include "oci/proc/mountinfo.h"
#include "oci/proc/proc_files.h"

namespace {

// What doctor prints of a process name must not drive the operator's terminal.
void check_printable(std::string_view name) {
  const std::string shown = rg::printable(name);
  if (!rg::valid_utf8(shown)) std::abort();
  for (unsigned char c : shown)
    if (c < 0x20 || c == 0x7f) std::abort();
  if (shown.find("\xC2\x9B") != std::string::npos) std::abort();  // C1 CSI
}

void read_stat(std::string_view text) {
  if (const auto stat = rg::parse_proc_stat(text)) check_printable(stat->comm);
}

void read_mountinfo(std::string_view text) {
  const auto mounts = rg::parse_mountinfo(text);
  for (const rg::MountEntry& m : mounts) {
    if (rg::mount_at(mounts, m.mount_point) == nullptr) std::abort();
    (void)m.read_only();
  }
  (void)rg::mount_at(mounts, "/proc");
}

bool has_dot_dot(std::string_view path) {
  for (std::string_view part : rg::split(path, '/'))
    if (part == "..") return true;
  return false;
}

// mountinfo, /proc/PID/cgroup, a spec's cgroupsPath and a container id, NUL-separated: the cgroup directories
// runc's drivers would use, which runc-guard creates (kmem pre-create) and removes (after a killed create)
// as root. What the spec and the container id say can never climb out of the hierarchy.
void read_cgroup_hierarchy(std::string_view text) {
  std::vector<std::string_view> parts = rg::split(text, '\0');
  parts.resize(4);
  const auto hierarchy = rg::parse_cgroup_hierarchy(parts[0], parts[1], "memory");
  const std::string cleaned = rg::runc_clean_path(parts[2]);
  if (has_dot_dot(cleaned) || rg::runc_clean_path(cleaned) != cleaned) std::abort();
  if (!hierarchy) return;
  const bool trusted = !has_dot_dot(hierarchy->mountpoint) && !has_dot_dot(hierarchy->own_cgroup) && !has_dot_dot(hierarchy->root);
  std::string dir;
  try {
    dir = rg::resolve_cgroup_dir(*hierarchy, parts[2], parts[3]);
  } catch (const rg::Error&) {
    return;  // our own cgroup outside the mounted hierarchy: the guards leave it alone
  }
  if (trusted && has_dot_dot(dir)) std::abort();
  if (auto systemd = rg::resolve_systemd_cgroup_dir(*hierarchy, parts[2]); systemd && trusted && has_dot_dot(*systemd)) std::abort();
  if (auto of_process = rg::process_cgroup_dir(*hierarchy, parts[1]); of_process && trusted && has_dot_dot(*of_process)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: read_stat(text); break;
    case 1: (void)rg::parse_task_syscall(text); break;
    case 2: (void)rg::parse_pipe_inode(text); break;
    case 3: (void)rg::parse_fdinfo_access_mode(text); break;
    case 4: read_mountinfo(text); break;
    case 5: read_cgroup_hierarchy(text); break;
  }
  return 0;
}
