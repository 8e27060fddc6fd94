#pragma once
// Where a path in a container's spec will lead once runc has set the container up: the rootfs, the spec's
// mounts on top of it (a bind shows its host source; runc's /dev tmpfs has its well-known links such as
// /dev/fd -> /proc/self/fd), symlinks followed the way the kernel follows them inside the container, and
// ".." taken after a symlink as the kernel takes it (from the real directory).
//
// The rootfs and its symlinks are the image's — hostile input: they are only lstat'ed and readlink'ed
// (never followed on the host, never opened), and resolution stops after 40 links, as the kernel does.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rg {

struct ContainerFs {
  struct Mount {
    std::string destination;  // clean, absolute
    std::string type;
    std::string source;       // for binds: the host path
    bool bind = false;
  };
  std::string rootfs;         // host path of root.path
  std::vector<Mount> mounts;  // in spec order (a later mount covers an earlier one at the same place)

  // From an OCI spec's view and its bundle directory (root.path may be relative to it).
  static ContainerFs from_spec(const nlohmann::ordered_json& view, const std::string& bundle);
};

struct PathWalk {
  std::string resolved;       // where it ends ("" when it cannot be resolved: too many links)
  std::string fd_directory;   // non-empty: the walk went into this file-descriptor directory
                              // (/proc/<pid|self|thread-self>[/task/<tid>]/fd, /dev/fd), i.e. it names
                              // an open fd of the process — the CVE-2024-21626 trigger
};

// Walks `path` (relative ones from `cwd`) inside the container.
PathWalk walk_container_path(const ContainerFs& fs, std::string_view path, std::string_view cwd = "/");

// Whether `path` (clean, absolute, in the container) is a file-descriptor directory.
bool is_fd_directory(std::string_view path);

// The value of variable `name` in an OCI env list ("NAME=value", the last one wins as runc sets them).
std::optional<std::string> env_value(const nlohmann::ordered_json& env, std::string_view name);

}  // namespace rg
