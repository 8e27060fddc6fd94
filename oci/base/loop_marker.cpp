#include "oci/base/loop_marker.h"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace rg {

std::optional<LoopMarker> parse_loop_marker(const char* value) {
  if (!value || !*value) return std::nullopt;
  std::string_view text(value);
  if (text == "1") return LoopMarker{0, 1};  // runc-guard 0.1.0's marker
  LoopMarker m;
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto pid = std::from_chars(begin, begin + dot, m.pid);
  if (pid.ec != std::errc() || pid.ptr != begin + dot || m.pid <= 0) return std::nullopt;
  auto depth = std::from_chars(begin + dot + 1, end, m.depth);
  if (depth.ec != std::errc() || depth.ptr != end) return std::nullopt;
  return m;
}

std::optional<std::string> loop_refusal(const std::optional<LoopMarker>& marker, pid_t self) {
  if (!marker) return std::nullopt;
  if (marker->pid == self)
    return std::string("refusing to run: ") + kLoopMarkerEnv +
           " names this very process, so the configured runc leads back to runc-guard (loop); point runtime.path "
           "at the real runc";
  if (marker->depth >= kMaxLoopDepth)
    return std::string("refusing to run: runc-guard is nested ") + std::to_string(marker->depth) +
           " deep (" + kLoopMarkerEnv + "), so the configured runc keeps leading back to runc-guard (loop); point "
           "runtime.path at the real runc";
  return std::nullopt;
}

void MarkedEnvironment::set_pid(pid_t pid) noexcept {
  // "RUNC_GUARD_ACTIVE=" + pid + "." + depth, formatted by hand: this runs between fork and exec.
  static constexpr char kPrefix[] = "RUNC_GUARD_ACTIVE=";
  char* p = slot;
  std::memcpy(p, kPrefix, sizeof kPrefix - 1);
  p += sizeof kPrefix - 1;
  auto put = [&](unsigned long v) {
    char digits[24];
    int n = 0;
    do digits[n++] = static_cast<char>('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0) *p++ = digits[--n];
  };
  put(static_cast<unsigned long>(pid));
  *p++ = '.';
  put(depth);
  *p = '\0';
}

void build_marked_environment(MarkedEnvironment& out, char** envp) {
  if (!envp) envp = environ;
  const std::size_t prefix_len = std::strlen(kLoopMarkerEnv);
  out.envp.clear();
  out.depth = 1;
  for (char** e = envp; e && *e; ++e) {
    if (std::strncmp(*e, kLoopMarkerEnv, prefix_len) == 0 && (*e)[prefix_len] == '=') {
      if (auto m = parse_loop_marker(*e + prefix_len + 1)) out.depth = m->depth + 1;
      continue;  // replaced by ours: runc and its hooks see one marker
    }
    out.envp.push_back(*e);
  }
  out.set_pid(::getpid());
  out.envp.push_back(out.slot);
  out.envp.push_back(nullptr);
}

}  // namespace rg
