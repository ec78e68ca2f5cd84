// SHA-256 fed piece by piece (OpenSSL EVP), for downloads and archive copies.
#pragma once

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <memory>
#include <string>

namespace wasibuild::toolchain {

class StreamingSha256 {
 public:
  StreamingSha256() : context_(EVP_MD_CTX_new()) { reset(); }
  void reset() { EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr); }
  void update(const void* data, std::size_t size) { EVP_DigestUpdate(context_.get(), data, size); }
  [[nodiscard]] std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(context_.get(), digest.data(), &length);
    std::string text;
    for (unsigned int i = 0; i < length; ++i) text += fmt::format("{:02x}", digest[i]);
    return text;
  }

 private:
  struct FreeDigest {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  std::unique_ptr<EVP_MD_CTX, FreeDigest> context_;
};

}  // namespace wasibuild::toolchain
