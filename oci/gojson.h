#pragma once
// JSON read exactly the way runc reads it: Go's encoding/json (json.NewDecoder(f).Decode(&v)).
//
// runc-guard decides on config.json, process.json and `update -r` documents as root, and runc — not
// runc-guard — is what applies them, so both must see the same document. Go's decoder differs from a
// strict RFC 8259 parser such as nlohmann's:
//   - only the first value is read; bytes after it are never looked at;
//   - invalid UTF-8 and lone surrogate escapes ("\ud800") are accepted and read as U+FFFD;
//   - object keys match struct fields case-insensitively, with U+212A KELVIN SIGN matching k and U+017F
//     LONG S matching s; an exact match wins over a folded one;
//   - a repeated key is decoded again into the same field: scalars and arrays are replaced, objects
//     (structs, pointers to structs, maps) are merged, null clears pointers, slices and maps and is
//     ignored by plain values;
//   - integers must be integer literals in range (1e3 or 99999999999999999999 into an int64 field is an
//     error, and runc then refuses the whole file); nesting deeper than 10000 is an error.
//
// parse_first_value() reads the bytes into a tree that keeps every member (duplicates, spellings) with
// strings decoded as Go decodes them; decode() turns that tree into the view a Go program would have
// after decoding into a given Go type (Schema), as nlohmann JSON with the canonical field names: absent
// for nil/unset, present for set values. What the view cannot say exactly is an error: a type error
// (runc refuses the file), a slice of structs given twice (Go versions fill such slices differently), or
// a list given again with a null element (Go keeps the element the reused slice held there).
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rg::gojson {

// An object member. A named struct, not std::pair<std::string, Value>: a pair may not be instantiated while
// Value is still incomplete (clang with libstdc++ refuses it), a vector of a declared struct may.
struct Member;

struct Value {
  enum class Kind : std::uint8_t { Null, False, True, Number, String, Array, Object };
  Kind kind = Kind::Null;
  std::string text;             // Number: the literal; String: decoded UTF-8
  std::vector<Value> items;     // Array
  std::vector<Member> members;  // Object, in document order, duplicates kept

  bool is_object() const { return kind == Kind::Object; }
};

struct Member {
  std::string key;
  Value value;
};

constexpr std::size_t kGoMaxDepth = 10000;

struct Parsed {
  Value value;
  std::size_t end = 0;  // offset just past the first value
};
// The first JSON value of `text`, as Go's json.Decoder reads it. Throws rg::Error of kind Undecodable
// with the offset for a syntax error, an incomplete value or nesting deeper than `max_depth`.
Parsed parse_first_value(std::string_view text, std::size_t max_depth = kGoMaxDepth);

// The same, keeping only what decode(…, type) reads: object members no struct field of `type` takes are
// scanned (a syntax error anywhere is still an error, with the same message) but not stored, so a large
// document of which little is read costs neither the tree nor its memory. The tree is for decode() only:
// written back (serialize, replace_field, remove_fields) it would lose what was not kept.
struct Type;
Parsed parse_first_value_for(std::string_view text, const Type& type, std::size_t max_depth = kGoMaxDepth);

// Compact JSON; strings are re-escaped from their decoded form (so the output is valid UTF-8), numbers
// keep their literal. Go reads the output exactly as it read the input.
std::string serialize(const Value& value);

// Go's match of an object key against a struct field name (ASCII): equal ignoring ASCII case, with
// U+212A matching k/K and U+017F matching s/S.
bool go_equal_fold(std::string_view field, std::string_view key);

// ---- Go types, enough of them to describe the OCI spec structs runc decodes into ----

enum class GoKind : std::uint8_t {
  Any,     // a type runc-guard does not model: merged/replaced generically, never an error
  Bool,
  Int,     // signed, `bits` wide
  Uint,    // unsigned, `bits` wide
  String,
  Struct,  // `fields`
  Ptr,     // pointer to `elem`
  Slice,   // of `elem`
  Map,     // map[string]`elem`
};

struct Type;
struct Field {
  std::string_view name;  // the json tag
  const Type* type;
};
struct Type {
  GoKind kind;
  int bits = 64;
  const Type* elem = nullptr;
  std::span<const Field> fields{};
};

// Decodes `value` into a fresh value of `type`. Throws rg::Error of kind Undecodable naming the field
// (e.g. "linux.resources.memory.kernel: number 1e3 is not an int64") for the first problem.
nlohmann::ordered_json decode(const Value& value, const Type& type);

// ---- editing a tree so that Go's view changes only as intended ----

// Every object reached from `root` through the struct fields `path` (each matched the way Go matches
// keys, through every occurrence of a repeated key), in document order.
std::vector<Value*> objects_at(Value& root, std::initializer_list<std::string_view> path);
// Removes every member of those objects whose key Go would take for one of `fields`. Returns how many.
std::size_t remove_fields(Value& root, std::initializer_list<std::string_view> path,
                          std::initializer_list<std::string_view> fields);
// Makes `field` of the struct at `path` decode to `replacement`: removes every occurrence and adds one to
// the last object there (the one Go decodes last). False when there is no object at `path`.
bool replace_field(Value& root, std::initializer_list<std::string_view> path, std::string_view field,
                   Value replacement);
// A tree holding the same JSON as `j` (for values a guard computes).
Value from_json(const nlohmann::ordered_json& j);

}  // namespace rg::gojson
