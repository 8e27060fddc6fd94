// `runc update -r` documents (oci/kmem/update_guard.h). The reader stops where the first JSON value ends,
// so that must be where runc's decoder stops too; and what filter_update_resources hands on reads as the
// same resources minus kernel memory, with any bytes after the document kept.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "oci/base/error.h"
#include "oci/gojson.h"
#include "oci/kmem/policy.h"
#include "oci/kmem/update_guard.h"
#include "oci/spec_schema.h"
#include "runc_reads.h"

namespace {

// The view runc decodes from `text` into LinuxResources, or nullopt when it refuses the document.
std::optional<nlohmann::ordered_json> resources_view(std::string_view text) {
  const std::optional<rg::Spec> resources = rg::fuzz::runc_reads(text, rg::oci_resources_type());
  return resources ? std::optional(resources->view()) : std::nullopt;
}

void check_end_of_first_value(std::string_view text) {
  const std::optional<std::size_t> end = rg::end_of_first_json_value(text);
  if (end && (*end == 0 || *end > text.size())) std::abort();
  try {
    const rg::gojson::Parsed parsed = rg::gojson::parse_first_value(text);
    // A complete object or array: the reader must not stop before runc's decoder does, nor read past it.
    if ((parsed.value.is_object() || parsed.value.kind == rg::gojson::Value::Kind::Array) && end != parsed.end)
      std::abort();
  } catch (const rg::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_end_of_first_value(text);

  const rg::UpdateResources filtered = rg::filter_update_resources(text);
  const std::optional<nlohmann::ordered_json> before = resources_view(text);
  if (filtered.parsed != before.has_value()) std::abort();
  if (!filtered.parsed) return 0;
  if (filtered.kernel_settings.empty()) {
    if (filtered.filtered != text) std::abort();  // nothing to strip: runc gets the bytes it was given
    return 0;
  }
  const std::optional<nlohmann::ordered_json> after = resources_view(filtered.filtered);
  if (!after) std::abort();
  nlohmann::ordered_json expected = *before;
  for (std::string_view field : rg::kKernelMemoryFields) expected["memory"].erase(std::string(field));
  if (*after != expected) std::abort();
  const rg::UpdateResources again = rg::filter_update_resources(filtered.filtered);
  if (!again.parsed || !again.kernel_settings.empty()) std::abort();
  return 0;
}
