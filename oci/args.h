#pragma once
// runc's command-line grammar (runc 1.0–1.1, urfave/cli v1 on Go's flag package), as pure functions.
// Nothing here rewrites argv: the parse records where each flag sits so guards can edit precisely.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rg {

struct ParsedFlag {
  std::string name;                  // canonical long name without dashes, e.g. "bundle"
  std::optional<std::string> value;  // for value flags; for bool flags only when given as --flag=value
  std::size_t index = 0;             // argv index of the flag itself
  std::size_t span = 1;              // argv slots it occupies (2 for "--flag value")
  bool known = true;                 // false for flags runc's table does not list (passed through untouched)
};

struct RuncArgs {
  std::vector<ParsedFlag> global_flags;
  std::string command;                     // empty when none was given
  std::optional<std::size_t> command_index;
  std::vector<ParsedFlag> command_flags;
  std::vector<std::string> positionals;    // after the command (container id first)
  std::vector<std::size_t> positional_indexes;

  const ParsedFlag* global(std::string_view name) const;
  const ParsedFlag* flag(std::string_view name) const;  // last occurrence wins, as in Go's flag package
  bool global_bool(std::string_view name) const;
  bool flag_bool(std::string_view name) const;
  std::optional<std::string> flag_value(std::string_view name) const;

  // Command flags that ask runc for help only (no container is touched).
  bool wants_help() const;
  // Global -v/--version (urfave/cli answers it before any command).
  bool wants_version() const;
  bool wants_global_help() const;

  std::string container_id() const;     // first positional, or ""
  std::string root() const;             // --root, default /run/runc
  std::string log_path() const;         // --log, or ""
  std::string log_format() const;       // --log-format, default "text"
  // --bundle, made absolute against cwd (runc's default is the current directory).
  std::string bundle(std::string_view cwd) const;
};

// argv[0] is the program name and is skipped. Never throws: runc itself reports bad flags.
RuncArgs parse_runc_args(std::span<const std::string> argv);

// Go's strconv.ParseBool, as urfave/cli uses it for "--flag=value" on bool flags.
std::optional<bool> parse_go_bool(std::string_view text);

bool is_runc_command(std::string_view command);

}  // namespace rg
