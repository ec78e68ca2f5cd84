// The runner hashes every module it runs (the cache key), on the start-up
// path of every CTest test. OpenSSL 3's EVP interface initialises the
// library context, reads openssl.cnf and fetches a provider first, which
// perf showed as the largest user-space cost of a warm `exec`. The
// low-level SHA256_* functions compute the same digest without that set-up;
// OpenSSL 3 marks them deprecated but keeps them, so the deprecation
// warning is silenced for them (in sha256.hpp), and only for them.
#include "sha256.hpp"

namespace wasibuild::runner {

Sha256::Sha256() { SHA256_Init(&context_); }

void Sha256::update(std::span<const std::uint8_t> bytes) { SHA256_Update(&context_, bytes.data(), bytes.size()); }

void Sha256::update(std::string_view text) { SHA256_Update(&context_, text.data(), text.size()); }

Digest Sha256::finish() {
  Digest digest{};
  SHA256_Final(digest.data(), &context_);
  return digest;
}

std::string to_hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(digest.size() * 2);
  for (std::uint8_t byte : digest) {
    text.push_back(kHex[byte >> 4]);
    text.push_back(kHex[byte & 0xf]);
  }
  return text;
}

}  // namespace wasibuild::runner
