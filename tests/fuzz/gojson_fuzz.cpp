// The Go-compatible JSON reader every guard decides on (oci/gojson.h). serialize() must write what Go
// reads exactly as it read the input (it is what flush() and the update filter hand to runc), a view must
// read back as itself, and replace_field must make the field decode to the replacement. Reading only what a
// type needs (parse_first_value_for) must fail exactly where and as the full read fails, end at the same
// byte and decode to the same view.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "oci/base/error.h"
#include "oci/gojson.h"
#include "oci/spec.h"
#include "oci/spec_schema.h"

namespace {

namespace gojson = rg::gojson;

std::optional<nlohmann::ordered_json> decoded(const gojson::Value& value, const gojson::Type& type) {
  try {
    return gojson::decode(value, type);
  } catch (const rg::Error&) {
    return std::nullopt;  // runc refuses the document
  }
}

void check_type(const gojson::Value& value, const gojson::Value& reread, const gojson::Type& type) {
  const auto view = decoded(value, type);
  if (view != decoded(reread, type)) std::abort();
  if (view && decoded(gojson::from_json(*view), type) != view) std::abort();
}

// The view, or the error decode() gives (its message names the field and the problem).
std::string decode_outcome(const gojson::Value& value, const gojson::Type& type) {
  try {
    return gojson::decode(value, type).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  } catch (const rg::Error& e) {
    return std::string("error: ") + e.what();
  }
}

// parse_first_value_for(text, type) against parse_first_value(text): the same error or the same view.
void check_typed_read(std::string_view text, const std::optional<gojson::Parsed>& full, const std::string& full_error,
                      const gojson::Type& type) {
  gojson::Parsed typed;
  try {
    typed = gojson::parse_first_value_for(text, type);
  } catch (const rg::Error& e) {
    if (full || e.what() != full_error) std::abort();
    return;
  }
  if (!full || typed.end != full->end || decode_outcome(typed.value, type) != decode_outcome(full->value, type)) std::abort();
}

// What the CVE-2022-29162 patch does to process.capabilities.inheritable.
void check_replace(gojson::Value value) {
  const nlohmann::ordered_json keep = nlohmann::ordered_json::array({"CAP_CHOWN"});
  const auto before = decoded(value, rg::oci_spec_type());
  if (!gojson::replace_field(value, {"process", "capabilities"}, "inheritable", gojson::from_json(keep)) || !before) return;
  const auto after = decoded(value, rg::oci_spec_type());
  if (!after) std::abort();
  const nlohmann::ordered_json* caps = rg::view_at(*after, {"process", "capabilities"});
  if (!caps) return;  // a later null took the whole struct away: nothing left to patch
  if (caps->value("inheritable", nlohmann::ordered_json()) != keep) std::abort();
  nlohmann::ordered_json expected = *before;
  expected["process"]["capabilities"]["inheritable"] = keep;
  if (*after != expected) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<gojson::Parsed> full;
  std::string full_error;
  try {
    full = gojson::parse_first_value(text);
  } catch (const rg::Error& e) {
    full_error = e.what();
  }
  for (const gojson::Type* type : {&rg::oci_spec_type(), &rg::oci_process_type(), &rg::oci_resources_type()})
    check_typed_read(text, full, full_error, *type);
  if (!full) return 0;
  gojson::Parsed parsed = std::move(*full);
  if (parsed.end > text.size()) std::abort();

  const std::string written = gojson::serialize(parsed.value);
  const gojson::Parsed reread = gojson::parse_first_value(written);  // throwing here is a bug
  if (reread.end != written.size() || gojson::serialize(reread.value) != written) std::abort();
  for (const gojson::Type* type : {&rg::oci_spec_type(), &rg::oci_process_type(), &rg::oci_resources_type()})
    check_type(parsed.value, reread.value, *type);
  check_replace(std::move(parsed.value));
  return 0;
}
