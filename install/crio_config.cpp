// CRI-O: a drop-in of our own in /etc/crio/crio.conf.d/ (CRI-O merges drop-ins, so nothing else is edited).
#include <sstream>
#include <toml++/toml.h>

#include "install/engine_configs.h"

namespace rg::install {

EditedConfig crio_dropin(const RuntimeRegistration& runtime) {
  validate_runtime_name(runtime.name);
  toml::table handler{
      {"runtime_path", runtime.binary},
      {"runtime_type", "oci"},
      // runc's own state root, set explicitly: CRI-O would otherwise default a new handler's root to
      // /run/<name>, and containers created through runc-guard would be invisible to runc and vice versa.
      {"runtime_root", "/run/runc"},
  };
  toml::table runtime_section{{"runtimes", toml::table{{runtime.name, std::move(handler)}}}};
  if (runtime.as_default) runtime_section.insert("default_runtime", runtime.name);
  toml::table doc{{"crio", toml::table{{"runtime", std::move(runtime_section)}}}};

  std::ostringstream out;
  out << "# Written by runc-guardctl install crio; runc-guardctl uninstall crio removes it.\n"
      << toml::toml_formatter{doc, toml::format_flags::allow_unicode_strings} << "\n";
  EditedConfig result{out.str(), {"restart CRI-O to pick the runtime up (systemctl restart crio)"}};
  return result;
}

}  // namespace rg::install
