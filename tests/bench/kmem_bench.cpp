// The kernel-memory guards' cost on `runc create`, in process: what runc-guard adds between parsing argv and
// exec'ing runc. Scenarios on a ~10 KB dockerd config.json with --kernel-memory:
//   new kernel      — kernel >= 4.0: a uname(2) (here the override) and nothing else
//   old, no kmem    — 3.10, config without kernel memory: load + parse, accounting check, nothing written
//   old kernel      — 3.10: load + parse config.json, strip kernel, accounting check (runc version from cache)
//   old + flush     — the above plus the atomic rewrite (temp file, fsync, rename) into the bundle
// Prints one line per scenario: "<name> median <ms> p90 <ms>".
// Usage: kmem_bench <config.json> <bundle dir> <iterations> <real runc>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "oci/base/files.h"
#include "oci/guard/guard.h"
#include "oci/kmem/accounting_guard.h"
#include "oci/kmem/spec_guard.h"
#include <nlohmann/json.hpp>

using namespace rg;

namespace {

double run_once(const std::string& kernel, const std::string& bundle, const std::string& runc, bool flush) {
  Config config;
  config.kernel_memory.kernel_release = kernel;
  config.log.events = "";  // event log off: we time the guards, not the log file's open
  std::vector<std::string> argv = {"runc", "--root", bundle + "/state", "--log", bundle + "/log.json", "--log-format",
                                   "json", "create", "--bundle", bundle, "bench"};
  auto t0 = std::chrono::steady_clock::now();
  RuncArgs args = parse_runc_args(argv);
  RuncLog runc_log("", "json");
  EventLog events("", args.command, args.container_id());
  InvocationContext ctx(config, args, argv, runc_log, events);
  ctx.runc_path = runc;
  make_kmem_spec_guard()->apply(ctx);
  make_kmem_accounting_guard()->apply(ctx);
  if (flush) ctx.flush_spec();
  auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s CONFIG BUNDLE ITERATIONS RUNC\n", argv[0]);
    return 2;
  }
  // Pad dockerd's 8.7 KB config to ~10 KB with an annotation (unknown content must survive anyway).
  auto spec = nlohmann::ordered_json::parse(read_file(argv[1]));
  spec["annotations"]["io.runc-guard.bench.padding"] = std::string(1300, 'x');
  const std::string original = spec.dump();
  auto plain_spec = spec;
  plain_spec["linux"]["resources"]["memory"].erase("kernel");
  const std::string plain = plain_spec.dump();  // what most containers on an old-kernel node look like
  const std::string bundle = argv[2];
  const int n = std::stoi(argv[3]);
  const std::string runc = argv[4];
  std::printf("config.json %zu bytes, %d iterations\n", original.size(), n);

  struct Scenario {
    const char* name;
    const char* kernel;
    bool flush;
    bool with_kmem = true;
  };
  for (Scenario s : {Scenario{"new kernel (6.1)", "6.1.0-13-amd64", false},
                     Scenario{"old kernel (3.10), no kmem in config", "3.10.0-1160.el7.x86_64", false, false},
                     Scenario{"old kernel (3.10), strip, no flush", "3.10.0-1160.el7.x86_64", false},
                     Scenario{"old kernel (3.10), strip + atomic flush", "3.10.0-1160.el7.x86_64", true}}) {
    std::vector<double> ms;
    for (int i = 0; i < n + 5; ++i) {
      write_file_atomic(bundle + "/config.json", s.with_kmem ? original : plain);  // fresh input every round (not timed)
      double t = run_once(s.kernel, bundle, runc, s.flush);
      if (i >= 5) ms.push_back(t);  // warm-up rounds (first version probe fills the cache)
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%-42s median %.4f ms  p90 %.4f ms\n", s.name, ms[ms.size() / 2], ms[ms.size() * 9 / 10]);
  }
  return 0;
}
