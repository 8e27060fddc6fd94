// Version strings runc-guard decides on: kernel releases (oci/kernel_release.h; the kmem guards compare
// them) and `runc --version` output (oci/runc_version.h; which virtual patches and kmem rules apply). A
// parsed version prints back as text that parses to the same version.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oci/kernel_release.h"
#include "oci/runc_version.h"

namespace {

void check_runc_version(const rg::RuncVersion& version) {
  const auto again = rg::parse_runc_version(version.to_string());
  if (!again || again->version != version) std::abort();
  for (const rg::RuncIssueInfo* issue : rg::issues_of(version))
    if (!rg::affected(version, issue->issue)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto kernel = rg::parse_kernel_release(text)) {
    const auto again = rg::parse_kernel_release(rg::to_string(*kernel));
    if (!again || *again != *kernel) std::abort();
  }
  if (const auto build = rg::parse_runc_version(text)) check_runc_version(build->version);
  if (const auto build = rg::parse_runc_version_output(text)) check_runc_version(build->version);
  return 0;
}
