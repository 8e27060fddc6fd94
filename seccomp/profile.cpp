#include "seccomp/profile.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "oci/base/error.h"
#include "seccomp/program.h"
#include "seccomp/tables.h"

namespace rg::seccomp {
namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void bad(std::string_view field, std::string_view problem) {
  throw Error(std::string(field) + ": " + std::string(problem));
}

std::string in_quotes(std::string_view s) {
  std::string quoted(1, '"');
  quoted += s;
  quoted += '"';
  return quoted;
}

std::string_view type_name(const Json& j) { return j.type_name(); }

std::string sub(std::string_view field, std::string_view key) { return std::string(field) + "." + std::string(key); }
std::string at(std::string_view field, std::size_t i) { return std::string(field) + "[" + std::to_string(i) + "]"; }

std::uint64_t as_unsigned(const Json& j, std::string_view field, std::uint64_t max) {
  std::uint64_t v = 0;
  if (j.is_number_unsigned()) {
    v = j.get<std::uint64_t>();
  } else if (j.is_number_integer()) {
    auto s = j.get<std::int64_t>();
    if (s < 0) bad(field, "must be an unsigned integer, got " + j.dump());
    v = static_cast<std::uint64_t>(s);
  } else {
    bad(field, "must be an unsigned integer, got " + std::string(type_name(j)) + " " + j.dump());
  }
  if (v > max) bad(field, j.dump() + " is out of range (0-" + std::to_string(max) + ")");
  return v;
}

const std::string& as_string(const Json& j, std::string_view field) {
  if (!j.is_string()) bad(field, "must be a string, got " + std::string(type_name(j)));
  return j.get_ref<const std::string&>();
}

const Json& as_array(const Json& j, std::string_view field) {
  if (!j.is_array()) bad(field, "must be an array, got " + std::string(type_name(j)));
  return j;
}

const Json* member(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;  // Go's json treats null as absent
  return &*it;
}

std::string checked_action(const Json& j, std::string_view field) {
  const std::string& name = as_string(j, field);
  if (!detail::find_action(name)) bad(field, "unknown action " + in_quotes(name));
  return name;
}

constexpr std::uint64_t kMaxErrno = 0xFFFF;  // libseccomp's SCMP_ACT_ERRNO/TRACE data is 16 bits

ArgCondition parse_arg(const Json& j, const std::string& field) {
  if (!j.is_object()) bad(field, "must be an object, got " + std::string(type_name(j)));
  ArgCondition c;
  if (auto* v = member(j, "index")) c.index = static_cast<unsigned>(as_unsigned(*v, sub(field, "index"), 5));
  if (auto* v = member(j, "value")) c.value = as_unsigned(*v, sub(field, "value"), std::numeric_limits<std::uint64_t>::max());
  if (auto* v = member(j, "valueTwo"))
    c.value_two = as_unsigned(*v, sub(field, "valueTwo"), std::numeric_limits<std::uint64_t>::max());
  auto* op = member(j, "op");
  if (!op) bad(sub(field, "op"), "missing (one of SCMP_CMP_NE/LT/LE/EQ/GE/GT/MASKED_EQ)");
  c.op = as_string(*op, sub(field, "op"));
  if (!detail::find_op(c.op)) bad(sub(field, "op"), "unknown operator " + in_quotes(c.op));
  return c;
}

SyscallRule parse_rule(const Json& j, const std::string& field) {
  if (!j.is_object()) bad(field, "must be an object, got " + std::string(type_name(j)));
  SyscallRule r;
  if (auto* names = member(j, "names")) {
    const auto& arr = as_array(*names, sub(field, "names"));
    r.names.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string& n = as_string(arr[i], at(sub(field, "names"), i));
      if (n.empty()) bad(at(sub(field, "names"), i), "empty string is not a valid syscall name");
      r.names.push_back(n);
    }
  }
  auto* action = member(j, "action");
  if (!action) bad(sub(field, "action"), "missing");
  r.action = checked_action(*action, sub(field, "action"));
  if (auto* v = member(j, "errnoRet")) r.errno_ret = static_cast<std::uint32_t>(as_unsigned(*v, sub(field, "errnoRet"), kMaxErrno));
  if (auto* args = member(j, "args")) {
    const auto& arr = as_array(*args, sub(field, "args"));
    for (std::size_t i = 0; i < arr.size(); ++i) r.args.push_back(parse_arg(arr[i], at(sub(field, "args"), i)));
  }
  if (r.action == "SCMP_ACT_NOTIFY" &&
      std::find(r.names.begin(), r.names.end(), "write") != r.names.end())
    bad(sub(field, "action"), "SCMP_ACT_NOTIFY cannot be used for the write syscall");
  return r;
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

template <typename T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_canonical(std::string& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object: {
      std::vector<const std::string*> keys;
      keys.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(&it.key());
      std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return *a < *b; });
      out.push_back('{');
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, *keys[i]);
        out.push_back(':');
        append_canonical(out, j.at(*keys[i]));
      }
      out.push_back('}');
      break;
    }
    case Json::value_t::array:
      out.push_back('[');
      for (std::size_t i = 0; i < j.size(); ++i) {
        if (i) out.push_back(',');
        append_canonical(out, j[i]);
      }
      out.push_back(']');
      break;
    case Json::value_t::string: append_json_string(out, j.get_ref<const std::string&>()); break;
    case Json::value_t::number_unsigned: append_number(out, j.get<std::uint64_t>()); break;
    case Json::value_t::number_integer: append_number(out, j.get<std::int64_t>()); break;
    default: out += j.dump(); break;  // null, boolean, float, binary
  }
}

}  // namespace

std::optional<Profile> parse_profile(const Json& seccomp, std::string_view field) {
  if (!seccomp.is_object()) bad(field, "must be an object, got " + std::string(type_name(seccomp)));
  Profile p;
  p.field = std::string(field);
  const Json* syscalls = member(seccomp, "syscalls");
  const Json* default_action = member(seccomp, "defaultAction");
  if (syscalls) as_array(*syscalls, sub(field, "syscalls"));
  // runc: "No default action specified, no syscalls listed, assume seccomp disabled".
  if (!default_action && (!syscalls || syscalls->empty())) return std::nullopt;
  if (!default_action) bad(sub(field, "defaultAction"), "missing (required when syscalls are listed)");
  p.default_action = checked_action(*default_action, sub(field, "defaultAction"));
  if (p.default_action == "SCMP_ACT_NOTIFY")
    bad(sub(field, "defaultAction"), "SCMP_ACT_NOTIFY cannot be used as default action");
  if (auto* v = member(seccomp, "defaultErrnoRet"))
    p.default_errno_ret = static_cast<std::uint32_t>(as_unsigned(*v, sub(field, "defaultErrnoRet"), kMaxErrno));
  if (auto* arches = member(seccomp, "architectures")) {
    const auto& arr = as_array(*arches, sub(field, "architectures"));
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string& a = as_string(arr[i], at(sub(field, "architectures"), i));
      if (!detail::find_arch(a)) bad(at(sub(field, "architectures"), i), "unknown architecture " + in_quotes(a));
      p.architectures.push_back(a);
    }
  }
  if (auto* flags = member(seccomp, "flags")) {
    const auto& arr = as_array(*flags, sub(field, "flags"));
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string& f = as_string(arr[i], at(sub(field, "flags"), i));
      if (!detail::known_flag(f)) bad(at(sub(field, "flags"), i), "seccomp flag " + in_quotes(f) + " is not known to runc");
      p.flags.push_back(f);
    }
  }
  if (syscalls) {
    p.syscalls.reserve(syscalls->size());
    for (std::size_t i = 0; i < syscalls->size(); ++i)
      p.syscalls.push_back(parse_rule((*syscalls)[i], at(sub(field, "syscalls"), i)));
  }
  return p;
}

const Json* seccomp_section(const Json& spec) {
  if (!spec.is_object()) return nullptr;
  auto linux_it = spec.find("linux");
  if (linux_it == spec.end() || !linux_it->is_object()) return nullptr;
  auto it = linux_it->find("seccomp");
  if (it == linux_it->end() || it->is_null()) return nullptr;
  return &*it;
}

bool no_new_privileges(const Json& spec) {
  if (!spec.is_object()) return false;
  auto p = spec.find("process");
  if (p == spec.end() || !p->is_object()) return false;
  auto n = p->find("noNewPrivileges");
  return n != p->end() && n->is_boolean() && n->get<bool>();
}

std::string canonical_json(const Json& value) {
  std::string out;
  out.reserve(16384);
  append_canonical(out, value);
  return out;
}

std::string profile_key(const Json& seccomp, std::string_view salt) {
  std::string text(salt);
  text.push_back('\n');
  append_canonical(text, seccomp);
  return sha256_hex(text);
}

}  // namespace rg::seccomp
