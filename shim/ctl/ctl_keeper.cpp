#include "shim/ctl/ctl_keeper.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "oci/base/error.h"
#include "oci/guard/config.h"
#include "shim/keeper/keeper.h"
#include "shim/runtime/real_runc.h"

namespace rg {

void add_keeper_command(CLI::App& app) {
  struct Args {
    std::string runc;
    std::string config;
    std::string dir = kKeeperDir;
    unsigned poll_ms = 1000;
    bool once = false;
  };
  auto args = std::make_shared<Args>();
  auto* keeper = app.add_subcommand(
      "keeper", "Hold a sealed in-memory copy of the real runc, so that runc-guard runs runc from it (no per-init "
                "copy or bind mount of the binary); runs until SIGTERM, re-copies when runc is upgraded");
  keeper->add_option("--runc", args->runc, "the runc to copy (default: the one runc-guard's config resolves to)");
  keeper->add_option("--config", args->config, "runc-guard config to resolve the runc from (default: $RUNC_GUARD_CONFIG or /etc/runc-guard/config.json)");
  keeper->add_option("--dir", args->dir, "where the keeper's record goes")->capture_default_str();
  keeper->add_option("--poll-ms", args->poll_ms, "how often the runc file is looked at for an upgrade")->capture_default_str();
  keeper->add_flag("--once", args->once, "copy, publish and exit (the copy goes with the process: for tests)");
  keeper->callback([args] {
    if (::geteuid() != 0) throw Error("keeper must run as root");
    KeeperOptions options;
    options.dir = args->dir;
    options.poll = std::chrono::milliseconds(args->poll_ms);
    options.once = args->once;
    options.runc_path = args->runc;
    if (options.runc_path.empty()) {
      const bool explicit_config = !args->config.empty() || std::getenv(std::string(kConfigEnv).c_str());
      Config config = load_config(args->config.empty() ? config_path_from_env() : args->config, explicit_config);
      options.runc_path = locate_real_runc(config, std::getenv("PATH")).path;
    }
    std::exit(run_keeper(options));
  });
}

}  // namespace rg
