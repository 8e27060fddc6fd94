// dockerd's /etc/docker/daemon.json: runtimes.<name>.path and default-runtime, everything else untouched.
#include <nlohmann/json.hpp>

#include "install/engine_configs.h"
#include "oci/base/error.h"

namespace rg::install {
namespace {

using OrderedJson = nlohmann::ordered_json;

// The operator's indentation (tabs or N spaces, from the first indented line), so the diff shows only
// what we add. Compact or new files get dockerd's documented style, two spaces.
std::pair<int, char> detect_indent(std::string_view text) {
  std::size_t pos = 0;
  while ((pos = text.find('\n', pos)) != std::string_view::npos) {
    ++pos;
    if (pos >= text.size()) break;
    char c = text[pos];
    if (c != ' ' && c != '\t') continue;
    int width = 0;
    while (pos + width < text.size() && text[pos + width] == c) ++width;
    if (pos + width < text.size() && text[pos + width] != '\n') return {width, c};
  }
  return {2, ' '};
}

std::size_t line_of_offset(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

}  // namespace

EditedConfig add_docker_runtime(std::optional<std::string_view> original, const RuntimeRegistration& runtime,
                                const std::string& path) {
  validate_runtime_name(runtime.name);
  bool blank = !original || original->find_first_not_of(" \t\r\n") == std::string_view::npos;
  OrderedJson doc = OrderedJson::object();
  if (!blank) {
    try {
      doc = OrderedJson::parse(*original);
    } catch (const OrderedJson::parse_error& e) {
      throw Error::refusal("cannot parse " + path + " (line " + std::to_string(line_of_offset(*original, e.byte)) +
                           "): " + e.what() + "; nothing was changed");
    }
    if (!doc.is_object()) throw Error::refusal(path + " is not a JSON object; nothing was changed");
  }

  EditedConfig result;
  OrderedJson& runtimes = doc["runtimes"];
  if (runtimes.is_null()) runtimes = OrderedJson::object();
  if (!runtimes.is_object()) throw Error::refusal(path + ": \"runtimes\" is not an object; nothing was changed");
  if (runtimes.contains(runtime.name))
    throw Error::refusal(path + " already defines runtime \"" + runtime.name + "\" (" + runtimes[runtime.name].dump() +
                         "); uninstall it first or choose another --name");
  runtimes[runtime.name] = OrderedJson{{"path", runtime.binary}};

  if (runtime.as_default) {
    if (doc.contains("default-runtime") && doc["default-runtime"] != runtime.name)
      result.notes.push_back("default-runtime was " + doc["default-runtime"].dump() + "; uninstall restores it");
    doc["default-runtime"] = runtime.name;
  }

  auto [width, indent_char] = blank ? std::pair<int, char>{2, ' '} : detect_indent(*original);
  result.text = doc.dump(width, indent_char) + "\n";
  result.notes.push_back("reload dockerd to pick the runtime up (runtimes are reloaded on SIGHUP): "
                         "systemctl reload docker, or kill -HUP $(pidof dockerd)");
  return result;
}

std::vector<std::string> docker_uninstall_notes(std::optional<std::string_view> original, bool was_default) {
  OrderedJson doc = OrderedJson::object();
  if (original && original->find_first_not_of(" \t\r\n") != std::string_view::npos) {
    doc = OrderedJson::parse(*original, nullptr, false);
    if (!doc.is_object()) doc = OrderedJson::object();
  }
  bool keeps_runtime = !doc.contains("runtimes");
  bool keeps_default = was_default && !doc.contains("default-runtime");
  if (!keeps_runtime && !keeps_default)
    return {"reload dockerd so it forgets the runtime: systemctl reload docker, or kill -HUP $(pidof dockerd)"};
  std::string what = keeps_default ? "runc-guard as its default runtime" : "the runc-guard runtime";
  return {"restart dockerd (systemctl restart docker) to finish: a SIGHUP reload only applies keys present in "
          "daemon.json, and the original has no \"" +
          std::string(keeps_default ? "default-runtime" : "runtimes") + "\", so dockerd would keep " + what +
          " until it restarts (with \"live-restore\": true running containers survive the restart)"};
}

}  // namespace rg::install
