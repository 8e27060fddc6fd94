// Benchmark of the seccomp engine on docker 20.10's default profile (3 architectures):
//   cold   — parse + compile + export through the drained pipe + parse/hash (no cache);
//   cached — what HazardGuard pays per create on a cache hit: hash of the canonical profile, cache read,
//            hazard verdict (probe included when needed; NNP bundle).
// Usage: seccomp_bench CONFIG.json [iterations]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "seccomp/engine.h"
#include "seccomp/probe.h"

using namespace rg::seccomp;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

static void report(const char* name, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::printf("%-34s n=%-4zu min %.3f ms  median %.3f ms  p90 %.3f ms\n", name, v.size(), v[0], v[v.size() / 2],
              v[v.size() * 9 / 10]);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CONFIG.json [iterations]\n", argv[0]);
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 50;
  std::ifstream in(argv[1]);
  std::stringstream ss;
  ss << in.rdbuf();
  auto spec = nlohmann::ordered_json::parse(ss.str());
  const auto* section = seccomp_section(spec);
  if (!section) {
    std::fprintf(stderr, "%s: no linux.seccomp\n", argv[1]);
    return 2;
  }
  const bool nnp = true;  // worst case: the verdict needs the probe whenever the program exceeds 2 pages

  // First call in a fresh process: what a cache miss costs the shim (one process per runc call).
  auto t0 = Clock::now();
  auto first = analyze(*parse_profile(*section));
  const double first_ms = ms_since(t0);
  std::printf("program: %zu B, %zu instructions, sha256 %s\n", first.summary.bytes, first.summary.instructions,
              first.summary.sha256.c_str());
  std::printf("%-34s %.3f ms\n", "cold, first in process", first_ms);

  std::vector<double> cold, cached, hashing, probe;
  for (int i = 0; i < n; ++i) {
    t0 = Clock::now();
    auto a = analyze(*parse_profile(*section));
    cold.push_back(ms_since(t0));
  }
  char dir[] = "/tmp/rg-seccomp-bench-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  const Cache cache(std::string(dir) + "/cache");
  (void)summarize(*section, &cache);  // warm
  for (int i = 0; i < n * 20; ++i) {
    t0 = Clock::now();
    auto s = summarize(*section, &cache);
    auto v = assess_hazard(nnp, s->summary.bytes);
    cached.push_back(ms_since(t0));
    if (!s->from_cache) {
      std::fprintf(stderr, "cache miss on the hot path\n");
      return 1;
    }
    t0 = Clock::now();
    (void)profile_key(*section, "x");
    hashing.push_back(ms_since(t0));
    t0 = Clock::now();
    (void)probe_pipe_capacity();
    probe.push_back(ms_since(t0));
  }
  report("cold (compile+export+hash)", cold);
  report("cached (key+read+verdict)", cached);
  report("  of which canonical+sha256", hashing);
  report("  probe alone", probe);
  std::string cmd = std::string("rm -rf ") + dir;
  return std::system(cmd.c_str()) == 0 ? 0 : 1;
}
