#pragma once
// A bundle's config.json (or a process.json / resources document): {load, read, modify, flush}.
//
// Read exactly as runc reads it (oci/gojson.h): view() is what runc's Go decoder sees — canonical field
// names, repeated keys merged, U+FFFD for invalid UTF-8 — and a document it would read differently, or not
// at all, is refused at load (rg::Error of kind Undecodable). Edits go to the document tree itself, so
// everything runc-guard does not touch (unknown fields, key order, spellings) reaches runc as it was; the
// view is recomputed after each edit. flush() writes back atomically, and only when something changed.
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "oci/gojson.h"

namespace rg {

class Spec {
 public:
  // Throws rg::Error naming the file: Internal when it cannot be read, Undecodable (see above).
  static Spec load(const std::string& config_path, const gojson::Type& type);
  static Spec load(const std::string& config_path);  // an OCI config.json
  static Spec parse(std::string_view text, std::string config_path, const gojson::Type& type);
  static Spec parse(std::string_view text, std::string config_path = "config.json");

  // What runc sees. Never null; objects for structs.
  const nlohmann::ordered_json& view() const { return view_; }
  const std::string& path() const { return path_; }
  // The Go type the view was decoded into (oci_spec_type(), or a narrower one such as
  // oci_spec_type_without_seccomp()).
  const gojson::Type& type() const { return *type_; }

  // Removes every spelling/occurrence of `fields` of the struct at `path` (e.g. {"linux", "resources",
  // "memory"}, {"kernel", "kernelTCP"}). Returns whether anything was removed.
  bool remove_fields(std::initializer_list<std::string_view> path, std::initializer_list<std::string_view> fields);
  // Sets `field` of the struct at `path` to `value` as runc will read it. False when there is no such struct.
  bool replace_field(std::initializer_list<std::string_view> path, std::string_view field,
                     const nlohmann::ordered_json& value);

  bool changed() const { return changed_; }
  // How many edits were made (to tell which guard changed it).
  std::size_t edits() const { return edits_; }
  // The document as flush() writes it (compact; what followed the first value in the file is dropped, as
  // runc never reads it).
  std::string serialize() const { return gojson::serialize(document_); }
  // Atomic replace (temp file in the bundle dir, fsync, rename; mode and owner kept) when changed().
  // Returns whether it wrote.
  bool flush();

 private:
  Spec(gojson::Value document, std::string path, const gojson::Type& type);
  void redecode();
  gojson::Value document_;
  nlohmann::ordered_json view_;
  std::string path_;
  const gojson::Type* type_;
  bool changed_ = false;
  std::size_t edits_ = 0;
};

// "<bundle>/config.json"
std::string spec_path_for_bundle(std::string_view bundle);

// Small readers of a view (absent, null or mistyped → the fallback).
const nlohmann::ordered_json* view_at(const nlohmann::ordered_json& view, std::initializer_list<std::string_view> path);
std::string view_string(const nlohmann::ordered_json& view, std::initializer_list<std::string_view> path);
bool view_bool(const nlohmann::ordered_json& view, std::initializer_list<std::string_view> path);
// Whether process.capabilities.bounding of a config.json view holds `capability` ("CAP_SYS_ADMIN").
bool process_has_capability(const nlohmann::ordered_json& view, std::string_view capability);

}  // namespace rg
