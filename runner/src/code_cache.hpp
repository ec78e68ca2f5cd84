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
//
// An entry is native code the process will run, so whoever can write one
// controls the host. The cache is used only when its directory is ours: not
// a symlink, owned by the effective user, not writable by group or others
// (a missing directory is created with mode 0700). Otherwise it is silently
// not used and every run compiles; a warning would repeat on every test.
// An entry is opened without following symlinks and used only when it is a
// regular file owned by the effective user and not writable by group or
// others; any other entry is removed (or, failing that, ignored) and the
// module recompiled. New entries are written with O_EXCL to a temporary name,
// mode 0600, and renamed within the directory fd.
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
  // Opens (or creates) the cache directory and checks that it is ours.
  explicit CodeCache(CacheOptions options);
  CodeCache(const CodeCache&) = delete;
  CodeCache& operator=(const CodeCache&) = delete;
  ~CodeCache();

  // False when the directory was refused or cannot be opened: every load
  // misses and nothing is stored.
  [[nodiscard]] bool usable() const { return directory_ >= 0; }

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
  int directory_ = -1;
};

}  // namespace wasibuild::runner
