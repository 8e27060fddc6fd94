#include "oci/guard/event_log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>

#include "oci/base/files.h"

namespace rg {

namespace {
std::string now_rfc3339_millis() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03lldZ", static_cast<long long>(ms));
  return buf;
}
}  // namespace

std::string format_event(std::string_view time, int pid, std::string_view command, std::string_view container_id,
                         std::string_view event, const nlohmann::json& details) {
  nlohmann::ordered_json j;
  j["time"] = time;
  j["pid"] = pid;
  j["command"] = command;
  j["id"] = container_id;
  j["event"] = event;
  j["details"] = details;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

EventLog::EventLog(std::string path, std::string command, std::string container_id)
    : path_(std::move(path)), command_(std::move(command)), container_id_(std::move(container_id)) {}

EventLog::~EventLog() { close(); }

void EventLog::emit(std::string_view event, const nlohmann::json& details) noexcept {
  if (path_.empty()) return;
  try {
    if (!logger_) {
      ::mkdir(dirname_of(path_).c_str(), 0755);
      auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path_, false);
      logger_ = std::make_shared<spdlog::logger>("runc-guard-events", std::move(sink));
      logger_->set_pattern("%v");
      logger_->flush_on(spdlog::level::trace);
    }
    logger_->info(format_event(now_rfc3339_millis(), static_cast<int>(::getpid()), command_, container_id_, event,
                               details));
  } catch (...) {
    // Logging is best effort by design.
  }
}

void EventLog::close() noexcept {
  if (logger_) {
    try {
      logger_->flush();
    } catch (...) {
    }
    logger_.reset();
  }
}

}  // namespace rg
