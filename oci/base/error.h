#pragma once
// The one error type of runc-guard: a message with context and, where a system call failed, its errno.
#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rg {

class Error : public std::runtime_error {
 public:
  // Internal failures fail open (the guard is skipped, runc runs); refusals fail closed (runc never runs).
  enum class Kind { Internal, Refusal };

  explicit Error(const std::string& message, int sys_errno = 0, Kind kind = Kind::Internal)
      : std::runtime_error(message), errno_(sys_errno), kind_(kind) {}

  // "<what>: <strerror(errno)>" from the current errno.
  static Error from_errno(std::string_view what);
  static Error refusal(const std::string& message) { return Error(message, 0, Kind::Refusal); }

  // A copy of this error with "<context>: " prepended, same errno and kind.
  Error wrap(std::string_view context) const;

  int sys_errno() const noexcept { return errno_; }
  Kind kind() const noexcept { return kind_; }
  bool is_refusal() const noexcept { return kind_ == Kind::Refusal; }

 private:
  int errno_;
  Kind kind_;
};

}  // namespace rg
