#include "oci/base/fd.h"

#include <fcntl.h>

#include "oci/base/error.h"

namespace rg {

Pipe Pipe::create(int extra_flags) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | extra_flags) != 0) throw Error::from_errno("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace rg
