#pragma once
// update: --kernel-memory / --kernel-memory-tcp and the kernel/kernelTCP fields of `-r/--resources FILE|-`
// get the same policy as config.json on create. Everything else in the update reaches runc unchanged.
//
// How the filtered document reaches runc, since runc replaces us (exec in place) and nobody is left to
// clean up after it:
// - `-r -`: stdin is read (up to the end of the first JSON value, as runc's json.Decoder reads, and at
//   most kMaxUpdateDocument bytes) and runc's stdin becomes a memfd (a pipe on kernels without
//   memfd_create) holding the same bytes, filtered.
// - `-r FILE`: a regular file is left alone; runc gets "/proc/self/fd/N" for a memfd holding the filtered
//   copy, deliberately without O_CLOEXEC so it survives the exec. A FIFO or other stream is read like stdin
//   and handed on the same way (one fd, filtered or not). Nothing is ever written to disk, and the copy
//   disappears with runc's process — no temp file to delete.
// - Input larger than kMaxUpdateDocument is not inspected: a regular file is left to runc; a stream that
//   was partly read is handed on whole (what was read, then the rest, through a pipe fed by a small
//   detached process), so runc reads exactly what it would have read.
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

inline constexpr std::size_t kMaxUpdateDocument = std::size_t{4} << 20;

struct UpdateDocument {
  std::string text;
  bool complete = true;  // false: stopped at `max_bytes` before the end of the first value (or EOF)
};
// Reads `fd` until EOF, the end of its first JSON object/array, or `max_bytes`, whichever comes first.
// Throws rg::Error.
UpdateDocument read_update_document(int fd, std::size_t max_bytes = kMaxUpdateDocument);

struct UpdateResources {
  bool parsed = false;                    // false: not a document runc reads (exactly) as LinuxResources
  std::string problem;                    // why not, when !parsed
  nlohmann::ordered_json kernel_settings; // memory.kernel/kernelTCP that set a limit ({} when none)
  std::string filtered;                   // the document without kernel/kernelTCP, plus any bytes after it
};
// Filters an `update -r` document as runc decodes it (every spelling of kernel/kernelTCP goes; runc reads
// only the first JSON value, and what follows is kept verbatim).
UpdateResources filter_update_resources(std::string_view text);


}  // namespace rg
