#include "oci/runc_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "oci/args.h"
#include "oci/base/clock.h"
#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "oci/base/files.h"

namespace rg {

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "error";
}

namespace {
// logrus quotes text values the way Go's strconv.Quote does.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// One write(2) per line: with O_APPEND concurrent writers (runc itself) never interleave inside it. Best
// effort: a log that cannot be written must not turn into a second failure.
void write_line(int fd, const std::string& line) {
  try {
    write_all(fd, line, "runc log");
  } catch (const Error&) {
  }
}
}  // namespace

std::string format_runc_log_line(LogLevel level, std::string_view message, std::string_view format, std::time_t t) {
  if (format == "json") {
    nlohmann::ordered_json j;
    j["level"] = level_name(level);
    j["msg"] = message;
    j["time"] = rfc3339_utc(t);
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return "time=\"" + rfc3339_utc(t) + "\" level=" + std::string(level_name(level)) + " msg=" + go_quote(message) + "\n";
}

RuncLog RuncLog::for_args(const RuncArgs& args) { return RuncLog(args.log_path(), args.log_format()); }

void RuncLog::write(LogLevel level, std::string_view message) const {
  if (path_.empty()) return;
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return;
  write_line(fd.get(), format_runc_log_line(level, message, format_, std::time(nullptr)));
}

void RuncLog::fatal(std::string_view message) const {
  if (path_.empty()) {
    write_line(STDERR_FILENO, format_runc_log_line(LogLevel::Error, message, "text", std::time(nullptr)));
    return;
  }
  write(LogLevel::Error, message);
  write_line(STDERR_FILENO, std::string(message) + "\n");
}

}  // namespace rg
