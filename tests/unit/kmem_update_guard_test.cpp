#include "oci/kmem/update_guard.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmem_test_util.h"
#include "oci/base/error.h"
#include "oci/base/files.h"

namespace rg {
namespace {

using namespace kmem_test;

TEST(EndOfFirstJsonValue, FindsTheEndLikeJsonDecoder) {
  EXPECT_EQ(end_of_first_json_value(R"({"a":1})"), 7u);
  EXPECT_EQ(end_of_first_json_value(" \n{\"a\":{\"b\":[1,2]}}\n{\"x\":2}"), 19u);
  EXPECT_EQ(end_of_first_json_value(R"({"s":"}{\"]"} tail)"), 13u);  // braces and escaped quotes in strings
  EXPECT_EQ(end_of_first_json_value(R"([{"a":"\\"}])"), 12u);
  EXPECT_FALSE(end_of_first_json_value(R"({"a":{"b":1})"));   // incomplete: keep reading
  EXPECT_FALSE(end_of_first_json_value(R"({"s":"}")"));
  EXPECT_FALSE(end_of_first_json_value("null"));  // not an object: read to EOF
  EXPECT_FALSE(end_of_first_json_value(""));
}

TEST(ReadUpdateDocument, StopsAfterTheFirstValueEvenIfTheWriterKeepsThePipeOpen) {
  Pipe p = Pipe::create();
  const std::string doc = R"({"memory":{"limit":1,"kernel":2}})";
  ASSERT_EQ(::write(p.write_end.get(), doc.data(), doc.size()), ssize_t(doc.size()));
  // The write end stays open: a read-to-EOF would block forever here.
  EXPECT_EQ(read_update_document(p.read_end.get()).text, doc);
}

TEST(ReadUpdateDocument, ReadsToEofForAnythingElse) {
  Pipe p = Pipe::create();
  std::string big(100000, ' ');
  big += "garbage";
  std::thread writer([&] {
    std::string_view rest = big;
    while (!rest.empty()) {
      ssize_t n = ::write(p.write_end.get(), rest.data(), rest.size());
      if (n <= 0) break;
      rest.remove_prefix(std::size_t(n));
    }
    p.write_end.reset();
  });
  EXPECT_EQ(read_update_document(p.read_end.get()).text, big);
  writer.join();
}

TEST(FilterUpdateResources, RemovesOnlyKernelFields) {
  auto r = filter_update_resources(
      R"({"memory":{"limit":268435456,"kernel":67108864,"kernelTCP":1,"swap":-1},"cpu":{"shares":512,"cpus":"0-1"},"pids":{"limit":100},"x-unknown":[1,{"b":null}]})"
      "\n");
  ASSERT_TRUE(r.parsed);
  EXPECT_EQ(r.kernel_settings, (nlohmann::ordered_json{{"kernel", 67108864}, {"kernelTCP", 1}}));
  EXPECT_EQ(r.filtered,
            R"({"memory":{"limit":268435456,"swap":-1},"cpu":{"shares":512,"cpus":"0-1"},"pids":{"limit":100},"x-unknown":[1,{"b":null}]})"
            "\n");
}

TEST(FilterUpdateResources, UnchangedDocumentsKeepTheirExactBytes) {
  for (std::string doc : {std::string("{ \"memory\" : { \"limit\" : 1 } }\n\n"), std::string(R"({"memory":{"kernel":0}})"),
                          std::string(R"({"memory":{"kernel":null},"cpu":{}})"), std::string("{}")}) {
    auto r = filter_update_resources(doc);
    EXPECT_TRUE(r.parsed) << doc;
    EXPECT_TRUE(r.kernel_settings.empty()) << doc;
    EXPECT_EQ(r.filtered, doc);
  }
}

TEST(FilterUpdateResources, MalformedIsPassedOnUntouched) {
  // Also what runc's decoder refuses: an array, or a memory that is not an object, for LinuxResources.
  for (std::string doc : {std::string("{\"memory\":"), std::string("not json"), std::string(""), std::string("[1,2]"),
                          std::string(R"({"memory":"weird"})")}) {
    auto r = filter_update_resources(doc);
    EXPECT_FALSE(r.parsed) << doc;
    EXPECT_EQ(r.filtered, doc);
  }
}

TEST(FilterUpdateResources, BytesAfterTheFirstValueAreKept) {
  auto r = filter_update_resources("{\"memory\":{\"kernel\":5}}\n{\"second\":1}\n");
  ASSERT_TRUE(r.parsed);
  EXPECT_EQ(r.filtered, "{\"memory\":{}}\n{\"second\":1}\n");
}

TEST(FdWithContent, HoldsTheBytesFromTheStartAndHonoursCloexec) {
  std::string content(200000, 'x');
  UniqueFd fd = fd_with_content(content, true);
  EXPECT_EQ(read_fd(fd.get(), "memfd"), content);
  EXPECT_TRUE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC);
  UniqueFd inheritable = fd_with_content("{}", false);
  EXPECT_FALSE(::fcntl(inheritable.get(), F_GETFD) & FD_CLOEXEC);
  // Opened again by path, as runc opens "-r /proc/self/fd/N".
  EXPECT_EQ(read_file("/proc/self/fd/" + std::to_string(inheritable.get())), "{}");
}

// ---- the guard on argv ----

struct FlagCase {
  std::vector<std::string> argv;
  std::vector<std::string> expected;  // after the strip; == argv when nothing changes
  nlohmann::json settings;            // what the event names; null when no event
};

class KmemUpdateFlags : public ::testing::TestWithParam<FlagCase> {};

TEST_P(KmemUpdateFlags, StripRemovesExactlyTheKernelMemoryFlags) {
  const auto& c = GetParam();
  TempDir dir;
  Invocation inv(kmem_config(kOldKernel), c.argv, dir.path());
  auto guard = make_kmem_update_guard();
  ASSERT_TRUE(guard->applies(inv.ctx.args()));
  guard->before_runc(inv.ctx);
  EXPECT_EQ(inv.ctx.argv(), c.expected);
  EXPECT_EQ(inv.ctx.replacement_stdin, -1);
  auto events = inv.flushed_events();
  if (c.settings.is_null()) {
    EXPECT_TRUE(events.empty());
  } else {
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["event"], "kmem.stripped");
    EXPECT_EQ(events[0]["details"]["settings"], c.settings);
  }
}

const std::vector<std::string> kGlobal = {"runc", "--root", "/run/x", "--log", "/tmp/l.json", "--log-format", "json"};
std::vector<std::string> with_global(std::vector<std::string> tail) {
  std::vector<std::string> out = kGlobal;
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Argv, KmemUpdateFlags,
    ::testing::Values(
        FlagCase{with_global({"update", "--kernel-memory", "64M", "--memory", "128M", "ctr"}),
                 with_global({"update", "--memory", "128M", "ctr"}), {{"--kernel-memory", "64M"}}},
        FlagCase{with_global({"update", "--kernel-memory=64M", "ctr"}), with_global({"update", "ctr"}),
                 {{"--kernel-memory", "64M"}}},
        FlagCase{with_global({"update", "-kernel-memory-tcp", "1G", "--pids-limit", "10", "ctr"}),
                 with_global({"update", "--pids-limit", "10", "ctr"}), {{"--kernel-memory-tcp", "1G"}}},
        // Flags after the container id (urfave/cli reorders them) and repeated flags.
        FlagCase{with_global({"update", "ctr", "--kernel-memory", "1", "--cpu-share", "2", "--kernel-memory=3",
                              "--kernel-memory-tcp", "4"}),
                 with_global({"update", "ctr", "--cpu-share", "2"}),
                 {{"--kernel-memory", "3"}, {"--kernel-memory-tcp", "4"}}},
        // An empty value is ignored by runc: nothing to do.
        FlagCase{with_global({"update", "--kernel-memory=", "--memory", "1", "ctr"}),
                 with_global({"update", "--kernel-memory=", "--memory", "1", "ctr"}), nullptr},
        // A flag *value* that looks like our flag is not a flag.
        FlagCase{with_global({"update", "--cpuset-cpus", "--kernel-memory", "ctr"}),
                 with_global({"update", "--cpuset-cpus", "--kernel-memory", "ctr"}), nullptr},
        FlagCase{with_global({"update", "--memory", "1", "ctr"}), with_global({"update", "--memory", "1", "ctr"}),
                 nullptr}));

TEST(KmemUpdateGuard, AppliesOnlyToUpdate) {
  auto guard = make_kmem_update_guard();
  EXPECT_TRUE(guard->applies(parse_runc_args(std::vector<std::string>{"runc", "update", "-r", "-", "c"})));
  EXPECT_FALSE(guard->applies(parse_runc_args(std::vector<std::string>{"runc", "update", "--help"})));
  EXPECT_FALSE(guard->applies(parse_runc_args(std::vector<std::string>{"runc", "create", "c"})));
}

TEST(KmemUpdateGuard, RejectRefusesAndLeavesArgv) {
  TempDir dir;
  auto argv = with_global({"update", "--kernel-memory", "64M", "ctr"});
  Invocation inv(kmem_config(kOldKernel, "reject"), argv, dir.path());
  try {
    make_kmem_update_guard()->before_runc(inv.ctx);
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_refusal());
    EXPECT_NE(std::string(e.what()).find("kernel memory limit refused in update (--kernel-memory=64M)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(inv.ctx.argv(), argv);
  auto events = inv.flushed_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["event"], "kmem.rejected");
}

TEST(KmemUpdateGuard, NewKernelObserveAndAllowChangeNothing) {
  auto argv = with_global({"update", "--kernel-memory", "64M", "ctr"});
  for (auto [kernel, policy, mode] : {std::tuple{kNewKernel, "strip", Mode::Enforce},
                                      std::tuple{kOldKernel, "allow", Mode::Enforce},
                                      std::tuple{kOldKernel, "strip", Mode::Observe},
                                      std::tuple{kOldKernel, "reject", Mode::Observe}}) {
    TempDir dir;
    Invocation inv(kmem_config(kernel, policy, mode), argv, dir.path());
    make_kmem_update_guard()->before_runc(inv.ctx);
    EXPECT_EQ(inv.ctx.argv(), argv);
    EXPECT_TRUE(inv.log_lines().empty());
    auto events = inv.flushed_events();
    if (mode == Mode::Observe) {
      ASSERT_EQ(events.size(), 1u);
      EXPECT_EQ(events[0]["details"]["observe"], true);
    } else {
      EXPECT_TRUE(events.empty());
    }
  }
}

TEST(KmemUpdateGuard, ResourcesFileIsReplacedByAPrivateFilteredCopy) {
  TempDir dir;
  const std::string original = R"({"memory":{"limit":1,"kernel":2},"cpu":{"shares":3}})";
  write_text(dir / "res.json", original);
  for (bool inline_form : {false, true}) {
    auto argv = inline_form ? with_global({"update", "--resources=" + (dir / "res.json"), "--kernel-memory", "9", "c"})
                            : with_global({"update", "-r", dir / "res.json", "--kernel-memory", "9", "c"});
    Invocation inv(kmem_config(kOldKernel), argv, dir.path());
    make_kmem_update_guard()->before_runc(inv.ctx);
    // runc ignores every flag when -r is given, so the flag stays; the file argument points at the copy.
    std::string path = inline_form ? inv.ctx.argv()[8].substr(std::string("--resources=").size()) : inv.ctx.argv()[9];
    ASSERT_TRUE(path.starts_with("/proc/self/fd/")) << path;
    int fd = std::stoi(path.substr(14));
    EXPECT_FALSE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);  // survives the exec into runc
    EXPECT_EQ(read_file(path), R"({"memory":{"limit":1},"cpu":{"shares":3}})");
    ::close(fd);
    auto expected = argv;
    (inline_form ? expected[8] : expected[9]) = inline_form ? "--resources=" + path : path;
    EXPECT_EQ(inv.ctx.argv(), expected);
    EXPECT_EQ(slurp(dir / "res.json"), original);  // the caller's file is never modified
    EXPECT_EQ(inv.ctx.replacement_stdin, -1);
  }
}

TEST(KmemUpdateGuard, ResourcesFileWithoutKernelMemoryOrUnreadableIsLeftAlone) {
  TempDir dir;
  write_text(dir / "res.json", R"({"memory":{"limit":1}})");
  for (std::string file : {dir / "res.json", dir / "missing.json"}) {
    auto argv = with_global({"update", "-r", file, "c"});
    Invocation inv(kmem_config(kOldKernel), argv, dir.path());
    make_kmem_update_guard()->before_runc(inv.ctx);
    EXPECT_EQ(inv.ctx.argv(), argv);
  }
}

// `-r -` reads the real stdin, so it runs in a child whose fd 0 is a pipe we fill.
struct StdinOutcome {
  int exit_code = -1;
  std::string runc_stdin;  // what runc would read
  std::vector<std::string> argv;
};

StdinOutcome run_update_with_stdin(const Config& config, const std::string& input, bool close_writer) {
  TempDir dir;
  Pipe in = Pipe::create();
  Pipe out = Pipe::create();
  std::vector<std::string> argv = with_global({"update", "--resources", "-", "ctr"});
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in.read_end.get(), STDIN_FILENO);
    in.write_end.reset();  // else our own copy of the writer keeps stdin from ever reaching EOF
    out.read_end.reset();
    int code = 0;
    try {
      Invocation inv(config, argv, dir.path());
      make_kmem_update_guard()->before_runc(inv.ctx);
      std::string result;
      if (inv.ctx.replacement_stdin >= 0) {
        if (::fcntl(inv.ctx.replacement_stdin, F_GETFD) & FD_CLOEXEC) result = read_fd(inv.ctx.replacement_stdin, "r");
        else result = "<not cloexec>";
      } else {
        result = "<stdin untouched>";
      }
      nlohmann::json j{{"stdin", result}, {"argv", inv.ctx.argv()}};
      std::string s = j.dump();
      (void)!::write(out.write_end.get(), s.data(), s.size());
    } catch (const Error& e) {
      code = e.is_refusal() ? 2 : e.is_undecodable() ? 4 : 3;
    }
    ::_exit(code);
  }
  out.write_end.reset();
  (void)!::write(in.write_end.get(), input.data(), input.size());
  if (close_writer) in.write_end.reset();
  StdinOutcome outcome;
  std::string reported = read_fd(out.read_end.get(), "child");
  int status = 0;
  ::waitpid(pid, &status, 0);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (!reported.empty()) {
    auto j = nlohmann::json::parse(reported);
    outcome.runc_stdin = j["stdin"];
    outcome.argv = j["argv"].get<std::vector<std::string>>();
  }
  return outcome;
}

TEST(KmemUpdateGuard, StdinDocumentIsFilteredLikeContainerdSendsIt) {
  // containerd's go-runc: json.Encoder output (trailing newline) on a pipe.
  const std::string sent =
      R"({"devices":null,"memory":{"limit":268435456,"swap":268435456,"kernel":67108864,"kernelTCP":null},"cpu":{"shares":1024,"quota":0,"period":0}})"
      "\n";
  auto r = run_update_with_stdin(kmem_config(kOldKernel), sent, false);  // writer kept open, as a slow caller
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.runc_stdin,
            R"({"devices":null,"memory":{"limit":268435456,"swap":268435456},"cpu":{"shares":1024,"quota":0,"period":0}})"
            "\n");
  EXPECT_EQ(r.argv, with_global({"update", "--resources", "-", "ctr"}));
}

TEST(KmemUpdateGuard, StdinWithoutKernelMemoryReachesRuncByteIdentical) {
  const std::string sent = "{ \"memory\": {\"limit\": 1, \"kernel\": 0} }\n";
  auto r = run_update_with_stdin(kmem_config(kOldKernel), sent, true);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.runc_stdin, sent);
  // A document runc's decoder would not read (or would read differently) cannot be checked: the guard
  // says so (Undecodable) and the runtime refuses, as this security guard must.
  const std::string garbage = "{\"memory\": oops";
  r = run_update_with_stdin(kmem_config(kOldKernel), garbage, true);
  EXPECT_EQ(r.exit_code, 4);
}

TEST(KmemUpdateGuard, StdinIsNotReadOnANewKernel) {
  auto r = run_update_with_stdin(kmem_config(kNewKernel), R"({"memory":{"kernel":1}})", true);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.runc_stdin, "<stdin untouched>");
}

TEST(KmemUpdateGuard, StdinRejectIsARefusal) {
  auto r = run_update_with_stdin(kmem_config(kOldKernel, "reject"), R"({"memory":{"kernelTCP":5}})", true);
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace rg
