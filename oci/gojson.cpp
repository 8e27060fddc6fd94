#include "oci/gojson.h"

#include <charconv>
#include <cstdio>
#include <limits>

#include "oci/base/error.h"

namespace rg::gojson {
namespace {

const Field* find_field(const Type& t, std::string_view key);

// What of a value is kept while scanning: everything (`Keep::All`), nothing but its syntax (`Keep::None`:
// a member no struct field takes), or what decoding into `type` reads.
struct Keep {
  enum class What : std::uint8_t { All, None, Typed } what = What::All;
  const Type* type = nullptr;
  static Keep of(const Type* t) {
    while (t && t->kind == GoKind::Ptr) t = t->elem;
    if (!t || t->kind == GoKind::Any) return {};
    return {What::Typed, t};
  }
  // The part of a container value an element or member goes to.
  Keep element() const { return what == What::Typed ? of(type->elem) : *this; }
  Keep member(std::string_view key) const {
    if (what != What::Typed || type->kind == GoKind::Map) return element();
    if (type->kind != GoKind::Struct) return {};  // a type error for decode(): kept, so it can say so
    const Field* f = find_field(*type, key);
    return f ? of(f->type) : Keep{What::None};
  }
};

// ---- scanning (Go's encoding/json scanner + unquote) ----

class Parser {
 public:
  Parser(std::string_view text, std::size_t max_depth) : s_(text), max_depth_(max_depth) {}

  Parsed run(Keep keep) {
    Parsed out;
    skip_space();
    parse_value(&out.value, 0, keep);
    out.end = i_;
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error::undecodable(what + " at offset " + std::to_string(i_));
  }
  [[noreturn]] void unexpected(std::string_view looking_for) const {
    if (i_ >= s_.size()) throw Error::undecodable("unexpected end of JSON input");
    char c = s_[i_];
    char shown[16];
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      std::snprintf(shown, sizeof shown, "\\x%02x", static_cast<unsigned char>(c));
    else
      std::snprintf(shown, sizeof shown, "%c", c);
    fail(std::string("invalid character '") + shown + "' " + std::string(looking_for));
  }

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  // `v` null: the value is scanned exactly as it would be kept, and nothing of it is stored.
  void parse_value(Value* v, std::size_t depth, Keep keep) {
    if (i_ >= s_.size()) unexpected("looking for beginning of value");
    if (keep.what == Keep::What::None) v = nullptr;
    switch (s_[i_]) {
      case '{': return parse_object(v, depth + 1, keep);
      case '[': return parse_array(v, depth + 1, keep);
      case '"':
        if (v) v->kind = Value::Kind::String;
        parse_string(v ? &v->text : nullptr);
        return;
      case 't': return literal(v, "true", Value::Kind::True);
      case 'f': return literal(v, "false", Value::Kind::False);
      case 'n': return literal(v, "null", Value::Kind::Null);
      default:
        if (s_[i_] == '-' || (s_[i_] >= '0' && s_[i_] <= '9')) return parse_number(v);
        unexpected("looking for beginning of value");
    }
  }

  void literal(Value* v, std::string_view word, Value::Kind kind) {
    for (char c : word) {
      if (i_ >= s_.size() || s_[i_] != c) unexpected("in literal " + std::string(word));
      ++i_;
    }
    if (v) v->kind = kind;
  }

  bool digit() const { return i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; }

  void parse_number(Value* v) {
    const std::size_t start = i_;
    if (s_[i_] == '-') ++i_;
    if (!digit()) unexpected("in numeric literal");
    if (s_[i_] == '0') ++i_;
    else while (digit()) ++i_;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!digit()) unexpected("after decimal point in numeric literal");
      while (digit()) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digit()) unexpected("in exponent of numeric literal");
      while (digit()) ++i_;
    }
    if (!v) return;
    v->kind = Value::Kind::Number;
    v->text = std::string(s_.substr(start, i_ - start));
  }

  void enter(std::size_t depth) const {
    if (depth > max_depth_) fail("exceeded max depth");
  }

  void parse_object(Value* v, std::size_t depth, Keep keep) {
    enter(depth);
    if (v) v->kind = Value::Kind::Object;
    ++i_;
    skip_space();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return;
    }
    for (;;) {
      if (i_ >= s_.size() || s_[i_] != '"') unexpected("looking for beginning of object key string");
      // The key is needed to keep it, or to choose a struct's field by it.
      std::string key;
      parse_string(v || keep.what == Keep::What::Typed ? &key : nullptr);
      skip_space();
      if (i_ >= s_.size() || s_[i_] != ':') unexpected("after object key");
      ++i_;
      skip_space();
      const Keep below = keep.member(key);
      if (v && below.what != Keep::What::None) {
        v->members.emplace_back(std::move(key), Value{});
        parse_value(&v->members.back().value, depth, below);
      } else {
        parse_value(nullptr, depth, below);
      }
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        skip_space();
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return;
      }
      unexpected("after object key:value pair");
    }
  }

  void parse_array(Value* v, std::size_t depth, Keep keep) {
    enter(depth);
    if (v) v->kind = Value::Kind::Array;
    ++i_;
    skip_space();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return;
    }
    for (;;) {
      if (v) v->items.emplace_back();
      parse_value(v ? &v->items.back() : nullptr, depth, keep.element());
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        skip_space();
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return;
      }
      unexpected("after array element");
    }
  }

  static void put_utf8(std::string& out, std::uint32_t r) {
    if (r < 0x80) {
      out += static_cast<char>(r);
    } else if (r < 0x800) {
      out += static_cast<char>(0xC0 | (r >> 6));
      out += static_cast<char>(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
      out += static_cast<char>(0xE0 | (r >> 12));
      out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (r & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (r >> 18));
      out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (r & 0x3F));
    }
  }

  // Go's utf8.DecodeRune: the rune and its length, or (U+FFFD, 1) for anything invalid.
  static std::pair<std::uint32_t, std::size_t> decode_rune(std::string_view s) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
      return k < s.size() && b(k) >= lo && b(k) <= hi;
    };
    const unsigned c = b(0);
    if (c >= 0xC2 && c <= 0xDF && cont(1)) return {((c & 0x1F) << 6) | (b(1) & 0x3F), 2};
    if (c >= 0xE0 && c <= 0xEF) {
      unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      if (cont(1, lo, hi) && cont(2)) return {((c & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F), 3};
    }
    if (c >= 0xF0 && c <= 0xF4) {
      unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      if (cont(1, lo, hi) && cont(2) && cont(3))
        return {((c & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F), 4};
    }
    return {0xFFFD, 1};
  }

  int hex4(std::size_t at) const {
    if (at + 4 > s_.size()) return -1;
    int v = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      char c = s_[k];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return -1;
    }
    return v;
  }

  static void put(std::string* out, char c) {
    if (out) *out += c;
  }

  // Scans a string literal, appending its decoded text to `out` (when not null).
  void parse_string(std::string* out) {
    ++i_;  // opening quote
    for (;;) {
      // Most of a document is plain printable ASCII: copied a run at a time, not a byte at a time.
      std::size_t run = i_;
      while (run < s_.size()) {
        const unsigned char p = static_cast<unsigned char>(s_[run]);
        if (p < 0x20 || p >= 0x80 || p == '"' || p == '\\') break;
        ++run;
      }
      if (out) out->append(s_.data() + i_, run - i_);
      i_ = run;
      if (i_ >= s_.size()) unexpected("in string literal");
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return;
      }
      if (c < 0x20) unexpected("in string literal");
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) {
          i_ = s_.size();
          unexpected("in string escape code");
        }
        const char e = s_[i_ + 1];
        i_ += 2;
        switch (e) {
          case '"': put(out, '"'); break;
          case '\\': put(out, '\\'); break;
          case '/': put(out, '/'); break;
          case 'b': put(out, '\b'); break;
          case 'f': put(out, '\f'); break;
          case 'n': put(out, '\n'); break;
          case 'r': put(out, '\r'); break;
          case 't': put(out, '\t'); break;
          case 'u': {
            int r = hex4(i_);
            if (r < 0) unexpected("in \\u hexadecimal character escape");
            i_ += 4;
            std::uint32_t rune = static_cast<std::uint32_t>(r);
            if (rune >= 0xD800 && rune < 0xE000) {
              // A valid pair is one rune; anything else is U+FFFD, and the next escape is read on its own.
              int r2 = (i_ + 1 < s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u') ? hex4(i_ + 2) : -1;
              if (rune < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000) {
                rune = 0x10000 + ((rune - 0xD800) << 10) + (static_cast<std::uint32_t>(r2) - 0xDC00);
                i_ += 6;
              } else {
                rune = 0xFFFD;
              }
            }
            if (out) put_utf8(*out, rune);
            break;
          }
          default:
            i_ -= 1;
            unexpected("in string escape code");
        }
        continue;
      }
      // Raw bytes (plain ASCII was copied with its run above): the scanner accepts any; Go's unquote turns what
      // is not UTF-8 into U+FFFD, byte by byte.
      // (A rune is at most 4 bytes, and neither '"' nor '\\' is a continuation byte, so 4 bytes are enough.)
      auto [rune, size] = decode_rune(s_.substr(i_, 4));
      if (out) put_utf8(*out, rune);
      i_ += size;
    }
  }

  std::string_view s_;
  std::size_t max_depth_;
  std::size_t i_ = 0;
};

void escape_into(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void serialize_into(std::string& out, const Value& v) {
  switch (v.kind) {
    case Value::Kind::Null: out += "null"; return;
    case Value::Kind::False: out += "false"; return;
    case Value::Kind::True: out += "true"; return;
    case Value::Kind::Number: out += v.text; return;
    case Value::Kind::String: escape_into(out, v.text); return;
    case Value::Kind::Array: {
      out += '[';
      for (std::size_t k = 0; k < v.items.size(); ++k) {
        if (k) out += ',';
        serialize_into(out, v.items[k]);
      }
      out += ']';
      return;
    }
    case Value::Kind::Object: {
      out += '{';
      for (std::size_t k = 0; k < v.members.size(); ++k) {
        if (k) out += ',';
        escape_into(out, v.members[k].key);
        out += ':';
        serialize_into(out, v.members[k].value);
      }
      out += '}';
      return;
    }
  }
}

// ---- decoding into Go types ----

std::string_view kind_name(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Null: return "null";
    case Value::Kind::False:
    case Value::Kind::True: return "bool";
    case Value::Kind::Number: return "number";
    case Value::Kind::String: return "string";
    case Value::Kind::Array: return "array";
    case Value::Kind::Object: return "object";
  }
  return "value";
}

std::string type_name(const Type& t) {
  switch (t.kind) {
    case GoKind::Any: return "value";
    case GoKind::Bool: return "bool";
    case GoKind::Int: return std::string("int") + std::to_string(t.bits);
    case GoKind::Uint: return std::string("uint") + std::to_string(t.bits);
    case GoKind::String: return "string";
    case GoKind::Struct: return "struct";
    case GoKind::Ptr: return std::string("*") + type_name(*t.elem);
    case GoKind::Slice: return std::string("[]") + type_name(*t.elem);
    case GoKind::Map: return std::string("map[string]") + type_name(*t.elem);
  }
  return "?";
}

// Where decode_into is in the document, for error messages only: built as a chain on the stack and spelled
// out only when an error names it (spelling every node's path made most of decode's allocations).
struct DecodePath {
  enum class Step { Root, Field, Index, Key };
  const DecodePath* parent = nullptr;
  Step step = Step::Root;
  std::string_view name;  // Field, Key
  std::size_t index = 0;  // Index

  DecodePath field(std::string_view n) const { return {this, Step::Field, n, 0}; }
  DecodePath element(std::size_t k) const { return {this, Step::Index, {}, k}; }
  DecodePath key(std::string_view k) const { return {this, Step::Key, k, 0}; }

  std::string str() const {
    if (step == Step::Root) return {};
    std::string out = parent->str();
    switch (step) {
      case Step::Field: return out.empty() ? std::string(name) : out + "." + std::string(name);
      case Step::Index: return out + "[" + std::to_string(index) + "]";
      case Step::Key: return out + "[\"" + std::string(name) + "\"]";
      case Step::Root: break;
    }
    return out;
  }
};

[[noreturn]] void type_error(const DecodePath& at, const Value& v, const Type& t) {
  const std::string path = at.str();
  throw Error::undecodable((path.empty() ? std::string("document") : path) + ": cannot decode " +
                           std::string(kind_name(v)) + " " + (v.kind == Value::Kind::Number ? v.text + " " : "") +
                           "as " + type_name(t) + " (runc refuses it)");
}

// A key decoded again into a type runc-guard does not model: objects are merged member by member, anything
// else is replaced. (nlohmann's update(…, true) throws where an object meets a member that is not one.)
void merge_generic(nlohmann::ordered_json& into, nlohmann::ordered_json from) {
  if (!into.is_object() || !from.is_object()) {
    into = std::move(from);
    return;
  }
  for (auto& [key, value] : from.items()) merge_generic(into[key], std::move(value));
}

nlohmann::ordered_json generic(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Null: return nullptr;
    case Value::Kind::False: return false;
    case Value::Kind::True: return true;
    case Value::Kind::String: return v.text;
    case Value::Kind::Number: {
      auto n = nlohmann::ordered_json::parse(v.text, nullptr, false);
      return n.is_discarded() ? nlohmann::ordered_json(v.text) : n;
    }
    case Value::Kind::Array: {
      auto a = nlohmann::ordered_json::array();
      for (const auto& item : v.items) a.push_back(generic(item));
      return a;
    }
    case Value::Kind::Object: {
      auto o = nlohmann::ordered_json::object();
      for (const auto& [k, item] : v.members) merge_generic(o[k], generic(item));  // a new key starts as null
      return o;
    }
  }
  return nullptr;
}

bool is_integer_literal(std::string_view t, bool allow_sign) {
  std::size_t k = 0;
  if (allow_sign && k < t.size() && t[k] == '-') ++k;
  if (k == t.size()) return false;
  for (; k < t.size(); ++k)
    if (t[k] < '0' || t[k] > '9') return false;
  return true;
}

nlohmann::ordered_json zero_of(const Type& t) {
  switch (t.kind) {
    case GoKind::Bool: return false;
    case GoKind::Int:
    case GoKind::Uint: return 0;
    case GoKind::String: return "";
    case GoKind::Struct: return nlohmann::ordered_json::object();
    default: return nullptr;
  }
}

const Field* find_field(const Type& t, std::string_view key) {
  for (const auto& f : t.fields)
    if (f.name == key) return &f;
  for (const auto& f : t.fields)
    if (go_equal_fold(f.name, key)) return &f;
  return nullptr;
}

bool composite(const Type& t) { return t.kind != GoKind::Bool && t.kind != GoKind::Int && t.kind != GoKind::Uint && t.kind != GoKind::String; }

// Decodes `v` into the Go value whose view is `out` (`present`: the value is set / the pointer non-nil).
void decode_into(const Value& v, const Type& t, nlohmann::ordered_json& out, bool& present, const DecodePath& path) {
  const bool is_null = v.kind == Value::Kind::Null;
  switch (t.kind) {
    case GoKind::Any:
      if (present) merge_generic(out, generic(v));
      else out = generic(v);
      present = !is_null;
      return;
    case GoKind::Bool:
      if (is_null) return;
      if (v.kind != Value::Kind::True && v.kind != Value::Kind::False) type_error(path, v, t);
      out = v.kind == Value::Kind::True;
      present = true;
      return;
    case GoKind::Int: {
      if (is_null) return;
      if (v.kind != Value::Kind::Number || !is_integer_literal(v.text, true)) type_error(path, v, t);
      std::int64_t n = 0;
      auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
      const std::int64_t max = t.bits >= 64 ? std::numeric_limits<std::int64_t>::max() : (std::int64_t{1} << (t.bits - 1)) - 1;
      if (ec != std::errc() || n > max || n < -max - 1) type_error(path, v, t);
      out = n;
      present = true;
      return;
    }
    case GoKind::Uint: {
      if (is_null) return;
      if (v.kind != Value::Kind::Number || !is_integer_literal(v.text, false)) type_error(path, v, t);
      std::uint64_t n = 0;
      auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
      const std::uint64_t max = t.bits >= 64 ? std::numeric_limits<std::uint64_t>::max() : (std::uint64_t{1} << t.bits) - 1;
      if (ec != std::errc() || n > max) type_error(path, v, t);
      out = n;
      present = true;
      return;
    }
    case GoKind::String:
      if (is_null) return;
      if (v.kind != Value::Kind::String) type_error(path, v, t);
      out = v.text;
      present = true;
      return;
    case GoKind::Struct: {
      if (is_null) return;
      if (!v.is_object()) type_error(path, v, t);
      if (!present || !out.is_object()) out = nlohmann::ordered_json::object();
      present = true;
      for (const auto& [key, member] : v.members) {
        const Field* f = find_field(t, key);
        if (!f) continue;  // Go ignores keys that name no field
        const std::string name(f->name);
        auto it = out.find(name);
        bool field_present = it != out.end();
        nlohmann::ordered_json field_value = field_present ? *it : nlohmann::ordered_json();
        decode_into(member, *f->type, field_value, field_present, path.field(f->name));
        if (field_present) out[name] = std::move(field_value);
        else if (it != out.end()) out.erase(name);
      }
      return;
    }
    case GoKind::Ptr:
      if (is_null) {
        present = false;
        out = nullptr;
        return;
      }
      if (!present) {
        out = zero_of(*t.elem);
        // A pointer to a struct/scalar is allocated (non-nil) even when the value then fails to decode.
      }
      {
        bool inner = present && !out.is_null();
        decode_into(v, *t.elem, out, inner, path);
        if (!inner) out = zero_of(*t.elem);
        present = true;
      }
      return;
    case GoKind::Slice: {
      if (is_null) {
        present = false;
        out = nullptr;
        return;
      }
      if (v.kind != Value::Kind::Array) type_error(path, v, t);
      // Decoding an array into a slice that already holds elements reuses them; how many depends on the Go
      // version (growth policy), so a composite slice given twice has no single reading.
      if (present && composite(*t.elem))
        throw Error::undecodable(path.str() + ": given more than once (Go versions decode a repeated list of objects "
                                 "differently)");
      // A null element leaves what the reused slice held at that index (also past its old length, within its
      // capacity: an earlier, longer occurrence) — not in the view, so no single reading either.
      if (present && !out.empty())
        for (const auto& item : v.items)
          if (item.kind == Value::Kind::Null)
            throw Error::undecodable(path.str() + ": given more than once with a null element (Go keeps an earlier "
                                     "element there)");
      auto a = nlohmann::ordered_json::array();
      for (std::size_t k = 0; k < v.items.size(); ++k) {
        nlohmann::ordered_json element = zero_of(*t.elem);
        bool element_present = t.elem->kind == GoKind::Struct;  // a struct element exists, zero-valued
        decode_into(v.items[k], *t.elem, element, element_present, path.element(k));
        a.push_back(element_present ? std::move(element) : zero_of(*t.elem));
      }
      out = std::move(a);
      present = true;
      return;
    }
    case GoKind::Map: {
      if (is_null) {
        present = false;
        out = nullptr;
        return;
      }
      if (!v.is_object()) type_error(path, v, t);
      if (!present || !out.is_object()) out = nlohmann::ordered_json::object();
      present = true;
      for (const auto& [key, member] : v.members) {
        // Each key decodes into a fresh element; a repeated key replaces the earlier one.
        nlohmann::ordered_json element = zero_of(*t.elem);
        bool element_present = false;
        decode_into(member, *t.elem, element, element_present, path.key(key));
        out[key] = element_present ? std::move(element) : zero_of(*t.elem);
      }
      return;
    }
  }
}

}  // namespace

Parsed parse_first_value(std::string_view text, std::size_t max_depth) { return Parser(text, max_depth).run(Keep{}); }

Parsed parse_first_value_for(std::string_view text, const Type& type, std::size_t max_depth) {
  return Parser(text, max_depth).run(Keep::of(&type));
}

std::string serialize(const Value& value) {
  std::string out;
  serialize_into(out, value);
  return out;
}

bool go_equal_fold(std::string_view field, std::string_view key) {
  std::size_t k = 0;
  for (char fc : field) {
    const char lower = (fc >= 'A' && fc <= 'Z') ? static_cast<char>(fc - 'A' + 'a') : fc;
    if (k >= key.size()) return false;
    const unsigned char kc = static_cast<unsigned char>(key[k]);
    if (kc < 0x80) {
      const char kl = (kc >= 'A' && kc <= 'Z') ? static_cast<char>(kc - 'A' + 'a') : static_cast<char>(kc);
      if (kl != lower) return false;
      ++k;
      continue;
    }
    if (lower == 'k' && key.substr(k, 3) == "\xE2\x84\xAA") {  // U+212A KELVIN SIGN
      k += 3;
      continue;
    }
    if (lower == 's' && key.substr(k, 2) == "\xC5\xBF") {  // U+017F LATIN SMALL LETTER LONG S
      k += 2;
      continue;
    }
    return false;
  }
  return k == key.size();
}

nlohmann::ordered_json decode(const Value& value, const Type& type) {
  nlohmann::ordered_json out = zero_of(type);
  bool present = false;
  decode_into(value, type, out, present, DecodePath{});
  if (!present) throw Error::undecodable("document: " + std::string(kind_name(value)) + " where runc expects " +
                                         type_name(type) + " (runc refuses it)");
  return out;
}

std::vector<Value*> objects_at(Value& root, std::initializer_list<std::string_view> path) {
  std::vector<Value*> current;
  if (root.is_object()) current.push_back(&root);
  for (std::string_view component : path) {
    std::vector<Value*> next;
    for (Value* object : current)
      for (auto& [key, member] : object->members)
        if (member.is_object() && go_equal_fold(component, key)) next.push_back(&member);
    current = std::move(next);
  }
  return current;
}

std::size_t remove_fields(Value& root, std::initializer_list<std::string_view> path,
                          std::initializer_list<std::string_view> fields) {
  std::size_t removed = 0;
  for (Value* object : objects_at(root, path)) {
    auto& m = object->members;
    for (auto it = m.begin(); it != m.end();) {
      bool match = false;
      for (std::string_view f : fields) match = match || go_equal_fold(f, it->key);
      if (match) {
        it = m.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
  }
  return removed;
}

bool replace_field(Value& root, std::initializer_list<std::string_view> path, std::string_view field,
                   Value replacement) {
  remove_fields(root, path, {field});
  auto objects = objects_at(root, path);
  if (objects.empty()) return false;
  objects.back()->members.emplace_back(std::string(field), std::move(replacement));
  return true;
}

Value from_json(const nlohmann::ordered_json& j) {
  Value v;
  switch (j.type()) {
    case nlohmann::json::value_t::null: v.kind = Value::Kind::Null; break;
    case nlohmann::json::value_t::boolean: v.kind = j.get<bool>() ? Value::Kind::True : Value::Kind::False; break;
    case nlohmann::json::value_t::string:
      v.kind = Value::Kind::String;
      v.text = j.get<std::string>();
      break;
    case nlohmann::json::value_t::array:
      v.kind = Value::Kind::Array;
      for (const auto& item : j) v.items.push_back(from_json(item));
      break;
    case nlohmann::json::value_t::object:
      v.kind = Value::Kind::Object;
      for (const auto& [k, item] : j.items()) v.members.emplace_back(k, from_json(item));
      break;
    default:
      v.kind = Value::Kind::Number;
      v.text = j.dump();
  }
  return v;
}

}  // namespace rg::gojson
