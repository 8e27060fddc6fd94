#pragma once
// Linux kernel releases as uname(2) reports them ("3.10.0-1160.el7.x86_64", "4.19.0-0.bpo.8-amd64"),
// reduced to the numbers feature checks compare.
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace rg {

struct KernelVersion {
  unsigned major = 0;
  unsigned minor = 0;
  unsigned patch = 0;
  friend auto operator<=>(const KernelVersion&, const KernelVersion&) = default;
};

// "MAJOR.MINOR[.PATCH][SUFFIX]" where SUFFIX starts with a non-digit ("-1160.el7.x86_64", "+", ".61").
// nullopt for anything else: empty, missing minor, non-numeric parts, whitespace or control characters,
// numbers above 99999. Distribution suffixes never move a release across a threshold, so they are ignored.
std::optional<KernelVersion> parse_kernel_release(std::string_view release);

std::string to_string(const KernelVersion& version);  // "3.10.0"

// uname(2)'s release field. Throws rg::Error.
std::string running_kernel_release();

}  // namespace rg
