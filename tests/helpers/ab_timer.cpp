// A/B timer for the benchmark: runs command A and command B alternately N times (interleaved, so both see
// the same machine state), each with stdio on /dev/null, and prints per-command median and p90 wall times and
// the median of the pairwise ratios B/A. The order alternates (AB, BA, AB, …): what one command leaves for the
// kernel to finish (a container's cgroup released, its memory freed) is paid by whichever runs next, and a
// fixed order would charge all of it to B.
// Usage: ab_timer N A_ARG... ::: B_ARG... [:::before SETUP_ARG...] [:::after TEARDOWN_ARG...]
// SETUP and TEARDOWN run untimed right before and after every timed command (e.g. a bare `runc create`
// around a timed `start`); all of them see AB_ARM=A or AB_ARM=B in their environment, so each arm can use
// its own container.
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
    std::fprintf(stderr, "usage: ab_timer N A_ARG... ::: B_ARG... [:::before SETUP_ARG...] [:::after TEARDOWN_ARG...]\n");
    return 2;
  }
  int n = std::atoi(argv[1]);
  std::vector<char*> a, b, before, after;
  std::vector<char*>* into = &a;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], ":::") == 0) into = &b;
    else if (std::strcmp(argv[i], ":::before") == 0) into = &before;
    else if (std::strcmp(argv[i], ":::after") == 0) into = &after;
    else into->push_back(argv[i]);
  }
  for (auto* v : {&a, &b, &before, &after}) v->push_back(nullptr);
  // One timed run of an arm, its setup and teardown untimed around it.
  auto timed = [&](const std::vector<char*>& command, const char* arm) {
    ::setenv("AB_ARM", arm, 1);
    if (before.size() > 1) run_once(before);
    double us = run_once(command);
    if (after.size() > 1) run_once(after);
    return us;
  };
  // Warm up page cache and dentries for both binaries.
  timed(a, "A");
  timed(b, "B");
  std::vector<double> ta, tb;
  std::vector<double> ratios;
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      ta.push_back(timed(a, "A"));
      tb.push_back(timed(b, "B"));
    } else {
      tb.push_back(timed(b, "B"));
      ta.push_back(timed(a, "A"));
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
