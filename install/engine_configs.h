#pragma once
// The edits the installers make to each engine's configuration, as pure functions: text in, text out.
// They never touch files (the installer does, with backups); they throw rg::Error (Refusal) naming the file
// for configurations they cannot parse or safely change, so that nothing is written.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rg::install {

enum class Engine { Docker, Containerd, Crio, Podman };

std::string_view engine_name(Engine engine);  // "docker", "containerd", "crio", "podman"
// Every engine, in the order the CLI and doctor list them.
inline constexpr Engine kEngines[] = {Engine::Docker, Engine::Containerd, Engine::Crio, Engine::Podman};
std::optional<Engine> parse_engine(std::string_view name);
// /etc/docker/daemon.json, /etc/containerd/config.toml, /etc/crio/crio.conf.d/99-runc-guard.conf,
// /etc/containers/containers.conf.d/99-runc-guard.conf
std::string default_config_path(Engine engine);

struct RuntimeRegistration {
  std::string name = "runc-guard";  // the runtime/handler name engines and RuntimeClasses refer to
  std::string binary;               // absolute path of the runc-guard runtime binary
  bool as_default = false;          // also make it the engine's default runtime
};

// Refuses names engines reject or that would shadow runc itself.
void validate_runtime_name(std::string_view name);

struct EditedConfig {
  std::string text;                 // the complete new file
  std::vector<std::string> notes;   // things the operator should know (e.g. a replaced default runtime)
};

// dockerd's daemon.json: sets runtimes.<name>.path (and default-runtime), every other key and the key order
// kept, indentation as in the original. `original` is nullopt for a missing file.
EditedConfig add_docker_runtime(std::optional<std::string_view> original, const RuntimeRegistration& runtime,
                                const std::string& path);

// What the operator must do after uninstall restored `original` (nullopt: the file was removed). dockerd's
// SIGHUP reload only applies keys present in the file, so a restored file without "runtimes" or
// "default-runtime" leaves runc-guard registered (or the default) until dockerd restarts.
std::vector<std::string> docker_uninstall_notes(std::optional<std::string_view> original, bool was_default);

// containerd's config.toml, version 2 (containerd 1.6/1.7) or 3 (2.x): a runtime of type io.containerd.runc.v2
// with options.BinaryName, copying the runc runtime's settings (SystemdCgroup, Root, …) so behaviour does
// not change; default_runtime_name with as_default. The new section is appended so comments and layout
// survive; if that cannot be done exactly, the file is re-serialised (and a note says so).
EditedConfig add_containerd_runtime(std::optional<std::string_view> original, const RuntimeRegistration& runtime,
                                    const std::string& path);

// The CRI-O drop-in for /etc/crio/crio.conf.d/: runtime_path, runtime_type "oci", runtime_root set to runc's.
EditedConfig crio_dropin(const RuntimeRegistration& runtime);

// podman 4.x reads /usr/share/containers/containers.conf, /etc/containers/containers.conf, then every
// /etc/containers/containers.conf.d/*.conf in byte order (CONTAINERS_CONF, when set, replaces all of them).
// Later files override earlier ones key by key; a table such as engine.runtimes is merged, but an array
// is replaced as a whole.
struct ContainersConfFile {
  std::string path;
  std::string text;
};
struct PodmanLayers {
  std::vector<ContainersConfFile> before;  // read before the drop-in, in podman's order
  std::vector<ContainersConfFile> after;   // drop-ins sorting after it: they override it
};
inline constexpr std::string_view kPodmanDistributionConf = "/usr/share/containers/containers.conf";

// podman's built-in engine.runtime_supports_json (podman 4.3 / containers-common 0.50): the runtimes podman
// passes --log-format=json (and a --log file) to. A runtime not in it gets neither, and runc's errors reach
// the user as raw logrus text.
std::vector<std::string> podman_default_supports_json();

// The podman drop-in: [engine.runtimes] <name> = [binary]; engine.runtime_supports_json = the list in effect
// after `layers.before` (or the built-in default) plus <name>, because the drop-in's array replaces that list;
// engine.runtime = <name> with as_default. Refuses a layer it cannot parse (file:line:column), a layer that
// already defines the runtime name, and values podman would reject; notes what `layers.after` overrides.
EditedConfig podman_dropin(const RuntimeRegistration& runtime, const PodmanLayers& layers, const std::string& path);

// Where a runtime registered by us shows up in each containerd config version.
std::vector<std::string> containerd_runtimes_path(int config_version);  // {"plugins", <cri plugin>, "containerd", "runtimes"}

}  // namespace rg::install
