#include "oci/kernel_release.h"

#include <sys/utsname.h>

#include "oci/base/error.h"

namespace rg {
namespace {

constexpr unsigned kMaxComponent = 99999;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Consumes a decimal number at the front of `text`; nullopt when there is none or it is too large.
std::optional<unsigned> take_number(std::string_view& text) {
  std::size_t i = 0;
  unsigned value = 0;
  while (i < text.size() && is_digit(text[i])) {
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
    if (value > kMaxComponent) return std::nullopt;
    ++i;
  }
  if (i == 0) return std::nullopt;
  text.remove_prefix(i);
  return value;
}

bool take_dot_before_digit(std::string_view& text) {
  if (text.size() >= 2 && text[0] == '.' && is_digit(text[1])) {
    text.remove_prefix(1);
    return true;
  }
  return false;
}

}  // namespace

std::optional<KernelVersion> parse_kernel_release(std::string_view release) {
  for (char c : release)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return std::nullopt;
  std::string_view rest = release;
  KernelVersion v;
  auto major = take_number(rest);
  if (!major || !take_dot_before_digit(rest)) return std::nullopt;
  auto minor = take_number(rest);
  if (!minor) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  if (take_dot_before_digit(rest)) {
    auto patch = take_number(rest);
    if (!patch) return std::nullopt;
    v.patch = *patch;
  }
  // Whatever follows is the distribution's suffix; take_number stopped at a non-digit, so it starts with one.
  return v;
}

std::string to_string(const KernelVersion& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
}

std::string running_kernel_release() {
  struct utsname u {};
  if (::uname(&u) != 0) throw Error::from_errno("uname");
  return u.release;
}

}  // namespace rg
