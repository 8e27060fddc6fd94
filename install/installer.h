#pragma once
// `runc-guardctl install|uninstall <engine>`: edits an engine's config through engine_configs.h, keeping
// a backup and a record in a root-only state directory so that uninstall restores the original file byte for
// byte (or removes a file that did not exist). Nothing is written on --dry-run or on any error.
#include <optional>
#include <string>
#include <vector>

#include "install/engine_configs.h"

namespace rg::install {

constexpr std::string_view kDefaultStateDir = "/var/lib/runc-guard/install";

struct InstallRequest {
  Engine engine = Engine::Docker;
  std::string config_path;  // empty: default_config_path(engine); for CRI-O and podman the drop-in file
  RuntimeRegistration runtime;
  bool dry_run = false;
  std::string state_dir = std::string(kDefaultStateDir);
  // podman: the distribution's containers.conf, read before everything else (tests point it elsewhere).
  std::string podman_distribution_conf = std::string(kPodmanDistributionConf);
};

struct UninstallRequest {
  Engine engine = Engine::Docker;
  std::string config_path;
  bool dry_run = false;
  bool force = false;  // restore the backup even though the file changed after install
  std::string state_dir = std::string(kDefaultStateDir);
};

struct Outcome {
  std::string config_path;
  bool changed = false;             // whether the file was (or, with dry_run, would be) changed
  std::string diff;                 // unified diff of the change
  std::vector<std::string> notes;   // for the operator
};

// Throws rg::Error (Refusal) with a clear reason; nothing is written then.
Outcome install(const InstallRequest& request);
Outcome uninstall(const UninstallRequest& request);

// What an install recorded (for doctor: "registered with which engines").
struct InstallRecord {
  Engine engine;
  std::string config_path;
  std::string runtime_name;
  std::string binary;
  bool as_default = false;
  bool original_existed = false;
};
std::optional<InstallRecord> find_install_record(Engine engine, const std::string& config_path,
                                                 const std::string& state_dir = std::string(kDefaultStateDir));

}  // namespace rg::install
