// podman 4.x: a containers.conf drop-in of our own in /etc/containers/containers.conf.d/ (podman merges
// drop-ins over /usr/share/containers/containers.conf and /etc/containers/containers.conf, so nothing else
// is edited).
//
// The one subtle key is engine.runtime_supports_json. podman passes `--log-format=json --log FILE` only to
// runtimes named in it and reads runc's error back from that file; any other runtime name gets neither, and
// runc's logrus text ends up in the user's error verbatim (`Error: runc-guard: time="…" level=error msg="…"`).
// A drop-in's array replaces the list of the files before it instead of extending it, so the drop-in carries
// the whole list in effect before it plus our name: writing only ["runc-guard"] would take JSON logs away
// from runc, crun and the others.
#include <algorithm>
#include <toml++/toml.h>

#include "install/engine_configs.h"
#include "install/toml_parse.h"
#include "oci/base/error.h"
#include "oci/base/files.h"

namespace rg::install {
namespace {

// What one containers.conf layer says about the keys the drop-in sets.
struct EngineKeys {
  std::optional<std::vector<std::string>> supports_json;
  std::optional<std::string> default_runtime;
  bool defines_runtime = false;  // engine.runtimes.<our name>
};

EngineKeys engine_keys(const ContainersConfFile& file, const std::string& runtime_name) {
  toml::table doc = parse_toml(file.text, file.path);
  EngineKeys keys;
  toml::node* engine_node = doc.get("engine");
  if (!engine_node) return keys;
  // Values podman itself cannot decode: it would refuse the file too, so nothing sensible can be merged.
  auto refuse = [&](const std::string& key, const std::string& what) {
    throw Error::refusal(file.path + ": engine" + key + " is not " + what +
                         " (podman cannot load this file either); nothing was changed");
  };
  toml::table* engine = engine_node->as_table();
  if (!engine) refuse("", "a table");
  if (toml::node* list = engine->get("runtime_supports_json")) {
    toml::array* array = list->as_array();
    if (!array) refuse(".runtime_supports_json", "an array of strings");
    keys.supports_json.emplace();
    for (auto& item : *array) {
      if (!item.is_string()) refuse(".runtime_supports_json", "an array of strings");
      keys.supports_json->push_back(item.as_string()->get());
    }
  }
  if (toml::node* runtime = engine->get("runtime")) {
    if (!runtime->is_string()) refuse(".runtime", "a string");
    keys.default_runtime = runtime->as_string()->get();
  }
  if (toml::node* runtimes = engine->get("runtimes")) {
    if (!runtimes->is_table()) refuse(".runtimes", "a table");
    keys.defines_runtime = runtimes->as_table()->contains(runtime_name);
  }
  return keys;
}

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::string quoted_list(const std::vector<std::string>& list) {
  toml::array array;
  for (const auto& item : list) array.push_back(item);
  std::string line = format_toml(toml::table{{"l", std::move(array)}});  // "l = [ … ]\n"
  line = line.substr(4);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

}  // namespace

std::vector<std::string> podman_default_supports_json() { return {"crun", "runc", "kata", "runsc", "krun"}; }

EditedConfig podman_dropin(const RuntimeRegistration& runtime, const PodmanLayers& layers, const std::string& path) {
  validate_runtime_name(runtime.name);
  // containers/common reads only *.conf files of a drop-in directory.
  if (!path.ends_with(".conf"))
    throw Error::refusal("podman reads only drop-ins named *.conf; " + path + " would be ignored: choose another --config");
  EditedConfig result;

  // The values in effect just before our drop-in, layer by layer as podman merges them.
  std::vector<std::string> supports_json = podman_default_supports_json();
  std::string supports_json_source = "podman's built-in default";
  std::optional<std::string> default_runtime;
  std::string default_runtime_source;
  for (const auto& layer : layers.before) {
    EngineKeys keys = engine_keys(layer, runtime.name);
    if (keys.defines_runtime)
      throw Error::refusal(layer.path + " already defines runtime \"" + runtime.name +
                           "\" (engine.runtimes); uninstall it first or choose another --name; nothing was changed");
    if (keys.supports_json) {
      supports_json = *keys.supports_json;
      supports_json_source = layer.path;
    }
    if (keys.default_runtime) {
      default_runtime = keys.default_runtime;
      default_runtime_source = layer.path;
    }
  }
  if (!contains(supports_json, runtime.name)) supports_json.push_back(runtime.name);

  toml::table engine{{"runtime_supports_json", toml::array{}},
                     {"runtimes", toml::table{{runtime.name, toml::array{runtime.binary}}}}};
  toml::array* list = engine.get_as<toml::array>("runtime_supports_json");
  for (const auto& name : supports_json) list->push_back(name);
  if (runtime.as_default) {
    engine.insert("runtime", runtime.name);
    if (default_runtime && *default_runtime != runtime.name)
      result.notes.push_back("engine.runtime was \"" + *default_runtime + "\" (" + default_runtime_source +
                             "); uninstall restores it");
  }
  std::string comment =
      "# Written by runc-guardctl install podman; runc-guardctl uninstall podman removes it.\n"
      "# A drop-in's array replaces the one of earlier files: runtime_supports_json is the list in effect\n"
      "# before this file (" + supports_json_source + ") plus \"" + runtime.name + "\", so that podman keeps\n"
      "# passing --log-format=json to those runtimes and runc's errors reach users as messages.\n";
  result.text = comment + format_toml(toml::table{{"engine", std::move(engine)}}) + "\n";

  // Drop-ins read after ours override it key by key: say what the operator will not get.
  for (const auto& layer : layers.after) {
    EngineKeys keys = engine_keys(layer, runtime.name);
    if (keys.supports_json && !contains(*keys.supports_json, runtime.name))
      result.notes.push_back(layer.path + " is read after " + path + " and sets engine.runtime_supports_json = " +
                             quoted_list(*keys.supports_json) + " without \"" + runtime.name +
                             "\": podman will not pass --log-format=json to " + runtime.name +
                             " (runc's errors reach users as raw log lines); add \"" + runtime.name + "\" there");
    if (runtime.as_default && keys.default_runtime && *keys.default_runtime != runtime.name)
      result.notes.push_back(layer.path + " is read after " + path + " and sets engine.runtime = \"" +
                             *keys.default_runtime + "\": " + runtime.name + " is not podman's default runtime");
    if (keys.defines_runtime)
      result.notes.push_back(layer.path + " is read after " + path + " and defines engine.runtimes." + runtime.name +
                             " itself: podman runs the binary named there");
  }
  if (!dirname_of(path).ends_with("/containers.conf.d"))
    result.notes.push_back("podman reads drop-ins only from /etc/containers/containers.conf.d/ (and, rootless, "
                           "~/.config/containers/containers.conf.d/): " + path + " takes effect only there");
  result.notes.push_back("podman reads its configuration on every command: nothing to restart");
  result.notes.push_back("podman starts the runtime with an environment of its own: runc-guard reads "
                         "/etc/runc-guard/config.json (RUNC_GUARD_CONFIG does not reach it)");
  return result;
}

}  // namespace rg::install
