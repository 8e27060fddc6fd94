#pragma once
// runc's command-line grammar (runc 1.0–1.1, urfave/cli v1 on Go's flag package), as pure functions.
// Nothing here rewrites argv: the parse records where each flag sits so guards can edit precisely.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oci/runc_traits.h"

namespace rg {

// runc's commands, from the one table (oci/runc_commands.def). None: no command given; Unknown: not runc's.
enum class Command {
  None,
  Unknown,
#define RUNC_COMMAND(id, name, flags, reorder, traits) id,
#include "oci/runc_commands.def"
#undef RUNC_COMMAND
};

// What a command does, as the table says (see oci/runc_commands.def).
enum class Trait : unsigned {
  ReadsSpec = RG_T_READS_SPEC,
  Creates = RG_T_CREATES,
  StartsInit = RG_T_STARTS_INIT,
  Watched = RG_T_WATCHED,
  StartsCreated = RG_T_STARTS_CREATED,
  ProcessFile = RG_T_PROCESS_FILE,
  Foreground = RG_T_FOREGROUND,
  Updates = RG_T_UPDATES,
  Deletes = RG_T_DELETES,
};

// "create" for Command::Create; "" for None and Unknown.
std::string_view command_name(Command command);
// Command::Unknown for a name runc does not know.
Command command_from_name(std::string_view name);
bool command_has(Command command, Trait trait);

struct ParsedFlag {
  std::string name;                  // canonical long name without dashes, e.g. "bundle"
  std::optional<std::string> value;  // for value flags; for bool flags only when given as --flag=value
  std::size_t index = 0;             // argv index of the flag itself
  std::size_t span = 1;              // argv slots it occupies (2 for "--flag value")
  bool known = true;                 // false for flags runc's table does not list (passed through untouched)
};

struct RuncArgs {
  std::vector<ParsedFlag> global_flags;
  std::string command;                     // as written; empty when none was given
  Command command_id = Command::None;
  std::optional<std::size_t> command_index;
  std::vector<ParsedFlag> command_flags;
  std::vector<std::string> positionals;    // after the command (container id first)
  std::vector<std::size_t> positional_indexes;

  const ParsedFlag* global(std::string_view name) const;
  const ParsedFlag* flag(std::string_view name) const;  // last occurrence wins, as in Go's flag package
  bool global_bool(std::string_view name) const;
  bool flag_bool(std::string_view name) const;
  std::optional<std::string> flag_value(std::string_view name) const;

  bool is(Command c) const { return command_id == c; }
  // The command has `trait` and this invocation really runs it (not `--help`).
  bool does(Trait trait) const;
  // Goes through the full runtime (guards, watchdog); false: exec'd straight away.
  bool guarded() const;

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

// argv edits that keep every other argument (and the flag's spelling) as it was.
// `flags` must come from a parse of `argv`. Removes each flag with its value slot.
std::vector<std::string> without_flags(std::vector<std::string> argv, std::vector<const ParsedFlag*> flags);
// Points a value flag at `value`: "-r X" / "--resources=X" become "-r VALUE" / "--resources=VALUE".
std::vector<std::string> with_flag_value(std::vector<std::string> argv, const ParsedFlag& flag, const std::string& value);

// Go's strconv.ParseBool, as urfave/cli uses it for "--flag=value" on bool flags.
std::optional<bool> parse_go_bool(std::string_view text);


}  // namespace rg
