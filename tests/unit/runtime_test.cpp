#include <gtest/gtest.h>

#include "oci/args.h"
#include "shim/runtime/runtime.h"
#include "shim/runtime/guards.h"

namespace rg {
namespace {

RuncArgs parse(std::vector<std::string> argv) { return parse_runc_args(argv); }

// needs_guarding decides by the command table alone; it must cover every invocation some guard or the
// watchdog takes, and nothing else (everything else is the pass-through path).
TEST(Runtime, GuardedCommandsCoverEveryGuardAndTheWatchdog) {
  for (const char* command : {"checkpoint", "create", "delete", "events", "exec", "init", "kill", "list", "pause",
                              "ps", "restore", "resume", "run", "spec", "start", "state", "update", "features"}) {
    for (std::vector<std::string> argv : {std::vector<std::string>{"runc", command, "c1"},
                                          std::vector<std::string>{"runc", command, "--force", "c1"}}) {
      RuncArgs args = parse(argv);
      bool wanted = args.does(Trait::Watched);
      for (const auto& guard : make_guards()) wanted = wanted || guard->applies(args);
      EXPECT_EQ(needs_guarding(args), wanted) << command << " " << argv[2];
    }
  }
}

TEST(Runtime, HelpIsNeverGuarded) {
  EXPECT_FALSE(needs_guarding(parse({"runc", "create", "--help"})));
  EXPECT_FALSE(needs_guarding(parse({"runc", "--help", "create", "c1"})));
  EXPECT_FALSE(needs_guarding(parse({"runc", "help", "create"})));
}

TEST(Runtime, EveryGuardIsRegisteredUnderItsOwnName) {
  auto guards = make_guards();
  ASSERT_EQ(guards.size(), registered_guards().size());
  for (std::size_t k = 0; k < guards.size(); ++k) EXPECT_EQ(guards[k]->name(), registered_guards()[k].name);
}

}  // namespace
}  // namespace rg
