// A/B timer for the benchmark: runs command A and command B alternately N times (interleaved, so both see
// the same machine state), each with stdio on /dev/null, and prints per-command median and p90 wall times and
// the median of the pairwise ratios B/A. The order alternates (AB, BA, AB, …): what one command leaves for the
// kernel to finish (a container's cgroup released, its memory freed) is paid by whichever runs next, and a
// fixed order would charge all of it to B.
// Usage: ab_timer N A_ARG... ::: B_ARG...
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

double run_once(const std::vector<char*>& argv) {
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto end = std::chrono::steady_clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "ab_timer: %s exited with status %d\n", argv[0], status);
    std::exit(1);
  }
  return std::chrono::duration<double, std::micro>(end - start).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: ab_timer N A_ARG... ::: B_ARG...\n");
    return 2;
  }
  int n = std::atoi(argv[1]);
  std::vector<char*> a, b;
  bool second = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], ":::") == 0) {
      second = true;
      continue;
    }
    (second ? b : a).push_back(argv[i]);
  }
  a.push_back(nullptr);
  b.push_back(nullptr);
  // Warm up page cache and dentries for both binaries.
  run_once(a);
  run_once(b);
  std::vector<double> ta, tb;
  std::vector<double> ratios;
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      ta.push_back(run_once(a));
      tb.push_back(run_once(b));
    } else {
      tb.push_back(run_once(b));
      ta.push_back(run_once(a));
    }
    ratios.push_back(tb.back() / ta.back());
  }
  double ma = percentile(ta, 0.5), mb = percentile(tb, 0.5);
  std::printf("A median_us=%.1f p90_us=%.1f\nB median_us=%.1f p90_us=%.1f\n", ma, percentile(ta, 0.9), mb,
              percentile(tb, 0.9));
  std::printf("overhead_median_us=%.1f overhead_pct=%.2f ratio_median=%.3f\n", mb - ma, 100.0 * (mb - ma) / ma,
              percentile(ratios, 0.5));
  return 0;
}
