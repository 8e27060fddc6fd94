#pragma once
// Text that came from outside (container ids, paths, config values) printed for a person: control bytes
// and invalid UTF-8 shown as \xNN, so nothing a container chose can drive the operator's terminal.
#include <string>
#include <string_view>
#include <vector>

namespace rg {

std::string printable(std::string_view text);
// Whether `text` is valid UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view text);

// `text` cut at every `sep` (n separators give n+1 pieces, empty ones included).
std::vector<std::string_view> split(std::string_view text, char sep);

}  // namespace rg
