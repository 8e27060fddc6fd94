#pragma once
// Compiles a validated Profile into a libseccomp filter the way runc's libcontainer/seccomp does.
#include <seccomp.h>

#include <cstddef>
#include <string>
#include <vector>

#include "seccomp/profile.h"

namespace rg::seccomp {

// Owns a scmp_filter_ctx (seccomp_release on scope exit).
class Filter {
 public:
  Filter() = default;
  explicit Filter(scmp_filter_ctx ctx) noexcept : ctx_(ctx) {}
  Filter(Filter&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }
  Filter& operator=(Filter&& other) noexcept;
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  ~Filter();

  scmp_filter_ctx get() const noexcept { return ctx_; }
  explicit operator bool() const noexcept { return ctx_ != nullptr; }

 private:
  scmp_filter_ctx ctx_ = nullptr;
};

struct CompileOptions {
  // Linear (libseccomp's default "if" chain) is what runc up to 1.1.0 — including 1.0.0-rc93, whose
  // export can block — generates. Later runc sets SCMP_FLTATR_CTL_OPTIMIZE=2 (binary tree) when more than
  // 32 syscall names are listed (runc PR #3405); choose RuncBinaryTree to model that.
  enum class Layout { Linear, RuncBinaryTree };
  Layout layout = Layout::Linear;

  // A short tag naming the options, part of the cache key.
  std::string tag() const;
};

struct Compiled {
  Filter filter;
  std::vector<std::string> architectures;     // effective, spec names, native first
  std::string default_action;                 // e.g. "SCMP_ACT_ERRNO(1)"
  std::size_t rules = 0;                      // libseccomp rules added
  std::size_t skipped_default_action = 0;     // rules equal to the default action (skipped, as runc)
  std::vector<std::string> unknown_syscalls;  // names libseccomp does not know (skipped, as runc)
};

// Throws rg::Error naming the field for anything libseccomp refuses.
Compiled compile(const Profile& profile, const CompileOptions& options = {});

// "SCMP_ACT_ERRNO(1)", "SCMP_ACT_ALLOW", ... for a libseccomp action value.
std::string action_name(std::uint32_t action);

}  // namespace rg::seccomp
