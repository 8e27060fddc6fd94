#pragma once
// What several fuzz targets start from: a document as runc would read it, or nothing when runc refuses it.
#include <optional>
#include <string_view>

#include "oci/base/error.h"
#include "oci/spec.h"
#include "oci/spec_schema.h"

namespace rg::fuzz {

inline std::optional<Spec> runc_reads(std::string_view text, const gojson::Type& type = oci_spec_type()) {
  try {
    return Spec::parse(text, "fuzz.json", type);
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace rg::fuzz
