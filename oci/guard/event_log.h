#pragma once
// Decisions and events as JSON lines, one object per event: time, pid, command, container id, event name,
// details. Opened on first use only, so the pass-through path pays nothing for it. Every line is one
// write(2) on an O_APPEND fd, so lines of any length never interleave between concurrent invocations; a
// log that cannot be opened or written is given up for the rest of the invocation (never retried on the
// create path).
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "oci/base/fd.h"

namespace rg {

class EventLog {
 public:
  EventLog(std::string path, std::string command, std::string container_id);
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Never throws: a broken event log must not break a container.
  void emit(std::string_view event, const nlohmann::json& details) noexcept;
  // Closes the file (before exec: nothing of ours survives into runc).
  void close() noexcept { fd_.reset(); }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string command_;
  std::string container_id_;
  UniqueFd fd_;
  bool given_up_ = false;
};

// One event line as written (without newline); pure, for tests. Invalid UTF-8 in ids and details is
// replaced (U+FFFD), so every line is valid JSON.
std::string format_event(std::string_view time, int pid, std::string_view command, std::string_view container_id,
                         std::string_view event, const nlohmann::json& details);

}  // namespace rg
