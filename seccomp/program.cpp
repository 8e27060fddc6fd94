#include "seccomp/program.h"

// libmd, not OpenSSL: libcrypto's start-up code (CPU feature probing) costs ~80 us on every exec of a
// static binary, and every runc call on the node pays for it.
#include <sha2.h>

#include <cstring>

#include "oci/base/error.h"

namespace rg::seccomp {

Program parse_program(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) throw Error("seccomp program: empty");
  if (bytes.size() % sizeof(sock_filter) != 0)
    throw Error("seccomp program: " + std::to_string(bytes.size()) + " bytes is not a whole number of " +
                std::to_string(sizeof(sock_filter)) + "-byte instructions (truncated export?)");
  Program p;
  p.bytes = bytes.size();
  p.instructions.resize(bytes.size() / sizeof(sock_filter));
  std::memcpy(p.instructions.data(), bytes.data(), bytes.size());
  p.sha256 = sha256_hex(bytes);
  return p;
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  char hex[SHA256_DIGEST_STRING_LENGTH];
  if (!SHA256Data(bytes.data(), bytes.size(), hex)) throw Error("sha256 failed");
  return std::string(hex, SHA256_DIGEST_STRING_LENGTH - 1);
}

std::string sha256_hex(std::string_view text) {
  return sha256_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace rg::seccomp
