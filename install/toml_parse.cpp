#include "install/toml_parse.h"

#include <sstream>

#include "oci/base/error.h"

namespace rg::install {

toml::table parse_toml(std::string_view text, const std::string& path) {
  try {
    return toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin.line << ":" << e.source().begin.column;
    throw Error::refusal("cannot parse " + path + ":" + where.str() + ": " + std::string(e.description()) +
                         "; nothing was changed");
  }
}

std::string format_toml(const toml::table& table) {
  std::ostringstream out;
  out << toml::toml_formatter{table, toml::format_flags::allow_unicode_strings};
  return out.str();
}

}  // namespace rg::install
