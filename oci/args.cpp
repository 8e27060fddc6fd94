#include "oci/args.h"

#include <algorithm>
#include <array>

namespace rg {
namespace {

enum class Kind { Bool, Value };

struct FlagSpec {
  std::string_view long_name;
  std::string_view short_name;  // "" when none
  Kind kind;
};

constexpr FlagSpec kGlobalFlags[] = {
#define RUNC_GLOBAL_FLAG(long_name, short_name, value) {long_name, short_name, (value) ? Kind::Value : Kind::Bool},
#include "oci/runc_global_flags.def"
#undef RUNC_GLOBAL_FLAG
};

// The union of runc 1.0 and 1.1 command flags, including hidden and deprecated ones (kernel memory).
constexpr FlagSpec kCheckpointFlags[] = {
    {"image-path", "", Kind::Value},  {"work-path", "", Kind::Value},    {"parent-path", "", Kind::Value},
    {"leave-running", "", Kind::Bool}, {"tcp-established", "", Kind::Bool}, {"ext-unix-sk", "", Kind::Bool},
    {"shell-job", "", Kind::Bool},    {"lazy-pages", "", Kind::Bool},    {"status-fd", "", Kind::Value},
    {"page-server", "", Kind::Value}, {"file-locks", "", Kind::Bool},    {"pre-dump", "", Kind::Bool},
    {"manage-cgroups-mode", "", Kind::Value}, {"empty-ns", "", Kind::Value}, {"auto-dedup", "", Kind::Bool},
};
constexpr FlagSpec kCreateFlags[] = {
    {"bundle", "b", Kind::Value},       {"console-socket", "", Kind::Value}, {"pid-file", "", Kind::Value},
    {"no-pivot", "", Kind::Bool},       {"no-new-keyring", "", Kind::Bool},  {"preserve-fds", "", Kind::Value},
};
constexpr FlagSpec kRunFlags[] = {
    {"bundle", "b", Kind::Value},       {"console-socket", "", Kind::Value}, {"detach", "d", Kind::Bool},
    {"keep", "", Kind::Bool},           {"pid-file", "", Kind::Value},       {"no-subreaper", "", Kind::Bool},
    {"no-pivot", "", Kind::Bool},       {"no-new-keyring", "", Kind::Bool},  {"preserve-fds", "", Kind::Value},
};
constexpr FlagSpec kDeleteFlags[] = {{"force", "f", Kind::Bool}};
constexpr FlagSpec kEventsFlags[] = {{"interval", "", Kind::Value}, {"stats", "", Kind::Bool}};
constexpr FlagSpec kExecFlags[] = {
    {"console-socket", "", Kind::Value}, {"cwd", "", Kind::Value},          {"env", "e", Kind::Value},
    {"tty", "t", Kind::Bool},            {"user", "u", Kind::Value},        {"additional-gids", "g", Kind::Value},
    {"process", "p", Kind::Value},       {"detach", "d", Kind::Bool},       {"pid-file", "", Kind::Value},
    {"process-label", "", Kind::Value},  {"apparmor", "", Kind::Value},     {"no-new-privs", "", Kind::Bool},
    {"cap", "c", Kind::Value},           {"preserve-fds", "", Kind::Value}, {"cgroup", "", Kind::Value},
    {"ignore-paused", "", Kind::Bool},   {"no-subreaper", "", Kind::Bool},
};
constexpr FlagSpec kKillFlags[] = {{"all", "a", Kind::Bool}};
constexpr FlagSpec kListFlags[] = {{"format", "f", Kind::Value}, {"quiet", "q", Kind::Bool}};
constexpr FlagSpec kPsFlags[] = {{"format", "f", Kind::Value}};
constexpr FlagSpec kRestoreFlags[] = {
    {"console-socket", "", Kind::Value}, {"image-path", "", Kind::Value},  {"work-path", "", Kind::Value},
    {"tcp-established", "", Kind::Bool}, {"ext-unix-sk", "", Kind::Bool},  {"shell-job", "", Kind::Bool},
    {"file-locks", "", Kind::Bool},      {"manage-cgroups-mode", "", Kind::Value}, {"bundle", "b", Kind::Value},
    {"detach", "d", Kind::Bool},         {"pid-file", "", Kind::Value},    {"no-subreaper", "", Kind::Bool},
    {"no-pivot", "", Kind::Bool},        {"empty-ns", "", Kind::Value},    {"auto-dedup", "", Kind::Bool},
    {"lazy-pages", "", Kind::Bool},      {"lsm-profile", "", Kind::Value}, {"lsm-mount-context", "", Kind::Value},
};
constexpr FlagSpec kSpecFlags[] = {{"bundle", "b", Kind::Value}, {"rootless", "", Kind::Bool}};
constexpr FlagSpec kUpdateFlags[] = {
    {"resources", "r", Kind::Value},      {"blkio-weight", "", Kind::Value},   {"cpu-period", "", Kind::Value},
    {"cpu-quota", "", Kind::Value},       {"cpu-share", "", Kind::Value},      {"cpu-rt-period", "", Kind::Value},
    {"cpu-rt-runtime", "", Kind::Value},  {"cpuset-cpus", "", Kind::Value},    {"cpuset-mems", "", Kind::Value},
    {"kernel-memory", "", Kind::Value},   {"kernel-memory-tcp", "", Kind::Value}, {"memory", "", Kind::Value},
    {"memory-reservation", "", Kind::Value}, {"memory-swap", "", Kind::Value}, {"pids-limit", "", Kind::Value},
    {"l3-cache-schema", "", Kind::Value}, {"mem-bw-schema", "", Kind::Value},
};
constexpr FlagSpec kNoFlags[] = {{"help", "h", Kind::Bool}};

struct CommandSpec {
  Command id;
  std::string_view name;
  std::span<const FlagSpec> flags;
  bool reorder;
  unsigned traits;
};

constexpr CommandSpec kCommands[] = {
#define RUNC_COMMAND(id, name, flags, reorder, traits) {Command::id, name, flags, (reorder) != 0, traits},
#include "oci/runc_commands.def"
#undef RUNC_COMMAND
};

constexpr FlagSpec kHelpFlag{"help", "h", Kind::Bool};

const CommandSpec* find_command(std::string_view name) {
  for (const auto& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

const FlagSpec* find_flag(std::span<const FlagSpec> table, std::string_view name, bool with_help) {
  for (const auto& f : table)
    if (f.long_name == name || (!f.short_name.empty() && f.short_name == name)) return &f;
  if (with_help && (name == kHelpFlag.long_name || name == kHelpFlag.short_name)) return &kHelpFlag;
  return nullptr;
}

// Go's flag package: "-x" or "--x" is a flag; "-" alone and "--" (terminator) are not.
bool looks_like_flag(std::string_view arg) { return arg.size() >= 2 && arg[0] == '-' && arg != "--"; }

struct FlagToken {
  std::string_view name;
  std::optional<std::string_view> inline_value;
};

FlagToken split_flag(std::string_view arg) {
  arg.remove_prefix(arg[1] == '-' ? 2 : 1);
  FlagToken token{arg, std::nullopt};
  if (auto eq = arg.find('='); eq != std::string_view::npos) {
    token.name = arg.substr(0, eq);
    token.inline_value = arg.substr(eq + 1);
  }
  return token;
}

// Parses one flag at argv[i]; returns the parsed flag (span tells how many slots it used).
ParsedFlag parse_flag(std::span<const std::string> argv, std::size_t i, std::span<const FlagSpec> table,
                      bool with_help) {
  FlagToken token = split_flag(argv[i]);
  const FlagSpec* spec = find_flag(table, token.name, with_help);
  ParsedFlag flag;
  flag.index = i;
  if (!spec) {
    flag.name = std::string(token.name);
    flag.known = false;
    if (token.inline_value) flag.value = std::string(*token.inline_value);
    return flag;
  }
  flag.name = std::string(spec->long_name);
  if (token.inline_value) {
    flag.value = std::string(*token.inline_value);
  } else if (spec->kind == Kind::Value && i + 1 < argv.size()) {
    // A value flag always takes the next argument, even one that looks like a command ("-b create").
    flag.value = argv[i + 1];
    flag.span = 2;
  }
  return flag;
}

}  // namespace

std::vector<std::string> without_flags(std::vector<std::string> argv, std::vector<const ParsedFlag*> flags) {
  // Last first, so that earlier indexes stay valid.
  std::sort(flags.begin(), flags.end(), [](auto* a, auto* b) { return a->index > b->index; });
  for (const ParsedFlag* f : flags) {
    auto first = argv.begin() + static_cast<std::ptrdiff_t>(f->index);
    argv.erase(first, first + static_cast<std::ptrdiff_t>(f->span));
  }
  return argv;
}

std::vector<std::string> with_flag_value(std::vector<std::string> argv, const ParsedFlag& flag, const std::string& value) {
  if (flag.span == 2) {
    argv[flag.index + 1] = value;
  } else {
    std::string& arg = argv[flag.index];
    arg = arg.substr(0, arg.find('=') + 1) + value;
  }
  return argv;
}

std::optional<bool> parse_go_bool(std::string_view text) {
  static constexpr std::array<std::string_view, 6> truthy{"1", "t", "T", "TRUE", "true", "True"};
  static constexpr std::array<std::string_view, 6> falsy{"0", "f", "F", "FALSE", "false", "False"};
  if (std::find(truthy.begin(), truthy.end(), text) != truthy.end()) return true;
  if (std::find(falsy.begin(), falsy.end(), text) != falsy.end()) return false;
  return std::nullopt;
}

std::string_view command_name(Command command) {
  for (const auto& c : kCommands)
    if (c.id == command) return c.name;
  return {};
}

Command command_from_name(std::string_view name) {
  const CommandSpec* c = find_command(name);
  return c ? c->id : Command::Unknown;
}

bool command_has(Command command, Trait trait) {
  for (const auto& c : kCommands)
    if (c.id == command) return (c.traits & static_cast<unsigned>(trait)) != 0;
  return false;
}

RuncArgs parse_runc_args(std::span<const std::string> argv) {
  RuncArgs out;
  std::size_t i = 1;
  // Global flags: Go's flag package stops at the first non-flag argument, which is the command.
  while (i < argv.size()) {
    const std::string& arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (!looks_like_flag(arg)) break;
    ParsedFlag flag = parse_flag(argv, i, kGlobalFlags, false);
    i += flag.span;
    out.global_flags.push_back(std::move(flag));
  }
  if (i >= argv.size()) return out;

  out.command = argv[i];
  out.command_index = i;
  ++i;
  const CommandSpec* command = find_command(out.command);
  out.command_id = command ? command->id : Command::Unknown;
  std::span<const FlagSpec> table = command ? command->flags : std::span<const FlagSpec>{};
  bool reorder = command ? command->reorder : false;

  bool flags_done = false;
  while (i < argv.size()) {
    const std::string& arg = argv[i];
    if (!flags_done && arg == "--") {
      flags_done = true;
      ++i;
      continue;
    }
    if (!flags_done && looks_like_flag(arg)) {
      ParsedFlag flag = parse_flag(argv, i, table, true);
      i += flag.span;
      out.command_flags.push_back(std::move(flag));
      continue;
    }
    out.positionals.push_back(arg);
    out.positional_indexes.push_back(i);
    ++i;
    if (!reorder) flags_done = true;
  }
  return out;
}

namespace {
const ParsedFlag* last_named(const std::vector<ParsedFlag>& flags, std::string_view name) {
  const ParsedFlag* found = nullptr;
  for (const auto& f : flags)
    if (f.known && f.name == name) found = &f;
  return found;
}
bool bool_value(const ParsedFlag* flag) {
  if (!flag) return false;
  if (!flag->value) return true;
  return parse_go_bool(*flag->value).value_or(false);
}
}  // namespace

const ParsedFlag* RuncArgs::global(std::string_view name) const { return last_named(global_flags, name); }
const ParsedFlag* RuncArgs::flag(std::string_view name) const { return last_named(command_flags, name); }
bool RuncArgs::global_bool(std::string_view name) const { return bool_value(global(name)); }
bool RuncArgs::flag_bool(std::string_view name) const { return bool_value(flag(name)); }

std::optional<std::string> RuncArgs::flag_value(std::string_view name) const {
  const ParsedFlag* f = flag(name);
  if (!f) return std::nullopt;
  return f->value;
}

bool RuncArgs::wants_help() const { return command_id == Command::Help || flag_bool("help"); }

bool RuncArgs::does(Trait trait) const { return command_has(command_id, trait) && !wants_help() && !wants_global_help(); }

bool RuncArgs::guarded() const {
  if (wants_help() || wants_global_help()) return false;
  unsigned traits = 0;
  for (const auto& c : kCommands)
    if (c.id == command_id) traits = c.traits;
  return (traits & RG_T_GUARDED) || ((traits & RG_T_GUARDED_FORCED) && flag_bool("force"));
}
bool RuncArgs::wants_version() const { return global_bool("version"); }
bool RuncArgs::wants_global_help() const { return global_bool("help"); }

std::string RuncArgs::container_id() const { return positionals.empty() ? std::string() : positionals.front(); }

std::string RuncArgs::root() const {
  const ParsedFlag* f = global("root");
  return f && f->value ? *f->value : std::string("/run/runc");
}

std::string RuncArgs::log_path() const {
  const ParsedFlag* f = global("log");
  return f && f->value ? *f->value : std::string();
}

std::string RuncArgs::log_format() const {
  const ParsedFlag* f = global("log-format");
  return f && f->value ? *f->value : std::string("text");
}

std::string RuncArgs::bundle(std::string_view cwd) const {
  std::string dir;
  if (auto b = flag_value("bundle"); b && !b->empty()) dir = *b;
  if (dir.empty()) return std::string(cwd);
  if (dir.front() == '/') return dir;
  std::string out(cwd);
  if (out.empty() || out.back() != '/') out += '/';
  return out + dir;
}

}  // namespace rg
