// A/B timer for the benchmark: runs command A and command B alternately N times (interleaved, so both see
// the same machine state), each with stdio on /dev/null, and prints per-command median and p90 wall times and
// the median of the pairwise ratios B/A. The order alternates (AB, BA, AB, …): what one command leaves for the
// kernel to finish (a container's cgroup released, its memory freed) is paid by whichever runs next, and a
// fixed order would charge all of it to B.
// Usage: ab_timer N [NAME=VALUE...] A_ARG... ::: [NAME=VALUE...] B_ARG... [:::before SETUP_ARG...]
//                  [:::after TEARDOWN_ARG...]
// SETUP and TEARDOWN run untimed right before and after every timed command (e.g. a bare `runc create`
// around a timed `start`); all of them see AB_ARM=A or AB_ARM=B in their environment, so each arm can use
// its own container. NAME=VALUE words before an arm's command are set in that command's environment only, as
// env(1) would, without timing an env process (e.g. two runc-guard configs compared).
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

double run_once(const std::vector<char*>& argv, const std::vector<char*>& env = {}) {
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    for (char* assignment : env) ::putenv(assignment);
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
    std::fprintf(stderr, "usage: ab_timer N [NAME=VALUE...] A_ARG... ::: [NAME=VALUE...] B_ARG... [:::before SETUP_ARG...] "
                         "[:::after TEARDOWN_ARG...]\n");
    return 2;
  }
  int n = std::atoi(argv[1]);
  if (n < 1) {
    std::fprintf(stderr, "ab_timer: N must be a positive number\n");
    return 2;
  }
  std::vector<char*> a, b, before, after, a_env, b_env;
  std::vector<char*>* into = &a;
  std::vector<char*>* env_of = &a_env;  // the arm whose leading NAME=VALUE words are still being read
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], ":::") == 0) into = &b, env_of = &b_env;
    else if (std::strcmp(argv[i], ":::before") == 0) into = &before, env_of = nullptr;
    else if (std::strcmp(argv[i], ":::after") == 0) into = &after, env_of = nullptr;
    else if (env_of && into->empty() && argv[i][0] != '/' && std::strchr(argv[i], '=')) env_of->push_back(argv[i]);
    else into->push_back(argv[i]);
  }
  if (a.empty() || b.empty()) {
    std::fprintf(stderr, "ab_timer: each arm needs a command\n");
    return 2;
  }
  for (auto* v : {&a, &b, &before, &after}) v->push_back(nullptr);
  // One timed run of an arm, its setup and teardown untimed around it.
  auto timed = [&](const std::vector<char*>& command, const char* arm) {
    ::setenv("AB_ARM", arm, 1);
    if (before.size() > 1) run_once(before);
    double us = run_once(command, &command == &a ? a_env : b_env);
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
