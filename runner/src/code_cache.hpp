// The compiled-code cache: one file per (module, engine settings, Wasmtime
// version) key, holding a checksummed Wasmtime artifact.
//
// Entry layout: 8-byte magic, 8-byte payload length, 32-byte SHA-256 of the
// payload, then the payload (what Module::serialize produced). Entries are
// written to a temporary file and renamed into place, so a concurrent reader
// sees a whole old entry or a whole new one; a truncated or corrupted entry
// fails its checksum, is removed and is rebuilt by the caller.
//
// The cache is purely an accelerator: any I/O failure here degrades to
// "miss" and never fails a run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "mapped_file.hpp"
#include "wasibuild/runner.hpp"

namespace wasibuild::runner {

class VerifiedEntry {
 public:
  explicit VerifiedEntry(MappedFile file) : file_(std::move(file)) {}
  [[nodiscard]] std::span<const std::uint8_t> payload() const;

 private:
  MappedFile file_;
};

class CodeCache {
 public:
  explicit CodeCache(CacheOptions options) : options_(std::move(options)) {}

  // The entry for `key` if it exists and its checksum holds; a damaged entry
  // is deleted and reported as a miss.
  [[nodiscard]] std::optional<VerifiedEntry> load(const std::string& key) const;
  // Writes the entry atomically, then evicts least recently used entries
  // while the cache is over its size limit.
  void store(const std::string& key, std::span<const std::uint8_t> payload) const;
  // Removes the entry for `key` (the engine refused it).
  void discard(const std::string& key) const;

  [[nodiscard]] std::filesystem::path entry_path(const std::string& key) const;

 private:
  void evict_to_limit() const;
  CacheOptions options_;
};

}  // namespace wasibuild::runner
