#pragma once
// A unified diff (as `diff -u` prints it) of two texts, for `--dry-run`: nodes may not have diffutils.
#include <string>
#include <string_view>

namespace rg::install {

// Empty when the texts are equal. Three lines of context; labels go on the ---/+++ lines.
std::string unified_diff(std::string_view before, std::string_view after, std::string_view before_label,
                         std::string_view after_label);

}  // namespace rg::install
