// runc's argv grammar as a table: every case states what runc (urfave/cli v1) would see.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "oci/args.h"

namespace rg {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

struct ArgsCase {
  std::string name;
  std::string argv;
  std::string command;
  std::string id;
  std::string bundle;  // as resolved against cwd "/cwd"
  std::string root;
  std::string log;
  std::string log_format;
  bool detach;
  bool help;
  bool version;
  std::string extra_flag;        // a command flag to check
  std::string extra_flag_value;  // its value ("" with extra_flag set: bool flag present)
};

std::ostream& operator<<(std::ostream& os, const ArgsCase& c) { return os << c.name << ": " << c.argv; }

class ArgsTable : public ::testing::TestWithParam<ArgsCase> {};

TEST_P(ArgsTable, ParsesLikeRunc) {
  const ArgsCase& c = GetParam();
  auto argv = split(c.argv);
  RuncArgs a = parse_runc_args(argv);
  EXPECT_EQ(a.command, c.command);
  EXPECT_EQ(a.container_id(), c.id);
  EXPECT_EQ(a.bundle("/cwd"), c.bundle);
  EXPECT_EQ(a.root(), c.root);
  EXPECT_EQ(a.log_path(), c.log);
  EXPECT_EQ(a.log_format(), c.log_format);
  EXPECT_EQ(a.flag_bool("detach"), c.detach);
  EXPECT_EQ(a.wants_help() || a.wants_global_help(), c.help);
  EXPECT_EQ(a.wants_version(), c.version);
  if (!c.extra_flag.empty()) {
    const ParsedFlag* f = a.flag(c.extra_flag);
    ASSERT_NE(f, nullptr) << c.extra_flag;
    EXPECT_EQ(f->value.value_or(""), c.extra_flag_value);
  }
}

const std::string R = "/run/runc";
const std::string M = "/var/run/docker/runtime-runc/moby";
const std::string B = "/run/containerd/io.containerd.runtime.v2.task/moby/c1";

INSTANTIATE_TEST_SUITE_P(
    Runc, ArgsTable,
    ::testing::Values(
        ArgsCase{"no_args", "runc", "", "", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"create_default_bundle", "runc create c1", "create", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"create_bundle_space", "runc create --bundle /b c1", "create", "c1", "/b", R, "", "text", false, false, false, "", ""},
        ArgsCase{"create_bundle_eq", "runc create --bundle=/b c1", "create", "c1", "/b", R, "", "text", false, false, false, "", ""},
        ArgsCase{"create_b_short", "runc create -b /b c1", "create", "c1", "/b", R, "", "text", false, false, false, "", ""},
        ArgsCase{"create_b_short_eq", "runc create -b=/b c1", "create", "c1", "/b", R, "", "text", false, false, false, "", ""},
        ArgsCase{"create_single_dash_long", "runc create -bundle /b c1", "create", "c1", "/b", R, "", "text", false, false, false, "", ""},
        ArgsCase{"create_double_dash_b", "runc create --b /b c1", "create", "c1", "/b", R, "", "text", false, false, false, "", ""},
        ArgsCase{"bundle_named_create", "runc create -b create c1", "create", "c1", "/cwd/create", R, "", "text", false, false, false, "", ""},
        ArgsCase{"bundle_named_start", "runc run -b start -d c1", "run", "c1", "/cwd/start", R, "", "text", true, false, false, "", ""},
        ArgsCase{"relative_bundle", "runc create -b bundles/x c1", "create", "c1", "/cwd/bundles/x", R, "", "text", false, false, false, "", ""},
        ArgsCase{"flags_after_id_reordered", "runc create c1 --bundle /b", "create", "c1", "/b", R, "", "text", false, false, false, "", ""},
        ArgsCase{"root_global", "runc --root /r state c1", "state", "c1", "/cwd", "/r", "", "text", false, false, false, "", ""},
        ArgsCase{"root_global_eq", "runc --root=/r state c1", "state", "c1", "/cwd", "/r", "", "text", false, false, false, "", ""},
        ArgsCase{"root_single_dash", "runc -root /r list", "list", "", "/cwd", "/r", "", "text", false, false, false, "", ""},
        ArgsCase{"root_value_is_command_word", "runc --root create start c1", "start", "c1", "/cwd", "create", "", "text", false, false, false, "", ""},
        ArgsCase{"log_value_is_command_word", "runc --log delete delete c1", "delete", "c1", "/cwd", R, "delete", "text", false, false, false, "", ""},
        ArgsCase{"log_json", "runc --log /l.json --log-format json kill c1 9", "kill", "c1", "/cwd", R, "/l.json", "json", false, false, false, "", ""},
        ArgsCase{"log_format_eq", "runc --log=/l --log-format=json start c1", "start", "c1", "/cwd", R, "/l", "json", false, false, false, "", ""},
        ArgsCase{"debug_bool_then_command", "runc --debug create c1", "create", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"debug_eq_false", "runc --debug=false state c1", "state", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"systemd_cgroup", "runc --systemd-cgroup create c1", "create", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"rootless_takes_value", "runc --rootless true run c1", "run", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"criu_value", "runc --criu /usr/sbin/criu checkpoint c1", "checkpoint", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"version_long", "runc --version", "", "", "/cwd", R, "", "text", false, false, true, "", ""},
        ArgsCase{"version_short", "runc -v", "", "", "/cwd", R, "", "text", false, false, true, "", ""},
        ArgsCase{"help_long", "runc --help", "", "", "/cwd", R, "", "text", false, true, false, "", ""},
        ArgsCase{"help_short", "runc -h", "", "", "/cwd", R, "", "text", false, true, false, "", ""},
        ArgsCase{"help_command", "runc help create", "help", "create", "/cwd", R, "", "text", false, true, false, "", ""},
        ArgsCase{"command_help", "runc create --help", "create", "", "/cwd", R, "", "text", false, true, false, "", ""},
        ArgsCase{"command_help_short", "runc exec -h", "exec", "", "/cwd", R, "", "text", false, true, false, "", ""},
        ArgsCase{"run_detach", "runc run -d c1", "run", "c1", "/cwd", R, "", "text", true, false, false, "", ""},
        ArgsCase{"run_detach_long", "runc run --detach --bundle /b c1", "run", "c1", "/b", R, "", "text", true, false, false, "", ""},
        ArgsCase{"run_detach_false", "runc run --detach=false c1", "run", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"exec_process", "runc exec --process /p.json -d c1", "exec", "c1", "/cwd", R, "", "text", true, false, false, "process", "/p.json"},
        ArgsCase{"exec_p_short", "runc exec -p /p.json c1", "exec", "c1", "/cwd", R, "", "text", false, false, false, "process", "/p.json"},
        ArgsCase{"exec_args_not_flags", "runc exec c1 ls -d /", "exec", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"exec_tty", "runc exec -t c1 sh", "exec", "c1", "/cwd", R, "", "text", false, false, false, "tty", ""},
        ArgsCase{"exec_env_value", "runc exec -e A=1 --cwd / c1 env", "exec", "c1", "/cwd", R, "", "text", false, false, false, "env", "A=1"},
        ArgsCase{"exec_preserve_fds", "runc exec --preserve-fds 2 c1 true", "exec", "c1", "/cwd", R, "", "text", false, false, false, "preserve-fds", "2"},
        ArgsCase{"create_preserve_fds", "runc create --preserve-fds=3 c1", "create", "c1", "/cwd", R, "", "text", false, false, false, "preserve-fds", "3"},
        ArgsCase{"create_console_socket", "runc create --console-socket /s.sock c1", "create", "c1", "/cwd", R, "", "text", false, false, false, "console-socket", "/s.sock"},
        ArgsCase{"create_pid_file", "runc create --pid-file /p.pid c1", "create", "c1", "/cwd", R, "", "text", false, false, false, "pid-file", "/p.pid"},
        ArgsCase{"update_resources_stdin", "runc update --resources - c1", "update", "c1", "/cwd", R, "", "text", false, false, false, "resources", "-"},
        ArgsCase{"update_r_short", "runc update -r /res.json c1", "update", "c1", "/cwd", R, "", "text", false, false, false, "resources", "/res.json"},
        ArgsCase{"update_kmem", "runc update --kernel-memory 1000 c1", "update", "c1", "/cwd", R, "", "text", false, false, false, "kernel-memory", "1000"},
        ArgsCase{"update_kmem_tcp_eq", "runc update --kernel-memory-tcp=2000 c1", "update", "c1", "/cwd", R, "", "text", false, false, false, "kernel-memory-tcp", "2000"},
        ArgsCase{"delete_force", "runc delete --force c1", "delete", "c1", "/cwd", R, "", "text", false, false, false, "force", ""},
        ArgsCase{"delete_f_after_id", "runc delete c1 -f", "delete", "c1", "/cwd", R, "", "text", false, false, false, "force", ""},
        ArgsCase{"ps_json", "runc ps --format json c1", "ps", "c1", "/cwd", R, "", "text", false, false, false, "format", "json"},
        ArgsCase{"ps_args_after_id", "runc ps c1 -ef", "ps", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"list_format_short", "runc list -f json", "list", "", "/cwd", R, "", "text", false, false, false, "format", "json"},
        ArgsCase{"events_stats", "runc events --stats c1", "events", "c1", "/cwd", R, "", "text", false, false, false, "stats", ""},
        ArgsCase{"events_interval", "runc events --interval 1s c1", "events", "c1", "/cwd", R, "", "text", false, false, false, "interval", "1s"},
        ArgsCase{"spec_bundle", "runc spec -b /b", "spec", "", "/b", R, "", "text", false, false, false, "", ""},
        ArgsCase{"restore_bundle_detach", "runc restore -d -b /b --image-path /img c1", "restore", "c1", "/b", R, "", "text", true, false, false, "image-path", "/img"},
        ArgsCase{"unknown_command", "runc frobnicate c1", "frobnicate", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"unknown_global_flag", "runc --frob create c1", "create", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"double_dash_terminator", "runc create -- c1", "create", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"dash_dash_before_command", "runc -- state c1", "state", "c1", "/cwd", R, "", "text", false, false, false, "", ""},
        ArgsCase{"features", "runc features", "features", "", "/cwd", R, "", "text", false, false, false, "", ""}),
    [](const ::testing::TestParamInfo<ArgsCase>& info) { return info.param.name; });

TEST(Args, UnknownCommandFlagIsKeptUnknown) {
  std::vector<std::string> argv = {"runc", "create", "--frob", "c1"};
  RuncArgs a = parse_runc_args(argv);
  ASSERT_EQ(a.command_flags.size(), 1u);
  EXPECT_FALSE(a.command_flags[0].known);
  EXPECT_EQ(a.command_flags[0].name, "frob");
  EXPECT_EQ(a.container_id(), "c1");
}

TEST(Args, RecordsIndexesAndSpans) {
  std::vector<std::string> argv = {"runc", "--root", "/r", "update", "--kernel-memory", "5", "--memory=9", "c1"};
  RuncArgs a = parse_runc_args(argv);
  ASSERT_EQ(a.command_index, 3u);
  const ParsedFlag* k = a.flag("kernel-memory");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->index, 4u);
  EXPECT_EQ(k->span, 2u);
  const ParsedFlag* m = a.flag("memory");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->index, 6u);
  EXPECT_EQ(m->span, 1u);
  EXPECT_EQ(a.positional_indexes, std::vector<std::size_t>{7});
}

TEST(Args, GoBool) {
  EXPECT_EQ(parse_go_bool("true"), true);
  EXPECT_EQ(parse_go_bool("T"), true);
  EXPECT_EQ(parse_go_bool("0"), false);
  EXPECT_EQ(parse_go_bool("False"), false);
  EXPECT_EQ(parse_go_bool("yes"), std::nullopt);
}

// Every runc call containerd 1.6 made for a dockerd 20.10 session, with what each must parse to.
TEST(Args, EveryContainerdInvocation) {
  std::ifstream in(std::string(RG_SHARED_TESTDATA) + "/docker-20.10/runc-invocations.txt");
  ASSERT_TRUE(in) << "missing shared testdata runc-invocations.txt";
  struct Expect {
    std::string command;
    std::string flag;
    std::string value;
  };
  const std::vector<Expect> expected = {
      {"create", "pid-file", B + "/init.pid"},
      {"start", "", ""},
      {"exec", "process", "/tmp/runc-process4044536212"},
      {"exec", "console-socket", "/tmp/pty2744948499/pty.sock"},
      {"update", "resources", "-"},
      {"pause", "", ""},
      {"resume", "", ""},
      {"ps", "format", "json"},
      {"kill", "", ""},
      {"kill", "", ""},
      {"delete", "", ""},
      {"delete", "force", ""},
      {"create", "pid-file", B + "/init.pid"},
      {"delete", "force", ""},
  };
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    for (std::size_t p; (p = line.find("<ID>")) != std::string::npos;) line.replace(p, 4, "c1");
    auto argv = split(line);
    RuncArgs a = parse_runc_args(argv);
    ASSERT_LT(n, expected.size());
    const Expect& e = expected[n++];
    SCOPED_TRACE(line);
    EXPECT_EQ(a.command, e.command);
    EXPECT_EQ(a.container_id(), "c1");
    EXPECT_EQ(a.root(), M);
    EXPECT_EQ(a.log_path(), B + "/log.json");
    EXPECT_EQ(a.log_format(), "json");
    if (e.command == "create") { EXPECT_EQ(a.bundle("/cwd"), B); }
    if (e.command == "exec") { EXPECT_TRUE(a.flag_bool("detach")); }
    if (e.command == "kill") { EXPECT_EQ(a.positionals.size(), 2u); }
    if (!e.flag.empty()) {
      const ParsedFlag* f = a.flag(e.flag);
      ASSERT_NE(f, nullptr) << e.flag;
      EXPECT_EQ(f->value.value_or(""), e.value);
    }
  }
  EXPECT_EQ(n, expected.size());
}

}  // namespace
}  // namespace rg
