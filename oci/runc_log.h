#pragma once
// Messages for the user, written the way runc writes them: to its --log file in its --log-format, so that
// containerd's "OCI runtime create failed: ..." shows them. Every line must stay valid for containerd's
// log.json parser (one JSON object per line, RFC3339 time).
#include <ctime>
#include <string>
#include <string_view>

namespace rg {

struct RuncArgs;

enum class LogLevel { Debug, Info, Warning, Error };

std::string_view level_name(LogLevel level);  // logrus names: debug, info, warning, error

// One line, newline included. format is "json" or anything else for logrus text.
std::string format_runc_log_line(LogLevel level, std::string_view message, std::string_view format, std::time_t t);

class RuncLog {
 public:
  RuncLog(std::string path, std::string format) : path_(std::move(path)), format_(std::move(format)) {}
  static RuncLog for_args(const RuncArgs& args);

  // Appends to --log when given; without --log nothing is written (success paths stay silent).
  void write(LogLevel level, std::string_view message) const;
  // A failure that stops the invocation, reported like runc's own fatal errors: to --log plus the bare
  // message on stderr, or as a logrus text line on stderr when there is no --log.
  void fatal(std::string_view message) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string format_;
};

}  // namespace rg
