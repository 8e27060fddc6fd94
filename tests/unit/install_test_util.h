#pragma once
// Helpers shared by the installer unit tests: the sample engine configs in tests/data/install/.
#include <string>

#include "oci/base/files.h"

namespace rg::install::testing {

inline std::string sample(const std::string& name) { return rg::read_file(std::string(RG_TEST_DATA) + "/install/" + name); }

}  // namespace rg::install::testing
