#pragma once
// The pre-create that keeps runc v1.0.0-rc5…rc93 from switching kmem accounting on: it only does so for a
// memory cgroup directory it creates itself (oci/cgroup.h resolves which one); an existing one is joined as is.
#include <string>
#include <vector>


namespace rg {

// The directories of `dir` below `mountpoint` that do not exist yet, deepest first: what
// precreate_cgroup_dir() would make now.
std::vector<std::string> missing_cgroup_dirs(const std::string& mountpoint, const std::string& dir);

// mkdir -p of `dir` (which must lie under `mountpoint`); returns the directories it created, deepest
// first — exactly what may be removed again. Throws rg::Error.
std::vector<std::string> precreate_cgroup_dir(const std::string& mountpoint, const std::string& dir);

// Removes directories precreate_cgroup_dir() made, deepest first, each only if empty (rmdir refuses a
// cgroup with tasks or children). Never throws.
void remove_precreated_cgroup_dirs(const std::vector<std::string>& dirs) noexcept;

}  // namespace rg
