#include "oci/proc/runc_copy.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "oci/base/fd.h"
#include "oci/base/fnv1a.h"
#include "oci/base/files.h"

namespace rg {
namespace {

std::string hex16(std::uint64_t v) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(v));
  return out;
}

}  // namespace

std::string RuncCopyRecord::to_json() const {
  return nlohmann::json{{"pid", pid},
                        {"start_time", start_time},
                        {"fd", fd},
                        {"runc_path", runc_path},
                        {"runc", {{"dev", runc_dev}, {"ino", runc_ino}, {"size", runc_size}, {"mtime", {runc_mtime_sec, runc_mtime_nsec}},
                                  {"ctime", {runc_ctime_sec, runc_ctime_nsec}}, {"sha256", sha256}}},
                        {"copy", {{"dev", copy_dev}, {"ino", copy_ino}}}}
      .dump();
}

std::optional<RuncCopyRecord> RuncCopyRecord::from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    RuncCopyRecord r;
    r.pid = j.at("pid").get<pid_t>();
    r.start_time = j.at("start_time").get<std::uint64_t>();
    r.fd = j.at("fd").get<int>();
    r.runc_path = j.at("runc_path").get<std::string>();
    const auto& runc = j.at("runc");
    r.runc_dev = runc.at("dev").get<std::uint64_t>();
    r.runc_ino = runc.at("ino").get<std::uint64_t>();
    r.runc_size = runc.at("size").get<std::uint64_t>();
    r.runc_mtime_sec = runc.at("mtime").at(0).get<std::int64_t>();
    r.runc_mtime_nsec = runc.at("mtime").at(1).get<std::int64_t>();
    r.runc_ctime_sec = runc.at("ctime").at(0).get<std::int64_t>();
    r.runc_ctime_nsec = runc.at("ctime").at(1).get<std::int64_t>();
    r.sha256 = runc.at("sha256").get<std::string>();
    r.copy_dev = j.at("copy").at("dev").get<std::uint64_t>();
    r.copy_ino = j.at("copy").at("ino").get<std::uint64_t>();
    if (r.pid <= 0 || r.fd < 0 || r.sha256.size() != 64) return std::nullopt;
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void RuncCopyRecord::set_runc_file(const struct stat& runc) {
  runc_dev = runc.st_dev;
  runc_ino = runc.st_ino;
  runc_size = static_cast<std::uint64_t>(runc.st_size);
  runc_mtime_sec = runc.st_mtim.tv_sec;
  runc_mtime_nsec = runc.st_mtim.tv_nsec;
  runc_ctime_sec = runc.st_ctim.tv_sec;
  runc_ctime_nsec = runc.st_ctim.tv_nsec;
}

bool RuncCopyRecord::copied(const struct stat& st) const {
  return st.st_dev == runc_dev && st.st_ino == runc_ino && static_cast<std::uint64_t>(st.st_size) == runc_size &&
         st.st_mtim.tv_sec == runc_mtime_sec && st.st_mtim.tv_nsec == runc_mtime_nsec && st.st_ctim.tv_sec == runc_ctime_sec &&
         st.st_ctim.tv_nsec == runc_ctime_nsec;
}

std::string runc_copy_record_path(const std::string& runc_path, const std::string& dir) {
  return dir + "/" + hex16(rg_fnv1a64(runc_path.data(), runc_path.size(), RG_FNV_SEED)) + ".json";
}

std::string runc_copy_lock_path(const std::string& runc_path, const std::string& dir) {
  return runc_copy_record_path(runc_path, dir) + ".lock";
}

std::string runc_copy_attempt_path(const std::string& runc_path, const std::string& dir) {
  return runc_copy_record_path(runc_path, dir) + ".attempt";
}

std::optional<RuncCopyRecord> read_runc_copy_record(const std::string& runc_path, const std::string& dir) {
  const std::string path = runc_copy_record_path(runc_path, dir);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) ||
      st.st_size > 64 * 1024)
    return std::nullopt;
  try {
    return RuncCopyRecord::from_json(read_fd(fd.get(), path));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace rg
