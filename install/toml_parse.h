#pragma once
// toml++ helpers shared by the TOML engine configs (containerd's config.toml, podman's containers.conf).
#include <string>
#include <string_view>
#include <toml++/toml.h>

namespace rg::install {

// Parses `text`, the content of `path`. A syntax error is a Refusal naming the position:
// "cannot parse PATH:LINE:COLUMN: <what>; nothing was changed".
toml::table parse_toml(std::string_view text, const std::string& path);

// Basic "…" strings and no indentation: the layout the engines' own sample configs use.
std::string format_toml(const toml::table& table);

}  // namespace rg::install
