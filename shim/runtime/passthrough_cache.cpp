#include "shim/runtime/passthrough_cache.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "oci/base/error.h"
#include "oci/base/files.h"
#include "oci/runc_version.h"
#include "shim/runtime/guards.h"

namespace rg {
namespace {

rg_file_id file_id(const struct stat& st) {
  rg_file_id id{};
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = static_cast<std::uint64_t>(st.st_size);
  id.mtime_sec = st.st_mtim.tv_sec;
  id.mtime_nsec = st.st_mtim.tv_nsec;
  id.ctime_sec = st.st_ctim.tv_sec;
  id.ctime_nsec = st.st_ctim.tv_nsec;
  id.mode = st.st_mode;
  id.uid = st.st_uid;
  return id;
}

bool copy_path(char (&out)[RG_PT_PATH_MAX], const std::string& path) {
  if (path.size() >= RG_PT_PATH_MAX || path.find('\0') != std::string::npos) return false;
  std::memcpy(out, path.c_str(), path.size() + 1);
  return true;
}

}  // namespace

bool forced_delete_passes_through(const Config& config, const RuncBuild* runc) {
  static const std::vector<std::string> argv{"runc", std::string(command_name(Command::Delete)), "--force", "id"};
  const RuncArgs args = parse_runc_args(argv);
  for (const auto& guard : make_guards())
    if (guard->applies(args) && config.policy_of(guard->name(), guard->default_policy(runc, args)) != GuardPolicy::Off)
      return false;
  return true;
}

std::optional<rg_pt_cache> make_passthrough_cache(const std::string& config_path, const Config& config,
                                                  const RealRunc& runc, const struct stat& self, bool forced_delete_passes) {
  if (!config.metrics.textfile_dir.empty() || runc.from_path_env) return std::nullopt;
  if (runc.passed_over.size() + 1 > RG_PT_MAX_CANDIDATES) return std::nullopt;
  rg_pt_cache cache{};
  cache.magic = RG_PT_MAGIC;
  cache.size = sizeof cache;
  cache.self = file_id(self);
  cache.forced_delete_passes = forced_delete_passes ? 1 : 0;
  cache.config_present = !config.source.empty();
  if (cache.config_present) cache.config = file_id(config.source_stat);
  if (!copy_path(cache.config_path, config_path)) return std::nullopt;
  for (const RealRunc::PassedOver& p : runc.passed_over) {
    rg_pt_candidate& c = cache.candidates[cache.candidate_count++];
    if (!copy_path(c.path, p.path)) return std::nullopt;
    if (p.stat) {
      c.present = 1;
      c.id = file_id(*p.stat);
    } else if (p.error != ENOENT) {
      return std::nullopt;  // the first stage only knows "absent" as ENOENT
    }
  }
  rg_pt_candidate& chosen = cache.candidates[cache.candidate_count++];
  if (!copy_path(chosen.path, runc.path)) return std::nullopt;
  chosen.present = 1;
  chosen.id = file_id(runc.stat);
  cache.checksum = rg_fnv1a64(&cache, offsetof(rg_pt_cache, checksum), RG_FNV_SEED);
  return cache;
}

void write_passthrough_cache(const std::string& config_path, const Config& config, const RealRunc& runc) noexcept {
  try {
    struct stat self {};
    if (::stat("/proc/self/exe", &self) != 0) return;
    std::optional<RuncBuild> build;
    try {
      build = cached_runc_build(runc.path, std::string(kRuncVersionCacheDir)).build;
    } catch (const Error&) {
      // unknown: every guard takes its default for an unknown runc
    }
    auto cache = make_passthrough_cache(config_path, config, runc, self,
                                        forced_delete_passes_through(config, build ? &*build : nullptr));
    if (!cache) return;
    char path[sizeof RG_PT_DIR + 20];
    rg_pt_cache_path(config_path.c_str(), path);
    mkdir_p(RG_PT_DIR, 0755);
    write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(&*cache), sizeof *cache),
                      FileOwnership{0644, 0, 0}, Symlink::Replace, Durability::Atomic);
  } catch (...) {
    // the next pass-through call takes the full runtime's path again
  }
}

}  // namespace rg
