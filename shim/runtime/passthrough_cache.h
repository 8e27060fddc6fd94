#pragma once
// The pass-through cache the first stage (shim/first_stage/first_stage.h) reads: written by the full runtime
// after it loaded the config and found the real runc, when the first stage asked for it (no valid cache for
// a pass-through command). It records exactly what the full runtime's decision rested on.
#include <optional>
#include <string>

#include "oci/guard/config.h"
#include "oci/runc_version.h"
#include "shim/first_stage/first_stage.h"
#include "shim/runtime/real_runc.h"

namespace rg {

// The cache's content, or nullopt when this setup cannot be cached: metrics enabled (the full runtime
// counts every call), a runc found through $PATH, a path too long for the cache, a candidate that could
// not be looked at for another reason than not existing.
std::optional<rg_pt_cache> make_passthrough_cache(const std::string& config_path, const Config& config,
                                                  const RealRunc& runc, const struct stat& self,
                                                  bool forced_delete_passes = false);

// Whether no registered guard would act on `runc delete --force` with this config and this runc build
// (nullptr: unknown) — then the first stage may exec it too.
bool forced_delete_passes_through(const Config& config, const RuncBuild* runc);

// Writes it (atomically, root-owned, 0644) to RG_PT_DIR/<hash of config_path>. Never throws: without a cache
// the next call only takes the full runtime's path again.
void write_passthrough_cache(const std::string& config_path, const Config& config, const RealRunc& runc) noexcept;

}  // namespace rg
