#include "oci/guard/guard.h"

#include <unistd.h>

#include "oci/base/error.h"

namespace rg {

Spec& InvocationContext::spec() {
  if (!spec_) {
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) throw Error::from_errno("getcwd");
    spec_.emplace(Spec::load(spec_path_for_bundle(args.bundle(cwd))));
  }
  return *spec_;
}

void InvocationContext::publish_warnings() {
  for (const auto& message : pending_warnings_) runc_log.write(LogLevel::Warning, message);
  pending_warnings_.clear();
}

void InvocationContext::flush_spec() {
  if (spec_) spec_->flush();
}

}  // namespace rg
