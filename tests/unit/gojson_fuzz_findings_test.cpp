// Regressions found by the fuzz targets (tests/fuzz), pinned down as unit tests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "oci/kmem/update_guard.h"
#include "oci/spec.h"

namespace rg {
namespace {

// A key given again inside a field runc-guard does not model (hooks, linux.resources.cpu, …), once as a
// scalar and once as an object: Go reads it (the key names no field of runc's struct, or the later value
// replaces the earlier), but the generic merge threw nlohmann's type_error. That is not an rg::Error, so the
// runtime took it for a guard failure and ran the security guards' fail-open path: a config.json shaped
// like this turned the virtual patches off.
TEST(GoJsonFuzzFindings, RepeatedUnmodelledKeyOfAnotherTypeIsMergedNotThrown) {
  const Spec spec = Spec::parse(R"({"hooks":{"a":1,"b":{"c":1}},"hooks":{"a":{"x":2},"b":{"d":2}}})");
  EXPECT_EQ(spec.view()["hooks"], nlohmann::ordered_json::parse(R"({"a":{"x":2},"b":{"c":1,"d":2}})"));
  EXPECT_EQ(Spec::parse(R"({"hooks":{"p":{"q":[1]}},"hooks":{"p":{"q":{"r":1}}}})").view()["hooks"]["p"]["q"],
            nlohmann::ordered_json::parse(R"({"r":1})"));
  // Within one occurrence too, and where the update guard reads linux.resources.
  EXPECT_EQ(Spec::parse(R"({"hooks":{"h":{"a":1,"h":2},"h":{"a":{"y":3}}}})").view()["hooks"]["h"]["a"],
            nlohmann::ordered_json::parse(R"({"y":3})"));
  const UpdateResources update = filter_update_resources(R"({"cpu":{"a":1},"cpu":{"a":{}},"memory":{"kernel":5}})");
  EXPECT_TRUE(update.parsed) << update.problem;
  EXPECT_EQ(update.filtered, R"({"cpu":{"a":1},"cpu":{"a":{}},"memory":{}})");
}

}  // namespace
}  // namespace rg
