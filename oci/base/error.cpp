#include "oci/base/error.h"

#include <cstring>

namespace rg {

Error Error::from_errno(std::string_view what) {
  int saved = errno;
  return Error(std::string(what) + ": " + std::strerror(saved), saved);
}

Error Error::wrap(std::string_view context) const {
  return Error(std::string(context) + ": " + what(), errno_, kind_);
}

}  // namespace rg
