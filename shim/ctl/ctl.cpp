#include "shim/ctl/ctl.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "oci/guard/config.h"
#include "oci/base/error.h"
#include "oci/base/stack_limit.h"
#include "oci/base/text.h"
#include "shim/ctl/ctl_doctor.h"
#include "shim/ctl/ctl_install.h"
#include "shim/ctl/ctl_keeper.h"
#include "shim/ctl/seccomp_cli.h"

namespace rg {

namespace {
void add_config_commands(CLI::App& app) {
  auto* config = app.add_subcommand("config", "Inspect runc-guard's configuration");
  config->require_subcommand(1);
  auto* check = config->add_subcommand("check", "Validate a config file before rollout (default: the active one)");
  auto file = std::make_shared<std::string>();
  check->add_option("FILE", *file, "config file (default: $RUNC_GUARD_CONFIG or /etc/runc-guard/config.json)");
  check->callback([file] {
    std::string path = file->empty() ? config_path_from_env() : *file;
    load_config(path, true);
    std::cout << path << ": OK\n";
  });
}
}  // namespace

namespace {

int run_ctl_here(int argc, char** argv) {
  CLI::App app{"runc-guardctl: operate runc-guard on a node"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("runc-guardctl ") + RUNC_GUARD_VERSION);
  add_config_commands(app);
  seccomp::add_seccomp_commands(app);
  add_install_commands(app);
  add_doctor_command(app);
  add_keeper_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help/--version print and succeed; a wrong command line is a usage error (2), with CLI11's message.
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "runc-guardctl: " << printable(e.what()) << "\n";
    return 1;
  } catch (...) {
    std::cerr << "runc-guardctl: unexpected failure\n";
    return 1;
  }
  return 0;
}

}  // namespace

int run_ctl(int argc, char** argv) {
  return on_stack_for_json([&] { return run_ctl_here(argc, argv); });  // doctor and seccomp read containers' configs
}

}  // namespace rg
