#pragma once
// update: --kernel-memory / --kernel-memory-tcp and the kernel/kernelTCP fields of `-r/--resources FILE|-`
// get the same policy as config.json on create. Everything else in the update reaches runc unchanged.
//
// How the filtered document reaches runc, since runc replaces us (exec in place) and nobody is left to
// clean up after it:
// - `-r -`: stdin is read fully (up to the end of the first JSON value, as runc's json.Decoder reads) and
//   runc's stdin becomes a memfd (a pipe on kernels without memfd_create) holding the same bytes, filtered.
// - `-r FILE`: the file is left alone; runc gets "/proc/self/fd/N" for a memfd holding the filtered copy,
//   deliberately without O_CLOEXEC so it survives the exec. Nothing is ever written to disk, and the copy
//   disappears with runc's process — no temp file to delete.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "oci/base/fd.h"
#include "oci/guard/guard.h"

namespace rg {

std::unique_ptr<Guard> make_kmem_update_guard();

// Offset just past the first top-level JSON object or array in `text`, or nullopt when it is not complete
// yet (or the document is not an object/array: then the caller reads to EOF).
std::optional<std::size_t> end_of_first_json_value(std::string_view text);

// Reads `fd` until EOF or the end of its first JSON object/array, whichever comes first. Throws rg::Error.
std::string read_update_document(int fd);

struct UpdateResources {
  bool parsed = false;                    // false: not JSON runc would accept; pass it on untouched
  nlohmann::ordered_json kernel_settings; // memory.kernel/kernelTCP that set a limit ({} when none)
  std::string filtered;                   // the document without kernel/kernelTCP, plus any bytes after it
};
// Filters an `update -r` document (runc reads only the first JSON value; what follows is kept verbatim).
UpdateResources filter_update_resources(std::string_view text);

// A readable fd positioned at the start of `content` (memfd; pipe where memfd_create is missing).
UniqueFd fd_with_content(std::string_view content, bool close_on_exec);

}  // namespace rg
