#include "shim/ctl/ctl_doctor.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "install/installer.h"
#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/base/text.h"
#include "shim/ctl/doctor.h"

namespace rg {
namespace {

// Where a registration by hand or by a configuration manager would be: the file the installer writes and,
// for podman, the main containers.conf as well (drop-ins are the installer's way, not everybody's).
std::vector<std::string> registration_files(install::Engine engine) {
  std::vector<std::string> files{install::default_config_path(engine)};
  if (engine == install::Engine::Podman) files.push_back("/etc/containers/containers.conf");
  return files;
}

// Which engines run runc-guard: install records first, then a plain mention of runc-guard in the engine's
// config (registered by hand or by a configuration manager).
CheckResult check_engine_registrations(const std::string& state_dir) {
  nlohmann::json engines = nlohmann::json::array();
  std::string summary;
  std::vector<std::string> insecure;
  for (auto engine : install::kEngines) {
    std::string path = install::default_config_path(engine);
    std::string name(install::engine_name(engine));
    nlohmann::json entry = {{"engine", name}, {"config", path}};
    std::string binary;
    if (auto record = install::find_install_record(engine, path, state_dir)) {
      entry.update({{"registered", true}, {"by", "runc-guardctl"}, {"runtime", record->runtime_name},
                    {"binary", record->binary}, {"default", record->as_default}});
      summary += (summary.empty() ? "" : ", ") + name + " (" + record->runtime_name + (record->as_default ? ", default" : "") + ")";
      binary = record->binary;
    } else {
      bool mentioned = false;
      for (const auto& file : registration_files(engine)) {
        std::string text;
        try {
          text = read_file(file);
        } catch (const Error&) {
        }
        if (text.find("runc-guard") == std::string::npos) continue;
        mentioned = true;
        entry["config"] = file;
        break;
      }
      entry.update({{"registered", mentioned}, {"by", mentioned ? "hand" : ""}});
      if (mentioned) summary += (summary.empty() ? "" : ", ") + name + " (by hand)";
    }
    if (!binary.empty()) {
      try {
        require_secure_file(binary, "runtime binary");
      } catch (const Error& e) {
        insecure.push_back(e.what());
      }
    }
    engines.push_back(entry);
  }
  nlohmann::json data = {{"engines", engines}};
  if (!insecure.empty())
    return {"runc_guard.engines", CheckStatus::Fail, insecure.front(), "chown root and chmod go-w the runtime binary", data};
  if (summary.empty())
    return {"runc_guard.engines", CheckStatus::Info, "not registered with docker, containerd, CRI-O or podman",
            "runc-guardctl install (docker|containerd|crio|podman) [--as-default]", data};
  return {"runc_guard.engines", CheckStatus::Ok, "registered with " + summary, "", data};
}

struct DoctorArgs {
  bool json = false;
  bool unstick = false;
  bool fix = false;
  std::string dev_root = "/dev";
  std::vector<std::string> runc_roots;
  std::string config;
  std::string state_dir = std::string(install::kDefaultStateDir);
};

}  // namespace

void add_doctor_command(CLI::App& app) {
  auto args = std::make_shared<DoctorArgs>();
  auto* doctor = app.add_subcommand("doctor", "Diagnose this node: kmem risk, pipe limits, runc known issues, "
                                              "runc-guard's config and registrations, blocked runc init");
  doctor->add_flag("--json", args->json, "stable JSON (schema 1, see shim/doctor.h and the README)");
  doctor->add_flag("--unstick", args->unstick, "un-stick every blocked runc init found (lossless pipe enlarge)");
  doctor->add_flag("--fix", args->fix,
                   "make the guards' safe repairs: thaw/remove orphaned frozen inits, delete orphaned created "
                   "containers, make missing /dev/char links");
  doctor->add_option("--dev-root", args->dev_root, "the host's /dev (e.g. /host/dev when doctor runs in a pod)")
      ->capture_default_str();
  doctor->add_option("--runc-root", args->runc_roots,
                     "a runc --root whose containers' inits count too (besides /run/runc and the engines' roots)");
  doctor->add_option("--config", args->config, "runc-guard config to check (default: $RUNC_GUARD_CONFIG or /etc/runc-guard/config.json)");
  doctor->add_option("--state-dir", args->state_dir, "install records of runc-guardctl install")->capture_default_str();
  doctor->callback([args] {
    int code = 2;
    try {
      // /proc/PID/task/TID/syscall and other processes' fds need root.
      if (::geteuid() != 0) throw Error("doctor must run as root");
      DoctorOptions options;
      options.config_path = args->config;
      options.unstick = args->unstick;
      options.fix = args->fix;
      options.dev_root = args->dev_root;
      options.runc_roots = args->runc_roots;
      std::string state_dir = args->state_dir;
      options.extra_checks.push_back([state_dir](const Config&) { return check_engine_registrations(state_dir); });
      DoctorReport report = run_doctor(options);
      std::cout << (args->json ? report.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n" : report.to_table());
      code = report.exit_code();
    } catch (const std::exception& e) {
      if (args->json)
        std::cout << nlohmann::json{{"schema", 1}, {"result", "incomplete"}, {"exit_code", 2}, {"error", e.what()}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      else
        std::cerr << "runc-guardctl doctor: " << printable(e.what()) << "\n";
    }
    std::cout.flush();
    // The exit code is the result (0 healthy, 1 problems, 2 could not run): leave CLI11 here.
    std::exit(code);
  });
}

}  // namespace rg
