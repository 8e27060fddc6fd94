// runc's argv grammar (oci/args.h) over any argv: the input split at NUL bytes, argv[0] included. Guards
// edit argv at the indexes the parse records, so every flag must lie inside argv, and the edits must keep
// everything else where it was.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "oci/args.h"

namespace {

std::vector<std::string> split_at_nul(std::string_view input) {
  std::vector<std::string> argv;
  for (;;) {
    const std::size_t nul = input.find('\0');
    argv.emplace_back(input.substr(0, nul));
    if (nul == std::string_view::npos) return argv;
    input.remove_prefix(nul + 1);
  }
}

constexpr rg::Trait kTraits[] = {rg::Trait::ReadsSpec, rg::Trait::Creates,       rg::Trait::StartsInit,
                                 rg::Trait::Watched,   rg::Trait::StartsCreated, rg::Trait::ProcessFile,
                                 rg::Trait::Foreground, rg::Trait::Updates,      rg::Trait::Deletes};

void check_inside(const rg::ParsedFlag& flag, std::size_t argc) {
  if (flag.span < 1 || flag.span > 2 || flag.index + flag.span > argc) std::abort();
}

// What a guard does with -r FILE: the value is replaced in place, and a new parse sees the same invocation.
void check_value_replaced(const std::vector<std::string>& argv, const rg::RuncArgs& before, const rg::ParsedFlag& flag) {
  const std::vector<std::string> edited = rg::with_flag_value(argv, flag, "/proc/self/fd/3");
  if (edited.size() != argv.size()) std::abort();
  const rg::RuncArgs after = rg::parse_runc_args(edited);
  if (after.command_index != before.command_index || after.positional_indexes != before.positional_indexes ||
      after.global_flags.size() != before.global_flags.size() ||
      after.command_flags.size() != before.command_flags.size())
    std::abort();
  const auto& flags = flag.index < before.command_index.value_or(argv.size()) ? after.global_flags : after.command_flags;
  for (const rg::ParsedFlag& f : flags)
    if (f.index == flag.index && f.value != "/proc/self/fd/3") std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> argv = split_at_nul({reinterpret_cast<const char*>(data), size});
  const rg::RuncArgs args = rg::parse_runc_args(argv);

  std::vector<const rg::ParsedFlag*> every_flag;
  std::size_t flag_slots = 0;
  for (const auto* flags : {&args.global_flags, &args.command_flags})
    for (const rg::ParsedFlag& f : *flags) {
      check_inside(f, argv.size());
      every_flag.push_back(&f);
      flag_slots += f.span;
      if (f.value) {
        (void)rg::parse_go_bool(*f.value);
        check_value_replaced(argv, args, f);
      }
    }
  // Flags never share a slot, so removing all of them removes exactly their slots.
  if (rg::without_flags(argv, every_flag).size() != argv.size() - flag_slots) std::abort();
  for (std::size_t i : args.positional_indexes)
    if (i >= argv.size()) std::abort();

  if (args.bundle("/run/containerd").front() != '/') std::abort();  // guards open <bundle>/config.json
  (void)args.root();
  (void)args.container_id();
  (void)args.log_path();
  (void)args.log_format();
  (void)args.wants_version();
  (void)args.guarded();
  for (rg::Trait trait : kTraits) (void)args.does(trait);
  const bool known_command = args.command_id != rg::Command::None && args.command_id != rg::Command::Unknown;
  if (known_command && rg::command_name(args.command_id) != args.command) std::abort();
  return 0;
}
