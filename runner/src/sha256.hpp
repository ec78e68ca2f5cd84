// SHA-256 from OpenSSL's libcrypto, as a streaming hasher.
#pragma once

#define OPENSSL_SUPPRESS_DEPRECATED  // see sha256.cpp
#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace wasibuild::runner {

using Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view text);
  [[nodiscard]] Digest finish();

 private:
  SHA256_CTX context_{};
};

[[nodiscard]] std::string to_hex(const Digest& digest);

}  // namespace wasibuild::runner
