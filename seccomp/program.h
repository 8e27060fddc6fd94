#pragma once
// A classic-BPF seccomp program as libseccomp exports it: host-endian `struct sock_filter` records.
#include <linux/filter.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rg::seccomp {

struct Program {
  std::vector<sock_filter> instructions;
  std::size_t bytes = 0;
  std::string sha256;  // lowercase hex of the raw bytes
};

// Splits exported bytes into instructions. Throws rg::Error for an empty or truncated program
// (length not a multiple of sizeof(sock_filter)).
Program parse_program(std::span<const std::uint8_t> bytes);

// sha256 (libmd) as lowercase hex.
std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view text);

}  // namespace rg::seccomp
