#include <cctype>

#include "install/engine_configs.h"
#include "oci/base/error.h"

namespace rg::install {

std::string_view engine_name(Engine engine) {
  switch (engine) {
    case Engine::Docker: return "docker";
    case Engine::Containerd: return "containerd";
    case Engine::Crio: return "crio";
    case Engine::Podman: return "podman";
  }
  return "?";
}

std::optional<Engine> parse_engine(std::string_view name) {
  for (Engine e : kEngines)
    if (engine_name(e) == name) return e;
  return std::nullopt;
}

std::string default_config_path(Engine engine) {
  switch (engine) {
    case Engine::Docker: return "/etc/docker/daemon.json";
    case Engine::Containerd: return "/etc/containerd/config.toml";
    // 99-: drop-ins are applied in lexical order, so ours wins a default_runtime set by earlier files.
    case Engine::Crio: return "/etc/crio/crio.conf.d/99-runc-guard.conf";
    // podman reads the drop-ins of /etc/containers/containers.conf.d/ in byte order; 99- is read last.
    case Engine::Podman: return "/etc/containers/containers.conf.d/99-runc-guard.conf";
  }
  return {};
}

void validate_runtime_name(std::string_view name) {
  if (name.empty()) throw Error::refusal("runtime name must not be empty");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      throw Error::refusal("runtime name \"" + std::string(name) +
                           "\" may only contain letters, digits, '-', '_' and '.' (it becomes a RuntimeClass handler)");
  // "runc" is every engine's built-in runtime; replacing it would leave no way back to bare runc.
  if (name == "runc" || name.starts_with("io.containerd."))
    throw Error::refusal("runtime name \"" + std::string(name) + "\" is reserved by the engines; choose another");
}

}  // namespace rg::install
