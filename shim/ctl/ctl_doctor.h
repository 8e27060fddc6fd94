#pragma once
// runc-guardctl doctor [--json] [--unstick].
namespace CLI {
class App;
}

namespace rg {
void add_doctor_command(CLI::App& app);
}
