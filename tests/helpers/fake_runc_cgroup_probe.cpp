// A stand-in for runc in the kernel-memory tests. It answers `--version` with the version written in
// "<its own path>.version" (default 1.1.5), and otherwise records what runc would have been given — argv,
// stdin for `update -r -`, the contents of `update -r FILE` opened by path as runc opens it, and for
// create/run/restore whether its memory cgroup directory already existed — as one JSON line appended to
// $FAKE_RUNC_RECORD. It exits with $FAKE_RUNC_EXIT (default 0); on success a create leaves
// <root>/<id>/state.json, as runc does.
//
// The memory cgroup directory is resolved here independently of runc-guard's own code, the simple way
// runc's cgroupfs driver does on a host: absolute cgroupsPath under /sys/fs/cgroup/memory, relative or
// empty (→ container id) under this process's memory cgroup from /proc/self/cgroup.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "oci/args.h"

namespace {

std::string slurp(std::istream& in) {
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string own_version() {
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "1.1.5";
  std::ifstream in(std::string(exe, static_cast<std::size_t>(n)) + ".version");
  std::string version;
  if (!(in >> version)) return "1.1.5";
  return version;
}

std::string own_memory_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    auto a = line.find(':');
    auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers(",");
    controllers.append(line, a + 1, b - a - 1);
    controllers.push_back(',');
    if (controllers.find(",memory,") != std::string::npos) return line.substr(b + 1);
  }
  return "/";
}

std::string memory_cgroup_dir(const std::string& bundle, const std::string& id) {
  std::ifstream in(bundle + "/config.json");
  auto spec = nlohmann::json::parse(in);
  std::string path = spec.value("/linux/cgroupsPath"_json_pointer, std::string());
  const std::string mount = "/sys/fs/cgroup/memory";
  if (!path.empty() && path[0] == '/') return mount + path;
  std::string own = own_memory_cgroup();
  if (own == "/") own.clear();
  return mount + own + "/" + (path.empty() ? id : path);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  rg::RuncArgs parsed = rg::parse_runc_args(args);
  if (parsed.wants_version()) {
    std::cout << "runc version " << own_version() << "\ncommit: fake\nspec: 1.0.2-dev\n";
    return 0;
  }

  // The fds above 2 it was exec'd with (what runc-guard passed on), before this program opens anything.
  nlohmann::json fds = nlohmann::json::array();
  for (int fd = 3; fd < 1024; ++fd) {
    char link[64], target[256];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = ::readlink(link, target, sizeof target - 1);
    if (n > 0) fds.push_back(std::to_string(fd) + " " + std::string(target, static_cast<std::size_t>(n)));
  }
  nlohmann::json record{{"argv", args}, {"stdin", nullptr}, {"resources", nullptr}, {"fds", fds}};
  if (parsed.command == "update") {
    if (auto r = parsed.flag_value("resources"); r && !r->empty()) {
      if (*r == "-") {
        record["stdin"] = slurp(std::cin);
      } else {
        std::ifstream file(*r, std::ios::binary);
        record["resources"] = file ? slurp(file) : std::string("<cannot open ") + *r + ">";
      }
    }
  }
  if (parsed.command == "create" || parsed.command == "run" || parsed.command == "restore") {
    char cwd[4096];
    std::string dir = memory_cgroup_dir(parsed.bundle(::getcwd(cwd, sizeof cwd) ? cwd : "."), parsed.container_id());
    struct stat st {};
    record["memory_cgroup_dir"] = dir;
    record["memory_cgroup_existed"] = ::stat(dir.c_str(), &st) == 0;
  }
  if (const char* path = std::getenv("FAKE_RUNC_RECORD"); path && *path) {
    std::ofstream out(path, std::ios::app);
    out << record.dump() << "\n";
  }
  const char* code_env = std::getenv("FAKE_RUNC_EXIT");
  int code = code_env ? std::atoi(code_env) : 0;
  // Like runc, a successful create leaves <root>/<id>/state.json behind; a failed one leaves nothing.
  if (code == 0 && (parsed.command == "create" || parsed.command == "restore") && !parsed.container_id().empty()) {
    std::string dir = parsed.root() + "/" + parsed.container_id();
    ::mkdir(parsed.root().c_str(), 0711);
    ::mkdir(dir.c_str(), 0711);
    std::ofstream(dir + "/state.json") << "{}";
  }
  return code;
}
