#include "oci/guard/event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "oci/base/clock.h"
#include "oci/base/files.h"

namespace rg {

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

void EventLog::emit(std::string_view event, const nlohmann::json& details) noexcept {
  if (path_.empty() || given_up_) return;
  try {
    if (!fd_) {
      fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644));
      if (!fd_ && errno == ENOENT) {
        mkdir_p(dirname_of(path_));  // /var/log/runc-guard on first use
        fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644));
      }
      if (!fd_) {
        given_up_ = true;
        return;
      }
    }
    std::string line = format_event(rfc3339_utc_millis(std::chrono::system_clock::now()),
                                    static_cast<int>(::getpid()), command_, container_id_, event, details);
    line += '\n';
    ssize_t n;
    do n = ::write(fd_.get(), line.data(), line.size());
    while (n < 0 && errno == EINTR);
    // A short write (full disk) cannot be completed without splitting the line: stop here.
    if (n != static_cast<ssize_t>(line.size())) {
      given_up_ = true;
      fd_.reset();
    }
  } catch (...) {
    given_up_ = true;  // logging is best effort by design
  }
}

}  // namespace rg
