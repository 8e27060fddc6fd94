#include <gtest/gtest.h>

#include "oci/args.h"
#include "shim/runtime/runtime.h"
#include "shim/watchdog/watchdog.h"

namespace rg {
namespace {

RuncArgs parse(std::vector<std::string> argv) { return parse_runc_args(argv); }

// needs_guarding decides by command name; it must cover every command some guard or the watchdog takes.
TEST(Runtime, GuardedCommandsCoverEveryGuardAndTheWatchdog) {
  for (const char* command : {"checkpoint", "create", "delete", "events", "exec", "init", "kill", "list", "pause",
                              "ps", "restore", "resume", "run", "spec", "start", "state", "update", "features"}) {
    RuncArgs args = parse({"runc", command, "c1"});
    bool wanted = watchdog_applies(args);
    for (const auto& guard : make_guards()) wanted = wanted || guard->applies(args);
    EXPECT_EQ(needs_guarding(args), wanted) << command;
  }
}

TEST(Runtime, HelpIsNeverGuarded) {
  EXPECT_FALSE(needs_guarding(parse({"runc", "create", "--help"})));
  EXPECT_FALSE(needs_guarding(parse({"runc", "--help", "create", "c1"})));
  EXPECT_FALSE(needs_guarding(parse({"runc", "help", "create"})));
}

}  // namespace
}  // namespace rg
