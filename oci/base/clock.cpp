#include "oci/base/clock.h"

namespace rg {

std::string rfc3339_utc(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::string rfc3339_utc_millis(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  std::string seconds = rfc3339_utc(system_clock::to_time_t(t));
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03lldZ", static_cast<long long>(ms));
  seconds.pop_back();  // the 'Z'
  return seconds + frac;
}

}  // namespace rg
