#pragma once
// A bundle's config.json: {load, modify, flush}. Keeps the whole document (unknown fields and key order
// survive) and writes it back atomically only if a guard really changed it.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace rg {

class Spec {
 public:
  // Throws rg::Error naming the file for a missing file or malformed JSON.
  static Spec load(const std::string& config_path);
  static Spec parse(std::string_view text, std::string config_path = "config.json");

  nlohmann::ordered_json& json() { return json_; }
  const nlohmann::ordered_json& json() const { return json_; }
  const std::string& path() const { return path_; }

  bool changed() const { return json_ != original_; }
  // The document as flush() writes it (runc accepts any valid JSON; we keep dockerd's compact style).
  std::string serialize() const;
  // Atomic replace (temp file in the bundle dir, fsync, rename; mode and owner kept) when changed().
  // Returns whether it wrote.
  bool flush();

 private:
  Spec(nlohmann::ordered_json json, std::string path);
  nlohmann::ordered_json json_;
  nlohmann::ordered_json original_;
  std::string path_;
};

// "<bundle>/config.json"
std::string spec_path_for_bundle(std::string_view bundle);

}  // namespace rg
