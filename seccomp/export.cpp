#include "seccomp/export.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <cstring>
#include <exception>
#include <thread>

#include "oci/base/error.h"
#include "oci/base/fd.h"

namespace rg::seccomp {
namespace {

namespace asio = boost::asio;

// Restores the calling thread's signal mask on scope exit.
class SignalMaskScope {
 public:
  explicit SignalMaskScope(const sigset_t& block) { pthread_sigmask(SIG_BLOCK, &block, &saved_); }
  ~SignalMaskScope() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  SignalMaskScope(const SignalMaskScope&) = delete;
  SignalMaskScope& operator=(const SignalMaskScope&) = delete;

 private:
  sigset_t saved_;
};

// Drains a pipe's read end on its own thread until EOF, an error, or max_bytes (then it closes the read end
// so a blocked writer gets EPIPE instead of waiting forever).
class DrainReader {
 public:
  DrainReader(UniqueFd read_end, std::size_t max_bytes) : descriptor_(io_), max_bytes_(max_bytes) {
    descriptor_.assign(read_end.get());
    read_end.release();
    descriptor_.non_blocking(true);
    read_next();
    // The thread inherits the caller's mask; the caller blocks every signal around this constructor.
    thread_ = std::thread([this] {
      try {
        io_.run();
      } catch (const std::exception& e) {
        failure_ = std::string("pipe reader: ") + e.what();
        boost::system::error_code ignored;
        descriptor_.close(ignored);  // unblocks the writer (EPIPE)
      }
    });
  }
  DrainReader(const DrainReader&) = delete;
  DrainReader& operator=(const DrainReader&) = delete;

  // Abnormal exit (the writer threw): stop at once rather than wait for an EOF that may never come.
  ~DrainReader() {
    if (thread_.joinable()) {
      io_.stop();
      thread_.join();
    }
  }

  // Waits for the reader to finish (call after the write end is closed) and returns what it read.
  std::vector<std::uint8_t> finish() {
    thread_.join();
    if (!failure_.empty()) throw Error(failure_, failure_errno_);
    return std::move(data_);
  }

 private:
  void read_next() {
    descriptor_.async_read_some(asio::buffer(chunk_), [this](const boost::system::error_code& ec, std::size_t n) {
      if (n > 0) {
        if (data_.size() + n > max_bytes_) {
          std::string message = "pipe reader: program exceeds ";
          message += std::to_string(max_bytes_);
          message += " bytes";
          fail(std::move(message), EFBIG);
          return;
        }
        data_.insert(data_.end(), chunk_.begin(), chunk_.begin() + static_cast<std::ptrdiff_t>(n));
      }
      if (ec == asio::error::eof) return;  // writer closed: done
      if (ec) {
        std::string message = "pipe reader: read: ";
        message += ec.message();
        fail(std::move(message), ec.value());
        return;
      }
      read_next();
    });
  }

  void fail(std::string message, int err) {
    failure_ = std::move(message);
    failure_errno_ = err;
    boost::system::error_code ignored;
    descriptor_.close(ignored);
  }

  asio::io_context io_;
  asio::posix::stream_descriptor descriptor_;
  std::size_t max_bytes_;
  std::vector<std::uint8_t> chunk_ = std::vector<std::uint8_t>(65536);
  std::vector<std::uint8_t> data_;
  std::string failure_;
  int failure_errno_ = 0;
  std::thread thread_;  // last: started after every member it uses exists
};

bool sigpipe_pending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

}  // namespace

std::vector<std::uint8_t> export_through_pipe(const PipeWriter& writer, const PipeExportOptions& options) {
  Pipe pipe = Pipe::create();
  if (options.pipe_size && ::fcntl(pipe.write_end.get(), F_SETPIPE_SZ, *options.pipe_size) < 0)
    throw Error::from_errno(std::string("export pipe: F_SETPIPE_SZ ").append(std::to_string(*options.pipe_size)));

  sigset_t sigpipe;
  sigemptyset(&sigpipe);
  sigaddset(&sigpipe, SIGPIPE);
  SignalMaskScope block_sigpipe(sigpipe);  // an EPIPE from a failed reader must not kill the process
  const bool pipe_signal_was_pending = sigpipe_pending();

  std::optional<DrainReader> reader;
  {
    sigset_t all;
    sigfillset(&all);
    SignalMaskScope block_all(all);  // the reader thread takes no signals
    reader.emplace(std::move(pipe.read_end), options.max_bytes);
  }

  const int rc = writer(pipe.write_end.get());
  pipe.write_end.reset();  // EOF for the reader
  std::vector<std::uint8_t> data;
  std::optional<Error> reader_error;
  try {
    data = reader->finish();
  } catch (const Error& e) {
    reader_error = e;
  }
  reader.reset();

  if (!pipe_signal_was_pending && sigpipe_pending()) {  // consume the SIGPIPE our EPIPE raised
    const timespec zero{0, 0};
    sigtimedwait(&sigpipe, nullptr, &zero);
  }
  if (reader_error) throw *reader_error;  // the first cause: the writer's EPIPE follows from it
  if (rc < 0) throw Error(std::string("export: write into pipe: ") + std::strerror(-rc), -rc);
  return data;
}

std::vector<std::uint8_t> export_filter(const Filter& filter, ExportFormat format, const PipeExportOptions& options) {
  if (!filter) throw Error("export: no filter");
  scmp_filter_ctx ctx = filter.get();
  try {
    if (format == ExportFormat::Bpf) return export_through_pipe([ctx](int fd) { return seccomp_export_bpf(ctx, fd); }, options);
    return export_through_pipe([ctx](int fd) { return seccomp_export_pfc(ctx, fd); }, options);
  } catch (const Error& e) {
    throw e.wrap(format == ExportFormat::Bpf ? "seccomp_export_bpf" : "seccomp_export_pfc");
  }
}

}  // namespace rg::seccomp
