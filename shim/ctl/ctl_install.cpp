#include "shim/ctl/ctl_install.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "install/installer.h"
#include "oci/base/error.h"

namespace rg {
namespace {

// The runtime binary next to runc-guardctl (a build tree or /usr/bin), else the packaged location.
std::string default_runtime_binary() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<std::size_t>(n));
    dir.resize(dir.find_last_of('/'));
    std::string sibling = dir + "/runc-guard";
    struct stat st {};
    if (::stat(sibling.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return sibling;
  }
  return "/usr/bin/runc-guard";
}

void print_outcome(const install::Outcome& outcome, bool dry_run) {
  if (dry_run) {
    std::cout << (outcome.diff.empty() ? "# no change to " + outcome.config_path + "\n" : outcome.diff);
    for (const auto& note : outcome.notes) std::cerr << "note: " << note << "\n";
    return;
  }
  for (const auto& note : outcome.notes) std::cout << note << "\n";
}

struct EngineArg {
  std::string engine;
  std::string config;
  std::string state_dir = std::string(install::kDefaultStateDir);
  bool dry_run = false;
};

install::Engine engine_of(const std::string& name) {
  auto engine = install::parse_engine(name);
  if (!engine) throw Error::refusal("unknown engine " + name);  // CLI11's check already limits the choices
  return *engine;
}

void add_common(CLI::App* cmd, EngineArg& arg) {
  cmd->add_option("ENGINE", arg.engine, "docker, containerd, crio or podman")
      ->required()
      ->check(CLI::IsMember({"docker", "containerd", "crio", "podman"}));
  cmd->add_option("--config", arg.config,
                  "engine config file (default: /etc/docker/daemon.json, /etc/containerd/config.toml, "
                  "/etc/crio/crio.conf.d/99-runc-guard.conf, /etc/containers/containers.conf.d/99-runc-guard.conf)");
  cmd->add_flag("--dry-run", arg.dry_run, "print the change as a unified diff; write nothing");
  cmd->add_option("--state-dir", arg.state_dir, "where backups and install records are kept")
      ->capture_default_str();
}

}  // namespace

void add_install_commands(CLI::App& app) {
  auto install_args = std::make_shared<EngineArg>();
  auto runtime = std::make_shared<install::RuntimeRegistration>();
  auto* install_cmd = app.add_subcommand("install", "Register runc-guard as a runtime of docker, containerd, CRI-O or podman");
  add_common(install_cmd, *install_args);
  install_cmd->add_option("--name", runtime->name, "runtime name (the RuntimeClass handler)")->capture_default_str();
  install_cmd->add_flag("--as-default", runtime->as_default, "also make it the engine's default runtime");
  install_cmd->add_option("--binary", runtime->binary,
                          "runc-guard binary the engine runs (default: next to runc-guardctl, else /usr/bin/runc-guard)");
  install_cmd->callback([install_args, runtime] {
    install::InstallRequest request;
    request.engine = engine_of(install_args->engine);
    request.config_path = install_args->config;
    request.runtime = *runtime;
    if (request.runtime.binary.empty()) request.runtime.binary = default_runtime_binary();
    request.dry_run = install_args->dry_run;
    request.state_dir = install_args->state_dir;
    auto outcome = install::install(request);
    if (!install_args->dry_run && outcome.changed)
      std::cout << "installed runtime \"" << request.runtime.name << "\" (" << request.runtime.binary << ") in "
                << outcome.config_path << (request.runtime.as_default ? " as the default runtime" : "") << "\n";
    print_outcome(outcome, install_args->dry_run);
  });

  auto uninstall_args = std::make_shared<EngineArg>();
  auto force = std::make_shared<bool>(false);
  auto* uninstall_cmd = app.add_subcommand("uninstall", "Restore the engine config as it was before install");
  add_common(uninstall_cmd, *uninstall_args);
  uninstall_cmd->add_flag("--force", *force, "restore the backup even if the file changed after install");
  uninstall_cmd->callback([uninstall_args, force] {
    install::UninstallRequest request;
    request.engine = engine_of(uninstall_args->engine);
    request.config_path = uninstall_args->config;
    request.dry_run = uninstall_args->dry_run;
    request.force = *force;
    request.state_dir = uninstall_args->state_dir;
    auto outcome = install::uninstall(request);
    print_outcome(outcome, request.dry_run);
  });
}

}  // namespace rg
