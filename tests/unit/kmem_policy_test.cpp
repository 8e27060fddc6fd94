#include "oci/kmem/policy.h"

#include <gtest/gtest.h>

#include "oci/base/error.h"
#include "oci/guard/config.h"
#include "oci/spec.h"
#include "oci/spec_schema.h"

namespace rg {
namespace {

using Json = nlohmann::ordered_json;

KmemPolicy configured(const std::string& policy) {
  return parse_config(R"({"kernel_memory": {"policy": ")" + policy + R"("}})", "test.json").kernel_memory.policy;
}

TEST(KmemPolicy, ParsesConfiguredNames) {
  EXPECT_EQ(configured("strip"), KmemPolicy::Strip);
  EXPECT_EQ(configured("reject"), KmemPolicy::Reject);
  EXPECT_EQ(configured("allow"), KmemPolicy::Allow);
  EXPECT_THROW(configured("Strip"), Error);
  EXPECT_THROW(configured(""), Error);
}

struct DecisionCase {
  KmemPolicy policy;
  bool kernel_below_minimum;
  bool sets_kernel_memory;
  KmemAction expected;
};

class KmemDecision : public ::testing::TestWithParam<DecisionCase> {};

TEST_P(KmemDecision, Table) {
  const auto& c = GetParam();
  EXPECT_EQ(decide_kmem_action(c.policy, c.kernel_below_minimum, c.sets_kernel_memory), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    AllCombinations, KmemDecision,
    ::testing::Values(DecisionCase{KmemPolicy::Strip, true, true, KmemAction::Strip},
                      DecisionCase{KmemPolicy::Reject, true, true, KmemAction::Reject},
                      DecisionCase{KmemPolicy::Allow, true, true, KmemAction::Keep},
                      // A new enough kernel changes nothing, whatever the policy.
                      DecisionCase{KmemPolicy::Strip, false, true, KmemAction::Keep},
                      DecisionCase{KmemPolicy::Reject, false, true, KmemAction::Keep},
                      DecisionCase{KmemPolicy::Allow, false, true, KmemAction::Keep},
                      // Nothing to strip or reject without a kernel-memory setting.
                      DecisionCase{KmemPolicy::Strip, true, false, KmemAction::Keep},
                      DecisionCase{KmemPolicy::Reject, true, false, KmemAction::Keep},
                      DecisionCase{KmemPolicy::Allow, true, false, KmemAction::Keep},
                      DecisionCase{KmemPolicy::Strip, false, false, KmemAction::Keep},
                      DecisionCase{KmemPolicy::Reject, false, false, KmemAction::Keep},
                      DecisionCase{KmemPolicy::Allow, false, false, KmemAction::Keep}));

TEST(KernelGate, OverrideAndThreshold) {
  Config::KernelMemory k;
  k.kernel_release = "3.10.0-1160.el7.x86_64";
  KernelGate gate = evaluate_kernel_gate(k);
  EXPECT_TRUE(gate.below_minimum());
  EXPECT_EQ(gate.release, "3.10.0-1160.el7.x86_64");
  EXPECT_EQ(gate.details(), (nlohmann::json{{"kernel_release", "3.10.0-1160.el7.x86_64"}, {"min_kernel", "4.0"}}));

  k.kernel_release = "4.0.0";
  EXPECT_FALSE(evaluate_kernel_gate(k).below_minimum());
  k.min_kernel = "4.6";  // an operator who also wants to avoid the 4.0–4.5 kmem bugs
  EXPECT_TRUE(evaluate_kernel_gate(k).below_minimum());
  k.kernel_release = "4.19.0-0.bpo.8-amd64";
  EXPECT_FALSE(evaluate_kernel_gate(k).below_minimum());
}

TEST(KernelGate, MalformedValuesAreInternalErrorsNamingTheSetting) {
  Config::KernelMemory k;
  k.kernel_release = "el7";
  try {
    evaluate_kernel_gate(k);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_FALSE(e.is_refusal());
    EXPECT_NE(std::string(e.what()).find("kernel_memory.kernel_release"), std::string::npos) << e.what();
  }
  k.kernel_release = "3.10.0";
  k.min_kernel = "four";
  try {
    evaluate_kernel_gate(k);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("kernel_memory.min_kernel"), std::string::npos) << e.what();
  }
}

TEST(KernelGate, UnameWhenNotOverridden) {
  Config::KernelMemory k;
  KernelGate gate = evaluate_kernel_gate(k);
  EXPECT_FALSE(gate.release.empty());
}

TEST(KernelMemorySettings, WhatSetsALimit) {
  EXPECT_EQ(kernel_memory_settings(Json::parse(R"({"limit":1,"kernel":67108864})")), Json::parse(R"({"kernel":67108864})"));
  EXPECT_EQ(kernel_memory_settings(Json::parse(R"({"kernelTCP":-1})")), Json::parse(R"({"kernelTCP":-1})"));
  EXPECT_EQ(kernel_memory_settings(Json::parse(R"({"kernel":1,"kernelTCP":2})")), Json::parse(R"({"kernel":1,"kernelTCP":2})"));
  // runc skips 0 and null: nothing to strip or reject.
  EXPECT_TRUE(kernel_memory_settings(Json::parse(R"({"kernel":0,"kernelTCP":null,"limit":5})")).empty());
  EXPECT_TRUE(kernel_memory_settings(Json::parse(R"({"disableOOMKiller":false})")).empty());
  EXPECT_TRUE(kernel_memory_settings(Json::parse("[]")).empty());
  // Not a number: counted (runc would refuse it; we do not guess what was meant).
  EXPECT_EQ(kernel_memory_settings(Json::parse(R"({"kernel":"64M"})")), Json::parse(R"({"kernel":"64M"})"));
}

TEST(KernelMemorySettings, RemoveKeepsEverythingElseInOrder) {
  Spec spec = Spec::parse(R"({"linux":{"resources":{"memory":{"limit":1,"kernel":2,"swap":3,"kernelTCP":null,"x-unknown":{"a":1}}}}})");
  EXPECT_TRUE(spec.remove_fields({"linux", "resources", "memory"}, {"kernel", "kernelTCP"}));
  EXPECT_EQ(spec.serialize(), R"({"linux":{"resources":{"memory":{"limit":1,"swap":3,"x-unknown":{"a":1}}}}})");
  EXPECT_FALSE(spec.remove_fields({"linux", "resources", "memory"}, {"kernel", "kernelTCP"}));
}

struct AssignedCase {
  const char* memory;
  bool assigned;
};
class MemoryAssigned : public ::testing::TestWithParam<AssignedCase> {};
TEST_P(MemoryAssigned, LikeRuncsMemoryAssigned) {
  EXPECT_EQ(memory_assigned(Json::parse(GetParam().memory)), GetParam().assigned) << GetParam().memory;
}
INSTANTIATE_TEST_SUITE_P(
    Table, MemoryAssigned,
    ::testing::Values(AssignedCase{R"({})", false}, AssignedCase{R"({"disableOOMKiller":false})", false},
                      AssignedCase{R"({"limit":268435456})", true}, AssignedCase{R"({"limit":-1})", true},
                      AssignedCase{R"({"limit":0})", false}, AssignedCase{R"({"reservation":1})", true},
                      AssignedCase{R"({"swap":1})", true}, AssignedCase{R"({"swap":-1})", false},
                      AssignedCase{R"({"kernel":1})", true}, AssignedCase{R"({"kernel":-1})", false},
                      AssignedCase{R"({"kernelTCP":1})", true}, AssignedCase{R"({"disableOOMKiller":true})", true},
                      AssignedCase{R"({"swappiness":0})", true}, AssignedCase{R"({"swappiness":60})", true},
                      AssignedCase{R"({"swappiness":-1})", false},
                      AssignedCase{R"({"swappiness":18446744073709551615})", false},
                      AssignedCase{R"({"swappiness":null,"limit":null})", false}));

const Json* spec_memory(const Spec& spec) { return view_at(spec.view(), {"linux", "resources", "memory"}); }

TEST(SpecMemory, FindsOnlyObjects) {
  Spec spec = Spec::parse(R"({"linux":{"resources":{"memory":{"kernel":1}}}})");
  ASSERT_NE(spec_memory(spec), nullptr);
  EXPECT_EQ((*spec_memory(spec))["kernel"], 1);
  EXPECT_EQ(spec_memory(Spec::parse(R"({"process":{}})")), nullptr);
  EXPECT_EQ(spec_memory(Spec::parse(R"({"linux":{"resources":{"memory":null}}})")), nullptr);
  Spec update = Spec::parse(R"({"memory":{"kernel":1}})", "update", oci_resources_type());
  EXPECT_NE(view_at(update.view(), {"memory"}), nullptr);
}

TEST(DescribeSettings, NamesEveryField) {
  EXPECT_EQ(describe_settings(Json::parse(R"({"kernel":1,"kernelTCP":-1})"), "linux.resources.memory."),
            "linux.resources.memory.kernel=1, linux.resources.memory.kernelTCP=-1");
}

}  // namespace
}  // namespace rg
