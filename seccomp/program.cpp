#include "seccomp/program.h"

#include <openssl/evp.h>

#include <cstring>

#include "oci/error.h"

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
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    throw Error("sha256: EVP_Digest failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xF];
  }
  return out;
}

std::string sha256_hex(std::string_view text) {
  return sha256_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace rg::seccomp
