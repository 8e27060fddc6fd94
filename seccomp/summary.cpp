#include "seccomp/summary.h"

#include "oci/base/error.h"

namespace rg::seccomp {

nlohmann::json to_json(const Summary& s) {
  return nlohmann::json{{"architectures", s.architectures}, {"default_action", s.default_action},
                        {"rules", s.rules},                 {"instructions", s.instructions},
                        {"bytes", s.bytes},                 {"sha256", s.sha256},
                        {"unknown_syscalls", s.unknown_syscalls}};
}

Summary summary_from_json(const nlohmann::json& j) {
  try {
    if (!j.is_object()) throw Error("summary: not an object");
    Summary s;
    s.architectures = j.at("architectures").get<std::vector<std::string>>();
    s.default_action = j.at("default_action").get<std::string>();
    s.rules = j.at("rules").get<std::size_t>();
    s.instructions = j.at("instructions").get<std::size_t>();
    s.bytes = j.at("bytes").get<std::size_t>();
    s.sha256 = j.at("sha256").get<std::string>();
    s.unknown_syscalls = j.at("unknown_syscalls").get<std::vector<std::string>>();
    if (s.bytes == 0 || s.bytes != s.instructions * 8 || s.sha256.size() != 64)
      throw Error("summary: inconsistent sizes or digest");
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("summary: ") + e.what());
  }
}

}  // namespace rg::seccomp
