#pragma once
// runc-guardctl install|uninstall (docker|containerd|crio|podman).
namespace CLI {
class App;
}

namespace rg {
void add_install_commands(CLI::App& app);
}
