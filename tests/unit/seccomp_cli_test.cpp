// `runc-guardctl seccomp export|inspect` through CLI11, outputs checked for every format.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "oci/base/error.h"
#include "shim/ctl/seccomp_cli.h"
#include "seccomp/engine.h"
#include "seccomp/program.h"
#include "seccomp_test_helpers.h"

namespace rg::seccomp {
namespace {

using namespace rg::seccomp::testing;

std::string run_cli(std::vector<std::string> args, bool terminal = false) {
  CLI::App app("runc-guardctl");
  app.require_subcommand(1);
  std::ostringstream out;
  add_seccomp_commands(app, out, terminal);
  args.insert(args.begin(), "runc-guardctl");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return out.str();
}

const std::string kDefault = shared_testdata("docker-20.10/default.config.json");
const std::string kBigProfile = shared_testdata("seccomp/all-syscalls-3arch.json");

std::vector<std::uint8_t> reference_bpf(const std::string& path) {
  Compiled c = compile(*parse_profile(load_seccomp(path)));
  return direct_export(c.filter);
}

TEST(SeccompCli, ExportJson) {
  const auto j = nlohmann::json::parse(run_cli({"seccomp", "export", "--config", kDefault, "--format", "json"}));
  const auto expected = reference_bpf(kDefault);
  EXPECT_EQ(j["bytes"], expected.size());
  EXPECT_EQ(j["instructions"], expected.size() / 8);
  EXPECT_EQ(j["sha256"], sha256_hex(expected));
  EXPECT_EQ(j["default_action"], "SCMP_ACT_ERRNO(1)");
  EXPECT_EQ(j["architectures"], nlohmann::json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_GT(j["rules"].get<int>(), 300);
}

TEST(SeccompCli, ExportBpfToStdoutFileAndTerminalRefusal) {
  const auto expected = reference_bpf(kBigProfile);
  const std::string piped = run_cli({"seccomp", "export", "--profile", kBigProfile});  // stdout not a terminal
  EXPECT_EQ(std::vector<std::uint8_t>(piped.begin(), piped.end()), expected);
  const std::string forced = run_cli({"seccomp", "export", "--profile", kBigProfile, "-o", "-"}, /*terminal=*/true);
  EXPECT_EQ(std::vector<std::uint8_t>(forced.begin(), forced.end()), expected);
  try {
    run_cli({"seccomp", "export", "--profile", kBigProfile}, /*terminal=*/true);
    ADD_FAILURE() << "raw BPF written to a terminal";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("refusing to write raw BPF to a terminal"), std::string::npos);
  }
  TempDir tmp;
  EXPECT_EQ(run_cli({"seccomp", "export", "--profile", kBigProfile, "--format", "bpf", "-o", tmp.file("p.bpf")}, true), "");
  const std::string file = slurp(tmp.file("p.bpf"));
  EXPECT_EQ(std::vector<std::uint8_t>(file.begin(), file.end()), expected);
}

TEST(SeccompCli, ExportPfcFromBundle) {
  TempDir tmp;
  std::filesystem::copy_file(kDefault, tmp.file("config.json"));
  const std::string text = run_cli({"seccomp", "export", "--bundle", tmp.path(), "--format", "pfc"}, true);
  Compiled c = compile(*parse_profile(load_seccomp(kDefault)));
  const auto direct = direct_export(c.filter, true);
  EXPECT_EQ(text, std::string(direct.begin(), direct.end()));
  EXPECT_NE(text.find("# filter for arch x86_64"), std::string::npos);
}

TEST(SeccompCli, InspectTextAndJson) {
  const std::string text = run_cli({"seccomp", "inspect", "--config", shared_testdata("docker-20.10/bigprofile.config.json")});
  for (const char* line : {"architectures:     SCMP_ARCH_X86_64 SCMP_ARCH_X86 SCMP_ARCH_X32", "default action:    SCMP_ACT_ERRNO(1)",
                           "noNewPrivileges:   true", "pipe capacity:     ", "verdict:           "})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  const auto j = nlohmann::json::parse(run_cli({"seccomp", "inspect", "--profile", kBigProfile, "--format", "json"}));
  EXPECT_EQ(j["no_new_privileges"], "unknown");
  EXPECT_EQ(j["bytes"], reference_bpf(kBigProfile).size());
  EXPECT_TRUE(j["pipe_capacity"].is_number());
  EXPECT_EQ(j["hazard"], j["bytes"].get<std::size_t>() > j["pipe_capacity"].get<std::size_t>());
  EXPECT_TRUE(j["verdict"].is_string());
}

TEST(SeccompCli, InspectShowsTheHazardUnderReducedPipes) {
  HeldPipes held(8);
  ScopedPipeUserPagesSoft lowered(16);
  const std::string text = run_cli({"seccomp", "inspect", "--config", shared_testdata("docker-20.10/bigprofile.config.json")});
  EXPECT_NE(text.find("verdict:           HAZARD: runc init may block exporting seccomp: "), std::string::npos) << text;
  EXPECT_NE(text.find("B program > 8192 B pipe"), std::string::npos) << text;
}

TEST(SeccompCli, InputErrors) {
  EXPECT_THROW(run_cli({"seccomp", "export", "--format", "json"}), Error);  // no input
  EXPECT_THROW(run_cli({"seccomp", "export", "--config", kDefault, "--profile", kBigProfile}), CLI::ExcludesError);
  EXPECT_THROW(run_cli({"seccomp", "export", "--config", kDefault, "--format", "xml"}), CLI::ValidationError);
  TempDir tmp;
  std::ofstream(tmp.file("bad.json")) << R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_Z80"]})";
  try {
    run_cli({"seccomp", "export", "--profile", tmp.file("bad.json"), "--format", "json"});
    ADD_FAILURE() << "bad profile accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\""), std::string::npos)
        << e.what();
  }
  std::ofstream(tmp.file("noseccomp.json")) << R"({"linux":{}})";
  EXPECT_THROW(run_cli({"seccomp", "inspect", "--config", tmp.file("noseccomp.json")}), Error);
}

}  // namespace
}  // namespace rg::seccomp
