#include "seccomp/filter.h"

#include <cerrno>
#include <cstring>

#include "oci/base/error.h"
#include "seccomp/tables.h"

namespace rg::seccomp {
namespace {

using detail::ActionKind;

std::uint32_t to_action(ActionKind kind, std::optional<std::uint32_t> errno_ret) {
  switch (kind) {
    case ActionKind::Kill:
    case ActionKind::KillThread: return SCMP_ACT_KILL_THREAD;  // runc maps SCMP_ACT_KILL to KILL_THREAD
    case ActionKind::KillProcess: return SCMP_ACT_KILL_PROCESS;
    case ActionKind::Trap: return SCMP_ACT_TRAP;
    case ActionKind::Errno: return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));  // runc's default: EPERM
    case ActionKind::Trace: return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
    case ActionKind::Allow: return SCMP_ACT_ALLOW;
    case ActionKind::Log: return SCMP_ACT_LOG;
    case ActionKind::Notify: return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL_THREAD;
}

std::uint32_t resolve_action(const std::string& name, std::optional<std::uint32_t> errno_ret, const std::string& field) {
  auto kind = detail::find_action(name);
  if (!kind) throw Error(field + ": unknown action \"" + name + "\"");
  return to_action(*kind, errno_ret);
}

[[noreturn]] void lib_failed(const std::string& field, std::string_view call, int rc) {
  throw Error(field + ": " + std::string(call) + ": " + std::strerror(-rc), -rc);
}

}  // namespace

Filter& Filter::operator=(Filter&& other) noexcept {
  if (this != &other) {
    if (ctx_) seccomp_release(ctx_);
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

Filter::~Filter() {
  if (ctx_) seccomp_release(ctx_);
}

std::string CompileOptions::tag() const { return layout == Layout::Linear ? "linear" : "runc-btree32"; }

std::string action_name(std::uint32_t action) {
  const std::uint32_t data = action & SECCOMP_RET_DATA;
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SCMP_ACT_KILL_PROCESS: return "SCMP_ACT_KILL_PROCESS";
    case SCMP_ACT_KILL_THREAD: return "SCMP_ACT_KILL_THREAD";
    case SCMP_ACT_TRAP: return "SCMP_ACT_TRAP";
    case SCMP_ACT_ERRNO(0): return "SCMP_ACT_ERRNO(" + std::to_string(data) + ")";
    case SCMP_ACT_TRACE(0): return "SCMP_ACT_TRACE(" + std::to_string(data) + ")";
    case SCMP_ACT_LOG: return "SCMP_ACT_LOG";
    case SCMP_ACT_NOTIFY: return "SCMP_ACT_NOTIFY";
    case SCMP_ACT_ALLOW: return "SCMP_ACT_ALLOW";
  }
  return "SCMP_ACT_UNKNOWN(" + std::to_string(action) + ")";
}

Compiled compile(const Profile& profile, const CompileOptions& options) {
  const std::string& f = profile.field;
  Compiled out;
  const std::uint32_t default_action =
      resolve_action(profile.default_action, profile.default_errno_ret, f + ".defaultAction");
  out.default_action = action_name(default_action);

  out.filter = Filter(seccomp_init(default_action));
  if (!out.filter) throw Error(f + ".defaultAction: seccomp_init refused " + out.default_action);
  scmp_filter_ctx ctx = out.filter.get();

  out.architectures.emplace_back(detail::arch_spec_name(seccomp_arch_native()));
  for (std::size_t i = 0; i < profile.architectures.size(); ++i) {
    const std::string field = f + ".architectures[" + std::to_string(i) + "]";
    const auto* arch = detail::find_arch(profile.architectures[i]);
    if (!arch) throw Error(field + ": unknown architecture \"" + profile.architectures[i] + "\"");
    const std::uint32_t token = seccomp_arch_resolve_name(arch->libseccomp_name);
    if (token == 0) throw Error(field + ": architecture \"" + profile.architectures[i] + "\" unsupported by libseccomp");
    if (seccomp_arch_exist(ctx, token) == 0) continue;  // the native arch is already there
    if (int rc = seccomp_arch_add(ctx, token); rc < 0) lib_failed(field, "seccomp_arch_add", rc);
    out.architectures.emplace_back(arch->name);
  }

  for (std::size_t i = 0; i < profile.flags.size(); ++i) {
    const std::string field = f + ".flags[" + std::to_string(i) + "]";
    const std::string& flag = profile.flags[i];
    int rc = 0;
    if (flag == detail::kFlagTsync) continue;  // runc always synchronises threads; nothing to set
    if (flag == detail::kFlagLog) rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
    else if (flag == detail::kFlagSpecAllow) rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
    else throw Error(field + ": seccomp flag \"" + flag + "\" is not known to runc");
    if (rc < 0) lib_failed(field, "seccomp_attr_set", rc);
  }

  std::size_t names = 0;
  for (const auto& r : profile.syscalls) names += r.names.size();
  if (options.layout == CompileOptions::Layout::RuncBinaryTree && names > 32)
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);  // not fatal, as in runc
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc < 0) lib_failed(f, "seccomp_attr_set(CTL_NNP)", rc);

  std::vector<scmp_arg_cmp> conditions;
  for (std::size_t i = 0; i < profile.syscalls.size(); ++i) {
    const SyscallRule& rule = profile.syscalls[i];
    const std::string field = f + ".syscalls[" + std::to_string(i) + "]";
    const std::uint32_t action = resolve_action(rule.action, rule.errno_ret, field + ".action");

    conditions.clear();
    unsigned per_index[6] = {};
    bool repeated_index = false;
    for (std::size_t a = 0; a < rule.args.size(); ++a) {
      const ArgCondition& c = rule.args[a];
      auto op = detail::find_op(c.op);
      if (!op) throw Error(field + ".args[" + std::to_string(a) + "].op: unknown operator \"" + c.op + "\"");
      if (c.index > 5) throw Error(field + ".args[" + std::to_string(a) + "].index: " + std::to_string(c.index) + " is out of range (0-5)");
      if (++per_index[c.index] > 1) repeated_index = true;
      conditions.push_back(scmp_arg_cmp{c.index, *op, c.value, c.value_two});
    }

    for (const std::string& name : rule.names) {
      if (action == default_action) {  // redundant with the default: runc skips it silently
        ++out.skipped_default_action;
        continue;
      }
      const int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {  // not known to libseccomp: runc logs at debug level and skips it
        out.unknown_syscalls.push_back(name);
        continue;
      }
      const std::string what = field + " (" + name + ")";
      if (conditions.empty()) {
        if (int rc = seccomp_rule_add_array(ctx, action, nr, 0, nullptr); rc < 0) lib_failed(what, "seccomp_rule_add", rc);
        ++out.rules;
      } else if (repeated_index) {  // several conditions on one argument: one rule per condition (runc)
        for (const auto& c : conditions) {
          if (int rc = seccomp_rule_add_array(ctx, action, nr, 1, &c); rc < 0) lib_failed(what, "seccomp_rule_add", rc);
          ++out.rules;
        }
      } else {
        if (int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conditions.size()), conditions.data());
            rc < 0)
          lib_failed(what, "seccomp_rule_add", rc);
        ++out.rules;
      }
    }
  }
  return out;
}

}  // namespace rg::seccomp
