#include "oci/spec.h"

#include "oci/base/error.h"
#include "oci/base/files.h"

namespace rg {

Spec::Spec(nlohmann::ordered_json json, std::string path)
    : json_(std::move(json)), original_(json_), path_(std::move(path)) {}

Spec Spec::parse(std::string_view text, std::string config_path) {
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("malformed " + config_path + ": " + e.what());
  }
  if (!j.is_object()) throw Error("malformed " + config_path + ": not a JSON object");
  return Spec(std::move(j), std::move(config_path));
}

Spec Spec::load(const std::string& config_path) {
  std::string text;
  try {
    text = read_file(config_path);
  } catch (const Error& e) {
    throw e.wrap("load OCI spec");
  }
  return parse(text, config_path);
}

std::string Spec::serialize() const { return json_.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict); }

bool Spec::flush() {
  if (!changed()) return false;
  write_file_atomic(path_, serialize());
  original_ = json_;
  return true;
}

std::string spec_path_for_bundle(std::string_view bundle) {
  std::string p(bundle);
  if (p.empty() || p.back() != '/') p += '/';
  return p + "config.json";
}

}  // namespace rg
