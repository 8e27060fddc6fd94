#include "oci/runc_call.h"

#include <fcntl.h>

#include "oci/args.h"
#include "oci/base/child_process.h"
#include "oci/base/fd.h"

namespace rg {

RuncCall RuncCall::from_argv(std::string runc_path, std::span<const std::string> argv, std::string cwd) {
  RuncCall call{std::move(runc_path), {}, std::move(cwd)};
  RuncArgs args = parse_runc_args(argv);
  const std::size_t end = args.command_index.value_or(argv.size());
  if (end > 1) call.global_flags.assign(argv.begin() + 1, argv.begin() + static_cast<std::ptrdiff_t>(end));
  return call;
}

int RuncCall::run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const noexcept {
  try {
    SpawnOptions options;
    options.path = runc_path;
    options.argv = {runc_path};
    options.argv.insert(options.argv.end(), global_flags.begin(), global_flags.end());
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    options.stdin_fd = options.stdout_fd = options.stderr_fd = devnull.get();
    options.cwd = cwd;
    return spawn(options).wait_for(timeout).value_or(-1);
  } catch (...) {
    return -1;
  }
}

int RuncCall::delete_force(const std::string& container_id, std::chrono::milliseconds timeout) const noexcept {
  return run({std::string(command_name(Command::Delete)), "--force", container_id}, timeout);
}

}  // namespace rg
