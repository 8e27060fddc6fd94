// The pipe export on the real kernel: byte-identical to a direct export, loadable, and immune to a small
// pipe — where a synchronous (runc 1.0.0-rc93 style) export of the same program blocks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <chrono>
#include <thread>

#include "oci/base/error.h"
#include "seccomp/engine.h"
#include "seccomp/program.h"
#include "seccomp_test_helpers.h"

namespace rg::seccomp {
namespace {

using namespace rg::seccomp::testing;

// A hang must fail the run, not stall it: SIGALRM's default action ends the test binary.
struct AlarmGuard {
  explicit AlarmGuard(unsigned seconds) { ::alarm(seconds); }
  ~AlarmGuard() { ::alarm(0); }
};

Compiled compile_json(const nlohmann::ordered_json& j) {
  auto p = parse_profile(j);
  if (!p) throw std::runtime_error("profile disabled");
  return compile(*p);
}

std::vector<std::pair<std::string, nlohmann::ordered_json>> all_profiles() {
  std::vector<std::pair<std::string, nlohmann::ordered_json>> out;
  for (const auto& path : docker_configs()) out.emplace_back(path, load_seccomp(path));
  out.emplace_back("all-syscalls-3arch", load_seccomp(shared_testdata("seccomp/all-syscalls-3arch.json")));
  out.emplace_back("generated, 1 condition per syscall", generated_profile(1));
  return out;
}

TEST(SeccompExport, PipeExportEqualsDirectExportForEveryProfile) {
  AlarmGuard alarm(60);
  for (const auto& [name, json] : all_profiles()) {
    SCOPED_TRACE(name);
    Compiled c = compile_json(json);
    const auto direct = direct_export(c.filter);
    const auto piped = export_filter(c.filter, ExportFormat::Bpf);
    ASSERT_FALSE(direct.empty());
    EXPECT_EQ(piped, direct);
    const Program prog = parse_program(piped);
    EXPECT_EQ(prog.bytes, direct.size());
    EXPECT_EQ(prog.instructions.size() * sizeof(sock_filter), direct.size());
    EXPECT_EQ(prog.sha256, sha256_hex(direct));
    // Also with the pipe shrunk to one page.
    EXPECT_EQ(export_filter(c.filter, ExportFormat::Bpf, {.pipe_size = 4096}), direct);
  }
}

TEST(SeccompExport, PfcThroughPipeEqualsDirectPfc) {
  AlarmGuard alarm(30);
  Compiled c = compile_json(load_seccomp(shared_testdata("docker-20.10/default.config.json")));
  const auto direct = direct_export(c.filter, /*pfc=*/true);
  const auto piped = export_filter(c.filter, ExportFormat::Pfc, {.pipe_size = 4096});
  ASSERT_GT(direct.size(), 4096u);
  EXPECT_EQ(piped, direct);
  const std::string text(piped.begin(), piped.end());
  EXPECT_NE(text.find("# pseudo filter code start"), std::string::npos);
  EXPECT_NE(text.find("action ERRNO(38)"), std::string::npos);  // docker's clone3 rule
}

TEST(SeccompExport, KnownSizesOfTheTestProfiles) {
  // Linear layout (runc <= 1.1.0, rc93 included): docker's default profile fits two pages, the 3-arch
  // allow-list of every syscall does not — the case that blocks rc93 under a reduced pipe.
  auto docker = analyze(*parse_profile(load_seccomp(shared_testdata("docker-20.10/default.config.json"))));
  auto all = analyze(*parse_profile(load_seccomp(shared_testdata("seccomp/all-syscalls-3arch.json"))));
  EXPECT_LE(docker.summary.bytes, 8192u);
  EXPECT_GT(all.summary.bytes, 8192u);
  EXPECT_EQ(docker.summary.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_EQ(docker.summary.default_action, "SCMP_ACT_ERRNO(1)");
}

// Loads `bpf` in a forked child (no_new_privs + seccomp(2)) and returns, through a pipe, the errno of
// each probe syscall (0 for success).
struct LoadedResults {
  int load_errno = -1;
  int getpid_errno = -1;
  int unknown_nr_errno = -1;  // syscall 1000: no rule matches, so the default action
  int clone3_errno = -1;
  int add_key_errno = -1;
};

LoadedResults run_in_filtered_child(const std::vector<std::uint8_t>& bpf) {
  Pipe results = Pipe::create();
  Child child = Child::fork_run([&] {
    results.read_end.reset();
    LoadedResults r;
    sock_fprog prog{static_cast<unsigned short>(bpf.size() / sizeof(sock_filter)),
                    reinterpret_cast<sock_filter*>(const_cast<std::uint8_t*>(bpf.data()))};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
      r.load_errno = errno;
    } else {
      r.load_errno = 0;
      auto err = [](long rc) { return rc < 0 ? errno : 0; };
      r.getpid_errno = err(::syscall(SYS_getpid));
      r.unknown_nr_errno = err(::syscall(1000, 0, 0, 0));
      r.clone3_errno = err(::syscall(SYS_clone3, nullptr, 0));
      r.add_key_errno = err(::syscall(SYS_add_key, nullptr, nullptr, nullptr, 0, 0));
    }
    return ::write(results.write_end.get(), &r, sizeof r) == sizeof r ? 0 : 1;
  });
  results.write_end.reset();
  LoadedResults r;
  if (::read(results.read_end.get(), &r, sizeof r) != sizeof r) throw std::runtime_error("filtered child reported nothing");
  return r;
}

TEST(SeccompExport, DockerDefaultProgramReallyFilters) {
  AlarmGuard alarm(30);
  auto a = analyze(*parse_profile(load_seccomp(shared_testdata("docker-20.10/default.config.json"))), {}, {.pipe_size = 4096});
  const LoadedResults r = run_in_filtered_child(a.bpf);
  ASSERT_EQ(r.load_errno, 0) << std::strerror(r.load_errno);
  EXPECT_EQ(r.getpid_errno, 0);             // allowed
  EXPECT_EQ(r.unknown_nr_errno, EPERM);     // default action: SCMP_ACT_ERRNO without defaultErrnoRet → EPERM
  EXPECT_EQ(r.add_key_errno, EPERM);        // not in the allow-list
  EXPECT_EQ(r.clone3_errno, ENOSYS);        // the profile's own errnoRet: 38
}

TEST(SeccompExport, DefaultErrnoRetIsWhatDeniedSyscallsReturn) {
  AlarmGuard alarm(30);
  auto profile = generated_profile(0, EACCES);
  // Drop add_key from the allow-list so that it is denied.
  auto& rules = profile["syscalls"];
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (rules[i]["names"][0] == "add_key") rules.erase(i--);
  auto a = analyze(*parse_profile(profile));
  const LoadedResults r = run_in_filtered_child(a.bpf);
  ASSERT_EQ(r.load_errno, 0) << std::strerror(r.load_errno);
  EXPECT_EQ(r.getpid_errno, 0);
  EXPECT_EQ(r.add_key_errno, EACCES);
  EXPECT_EQ(r.unknown_nr_errno, EACCES);
}

TEST(SeccompExport, SmallPipeLargeProgramCompletesWhereSynchronousExportBlocks) {
  AlarmGuard alarm(60);
  Compiled c = compile_json(large_profile());
  const auto direct = direct_export(c.filter);
  ASSERT_GE(direct.size(), 64u * 1024) << "the generated profile must give a >= 64 KiB program";

  // runc 1.0.0-rc93's way, in a child we can kill: write everything, read only afterwards.
  Pipe pipe = Pipe::create();
  ASSERT_EQ(::fcntl(pipe.write_end.get(), F_SETPIPE_SZ, 4096), 4096);
  Pipe done = Pipe::create();
  Child rc93 = Child::fork_run([&] {
    done.read_end.reset();
    const int rc = seccomp_export_bpf(c.filter.get(), pipe.write_end.get());  // blocks: nobody reads yet
    pipe.write_end.reset();
    std::vector<char> buf(1 << 20);
    while (::read(pipe.read_end.get(), buf.data(), buf.size()) > 0) {
    }
    (void)!::write(done.write_end.get(), "x", 1);
    return rc == 0 ? 0 : 1;
  });
  done.write_end.reset();
  // libseccomp generates the program first (seconds for this one), then writes: wait for the pipe to fill.
  int queued = -1;
  for (int waited_ms = 0; waited_ms < 60000; waited_ms += 10) {
    ASSERT_EQ(::ioctl(pipe.read_end.get(), FIONREAD, &queued), 0);
    if (queued == 4096) break;
    ::usleep(10000);
  }
  ASSERT_EQ(queued, 4096) << "the synchronous export never filled the 4096 B pipe";
  // Full pipe, nobody reading: a bounded wait shows it stays stuck in write(2).
  pollfd pfd{done.read_end.get(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 1000), 0) << "the synchronous export finished: it was expected to block on the full pipe";
  ASSERT_EQ(::ioctl(pipe.read_end.get(), FIONREAD, &queued), 0);
  EXPECT_EQ(queued, 4096);
  const std::string sys = slurp("/proc/" + std::to_string(rc93.pid()) + "/syscall");
  EXPECT_EQ(sys.substr(0, 2), std::to_string(SYS_write) + " ") << "child not blocked in write(2): " << sys;
  rc93.kill_and_reap();

  // Ours, same program, same pipe capacity: completes and yields the exact bytes.
  const auto t0 = std::chrono::steady_clock::now();
  const auto piped = export_filter(c.filter, ExportFormat::Bpf, {.pipe_size = 4096});
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(piped, direct);
  EXPECT_LT(ms, 5000.0);
}

TEST(SeccompExport, WriterFailureBeforeWritingPropagates) {
  AlarmGuard alarm(10);
  try {
    export_through_pipe([](int) { return -EINVAL; });
    FAIL() << "expected rg::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), EINVAL);
    EXPECT_NE(std::string(e.what()).find("Invalid argument"), std::string::npos) << e.what();
  }
}

TEST(SeccompExport, WriterFailureMidwayPropagates) {
  AlarmGuard alarm(10);
  try {
    export_through_pipe([](int fd) {
      std::vector<char> chunk(20000, 'x');
      if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) return -errno;
      return -EIO;
    }, {.pipe_size = 4096});
    FAIL() << "expected rg::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), EIO) << e.what();
  }
}

TEST(SeccompExport, WriterExceptionDoesNotLeaveTheReaderBlocked) {
  AlarmGuard alarm(10);
  EXPECT_THROW(export_through_pipe([](int fd) -> int {
                 (void)!::write(fd, "abc", 3);
                 throw std::runtime_error("writer blew up");  // write end still open when unwinding starts
               }),
               std::runtime_error);
}

TEST(SeccompExport, ReaderFailureUnblocksTheWriterWithoutSigpipe) {
  AlarmGuard alarm(10);
  ssize_t writer_result = 0;
  int writer_errno = 0;
  try {
    export_through_pipe([&](int fd) {
      std::vector<char> big(1 << 20, 'y');  // far more than the reader accepts and the pipe holds
      writer_result = ::write(fd, big.data(), big.size());
      writer_errno = errno;
      return writer_result < 0 ? -errno : 0;
    }, {.pipe_size = 4096, .max_bytes = 10000});
    FAIL() << "expected rg::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds 10000 bytes"), std::string::npos) << e.what();
  }
  // The blocked writer was released by the reader closing its end: a short write or EPIPE, and no SIGPIPE
  // killed us (we are still here) or stayed pending.
  EXPECT_TRUE(writer_result < 0 ? writer_errno == EPIPE : writer_result < (1 << 20));
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST(SeccompExport, ParseProgramRejectsTruncatedBytes) {
  std::vector<std::uint8_t> bytes(20, 0);
  EXPECT_THROW(parse_program(bytes), Error);
  EXPECT_THROW(parse_program({}), Error);
  bytes.resize(16);
  EXPECT_EQ(parse_program(bytes).instructions.size(), 2u);
  // Known digest: sha256 of the empty string.
  EXPECT_EQ(sha256_hex(std::string_view()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace rg::seccomp
