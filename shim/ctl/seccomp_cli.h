#pragma once
// `runc-guardctl seccomp export|inspect`: the operator's view of the seccomp engine.
#include <iosfwd>

namespace CLI {
class App;
}

namespace rg::seccomp {

// Adds `seccomp export` and `seccomp inspect` to `app`, writing to std::cout (a terminal is detected on fd 1).
// Failures are thrown as rg::Error from the subcommand callbacks.
void add_seccomp_commands(CLI::App& app);
// Same, writing to `out`; `out_is_terminal` decides whether raw BPF may be written to it without `-o -`.
void add_seccomp_commands(CLI::App& app, std::ostream& out, bool out_is_terminal);

}  // namespace rg::seccomp
