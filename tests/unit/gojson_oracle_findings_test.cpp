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
