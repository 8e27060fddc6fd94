// A stand-in for the real runc that records exactly what it was exec'd with: argv, environment, cwd, pid
// and open fds, as JSON in $RG_DUMP_FILE; exits with $RG_DUMP_EXIT. Used to prove forwarding is exact.
// `--version` alone is answered as runc answers it (runc-guard asks once per binary) and not recorded; it
// claims to be runc $RG_DUMP_VERSION (default 1.1.5).
#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

extern char** environ;

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--version") {
    const char* version = std::getenv("RG_DUMP_VERSION");  // the release it claims to be (default 1.1.5)
    std::printf("runc version %s\ncommit: runc-dump\nspec: 1.0.2-dev\n", version ? version : "1.1.5");
    return 0;
  }
  nlohmann::json out;
  out["pid"] = ::getpid();
  out["ppid"] = ::getppid();
  int parent_death = 0;
  ::prctl(PR_GET_PDEATHSIG, &parent_death, 0, 0, 0);
  out["pdeathsig"] = parent_death;
  out["argv"] = nlohmann::json::array();
  for (int i = 0; i < argc; ++i) out["argv"].push_back(argv[i]);
  out["env"] = nlohmann::json::array();
  for (char** e = environ; *e; ++e) out["env"].push_back(*e);
  char cwd[PATH_MAX];
  out["cwd"] = ::getcwd(cwd, sizeof cwd) ? cwd : "";
  out["fds"] = nlohmann::json::object();
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    int own = ::dirfd(dir);
    while (dirent* d = ::readdir(dir)) {
      if (d->d_name[0] == '.') continue;
      int fd = std::atoi(d->d_name);
      if (fd == own) continue;
      char target[PATH_MAX] = {};
      std::string link = std::string("/proc/self/fd/") + d->d_name;
      ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
      out["fds"][d->d_name] = n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "";
    }
    ::closedir(dir);
  }
  // Signal dispositions and mask are inherited across execve: they must be the caller's.
  {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("SigBlk:", 0) == 0 || line.rfind("SigIgn:", 0) == 0) out[line.substr(0, 6)] = line.substr(7);
  }
  // So are resource limits (runc-guard raises its own stack limit while it reads JSON).
  {
    std::ifstream limits("/proc/self/limits");
    for (std::string line; std::getline(limits, line);)
      if (line.rfind("Max stack size", 0) == 0) out["stack_limit"] = line;
  }
  std::string stdin_data;
  if (const char* read_stdin = std::getenv("RG_DUMP_STDIN"); read_stdin && *read_stdin == '1') {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(0, buf, sizeof buf)) > 0) stdin_data.append(buf, static_cast<std::size_t>(n));
    out["stdin"] = stdin_data;
  }
  if (const char* file = std::getenv("RG_DUMP_FILE")) std::ofstream(file, std::ios::app) << out.dump() << "\n";
  const char* code = std::getenv("RG_DUMP_EXIT");
  return code ? std::atoi(code) : 0;
}
