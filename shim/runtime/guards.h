#pragma once
// The guards of this build: one registration line each (shim/runtime/guards.cpp), in the order they run.
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "oci/guard/guard.h"

namespace rg {

struct GuardRegistration {
  std::string_view name;  // == Guard::name(); the key under "guards" in the config
  std::unique_ptr<Guard> (*make)();
};

std::span<const GuardRegistration> registered_guards();
// Their names, for config validation.
std::span<const std::string_view> guard_names();
std::vector<std::unique_ptr<Guard>> make_guards();

}  // namespace rg
