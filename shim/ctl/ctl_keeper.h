#pragma once
// `runc-guardctl keeper`: run the keeper of a sealed copy of the real runc in the foreground (for a systemd
// unit, a DaemonSet container with the host's pid namespace, or by hand).
#include <CLI/CLI.hpp>

namespace rg {
void add_keeper_command(CLI::App& app);
}
