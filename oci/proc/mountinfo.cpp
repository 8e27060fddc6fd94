#include "oci/proc/mountinfo.h"

#include "oci/base/files.h"
#include "oci/base/text.h"

namespace rg {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  auto oct = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

bool has_token(std::string_view list, std::string_view token) {
  for (std::string_view t : split(list, ','))
    if (t == token) return true;
  return false;
}

bool MountEntry::read_only() const { return has_token(mount_options, "ro"); }

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> out;
  for (std::string_view line : split(text, '\n')) {
    std::size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    std::vector<std::string_view> pre = split(line.substr(0, dash), ' ');
    std::vector<std::string_view> post = split(line.substr(dash + 3), ' ');
    if (pre.size() < 6 || post.size() < 3) continue;
    out.push_back(MountEntry{unescape(pre[3]), unescape(pre[4]), std::string(pre[5]), unescape(post[0]),
                             unescape(post[1]), std::string(post[2])});
  }
  return out;
}

std::vector<MountEntry> read_mountinfo(const std::string& proc_root, int pid) {
  auto text = read_small_file(proc_root + "/" + std::to_string(pid) + "/mountinfo", std::size_t{16} << 20);
  return text ? parse_mountinfo(*text) : std::vector<MountEntry>{};
}

const MountEntry* mount_at(const std::vector<MountEntry>& mounts, std::string_view path) {
  const MountEntry* found = nullptr;
  for (const auto& m : mounts)
    if (m.mount_point == path) found = &m;
  return found;
}

}  // namespace rg
