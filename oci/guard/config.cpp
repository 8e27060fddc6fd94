#include "oci/guard/config.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/kernel_release.h"

namespace rg {
namespace {

using Json = nlohmann::json;

// Records the line of every key as the SAX parser meets it, so validation errors can point at it.
class LineTrackingSax : public nlohmann::json_sax<Json> {
 public:
  explicit LineTrackingSax(const std::size_t& line) : line_(line) {}
  std::map<std::string, std::size_t> key_lines;  // "a.b.c" -> line

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    stack_.push_back(pending_key_);
    return true;
  }
  bool key(string_t& k) override {
    std::string path = stack_.empty() || stack_.back().empty() ? k : stack_.back() + "." + k;
    key_lines.emplace(path, line_);
    pending_key_ = path;
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    pending_key_.clear();
    return true;
  }
  bool start_array(std::size_t) override {
    stack_.push_back(pending_key_ + "[]");
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) override {
    error_end = position;
    return false;
  }
  std::size_t error_end = 0;  // just past the character that stopped the parse

 private:
  bool value() { return true; }
  const std::size_t& line_;
  std::vector<std::string> stack_;
  std::string pending_key_;
};

// Counts newlines as nlohmann's lexer consumes characters.
struct LineCountingIterator {
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  const char* p;
  std::size_t* line;
  reference operator*() const { return *p; }
  LineCountingIterator& operator++() {
    if (*p == '\n') ++*line;
    ++p;
    return *this;
  }
  LineCountingIterator operator++(int) {
    auto copy = *this;
    ++*this;
    return copy;
  }
  bool operator==(const LineCountingIterator& o) const { return p == o.p; }
  bool operator!=(const LineCountingIterator& o) const { return p != o.p; }
};

class Validator {
 public:
  Validator(std::string_view filename, std::string_view text) : filename_(filename), text_(text) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;

  const Json& object(const Json& parent, const std::string& key, const std::string& path,
                     std::initializer_list<std::string_view> allowed) const {
    const Json& obj = parent.at(key);
    if (!obj.is_object()) fail(path, "must be an object");
    check_keys(obj, path, allowed);
    return obj;
  }

  void check_keys(const Json& obj, const std::string& path, std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : obj.items()) {
      bool ok = false;
      for (auto a : allowed) ok = ok || a == k;
      if (!ok) fail(path.empty() ? k : path + "." + k, "unknown key");
    }
  }

  void string(const Json& obj, const std::string& key, const std::string& path, std::string& out,
              std::initializer_list<std::string_view> choices = {}) const {
    if (!obj.contains(key)) return;
    const Json& v = obj.at(key);
    if (!v.is_string()) fail(path, "must be a string");
    std::string s = v.get<std::string>();
    if (choices.size() != 0) {
      bool ok = false;
      std::string list;
      for (auto c : choices) {
        ok = ok || c == s;
        list += (list.empty() ? "" : ", ") + std::string(c);
      }
      if (!ok) fail(path, "\"" + s + "\" is not one of: " + list);
    }
    out = std::move(s);
  }

  void boolean(const Json& obj, const std::string& key, const std::string& path, bool& out) const {
    if (!obj.contains(key)) return;
    if (!obj.at(key).is_boolean()) fail(path, "must be true or false");
    out = obj.at(key).get<bool>();
  }

  void integer(const Json& obj, const std::string& key, const std::string& path, int& out, int min,
               int max) const {
    if (!obj.contains(key)) return;
    const Json& v = obj.at(key);
    if (!v.is_number_integer()) fail(path, "must be an integer");
    auto n = v.get<long long>();
    if (n < min || n > max)
      fail(path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    out = static_cast<int>(n);
  }

 private:
  std::string_view filename_;
  std::string_view text_;
};

}  // namespace

std::string config_path_from_env() {
  if (const char* env = std::getenv(std::string(kConfigEnv).c_str()); env && *env) return env;
  return std::string(kDefaultConfigPath);
}

// Lines are only worth their cost when something is wrong: the SAX pass runs on the error path only.
struct KeyLines {
  std::map<std::string, std::size_t> lines;  // "a.b.c" -> line
  std::size_t stopped_at = 1;                // where a syntax error (or a number out of range) stopped the parse
};

KeyLines find_key_lines(std::string_view text) {
  std::size_t line = 1;
  LineTrackingSax sax(line);
  LineCountingIterator begin{text.data(), &line}, end{text.data() + text.size(), &line};
  Json::sax_parse(begin, end, &sax);
  // From the error's offset, not the lines read: after a number the lexer has read one character past it.
  if (sax.error_end > 0)
    line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + std::min(sax.error_end - 1, text.size()), '\n'));
  return KeyLines{std::move(sax.key_lines), line};
}

void Validator::fail(const std::string& key, const std::string& problem) const {
  std::string where(filename_);
  KeyLines found = find_key_lines(text_);
  if (auto it = found.lines.find(key); it != found.lines.end()) where += ":" + std::to_string(it->second);
  throw Error::refusal("invalid config " + where + ": key \"" + key + "\": " + problem);
}

std::string_view policy_name(GuardPolicy policy) {
  switch (policy) {
    case GuardPolicy::Enforce: return "enforce";
    case GuardPolicy::Observe: return "observe";
    case GuardPolicy::Off: return "off";
  }
  return "off";
}

GuardPolicy Config::policy_of(std::string_view name, GuardPolicy fallback) const {
  auto it = guards.find(name);
  GuardPolicy p = it == guards.end() ? fallback : it->second;
  return p == GuardPolicy::Enforce && mode == Mode::Observe ? GuardPolicy::Observe : p;
}

Config parse_config(std::string_view text, std::string_view filename, std::span<const std::string_view> guard_names) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number beyond a double (1e400)
    throw Error::refusal("invalid config " + std::string(filename) + ":" +
                         std::to_string(find_key_lines(text).stopped_at) + ": " + e.what());
  }
  Validator v(filename, text);
  if (!root.is_object()) throw Error::refusal("invalid config " + std::string(filename) + ": must be a JSON object");

  Config c;
  v.check_keys(root, "", {"mode", "runtime", "log", "seccomp", "watchdog", "kernel_memory", "keeper", "metrics", "guards"});
  std::string mode = "enforce";
  v.string(root, "mode", "mode", mode, {"enforce", "observe"});
  c.mode = mode == "observe" ? Mode::Observe : Mode::Enforce;
  if (root.contains("runtime")) {
    const Json& r = v.object(root, "runtime", "runtime", {"path"});
    v.string(r, "path", "runtime.path", c.runtime.path);
    if (!c.runtime.path.empty() && c.runtime.path.front() != '/') v.fail("runtime.path", "must be an absolute path");
  }
  if (root.contains("log")) {
    const Json& l = v.object(root, "log", "log", {"events"});
    v.string(l, "events", "log.events", c.log.events);
  }
  if (root.contains("seccomp")) {
    const Json& s = v.object(root, "seccomp", "seccomp", {"on_hazard", "cache_dir"});
    std::string on_hazard = "watch";
    v.string(s, "on_hazard", "seccomp.on_hazard", on_hazard, {"watch", "reject", "ignore"});
    c.seccomp.on_hazard = on_hazard == "reject" ? OnHazard::Reject : on_hazard == "ignore" ? OnHazard::Ignore : OnHazard::Watch;
    v.string(s, "cache_dir", "seccomp.cache_dir", c.seccomp.cache_dir);
  }
  if (root.contains("watchdog")) {
    const Json& w = v.object(root, "watchdog", "watchdog", {"enabled", "unstick", "init_timeout_s", "reap_orphaned_created_after_s"});
    v.boolean(w, "enabled", "watchdog.enabled", c.watchdog.enabled);
    v.boolean(w, "unstick", "watchdog.unstick", c.watchdog.unstick);
    v.integer(w, "init_timeout_s", "watchdog.init_timeout_s", c.watchdog.init_timeout_s, 1, 86400);
    v.integer(w, "reap_orphaned_created_after_s", "watchdog.reap_orphaned_created_after_s",
              c.watchdog.reap_orphaned_created_after_s, 0, 7 * 86400);
  }
  if (root.contains("kernel_memory")) {
    const Json& k = v.object(root, "kernel_memory", "kernel_memory", {"policy", "min_kernel", "kernel_release"});
    std::string policy = "strip";
    v.string(k, "policy", "kernel_memory.policy", policy, {"strip", "reject", "allow"});
    c.kernel_memory.policy = policy == "reject" ? KmemPolicy::Reject : policy == "allow" ? KmemPolicy::Allow : KmemPolicy::Strip;
    v.string(k, "min_kernel", "kernel_memory.min_kernel", c.kernel_memory.min_kernel);
    v.string(k, "kernel_release", "kernel_memory.kernel_release", c.kernel_memory.kernel_release);
    // A typo here would otherwise fail open on every create; refuse it at load and in `config check`.
    if (!parse_kernel_release(c.kernel_memory.min_kernel))
      v.fail("kernel_memory.min_kernel", "\"" + c.kernel_memory.min_kernel + "\" is not a kernel version like \"4.0\"");
    if (!c.kernel_memory.kernel_release.empty() && !parse_kernel_release(c.kernel_memory.kernel_release))
      v.fail("kernel_memory.kernel_release", "\"" + c.kernel_memory.kernel_release + "\" is not a kernel release");
  }
  if (root.contains("keeper")) {
    const Json& k = v.object(root, "keeper", "keeper", {"enabled", "start_on_demand"});
    v.boolean(k, "enabled", "keeper.enabled", c.keeper.enabled);
    v.boolean(k, "start_on_demand", "keeper.start_on_demand", c.keeper.start_on_demand);
  }
  if (root.contains("metrics")) {
    const Json& m = v.object(root, "metrics", "metrics", {"textfile_dir"});
    v.string(m, "textfile_dir", "metrics.textfile_dir", c.metrics.textfile_dir);
  }
  if (root.contains("guards")) {
    const Json& g = root.at("guards");
    if (!g.is_object()) v.fail("guards", "must be an object of guard name to \"enforce\", \"observe\" or \"off\"");
    for (const auto& [name, value] : g.items()) {
      const std::string path = "guards." + name;
      bool known = guard_names.empty();
      std::string list;
      for (auto n : guard_names) {
        known = known || n == name;
        list += (list.empty() ? "" : ", ") + std::string(n);
      }
      if (!known) v.fail(path, "unknown guard (this build has: " + list + ")");
      std::string policy;
      v.string(g, name, path, policy, {"enforce", "observe", "off"});
      c.guards[name] = policy == "enforce" ? GuardPolicy::Enforce : policy == "observe" ? GuardPolicy::Observe : GuardPolicy::Off;
    }
  }
  c.source = std::string(filename);
  return c;
}

void require_secure_file(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error::refusal(Error::from_errno(std::string(what) + " " + path).what());
  require_secure_stat(st, path, what);
}

void require_secure_stat(const struct stat& st, const std::string& path, std::string_view what) {
  if (st.st_uid != 0)
    throw Error::refusal(std::string(what) + " " + path + " is not owned by root (uid " +
                         std::to_string(st.st_uid) + "); refusing to use it");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    throw Error::refusal(std::string(what) + " " + path + " is writable by group or others (mode " +
                         [&] {
                           char buf[8];
                           std::snprintf(buf, sizeof buf, "%04o", st.st_mode & 07777);
                           return std::string(buf);
                         }() +
                         "); refusing to use it");
}

Config load_config(const std::string& path, bool explicitly_requested, std::span<const std::string_view> guard_names) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT && !explicitly_requested) return Config{};
    throw Error::refusal(Error::from_errno("cannot read config " + path).what());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Error::refusal(Error::from_errno("cannot stat config " + path).what());
  require_secure_stat(st, path, "config");
  Config config = parse_config(read_fd(fd.get(), path), path, guard_names);
  config.source_stat = st;
  return config;
}

Config load_runtime_config(std::span<const std::string_view> guard_names) {
  const char* env = std::getenv(std::string(kConfigEnv).c_str());
  bool explicit_path = env && *env;
  return load_config(explicit_path ? std::string(env) : std::string(kDefaultConfigPath), explicit_path, guard_names);
}

}  // namespace rg
