#include "oci/runc_state.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "oci/gojson.h"

#include "oci/base/files.h"

namespace rg {

namespace {
// What runc-guard reads of libcontainer's State, as Go types: runc reads state.json with encoding/json
// (json.NewDecoder(f).Decode(&state)), and so does this — whatever else the file holds (runc's whole
// libcontainer config: kilobytes of mounts, capabilities, seccomp rules) is parsed, so a malformed document
// is refused wherever the damage is, but never built into a tree of nlohmann values.
using gojson::Field;
using gojson::GoKind;
using gojson::Type;
constexpr Type kString{GoKind::String};
constexpr Type kStrings{GoKind::Slice, 64, &kString};
constexpr Field kConfigFields[] = {{"labels", &kStrings}};
constexpr Type kConfig{GoKind::Struct, 64, nullptr, kConfigFields};
constexpr Type kPid{GoKind::Int, 32};  // pid_t: a larger number is refused, never wrapped
constexpr Type kAny{GoKind::Any};  // init_process_start: a number; very old runc wrote a string
constexpr Type kPaths{GoKind::Map, 64, &kString};
constexpr Field kStateFields[] = {{"init_process_pid", &kPid}, {"init_process_start", &kAny}, {"created", &kString},
                                  {"config", &kConfig},        {"cgroup_paths", &kPaths}};
constexpr Type kState{GoKind::Struct, 64, nullptr, kStateFields};
}  // namespace

std::optional<RuncState> parse_runc_state(std::string_view text) {
  try {
    // Anything but an object is a decode error (runc refuses it as well).
    const nlohmann::ordered_json j = gojson::decode(gojson::parse_first_value_for(text, kState).value, kState);
    RuncState out;
    const auto& start = j.at("init_process_start");
    out.init.pid = j.at("init_process_pid").get<pid_t>();
    if (start.is_number_unsigned()) {
      out.init.start_time = start.get<std::uint64_t>();
    } else if (start.is_string()) {  // the whole string, digits only
      const std::string& digits = start.get_ref<const std::string&>();
      auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), out.init.start_time);
      if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    } else {
      return std::nullopt;  // negative, fractional or huge: not a start time
    }
    if (out.init.pid <= 0) return std::nullopt;
    if (auto c = j.find("created"); c != j.end()) out.created = c->get<std::string>();
    if (auto config = j.find("config"); config != j.end() && config->contains("labels"))
      for (const auto& label : config->at("labels"))
        if (label.get<std::string>().starts_with("bundle=")) out.bundle = label.get<std::string>().substr(7);
    if (auto paths = j.find("cgroup_paths"); paths != j.end())
      for (const auto& [subsystem, dir] : paths->items()) out.cgroup_paths[subsystem] = dir.get<std::string>();
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {
bool valid_id(const std::string& id) { return !id.empty() && id.find('/') == std::string::npos && id != "." && id != ".."; }
}  // namespace

std::vector<std::string> list_runc_containers(const std::string& state_root) {
  std::vector<std::string> ids;
  DIR* dir = ::opendir(state_root.c_str());
  if (!dir) return ids;
  while (dirent* d = ::readdir(dir))
    if (d->d_name[0] != '.' && runc_state_exists(state_root, d->d_name)) ids.emplace_back(d->d_name);
  ::closedir(dir);
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool runc_state_exists(const std::string& state_root, const std::string& id) {
  struct stat st {};
  return valid_id(id) && ::lstat((state_root + "/" + id + "/state.json").c_str(), &st) == 0;
}

std::optional<RuncState> read_runc_state(const std::string& state_root, const std::string& id) {
  if (!valid_id(id)) return std::nullopt;
  auto text = read_small_file(state_root + "/" + id + "/state.json", std::size_t{16} << 20);
  if (!text) return std::nullopt;
  return parse_runc_state(*text);
}

}  // namespace rg
