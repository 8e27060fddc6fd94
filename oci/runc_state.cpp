#include "oci/runc_state.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "oci/base/files.h"

namespace rg {

std::optional<RuncState> parse_runc_state(std::string_view text) {
  // Only the members read below are kept: state.json carries runc's whole libcontainer config (kilobytes of
  // mounts, namespaces, capabilities), and building all of it into a DOM was most of `start`'s read time.
  std::string member;  // the top-level member being read
  const nlohmann::json::parser_callback_t keep_needed = [&member](int depth, nlohmann::json::parse_event_t event,
                                                                  nlohmann::json& parsed) {
    if (event != nlohmann::json::parse_event_t::key) return true;
    const auto& key = parsed.get_ref<const std::string&>();
    if (depth == 1) {
      member = key;
      return key == "init_process_pid" || key == "init_process_start" || key == "created" || key == "config" ||
             key == "cgroup_paths";
    }
    return depth != 2 || member != "config" || key == "labels";
  };
  auto j = nlohmann::json::parse(text, keep_needed, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    RuncState out;
    const auto& pid = j.at("init_process_pid");
    const auto& start = j.at("init_process_start");
    out.init.pid = pid.get<pid_t>();
    // runc writes a number; very old versions wrote a string.
    out.init.start_time = start.is_string() ? std::stoull(start.get<std::string>()) : start.get<std::uint64_t>();
    if (out.init.pid <= 0) return std::nullopt;
    if (auto c = j.find("created"); c != j.end() && c->is_string()) out.created = c->get<std::string>();
    if (auto config = j.find("config"); config != j.end() && config->is_object())
      if (auto labels = config->find("labels"); labels != config->end() && labels->is_array())
        for (const auto& label : *labels)
          if (label.is_string() && label.get<std::string>().starts_with("bundle="))
            out.bundle = label.get<std::string>().substr(7);
    if (auto paths = j.find("cgroup_paths"); paths != j.end() && paths->is_object())
      for (const auto& [subsystem, dir] : paths->items())
        if (dir.is_string()) out.cgroup_paths[subsystem] = dir.get<std::string>();
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
