// Regressions found by the Go oracle (tests/integration/json_oracle.sh), pinned down without Go.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "oci/base/error.h"
#include "oci/gojson.h"
#include "oci/spec.h"
#include "oci/spec_schema.h"

namespace rg {
namespace {

bool undecodable(std::string_view text, const gojson::Type& type = oci_spec_type()) {
  try {
    (void)Spec::parse(text, "config.json", type);
    return false;
  } catch (const Error& e) {
    return e.is_undecodable();
  }
}

// Go decodes a repeated list into the slice it already holds: a null element keeps the element that was
// there ("maskedPaths":["/proc/kcore"],"maskedPaths":[null] reads as ["/proc/kcore"], not [""]).
TEST(GoJsonOracleFindings, RepeatedListWithNullElementIsRefused) {
  EXPECT_TRUE(undecodable(R"({"linux":{"maskedPaths":["/proc/kcore","/proc/keys"],"maskedPaths":[null,"/x"]}})"));
  EXPECT_TRUE(undecodable(R"({"cwd":"/","env":["A=1"],"ENV":[null]})", oci_process_type()));
  EXPECT_TRUE(undecodable(R"({"process":{"capabilities":{"bounding":["CAP_A","CAP_B"],"bounding":["CAP_C",null]}}})"));
  EXPECT_TRUE(undecodable(R"({"linux":{"seccomp":{"flags":["SECCOMP_FILTER_FLAG_LOG"],"flags":[null]}}})"));
  // Still read: a repeat without nulls (replaces), nulls in the first occurrence (zero values), and a repeat
  // after null or [] (Go starts a fresh slice then).
  auto masked = [](std::string_view text) { return Spec::parse(text).view()["linux"]["maskedPaths"]; };
  EXPECT_EQ(masked(R"({"linux":{"maskedPaths":["/a","/b"],"maskedPaths":["/c"]}})"), nlohmann::ordered_json({"/c"}));
  EXPECT_EQ(masked(R"({"linux":{"maskedPaths":[null,"/b"]}})"), nlohmann::ordered_json({"", "/b"}));
  EXPECT_EQ(masked(R"({"linux":{"maskedPaths":["/a"],"maskedPaths":null,"maskedPaths":[null]}})"), nlohmann::ordered_json({""}));
  EXPECT_EQ(masked(R"({"linux":{"maskedPaths":["/a"],"maskedPaths":[],"maskedPaths":[null]}})"), nlohmann::ordered_json({""}));
}

// linux.seccomp.flags is read by the seccomp guard: decoded as Go's []LinuxSeccompFlag (strings).
TEST(GoJsonOracleFindings, SeccompFlagsAreStrings) {
  EXPECT_TRUE(undecodable(R"({"linux":{"seccomp":{"flags":[1]}}})"));
  EXPECT_EQ(Spec::parse(R"({"linux":{"seccomp":{"flags":[null,"F"]}}})").view()["linux"]["seccomp"]["flags"],
            nlohmann::ordered_json({"", "F"}));
}

// Raw bytes are decoded rune by rune from at most 4 bytes (it used to search for the closing quote for each
// non-ASCII character: quadratic time in the string's length).
TEST(GoJsonOracleFindings, RawUtf8IsDecodedInLinearTime) {
  EXPECT_EQ(gojson::parse_first_value("\"a\xe2\x84\"").value.text, "a\xef\xbf\xbd\xef\xbf\xbd");  // truncated → 2×U+FFFD
  EXPECT_EQ(gojson::parse_first_value("\"\xe2\x84\xaa\xf0\x9f\x98\x80\xc3\"").value.text,
            "\xe2\x84\xaa\xf0\x9f\x98\x80\xef\xbf\xbd");
  std::string big = "\"";
  for (int i = 0; i < 1000000; ++i) big += "\xc3\xa9";  // 2 MB of é
  big += "\"";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(gojson::parse_first_value(big).value.text.size(), 2000000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));  // linear: ~10 ms; quadratic: minutes
}

}  // namespace
}  // namespace rg
