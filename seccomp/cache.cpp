#include "seccomp/cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "oci/base/error.h"
#include "oci/base/fd.h"
#include "oci/base/files.h"

namespace rg::seccomp {
namespace {

constexpr int kEntryVersion = 1;

bool valid_key(const std::string& key) {
  if (key.size() != 64) return false;
  for (char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::optional<Summary> Cache::load(const std::string& key) const noexcept {
  try {
    if (!valid_key(key)) return std::nullopt;
    UniqueFd fd(::open(entry_path(key).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd) return std::nullopt;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return std::nullopt;
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0 || st.st_size > 65536)
      return std::nullopt;  // foreign or tampered: ignore, the next store replaces it
    const std::string text = read_fd(fd.get(), entry_path(key));
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || j.value("version", 0) != kEntryVersion || j.value("key", std::string()) != key ||
        !j.contains("summary"))
      return std::nullopt;
    return summary_from_json(j["summary"]);
  } catch (...) {
    return std::nullopt;
  }
}

void Cache::ensure_dir() const {
  if (dir_.empty()) throw Error("seccomp cache: no directory configured");
  // Parents are created 0755 (e.g. /run/runc-guard); the cache directory itself 0700.
  for (std::size_t pos = 1; pos != std::string::npos;) {
    pos = dir_.find('/', pos);
    const std::string part = dir_.substr(0, pos);
    if (::mkdir(part.c_str(), pos == std::string::npos ? 0700 : 0755) != 0 && errno != EEXIST)
      throw Error::from_errno("seccomp cache: mkdir " + part);
    if (pos != std::string::npos) ++pos;
  }
  struct stat st {};
  if (::lstat(dir_.c_str(), &st) != 0) throw Error::from_errno("seccomp cache: stat " + dir_);
  if (!S_ISDIR(st.st_mode)) throw Error("seccomp cache: " + dir_ + " is not a directory");
  if (st.st_uid != ::geteuid()) throw Error("seccomp cache: " + dir_ + " is owned by uid " + std::to_string(st.st_uid));
  if ((st.st_mode & 07777) != 0700 && ::chmod(dir_.c_str(), 0700) != 0)
    throw Error::from_errno("seccomp cache: chmod 0700 " + dir_);
}

void Cache::store(const std::string& key, const Summary& summary) const {
  if (!valid_key(key)) throw Error("seccomp cache: invalid key \"" + key + "\"");
  ensure_dir();
  nlohmann::json doc{{"version", kEntryVersion}, {"key", key}, {"summary", to_json(summary)}};
  const std::string path = entry_path(key);
  try {
    write_file_atomic(path, doc.dump() + "\n", FileOwnership{0600, ::geteuid(), ::getegid()});
  } catch (const Error& e) {
    throw e.wrap("seccomp cache");
  }
}

}  // namespace rg::seccomp
