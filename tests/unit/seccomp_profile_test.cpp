// Profile validation (a table of malformed inputs, each a clear error naming the field) and runc's
// compile rules: unknown names skipped, rules equal to the default skipped, repeated argument indexes split.
#include <gtest/gtest.h>

#include "oci/base/error.h"
#include "seccomp/engine.h"
#include "seccomp_test_helpers.h"

namespace rg::seccomp {
namespace {

using Json = nlohmann::ordered_json;
using namespace rg::seccomp::testing;

struct BadCase {
  const char* name;
  const char* json;
  const char* expected;  // substring of the error
};

const BadCase kBad[] = {
    {"not an object", R"([1,2])", "linux.seccomp: must be an object"},
    {"syscalls not array", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":{}})", "linux.seccomp.syscalls: must be an array"},
    {"missing default with rules", R"({"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
     "linux.seccomp.defaultAction: missing"},
    {"unknown default action", R"({"defaultAction":"SCMP_ACT_EXPLODE"})",
     "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_EXPLODE\""},
    {"default action wrong type", R"({"defaultAction":7})", "linux.seccomp.defaultAction: must be a string, got number"},
    {"notify as default", R"({"defaultAction":"SCMP_ACT_NOTIFY"})", "SCMP_ACT_NOTIFY cannot be used as default action"},
    {"negative defaultErrnoRet", R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":-1})",
     "linux.seccomp.defaultErrnoRet: must be an unsigned integer"},
    {"string defaultErrnoRet", R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":"1"})",
     "linux.seccomp.defaultErrnoRet: must be an unsigned integer, got string"},
    {"huge errnoRet", R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":70000})", "70000 is out of range (0-65535)"},
    {"unknown arch", R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_Z80"]})",
     "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\""},
    {"arch not string", R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":[1]})",
     "linux.seccomp.architectures[0]: must be a string"},
    {"unknown flag", R"({"defaultAction":"SCMP_ACT_ERRNO","flags":["SECCOMP_FILTER_FLAG_NEW_LISTENER"]})",
     "linux.seccomp.flags[0]: seccomp flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\" is not known to runc"},
    {"rule not object", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":["read"]})", "linux.seccomp.syscalls[0]: must be an object"},
    {"names not array", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":"read","action":"SCMP_ACT_ALLOW"}]})",
     "linux.seccomp.syscalls[0].names: must be an array"},
    {"name not string", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read",3],"action":"SCMP_ACT_ALLOW"}]})",
     "linux.seccomp.syscalls[0].names[1]: must be a string"},
    {"empty name", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[""],"action":"SCMP_ACT_ALLOW"}]})",
     "linux.seccomp.syscalls[0].names[0]: empty string is not a valid syscall name"},
    {"missing action", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"]}]})",
     "linux.seccomp.syscalls[0].action: missing"},
    {"unknown action", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"ALLOW"}]})",
     "linux.seccomp.syscalls[0].action: unknown action \"ALLOW\""},
    {"notify on write", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["write"],"action":"SCMP_ACT_NOTIFY"}]})",
     "SCMP_ACT_NOTIFY cannot be used for the write syscall"},
    {"errnoRet float", R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":1.5}]})",
     "linux.seccomp.syscalls[0].errnoRet: must be an unsigned integer"},
    {"args not array", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":{}}]})",
     "linux.seccomp.syscalls[0].args: must be an array"},
    {"arg index too big", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]})",
     "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0-5)"},
    {"arg value negative", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":-5,"op":"SCMP_CMP_EQ"}]}]})",
     "linux.seccomp.syscalls[0].args[0].value: must be an unsigned integer"},
    {"arg valueTwo string", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"valueTwo":"x","op":"SCMP_CMP_MASKED_EQ"}]}]})",
     "linux.seccomp.syscalls[0].args[0].valueTwo: must be an unsigned integer, got string"},
    {"arg op unknown", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_LIKE"}]}]})",
     "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_LIKE\""},
    {"arg op missing", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1}]}]})",
     "linux.seccomp.syscalls[0].args[0].op: missing"},
    {"arg not object", R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[3]}]})",
     "linux.seccomp.syscalls[0].args[0]: must be an object"},
};

TEST(SeccompProfile, MalformedProfilesGiveClearErrors) {
  for (const auto& c : kBad) {
    SCOPED_TRACE(c.name);
    const Json j = Json::parse(c.json);
    try {
      auto p = parse_profile(j);
      if (p) (void)analyze(*p);  // whatever parsing accepts must compile
      ADD_FAILURE() << "accepted: " << c.json;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << "error was: " << e.what();
    }
  }
}

TEST(SeccompProfile, EmptySectionMeansSeccompDisabled) {
  EXPECT_FALSE(parse_profile(Json::parse(R"({})")).has_value());
  EXPECT_FALSE(parse_profile(Json::parse(R"({"syscalls":[]})")).has_value());
  EXPECT_TRUE(parse_profile(Json::parse(R"({"defaultAction":"SCMP_ACT_ALLOW"})")).has_value());
}

TEST(SeccompProfile, AllActionsOpsFlagsAndArchesCompile) {
  const Json j = Json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    "listenerPath": "/run/agent.sock", "comment": "unknown keys are ignored, as Go's decoder does",
    "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["kill"], "action": "SCMP_ACT_KILL"},
      {"names": ["tkill"], "action": "SCMP_ACT_KILL_THREAD"},
      {"names": ["tgkill"], "action": "SCMP_ACT_KILL_PROCESS"},
      {"names": ["ptrace"], "action": "SCMP_ACT_TRAP"},
      {"names": ["uname"], "action": "SCMP_ACT_TRACE", "errnoRet": 5},
      {"names": ["getpid"], "action": "SCMP_ACT_LOG"},
      {"names": ["openat"], "action": "SCMP_ACT_NOTIFY"},
      {"names": ["mmap"], "action": "SCMP_ACT_ALLOW", "args": [
        {"index": 0, "value": 1, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 2, "op": "SCMP_CMP_LT"},
        {"index": 2, "value": 3, "op": "SCMP_CMP_LE"}, {"index": 3, "value": 4, "op": "SCMP_CMP_EQ"},
        {"index": 4, "value": 5, "op": "SCMP_CMP_GE"}, {"index": 5, "value": 6, "valueTwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["munmap"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_GT"}]}
    ]})");
  auto p = parse_profile(j);
  ASSERT_TRUE(p);
  Compiled c = compile(*p);
  EXPECT_EQ(c.rules, 10u);
  EXPECT_EQ(c.default_action, "SCMP_ACT_ERRNO(13)");
  const auto pfc = export_filter(c.filter, ExportFormat::Pfc);
  const std::string text(pfc.begin(), pfc.end());
  for (const char* action : {"action KILL;", "action KILL_PROCESS;", "action TRAP;", "action TRACE(5);", "action LOG;",
                             "action 0x7fc00000;" /* NOTIFY: libseccomp 2.5 prints it in hex */, "action ERRNO(13);"})
    EXPECT_NE(text.find(action), std::string::npos) << action;
}

TEST(SeccompProfile, RuncCompileRules) {
  // Unknown names are skipped; a rule whose action equals the default is skipped (errno included);
  // several conditions on one argument index become one rule per condition.
  const Json j = Json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [
      {"names": ["read", "no_such_syscall_xyz"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["write"], "action": "SCMP_ACT_ERRNO"},
      {"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
      {"names": ["dup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
        {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
      {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [
        {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}
    ]})");
  Compiled c = compile(*parse_profile(j));
  EXPECT_EQ(c.unknown_syscalls, std::vector<std::string>{"no_such_syscall_xyz"});
  EXPECT_EQ(c.skipped_default_action, 2u);  // write (EPERM default) and close (errnoRet 1 == EPERM)
  EXPECT_EQ(c.rules, 1u + 1u + 2u + 1u);    // read, dup, personality x2, socket
  const auto pfc = export_filter(c.filter, ExportFormat::Pfc);
  const std::string text(pfc.begin(), pfc.end());
  EXPECT_EQ(text.find("\"write\""), std::string::npos);
  EXPECT_NE(text.find("\"dup\""), std::string::npos);
}

TEST(SeccompProfile, CanonicalJsonAndKeyIgnoreKeyOrderAndFormatting) {
  const Json a = Json::parse(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})");
  const Json b = Json::parse("{ \"syscalls\" : [ { \"action\":\"SCMP_ACT_ALLOW\", \"names\":[\"read\"] } ],\n \"defaultAction\":\"SCMP_ACT_ERRNO\" }");
  const Json c = Json::parse(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["write"],"action":"SCMP_ACT_ALLOW"}]})");
  EXPECT_EQ(canonical_json(a), canonical_json(b));
  EXPECT_EQ(canonical_json(a), R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"action":"SCMP_ACT_ALLOW","names":["read"]}]})");
  EXPECT_EQ(profile_key(a, "s"), profile_key(b, "s"));
  EXPECT_NE(profile_key(a, "s"), profile_key(c, "s"));
  EXPECT_NE(profile_key(a, "s"), profile_key(a, "t"));
  EXPECT_EQ(canonical_json(Json::parse(R"({"s":"a\"b\\c\n\u0001é","n":-3,"u":18446744073709551615,"f":1.5,"t":true,"z":null})")),
            R"({"f":1.5,"n":-3,"s":"a\"b\\c\n\u0001é","t":true,"u":18446744073709551615,"z":null})");
}

TEST(SeccompProfile, SpecHelpers) {
  const Json spec = Json::parse(R"({"process":{"noNewPrivileges":true},"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"}}})");
  ASSERT_NE(seccomp_section(spec), nullptr);
  EXPECT_TRUE(no_new_privileges(spec));
  EXPECT_EQ(seccomp_section(Json::parse(R"({"linux":{"seccomp":null}})")), nullptr);
  EXPECT_EQ(seccomp_section(Json::parse(R"({"linux":{}})")), nullptr);
  EXPECT_FALSE(no_new_privileges(Json::parse(R"({"process":{}})")));
}

TEST(SeccompProfile, BinaryTreeLayoutLikeLaterRunc) {
  auto p = *parse_profile(load_seccomp(shared_testdata("docker-20.10/default.config.json")));
  const auto linear = analyze(p).summary;
  const auto tree = analyze(p, {.layout = CompileOptions::Layout::RuncBinaryTree}).summary;
  EXPECT_NE(linear.sha256, tree.sha256);
  EXPECT_NE(CompileOptions{}.tag(), CompileOptions{.layout = CompileOptions::Layout::RuncBinaryTree}.tag());
}

}  // namespace
}  // namespace rg::seccomp
