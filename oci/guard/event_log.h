#pragma once
// Decisions and events as JSON lines (spdlog), one object per event: time, pid, command, container id,
// event name, details. Opened on first use only, so the pass-through path pays nothing for it.
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace rg {

class EventLog {
 public:
  EventLog(std::string path, std::string command, std::string container_id);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Never throws: a broken event log must not break a container.
  void emit(std::string_view event, const nlohmann::json& details) noexcept;
  // Flushes and closes the file (before exec: nothing of ours survives into runc).
  void close() noexcept;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string command_;
  std::string container_id_;
  std::shared_ptr<spdlog::logger> logger_;
};

// One event line as written (without newline); pure, for tests.
std::string format_event(std::string_view time, int pid, std::string_view command, std::string_view container_id,
                         std::string_view event, const nlohmann::json& details);

}  // namespace rg
