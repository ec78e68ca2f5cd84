#include <fmt/format.h>

#include <algorithm>

#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

std::string Error::message() const {
  switch (kind) {
    case Kind::unknown_toolchain: return fmt::format("unknown toolchain '{}'", subject);
    case Kind::unknown_version: return fmt::format("there is no WASI SDK release '{}'{}", subject, detail);
    case Kind::no_asset_for_host: return fmt::format("WASI SDK {} has no archive for {}", subject, detail);
    case Kind::not_installed: return fmt::format("toolchain '{}' is not installed", subject);
    case Kind::no_toolchain: return "no WASI toolchain is installed and none was found on this system";
    case Kind::invalid_metadata: return fmt::format("{}: invalid toolchain metadata: {}", subject, detail);
    case Kind::invalid_layout: return fmt::format("{}: not a usable WASI toolchain: {}", subject, detail);
    case Kind::bad_name:
      return fmt::format("'{}' is not a valid toolchain name (use letters, digits, '.', '-' and '_')", subject);
    case Kind::io: return fmt::format("{}: {}", subject, detail);
    case Kind::download_failed: return fmt::format("{}: download failed: {}", subject, detail);
    case Kind::checksum_mismatch:
      return fmt::format("{}: SHA-256 mismatch: expected {}, got {}", subject, expected, actual);
    case Kind::checksum_required: return fmt::format("{}: no pinned SHA-256 for this archive", subject);
    case Kind::unsafe_archive: return fmt::format("{}: refusing unsafe archive: {}", subject, detail);
    case Kind::bad_archive: return fmt::format("{}: cannot unpack: {}", subject, detail);
    case Kind::offline: return fmt::format("offline: {} would have to be downloaded", subject);
    case Kind::untrusted_file: return fmt::format("{}: refusing to use it: {}", subject, detail);
  }
  return subject;
}

std::string provider_name(Provider provider) {
  switch (provider) {
    case Provider::wasi_sdk: return "wasi-sdk";
    case Provider::system: return "system";
    case Provider::custom: return "custom";
  }
  return "custom";
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 100 || name == "." || name == ".." || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_';
  });
}

}  // namespace wasibuild::toolchain
