#include "oci/spec.h"

#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/spec_schema.h"

namespace rg {

Spec::Spec(gojson::Value document, std::string path, const gojson::Type& type)
    : document_(std::move(document)), path_(std::move(path)), type_(&type) {
  redecode();
}

void Spec::redecode() {
  try {
    view_ = gojson::decode(document_, *type_);
  } catch (const Error& e) {
    throw Error::undecodable(path_ + ": " + e.what());
  }
}

Spec Spec::parse(std::string_view text, std::string config_path, const gojson::Type& type) {
  gojson::Parsed parsed;
  try {
    parsed = gojson::parse_first_value(text);
  } catch (const Error& e) {
    throw Error::undecodable("malformed " + config_path + ": " + e.what());
  }
  return Spec(std::move(parsed.value), std::move(config_path), type);
}

Spec Spec::parse(std::string_view text, std::string config_path) {
  return parse(text, std::move(config_path), oci_spec_type());
}

Spec Spec::load(const std::string& config_path, const gojson::Type& type) {
  std::string text;
  try {
    text = read_file(config_path);
  } catch (const Error& e) {
    throw e.wrap("load OCI spec");
  }
  return parse(text, config_path, type);
}

Spec Spec::load(const std::string& config_path) { return load(config_path, oci_spec_type()); }

bool Spec::remove_fields(std::initializer_list<std::string_view> path, std::initializer_list<std::string_view> fields) {
  if (gojson::remove_fields(document_, path, fields) == 0) return false;
  changed_ = true;
  ++edits_;
  redecode();
  return true;
}

bool Spec::replace_field(std::initializer_list<std::string_view> path, std::string_view field,
                         const nlohmann::ordered_json& value) {
  if (!gojson::replace_field(document_, path, field, gojson::from_json(value))) return false;
  changed_ = true;
  ++edits_;
  redecode();
  return true;
}

bool Spec::flush() {
  if (!changed_) return false;
  write_file_atomic(path_, serialize());
  changed_ = false;
  return true;
}

std::string spec_path_for_bundle(std::string_view bundle) {
  std::string p(bundle);
  if (p.empty() || p.back() != '/') p += '/';
  return p + "config.json";
}

const nlohmann::ordered_json* view_at(const nlohmann::ordered_json& view, std::initializer_list<std::string_view> path) {
  const nlohmann::ordered_json* at = &view;
  for (std::string_view key : path) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(std::string(key));
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at->is_null() ? nullptr : at;
}

std::string view_string(const nlohmann::ordered_json& view, std::initializer_list<std::string_view> path) {
  const auto* v = view_at(view, path);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

bool view_bool(const nlohmann::ordered_json& view, std::initializer_list<std::string_view> path) {
  const auto* v = view_at(view, path);
  return v && v->is_boolean() && v->get<bool>();
}

bool process_has_capability(const nlohmann::ordered_json& view, std::string_view capability) {
  const auto* bounding = view_at(view, {"process", "capabilities", "bounding"});
  if (!bounding || !bounding->is_array()) return false;
  for (const auto& c : *bounding)
    if (c.is_string() && c.get_ref<const std::string&>() == capability) return true;
  return false;
}

}  // namespace rg
