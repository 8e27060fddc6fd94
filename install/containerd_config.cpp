// containerd's config.toml (version 2: containerd 1.6/1.7; version 3: containerd 2.x). containerd 1.x
// `imports` drop-ins replace a whole plugin section, so the runtime has to go into the main file.
#include <sstream>
#include <toml++/toml.h>

#include "install/engine_configs.h"
#include "install/toml_parse.h"
#include "oci/base/error.h"

namespace rg::install {
namespace {

constexpr std::string_view kRuncShim = "io.containerd.runc.v2";

std::string cri_plugin(int version) {
  return version >= 3 ? "io.containerd.cri.v1.runtime" : "io.containerd.grpc.v1.cri";
}

// The table at `keys` below `root`, or nullptr when some level is missing. A level that exists but is not a
// table cannot hold our runtime: refuse rather than overwrite the operator's value.
toml::table* find_table(toml::table& root, const std::vector<std::string>& keys, const std::string& path) {
  toml::table* at = &root;
  std::string dotted;
  for (const auto& key : keys) {
    dotted += (dotted.empty() ? "" : ".") + key;
    toml::node* next = at->get(key);
    if (!next) return nullptr;
    if (!next->is_table()) throw Error::refusal(path + ": " + dotted + " is not a table; nothing was changed");
    at = next->as_table();
  }
  return at;
}

toml::table& ensure_table(toml::table& root, const std::vector<std::string>& keys) {
  toml::table* at = &root;
  for (const auto& key : keys) {
    auto [it, inserted] = at->insert(key, toml::table{});
    at = it->second.as_table();
  }
  return *at;
}

// Byte offset of a toml++ source position (1-based line, 1-based column counted in code points).
std::size_t offset_of(std::string_view text, const toml::source_position& pos) {
  std::size_t offset = 0;
  for (toml::source_index line = 1; line < pos.line && offset < text.size(); ++line) {
    auto nl = text.find('\n', offset);
    if (nl == std::string_view::npos) return text.size();
    offset = nl + 1;
  }
  for (toml::source_index column = 1; column < pos.column && offset < text.size(); ++column) {
    ++offset;
    while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) ++offset;
  }
  return offset;
}

// The runtime we add: a copy of the runc runtime's settings (so cgroup driver and state root stay the same),
// with runc-guard as the binary the runc shim executes.
toml::table make_runtime(toml::table* runc_runtime, const RuntimeRegistration& runtime, EditedConfig& result) {
  toml::table ours;
  if (runc_runtime) {
    auto type = runc_runtime->get_as<std::string>("runtime_type");
    if (!type || type->get() == kRuncShim) {
      ours = *runc_runtime;
      result.notes.push_back("copied the settings of the runc runtime (options such as SystemdCgroup and Root)");
    } else {
      result.notes.push_back("runtime runc uses runtime_type " + type->get() + ", not " + std::string(kRuncShim) +
                             "; its settings were not copied");
    }
  }
  ours.is_inline(false);
  ours.insert_or_assign("runtime_type", std::string(kRuncShim));
  toml::node* options_node = ours.get("options");
  if (!options_node || !options_node->is_table()) ours.insert_or_assign("options", toml::table{});
  toml::table& options = *ours.get_as<toml::table>("options");
  options.is_inline(false);
  options.insert_or_assign("BinaryName", runtime.binary);
  return ours;
}

// `root` with only the branch leading to `leaf` copied from `keys`: formatting it yields exactly the
// section headers and keys to append.
toml::table branch(const std::vector<std::string>& keys, toml::table leaf) {
  toml::table node = std::move(leaf);
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
    toml::table parent;
    parent.insert(*it, std::move(node));
    node = std::move(parent);
  }
  return node;
}

bool parses_to(std::string_view text, const toml::table& expected) {
  try {
    return toml::parse(text) == expected;
  } catch (const toml::parse_error&) {
    return false;
  }
}

}  // namespace

std::vector<std::string> containerd_runtimes_path(int config_version) {
  return {"plugins", cri_plugin(config_version), "containerd", "runtimes"};
}

EditedConfig add_containerd_runtime(std::optional<std::string_view> original, const RuntimeRegistration& runtime,
                                    const std::string& path) {
  validate_runtime_name(runtime.name);
  std::string text = original ? std::string(*original) : std::string();
  toml::table doc = parse_toml(text, path);
  EditedConfig result;

  // containerd 1.x reads a file without `version` as version 1 (plugin names "cri", "linux"…). An empty
  // file (or only comments) configures nothing, so it can become version 2; one with settings cannot.
  int version = 0;
  bool add_version = false;
  if (auto* v = doc.get("version")) {
    if (!v->is_integer()) throw Error::refusal(path + ": version is not an integer; nothing was changed");
    version = static_cast<int>(v->as_integer()->get());
  } else if (doc.empty()) {
    version = 2;
    add_version = true;
  } else {
    version = 1;
  }
  if (version != 2 && version != 3)
    throw Error::refusal(path + " is a version " + std::to_string(version) +
                         " config; runc-guardctl edits version 2 (containerd 1.6/1.7) and 3 (containerd 2.x) "
                         "configs: convert it first (`containerd config default` shows the version 2 layout); "
                         "nothing was changed");

  const std::vector<std::string> containerd_keys = {"plugins", cri_plugin(version), "containerd"};
  auto runtimes_keys = containerd_runtimes_path(version);
  toml::table* runtimes = find_table(doc, runtimes_keys, path);
  if (runtimes && runtimes->contains(runtime.name))
    throw Error::refusal(path + " already defines runtime \"" + runtime.name +
                         "\"; uninstall it first or choose another --name");
  toml::table* runc = nullptr;
  if (runtimes) {
    if (toml::node* n = runtimes->get("runc"); n && n->is_table()) runc = n->as_table();
  }
  toml::table ours = make_runtime(runc, runtime, result);

  // What the file must mean afterwards; every textual edit below is checked against it.
  toml::table expected = doc;
  if (add_version) expected.insert_or_assign("version", version);
  ensure_table(expected, runtimes_keys).insert_or_assign(runtime.name, ours);
  toml::table* containerd_section = find_table(doc, containerd_keys, path);
  if (runtime.as_default) {
    toml::table& section = ensure_table(expected, containerd_keys);
    if (auto current = section.get_as<std::string>("default_runtime_name"); current && current->get() != runtime.name)
      result.notes.push_back("default_runtime_name was \"" + current->get() + "\"; uninstall restores it");
    section.insert_or_assign("default_runtime_name", runtime.name);
  }

  // Preferred: keep the operator's file as it is and append our section (plus a one-value edit for the
  // default runtime), so comments and layout survive and the diff shows only what we add.
  std::string head = text;
  if (!head.empty() && head.back() != '\n') head += '\n';
  std::string block = "\n# Added by runc-guardctl install containerd; runc-guardctl uninstall containerd restores "
                      "the original file.\n";
  if (add_version) block += "version = " + std::to_string(version) + "\n\n";
  std::vector<std::string> candidates;
  std::string runtime_block = format_toml(branch(runtimes_keys, toml::table{{runtime.name, ours}}));
  if (!runtime.as_default) {
    candidates.push_back(head + block + runtime_block + "\n");
  } else {
    std::string quoted_name = format_toml(toml::table{{"n", runtime.name}}).substr(4);  // "n = <value>\n"
    while (!quoted_name.empty() && quoted_name.back() == '\n') quoted_name.pop_back();
    toml::node* current = containerd_section ? containerd_section->get("default_runtime_name") : nullptr;
    if (current) {
      // Replace just the value.
      std::string edited = head;
      std::size_t begin = offset_of(edited, current->source().begin), end = offset_of(edited, current->source().end);
      edited.replace(begin, end - begin, quoted_name);
      candidates.push_back(edited + block + runtime_block + "\n");
    }
    if (containerd_section && !current) {
      // Insert the key right below the section's own header line.
      std::size_t header = offset_of(head, containerd_section->source().begin);
      if (header < head.size() && head[header] == '[') {
        std::size_t line_end = head.find('\n', header);
        std::string edited = head;
        edited.insert(line_end + 1, "default_runtime_name = " + quoted_name + "\n");
        candidates.push_back(edited + block + runtime_block + "\n");
      }
    }
    // The section may not exist or only implicitly: declare it in our block.
    toml::table default_only{{"default_runtime_name", runtime.name}};
    candidates.push_back(head + block + format_toml(branch(containerd_keys, default_only)) + "\n\n" + runtime_block +
                         "\n");
  }
  for (auto& candidate : candidates) {
    if (parses_to(candidate, expected)) {
      result.text = std::move(candidate);
      result.notes.push_back("restart containerd to pick the runtime up (systemctl restart containerd); running "
                             "containers are not affected");
      return result;
    }
  }
  // Last resort: re-serialise the whole document. Same meaning, but comments and layout are lost.
  result.text = format_toml(expected) + "\n";
  if (!parses_to(result.text, expected))
    throw Error("could not produce a valid " + path + " with the runtime added; nothing was changed");
  result.notes.push_back("the runtime could not be added without re-formatting " + path +
                         ": comments and layout are not kept (uninstall restores the original byte for byte)");
  result.notes.push_back("restart containerd to pick the runtime up (systemctl restart containerd)");
  return result;
}

}  // namespace rg::install
