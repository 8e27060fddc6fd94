#include "oci/guard/guard.h"

#include <unistd.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "oci/base/error.h"
#include "oci/base/files.h"

namespace rg {

InvocationContext::InvocationContext(const Config& config, std::vector<std::string> argv, RuncLog& runc_log,
                                     EventLog& events, std::string runc_path)
    : config(config),
      runc_log(runc_log),
      events(events),
      argv_(std::move(argv)),
      args_(parse_runc_args(argv_)),
      runc_path_(std::move(runc_path)) {}

void InvocationContext::set_argv(std::vector<std::string> argv) {
  argv_ = std::move(argv);
  args_ = parse_runc_args(argv_);
  container_state_.reset();  // new argv may name another --root or container
  container_bundle_.reset();
  container_bundle_error_.reset();
}

const RuncBuild* InvocationContext::runc_build() {
  if (!runc_build_) {
    runc_build_.emplace();
    if (runc_path_.empty()) return nullptr;  // nothing to ask (tests of a single guard)
    try {
      *runc_build_ = cached_runc_build(runc_path_, runc_version_cache_dir).build;
    } catch (const std::exception& e) {
      events.emit("runc.version_unknown", {{"runc", runc_path_}, {"error", e.what()}});
    }
  }
  return *runc_build_ ? &**runc_build_ : nullptr;
}

const std::string& InvocationContext::cwd() {
  if (cwd_.empty()) cwd_ = current_dir();
  return cwd_;
}

Spec& InvocationContext::spec_with_seccomp() {
  Spec& read = spec();
  if (&read.type() == &oci_spec_type_without_seccomp()) throw std::logic_error("the spec was read without linux.seccomp");
  return read;
}

Spec& InvocationContext::spec() {
  if (spec_error_) throw *spec_error_;
  if (!spec_) {
    try {
      spec_.emplace(Spec::load(spec_path_for_bundle(bundle()), *spec_type));
    } catch (const Error& e) {
      spec_error_ = e;
      throw;
    }
  }
  return *spec_;
}

const RuncState* InvocationContext::container_state() {
  if (!container_state_) container_state_.emplace(read_runc_state(absolute_path(args_.root(), cwd()), args_.container_id()));
  return *container_state_ ? &**container_state_ : nullptr;
}

const ContainerBundle* InvocationContext::container_bundle() {
  if (container_bundle_error_) throw *container_bundle_error_;
  if (!container_bundle_) {
    const RuncState* state = container_state();
    if (!state || state->bundle.empty()) {
      container_bundle_.emplace();
    } else {
      try {
        container_bundle_.emplace(ContainerBundle{state->bundle, Spec::load(spec_path_for_bundle(state->bundle), *spec_type)});
      } catch (const Error& e) {
        container_bundle_error_ = e;
        throw;
      }
    }
  }
  return *container_bundle_ ? &**container_bundle_ : nullptr;
}

void InvocationContext::publish_warnings() {
  for (const auto& message : pending_warnings_) runc_log.write(LogLevel::Warning, message);
  pending_warnings_.clear();
}

std::string_view status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::Ok: return "ok";
    case CheckStatus::Info: return "info";
    case CheckStatus::Warn: return "warn";
    case CheckStatus::Fail: return "fail";
    case CheckStatus::Error: return "error";
  }
  return "?";
}

void InvocationContext::flush_spec() {
  if (spec_) spec_->flush();
}

}  // namespace rg
