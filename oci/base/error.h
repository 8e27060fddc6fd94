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
  // Undecodable: input (config.json, a process or resources document) that cannot be read exactly the way
  // runc's decoder reads it — security guards treat it as a refusal, optional ones fail open.
  enum class Kind { Internal, Refusal, Undecodable };

  explicit Error(const std::string& message, int sys_errno = 0, Kind kind = Kind::Internal)
      : std::runtime_error(message), errno_(sys_errno), kind_(kind) {}

  // "<what>: <strerror(errno)>" from the current errno.
  static Error from_errno(std::string_view what);
  static Error refusal(const std::string& message) { return Error(message, 0, Kind::Refusal); }
  static Error undecodable(const std::string& message) { return Error(message, 0, Kind::Undecodable); }

  // A copy of this error with "<context>: " prepended, same errno and kind.
  Error wrap(std::string_view context) const;

  int sys_errno() const noexcept { return errno_; }
  Kind kind() const noexcept { return kind_; }
  bool is_refusal() const noexcept { return kind_ == Kind::Refusal; }
  bool is_undecodable() const noexcept { return kind_ == Kind::Undecodable; }

 private:
  int errno_;
  Kind kind_;
};

}  // namespace rg
