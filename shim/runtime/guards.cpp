#include "shim/runtime/guards.h"

namespace rg {

#define RG_GUARD(name, factory) std::unique_ptr<Guard> factory();
#include "shim/runtime/guard_list.def"
#undef RG_GUARD

namespace {

constexpr GuardRegistration kGuards[] = {
#define RG_GUARD(name, factory) {name, factory},
#include "shim/runtime/guard_list.def"
#undef RG_GUARD
};

}  // namespace

std::span<const GuardRegistration> registered_guards() { return kGuards; }

std::span<const std::string_view> guard_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& g : kGuards) out.push_back(g.name);
    return out;
  }();
  return names;
}

std::vector<std::unique_ptr<Guard>> make_guards() {
  std::vector<std::unique_ptr<Guard>> guards;
  for (const auto& g : kGuards) guards.push_back(g.make());
  return guards;
}

}  // namespace rg
