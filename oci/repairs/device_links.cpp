// Devices lost for want of /dev/char links (runc-devices-lost). With the systemd cgroup driver runc turns
// each device rule into systemd's DeviceAllow= for /dev/char/M:m (or /dev/block/M:m), and runc 1.1.3 – 1.1.6
// — any 1.1 with systemd older than 240, such as CentOS 7's — skips a rule whose link is missing. The next
// `systemctl daemon-reload` rewrites the container's device cgroup without it: GPU containers fail with
// "Failed to initialize NVML: Unknown Error". udev makes those links; nodes made without udev (nvidia's
// own, or hosts without udev) have none.
//
//   before_runc  create/run/restore: for every device of the spec (linux.devices, and the allow rules of
//                linux.resources.devices that name both numbers), the missing link is made when the host has
//                exactly that device node — what `nvidia-ctk system create-dev-char-symlinks` does. Host
//                only, idempotent, never replaces anything, only links to a verified device node.
//   node_checks  doctor: device nodes in /dev without their link (--fix: made).
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <map>
#include <set>

#include "oci/base/files.h"
#include "oci/guard/guard.h"
#include "oci/repairs/repair_report.h"

namespace rg {
namespace {

constexpr std::string_view kName = "device-links";
constexpr std::size_t kMaxDevices = 256;       // a spec naming more is not a real device list
constexpr std::size_t kMaxScannedEntries = 20000;

struct Device {
  char type;  // 'c' or 'b'
  unsigned major, minor;
  friend auto operator<=>(const Device& a, const Device& b) {
    return std::tie(a.type, a.major, a.minor) <=> std::tie(b.type, b.major, b.minor);
  }
  friend bool operator==(const Device& a, const Device& b) { return (a <=> b) == 0; }
};

std::string link_name(const Device& d) {
  return std::string(d.type == 'b' ? "block/" : "char/") + std::to_string(d.major) + ":" + std::to_string(d.minor);
}

std::optional<unsigned> device_number(const nlohmann::ordered_json& entry, const char* key) {
  const auto* v = view_at(entry, {key});
  if (!v || !v->is_number_integer() || v->get<long long>() < 0 || v->get<long long>() > 0xfffff) return std::nullopt;
  return static_cast<unsigned>(v->get<long long>());
}

// Every character and block device the spec gives the container, each once.
std::vector<Device> spec_devices(const nlohmann::ordered_json& view) {
  std::set<Device> seen;
  std::vector<Device> out;
  auto add = [&](const nlohmann::ordered_json& entry, bool allow_rule) {
    const std::string type = view_string(entry, {"type"});
    if (type != "c" && type != "b" && type != "u") return;
    if (allow_rule && !view_bool(entry, {"allow"})) return;
    auto major = device_number(entry, "major"), minor = device_number(entry, "minor");
    if (!major || !minor || seen.size() >= kMaxDevices) return;
    Device d{type == "b" ? 'b' : 'c', *major, *minor};
    if (seen.insert(d).second) out.push_back(d);
  };
  if (const auto* devices = view_at(view, {"linux", "devices"}); devices && devices->is_array())
    for (const auto& entry : *devices) add(entry, false);
  if (const auto* rules = view_at(view, {"linux", "resources", "devices"}); rules && rules->is_array())
    for (const auto& entry : *rules) add(entry, true);
  return out;
}

// Device nodes under a /dev root (its top level and one level of subdirectories, as udev names them),
// found without following links.
class HostDevices {
 public:
  explicit HostDevices(std::string dev_root) : dev_root_(std::move(dev_root)) {}

  // The node's path relative to the /dev root ("nvidia0", "dri/card0"), or nullopt. Found by the scan only:
  // the spec's path is the container's, and looking it up on the host could lead through a link (e.g. in
  // the world-writable /dev/shm) that is changed once the link points there.
  std::optional<std::string> find(const Device& d) {
    scan();
    auto it = nodes_.find(key(d));
    if (it == nodes_.end()) return std::nullopt;
    return it->second;
  }

  const std::map<std::pair<char, dev_t>, std::string>& all() {
    scan();
    return nodes_;
  }

 private:
  static std::pair<char, dev_t> key(const Device& d) { return {d.type, ::makedev(d.major, d.minor)}; }

  void scan() {
    if (scanned_) return;
    scanned_ = true;
    std::size_t entries = 0;
    scan_dir("", 1, entries);
  }
  void scan_dir(const std::string& rel_dir, int depth, std::size_t& entries) {
    const std::string dir = rel_dir.empty() ? dev_root_ : dev_root_ + "/" + rel_dir;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    std::vector<std::string> subdirs;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.' || ++entries > kMaxScannedEntries) continue;
      const std::string name = e->d_name;
      const std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      struct stat st {};
      if (::lstat((dir + "/" + name).c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        // The link directories, per-process views and anything others may write to are not where nodes live.
        if (depth > 0 && name != "char" && name != "block" && name != "fd" && st.st_uid == 0 && !(st.st_mode & 022))
          subdirs.push_back(rel);
      } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        nodes_.emplace(std::make_pair(S_ISBLK(st.st_mode) ? 'b' : 'c', st.st_rdev), rel);  // the first name wins
      }
    }
    ::closedir(d);
    for (const auto& sub : subdirs) scan_dir(sub, depth - 1, entries);
  }

  std::string dev_root_;
  bool scanned_ = false;
  std::map<std::pair<char, dev_t>, std::string> nodes_;
};

enum class LinkState { Present, Made, NoHostNode, Failed };

// Makes dev_root/{char,block}/M:m → ../<rel> when missing. Never replaces an existing entry.
LinkState ensure_link(const std::string& dev_root, const Device& d, HostDevices& host, bool dry_run,
                      std::string& target, std::string& error) {
  const std::string link = dev_root + "/" + link_name(d);
  struct stat st {};
  if (::lstat(link.c_str(), &st) == 0) return LinkState::Present;
  auto rel = host.find(d);
  if (!rel) return LinkState::NoHostNode;
  target = "../" + *rel;
  if (dry_run) return LinkState::Made;
  const std::string dir = dirname_of(link);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    error = Error::from_errno("mkdir " + dir).what();
    return LinkState::Failed;
  }
  if (::symlink(target.c_str(), link.c_str()) != 0 && errno != EEXIST) {
    error = Error::from_errno("symlink " + link).what();
    return LinkState::Failed;
  }
  return LinkState::Made;
}

class DeviceLinksGuard final : public Guard {
 public:
  std::string_view name() const override { return kName; }
  bool applies(const RuncArgs& args) const override { return args.does(Trait::ReadsSpec); }
  GuardPolicy default_policy(const RuncBuild* runc, const RuncArgs& args) const override {
    if (!runc || affected(runc->version, RuncIssue::DevicesLostOnReload)) return GuardPolicy::Enforce;
    // Later 1.1 releases still skip missing links with systemd < 240, which cannot be told cheaply.
    const bool v1_1 = runc->version.major == 1 && runc->version.minor == 1;
    return v1_1 && args.global_bool("systemd-cgroup") ? GuardPolicy::Enforce : GuardPolicy::Off;
  }

  void before_runc(InvocationContext& ctx) override {
    std::vector<Device> devices = spec_devices(ctx.spec().view());
    if (devices.empty()) return;
    HostDevices host(kDevRoot);
    for (const Device& d : devices) {
      std::string target, error;
      LinkState state = ensure_link(kDevRoot, d, host, ctx.observe_only(), target, error);
      if (state == LinkState::Present || state == LinkState::NoHostNode) continue;
      nlohmann::json details = {{"link", std::string(kDevRoot) + "/" + link_name(d)}, {"target", target},
                                {"device", std::string(1, d.type) + " " + std::to_string(d.major) + ":" + std::to_string(d.minor)}};
      if (state == LinkState::Failed) throw Error(error);  // fails open: the container runs as before
      report_repair(ctx.config, ctx.events, kName, "device.link_created", std::move(details), ctx.observe_only());
    }
  }

  std::vector<CheckResult> node_checks(NodeContext& ctx) override {
    HostDevices host(ctx.dev_root);
    nlohmann::json missing = nlohmann::json::array(), made = nlohmann::json::array();
    for (const auto& [key, rel] : host.all()) {
      const Device d{key.first, ::major(key.second), ::minor(key.second)};
      std::string target, error;
      const bool fix = ctx.fix && ctx.policy != GuardPolicy::Off;
      LinkState state = ensure_link(ctx.dev_root, d, host, !fix, target, error);
      if (state != LinkState::Made && state != LinkState::Failed) continue;
      nlohmann::json entry = {{"link", link_name(d)}, {"target", target}};
      if (state == LinkState::Failed) entry["error"] = error;
      (fix && state == LinkState::Made ? made : missing).push_back(entry);
    }
    nlohmann::json data = {{"missing", missing}, {"made", made}, {"policy", policy_name(ctx.policy)}};
    if (missing.empty() && made.empty())
      return {{"devices.links", CheckStatus::Ok, "every device node in " + ctx.dev_root + " has its /dev/char or /dev/block link", "", data}};
    if (missing.empty())
      return {{"devices.links", CheckStatus::Ok, "made " + std::to_string(made.size()) + " missing /dev/char or /dev/block link(s)", "", data}};
    const std::string evidence = std::to_string(missing.size()) + " device node(s) without a /dev/char or /dev/block link (e.g. " +
                                 missing.front()["link"].get<std::string>() + " → " + missing.front()["target"].get<std::string>() + ")";
    if (ctx.policy == GuardPolicy::Off)
      return {{"devices.links", CheckStatus::Info, evidence + "; this runc does not need them", "", data}};
    // sd_booted(): without systemd as init nothing uses runc's systemd cgroup driver.
    if (::access("/run/systemd/system", F_OK) != 0)
      return {{"devices.links", CheckStatus::Info, evidence + "; only runc's systemd cgroup driver needs them and systemd is not running",
               "runc-guardctl doctor --fix makes them", data}};
    return {{"devices.links", CheckStatus::Warn, evidence + "; runc skips their device rules with the systemd driver",
             "runc-guardctl doctor --fix makes them (runc-guard also makes them before each create)", data}};
  }

 private:
  static constexpr const char* kDevRoot = "/dev";
};

}  // namespace

std::unique_ptr<Guard> make_device_links_guard() { return std::make_unique<DeviceLinksGuard>(); }

}  // namespace rg
