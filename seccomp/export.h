#pragma once
// Export of a compiled filter through a pipe whose read end is drained concurrently, so the blocking
// write inside seccomp_export_bpf()/seccomp_export_pfc() always completes, whatever the pipe capacity.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "seccomp/filter.h"

namespace rg::seccomp {

enum class ExportFormat { Bpf, Pfc };

struct PipeExportOptions {
  // F_SETPIPE_SZ for the pipe (e.g. 4096 to model a pipe the kernel shrank); nullopt keeps the default.
  std::optional<int> pipe_size;
  // The reader gives up (closing its end, so the writer fails with EPIPE) beyond this many bytes.
  std::size_t max_bytes = 64u << 20;
};

// Writes into `fd` with one blocking call and returns 0 or -errno (libseccomp's convention).
using PipeWriter = std::function<int(int fd)>;

// The generic path: a pipe, a Boost.Asio reader (posix::stream_descriptor on an io_context running on its
// own thread) draining the read end until EOF, `writer` on the calling thread, then join. Errors from
// either side propagate as rg::Error (the reader's first); no failure ordering leaves a thread blocked.
// SIGPIPE is blocked on the calling thread while writing.
std::vector<std::uint8_t> export_through_pipe(const PipeWriter& writer, const PipeExportOptions& options = {});

// seccomp_export_bpf / seccomp_export_pfc of `filter` through export_through_pipe.
std::vector<std::uint8_t> export_filter(const Filter& filter, ExportFormat format, const PipeExportOptions& options = {});

}  // namespace rg::seccomp
