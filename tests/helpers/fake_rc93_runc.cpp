// A faithful imitation of runc v1.0.0-rc93 where its seccomp hang lives (no rc93 binary can run here).
//
//   create  starts an init that names itself runc:[2:INIT], signals ready, and blocks opening exec.fifo;
//           create writes state.json (init_process_pid/init_process_start) and exits.
//   start   opens exec.fifo and reads it until EOF, i.e. until the init execs (exec.fifo is O_CLOEXEC).
//   run     create + start in one process (foreground waits for the container process).
//   exec    starts a setns-style init (child of exec) that goes straight to the seccomp step.
//   delete / state / kill as runc does them, enough for the tests.
//
// The init then does what rc93's standard_init_linux.go / setns_init_linux.go + patchbpf do: capabilities
// CAP_SYS_RESOURCE and CAP_SYS_ADMIN dropped (uid stays 0), no_new_privs, then — after exec.fifo — a pipe,
// F_SETPIPE_SZ 4096 (the kernel's per-user limit stands in for this on a real node), seccomp_export_bpf()
// into it synchronously, reading back only afterwards. The program read back is compared byte for byte
// with a direct export; any difference exits 3 (a lossy un-stick fails the test). Then seccomp_load and
// execvp of the container process.
//
// Environment:
//   FAKE_RC93_MODE   hazard (default: 4096 B export pipe, blocks) | healthy (default pipe) |
//                    slow (healthy, init takes FAKE_RC93_SLOW_MS=3000 before ready) |
//                    stuck (init blocks writing a full pipe only runc reads, and runc never does)
//   FAKE_RC93_RULES  seccomp rules in the program (default 1500, about 12 KiB of BPF)
//   FAKE_RC93_DELETE_DELAY_MS  delete sleeps this long first (to see who waits for it)
// Reports: <root>/<id>/init-report.json (create/run) or <root>/<id>/exec-<pid>.json (exec); every delete
// appends its argv to <root>/delete.log.
#include <fcntl.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "oci/args.h"
#include "oci/base/files.h"
#include "oci/runc_log.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Invocation {
  rg::RuncArgs args;
  std::string root;
  std::string id;
  rg::RuncLog log{"", "text"};
};

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

[[noreturn]] void die(const Invocation& inv, const std::string& message) {
  inv.log.fatal(message);
  std::exit(1);
}

std::uint64_t start_time_of(pid_t pid) {
  std::string stat = rg::read_file("/proc/" + std::to_string(pid) + "/stat");
  std::string rest = stat.substr(stat.rfind(')') + 2);
  // rest starts at field 3; field 22 is the 20th after it.
  std::size_t pos = 0;
  for (int i = 0; i < 19; ++i) pos = rest.find(' ', pos) + 1;
  return std::stoull(rest.substr(pos, rest.find(' ', pos) - pos));
}

void write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::vector<unsigned char> read_all(int fd) {
  std::vector<unsigned char> out;
  unsigned char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

// rc93's finalizeNamespace: the init keeps uid 0 but loses these two, so the kernel's per-user pipe limits
// apply to it and it cannot enlarge its own pipe.
void drop_resource_and_admin_caps() {
  for (int cap : {CAP_SYS_RESOURCE, CAP_SYS_ADMIN}) ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return;
  for (int cap : {CAP_SYS_RESOURCE, CAP_SYS_ADMIN}) {
    unsigned mask = ~(1u << (cap % 32));
    data[cap / 32].effective &= mask;
    data[cap / 32].permitted &= mask;
    data[cap / 32].inheritable &= mask;
  }
  ::syscall(SYS_capset, &header, data);
}

// A default-allow program with `rules` argument-compare rules on personality(2): large (about 8 bytes of
// BPF per rule) and harmless to the container process.
scmp_filter_ctx build_filter(int rules) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return nullptr;
  for (int i = 0; i < rules; ++i)
    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
                     SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(0x10000 + i)));
  return ctx;
}

std::vector<unsigned char> export_directly(scmp_filter_ctx ctx) {
  int fd = ::memfd_create("fake-rc93-direct-export", MFD_CLOEXEC);
  if (fd < 0 || seccomp_export_bpf(ctx, fd) != 0) return {};
  ::lseek(fd, 0, SEEK_SET);
  auto out = read_all(fd);
  ::close(fd);
  return out;
}

// rc93's seccomp.InitSeccomp → patchbpf: export into a pipe synchronously, read back afterwards, load.
// Writes the report, then returns the exit code to use (0: go on and exec).
int init_seccomp(const std::string& report_path, const std::string& mode) {
  scmp_filter_ctx ctx = build_filter(std::atoi(env_or("FAKE_RC93_RULES", "1500").c_str()));
  if (!ctx) return 4;
  json report;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return 4;
  if (mode == "hazard") ::fcntl(fds[1], F_SETPIPE_SZ, 4096);
  report["pipe_size"] = ::fcntl(fds[1], F_GETPIPE_SZ);
  report["write_started_unix_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch()).count();
  auto before = Clock::now();
  int rc = seccomp_export_bpf(ctx, fds[1]);  // blocks while the program does not fit into the pipe
  auto after = Clock::now();
  ::close(fds[1]);
  std::vector<unsigned char> through_pipe = read_all(fds[0]);
  ::close(fds[0]);
  std::vector<unsigned char> direct = export_directly(ctx);
  report["export_rc"] = rc;
  report["write_blocked_ms"] = std::chrono::duration<double, std::milli>(after - before).count();
  report["program_bytes"] = direct.size();
  report["pipe_bytes_read"] = through_pipe.size();
  report["intact"] = rc == 0 && !direct.empty() && through_pipe == direct;
  int code = report["intact"].get<bool>() ? 0 : 3;
  if (code == 0 && seccomp_load(ctx) != 0) code = 5;
  report["loaded"] = code == 0;
  seccomp_release(ctx);
  std::ofstream(report_path) << report.dump() << "\n";
  return code;
}

std::vector<std::string> bundle_process_args(const std::string& bundle) {
  json spec = json::parse(rg::read_file(bundle + "/config.json"));
  return spec.at("process").at("args").get<std::vector<std::string>>();
}

[[noreturn]] void exec_process(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  ::_exit(127);
}

void become_init(bool setns) {
  ::prctl(PR_SET_NAME, "runc:[2:INIT]", 0, 0, 0);
  if (!setns) ::setsid();
  drop_resource_and_admin_caps();
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

// The standard init (create/run): ready → exec.fifo → seccomp → exec. `ready_fd` and `log_read_end` are
// what runc's parent holds; never returns.
[[noreturn]] void standard_init(const Invocation& inv, const std::string& bundle, int ready_fd, int log_write_end) {
  std::string mode = env_or("FAKE_RC93_MODE", "hazard");
  std::string state_dir = inv.root + "/" + inv.id;
  become_init(false);
  if (mode == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(env_or("FAKE_RC93_SLOW_MS", "3000").c_str())));
  if (mode == "stuck") {
    // Bootstrap logs to runc, which is waiting for "ready" instead of reading them: a full pipe whose read
    // end only runc holds. Nothing but runc reading can free it.
    std::vector<char> noise(1 << 20, 'x');
    write_all(log_write_end, noise.data(), noise.size());
  }
  ::close(log_write_end);
  char ready = 'r';
  write_all(ready_fd, &ready, 1);
  ::close(ready_fd);
  // Blocks until `start` opens the other side; kept open (O_CLOEXEC) so start reads until we exec.
  int fifo = ::open((state_dir + "/exec.fifo").c_str(), O_WRONLY | O_CLOEXEC);
  if (fifo < 0) ::_exit(6);
  write_all(fifo, "0", 1);
  int code = init_seccomp(state_dir + "/init-report.json", mode == "slow" ? "healthy" : mode);
  if (code != 0) ::_exit(code);
  exec_process(bundle_process_args(bundle));
}

std::string bundle_of(const Invocation& inv) {
  char cwd[4096];
  return inv.args.bundle(::getcwd(cwd, sizeof cwd) ? cwd : "/");
}

// create (and the first half of run): returns the init's pid once it is ready and state.json is written.
pid_t create_container(const Invocation& inv) {
  std::string state_dir = inv.root + "/" + inv.id;
  std::filesystem::create_directories(inv.root);
  if (::mkdir(state_dir.c_str(), 0711) != 0) die(inv, "container with id exists: " + inv.id);
  if (::mkfifo((state_dir + "/exec.fifo").c_str(), 0622) != 0) die(inv, "mkfifo exec.fifo: " + std::string(std::strerror(errno)));
  std::string bundle = bundle_of(inv);
  int ready[2], logs[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(logs, O_CLOEXEC) != 0) die(inv, "pipe2");
  pid_t init = ::fork();
  if (init < 0) die(inv, "fork init");
  if (init == 0) {
    ::close(ready[0]);
    ::close(logs[0]);
    standard_init(inv, bundle, ready[1], logs[1]);
  }
  ::close(ready[1]);
  ::close(logs[1]);
  char byte;
  if (::read(ready[0], &byte, 1) != 1) die(inv, "container init exited before it was ready");
  ::close(ready[0]);
  json state = {{"id", inv.id},
                {"init_process_pid", init},
                {"init_process_start", start_time_of(init)},
                {"bundle", bundle},
                {"created", std::time(nullptr)}};
  rg::write_file_atomic(state_dir + "/state.json", state.dump());
  if (auto pid_file = inv.args.flag_value("pid-file")) rg::write_file_atomic(*pid_file, std::to_string(init));
  // logs[0] stays open until we exit, as runc's log pipe does.
  return init;
}

// rc93's handleFifoResult: read exec.fifo to EOF; no data means the container already ran.
int start_container(const Invocation& inv) {
  std::string fifo = inv.root + "/" + inv.id + "/exec.fifo";
  int fd = ::open(fifo.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(inv, "cannot start a container that has stopped");
  auto data = read_all(fd);
  ::close(fd);
  if (data.empty()) die(inv, "cannot start an already running container");
  ::unlink(fifo.c_str());
  return 0;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int exec_in_container(const Invocation& inv) {
  std::vector<std::string> process(inv.args.positionals.begin() + 1, inv.args.positionals.end());
  if (process.empty()) die(inv, "exec: no process to run");
  std::string state_dir = inv.root + "/" + inv.id;
  if (!std::filesystem::exists(state_dir + "/state.json")) die(inv, "container does not exist");
  int sync[2], logs[2];
  if (::pipe2(sync, O_CLOEXEC) != 0 || ::pipe2(logs, O_CLOEXEC) != 0) die(inv, "pipe2");
  pid_t init = ::fork();
  if (init < 0) die(inv, "fork init");
  if (init == 0) {
    ::close(sync[0]);
    ::close(logs[0]);
    become_init(true);
    std::string mode = env_or("FAKE_RC93_MODE", "hazard");
    if (mode == "stuck") {  // as in standard_init: a full pipe only runc reads, and runc never does
      std::vector<char> noise(1 << 20, 'x');
      write_all(logs[1], noise.data(), noise.size());
    }
    ::close(logs[1]);
    int code = init_seccomp(state_dir + "/exec-" + std::to_string(::getpid()) + ".json", mode == "slow" ? "healthy" : mode);
    if (code != 0) {
      write_all(sync[1], "F", 1);
      ::_exit(code);
    }
    exec_process(process);  // sync[1] closes on exec: runc exec's signal that the process runs
  }
  ::close(sync[1]);
  ::close(logs[1]);
  char byte;
  ssize_t n = ::read(sync[0], &byte, 1);
  ::close(sync[0]);
  if (n == 1) die(inv, "exec failed: init exited with " + std::to_string(wait_exit_code(init)));
  if (auto pid_file = inv.args.flag_value("pid-file")) rg::write_file_atomic(*pid_file, std::to_string(init));
  if (inv.args.flag_bool("detach")) return 0;
  return wait_exit_code(init);
}

bool init_alive(const json& state) {
  pid_t pid = state.at("init_process_pid").get<pid_t>();
  try {
    return start_time_of(pid) == state.at("init_process_start").get<std::uint64_t>();
  } catch (const std::exception&) {
    return false;
  }
}

int delete_container(const Invocation& inv, int argc, char** argv) {
  {
    std::ofstream record(inv.root + "/delete.log", std::ios::app);
    for (int i = 1; i < argc; ++i) record << (i > 1 ? " " : "") << argv[i];
    record << "\n";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(env_or("FAKE_RC93_DELETE_DELAY_MS", "0").c_str())));
  std::string state_dir = inv.root + "/" + inv.id;
  json state;
  try {
    state = json::parse(rg::read_file(state_dir + "/state.json"));
  } catch (const std::exception&) {
    std::filesystem::remove_all(state_dir);
    if (inv.args.flag_bool("force")) return 0;
    die(inv, "container does not exist");
  }
  if (init_alive(state)) {
    if (!inv.args.flag_bool("force")) die(inv, "cannot delete container that is not stopped");
    ::kill(state.at("init_process_pid").get<pid_t>(), SIGKILL);
  }
  std::filesystem::remove_all(state_dir);
  return 0;
}

int print_state(const Invocation& inv) {
  json state = json::parse(rg::read_file(inv.root + "/" + inv.id + "/state.json"));
  std::string status = "stopped";
  if (init_alive(state)) {
    std::string comm = rg::read_file("/proc/" + std::to_string(state["init_process_pid"].get<pid_t>()) + "/comm");
    status = comm.rfind("runc:[2:INIT]", 0) == 0 ? "created" : "running";
  }
  state["status"] = status;
  state["pid"] = state["init_process_pid"];
  std::printf("%s\n", state.dump(2).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> arg_strings(argv, argv + argc);
  Invocation inv;
  inv.args = rg::parse_runc_args(arg_strings);
  inv.root = inv.args.root();
  inv.id = inv.args.container_id();
  inv.log = rg::RuncLog::for_args(inv.args);
  const std::string& command = inv.args.command;
  if (command != "state" && command != "delete" && command != "kill" && inv.id.empty())
    die(inv, command + ": container id cannot be empty");
  if (command == "create") {
    create_container(inv);
    return 0;
  }
  if (command == "start") return start_container(inv);
  if (command == "run") {
    pid_t init = create_container(inv);
    start_container(inv);
    return inv.args.flag_bool("detach") ? 0 : wait_exit_code(init);
  }
  if (command == "exec") return exec_in_container(inv);
  if (command == "delete") return delete_container(inv, argc, argv);
  if (command == "state") return print_state(inv);
  if (command == "kill") {
    json state = json::parse(rg::read_file(inv.root + "/" + inv.id + "/state.json"));
    if (init_alive(state)) ::kill(state["init_process_pid"].get<pid_t>(), SIGKILL);
    return 0;
  }
  die(inv, "fake rc93: unsupported command '" + command + "'");
}
