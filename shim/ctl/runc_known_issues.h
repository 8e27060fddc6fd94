#pragma once
// Known issues of runc releases that runc-guard's operators meet in the field, by version. Pure.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rg {

// runc's version as ordered numbers: "1.0.0-rc93" → {1,0,0,rc 93}; a release sorts after all its rcs.
// Accepts Debian/Ubuntu spellings ("1.0.0~rc93+ds1", "1.1.5+ds1", "1.1.12-0ubuntu2") and a leading "v".
struct RuncVersion {
  unsigned major = 0, minor = 0, patch = 0;
  std::optional<unsigned> rc;  // nullopt: a release
  friend bool operator==(const RuncVersion&, const RuncVersion&) = default;
};
std::optional<RuncVersion> parse_runc_version(std::string_view text);
int compare(const RuncVersion& a, const RuncVersion& b);  // <0, 0, >0

enum class IssueSeverity { Warning, Problem };

struct KnownIssue {
  std::string id;        // stable, for --json consumers: "runc-init-pipe-hang", "CVE-2024-21626", …
  IssueSeverity severity;
  std::string summary;   // what goes wrong
  std::string advice;    // one line
};

// Every known issue of `version`, most severe first.
std::vector<KnownIssue> known_issues(const RuncVersion& version);

}  // namespace rg
