#pragma once
// Timestamps as runc-guard writes them: RFC 3339 in UTC, as runc's logrus and containerd read them.
#include <chrono>
#include <ctime>
#include <string>

namespace rg {

// "2026-11-22T18:35:09Z"
std::string rfc3339_utc(std::time_t t);
// "2026-11-22T18:35:09.123Z"
std::string rfc3339_utc_millis(std::chrono::system_clock::time_point t);

}  // namespace rg
