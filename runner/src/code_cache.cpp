#include "code_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <array>
#include <cstring>
#include <vector>

#include "atomic_file.hpp"
#include "sha256.hpp"

namespace wasibuild::runner {

namespace fs = std::filesystem;

namespace {

constexpr std::array<char, 8> kMagic = {'W', 'B', 'C', 'W', 'A', 'S', 'M', '1'};
constexpr std::size_t kHeaderSize = kMagic.size() + sizeof(std::uint64_t) + sizeof(Digest);
constexpr std::string_view kEntrySuffix = ".entry";

template <typename T>
std::span<const std::uint8_t> raw_bytes(const T* data, std::size_t count) {
  return {reinterpret_cast<const std::uint8_t*>(data), count * sizeof(T)};
}

Digest digest_of(std::span<const std::uint8_t> bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.finish();
}

bool header_matches(std::span<const std::uint8_t> file) {
  if (file.size() < kHeaderSize) return false;
  if (std::memcmp(file.data(), kMagic.data(), kMagic.size()) != 0) return false;
  std::uint64_t length = 0;
  std::memcpy(&length, file.data() + kMagic.size(), sizeof(length));
  if (length != file.size() - kHeaderSize) return false;
  Digest expected{};
  std::memcpy(expected.data(), file.data() + kMagic.size() + sizeof(length), expected.size());
  return digest_of(file.subspan(kHeaderSize)) == expected;
}

std::string entry_name(const std::string& key) { return key + std::string(kEntrySuffix); }

// Owned by us and writable by nobody else.
bool is_ours(uid_t owner, mode_t mode) { return owner == ::geteuid() && (mode & (S_IWGRP | S_IWOTH)) == 0; }

int open_directory(const fs::path& path) {
  return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// The cache directory, created (mode 0700) when missing; -1 when it cannot be
// opened or is not ours.
int open_cache_directory(const fs::path& path) {
  int fd = open_directory(path);
  if (fd < 0 && errno == ENOENT) {
    std::error_code ignored;
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), ignored);
    ::mkdir(path.c_str(), 0700);
    fd = open_directory(path);
  }
  if (fd < 0) return -1;
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !is_ours(info.st_uid, info.st_mode)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool is_entry(const fs::directory_entry& entry) {
  const std::string name = entry.path().filename().string();
  return name.ends_with(kEntrySuffix) && !name.starts_with(kTempPrefix);
}

}  // namespace

std::span<const std::uint8_t> VerifiedEntry::payload() const { return file_.bytes().subspan(kHeaderSize); }

CodeCache::CodeCache(CacheOptions options)
    : options_(std::move(options)), directory_(open_cache_directory(options_.directory)) {}

CodeCache::~CodeCache() {
  if (directory_ >= 0) ::close(directory_);
}

fs::path CodeCache::entry_path(const std::string& key) const { return options_.directory / entry_name(key); }

std::optional<VerifiedEntry> CodeCache::load(const std::string& key) const {
  if (directory_ < 0) return std::nullopt;
  const std::string name = entry_name(key);
  MappedFile file(name, directory_, Links::refuse);
  if (file.error() == std::errc::no_such_file_or_directory) return std::nullopt;
  // A symlink (ELOOP), a FIFO or device, someone else's file, a file others
  // may write, or a damaged one: never run it.
  if (file.error() || !is_ours(file.owner(), file.mode()) || !header_matches(file.bytes())) {
    discard(key);
    return std::nullopt;
  }
  // The modification time is the "last used" stamp that eviction sorts by.
  ::utimensat(directory_, name.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
  return VerifiedEntry(std::move(file));
}

void CodeCache::store(const std::string& key, std::span<const std::uint8_t> payload) const {
  if (directory_ < 0) return;
  const std::uint64_t length = payload.size();
  const Digest digest = digest_of(payload);
  const auto failure =
      write_file_atomically_at(directory_, entry_name(key),
                               {raw_bytes(kMagic.data(), kMagic.size()), raw_bytes(&length, 1), digest, payload}, 0600);
  if (!failure) evict_to_limit();
}

void CodeCache::discard(const std::string& key) const {
  if (directory_ >= 0) ::unlinkat(directory_, entry_name(key).c_str(), 0);
}

void CodeCache::evict_to_limit() const {
  struct Candidate {
    fs::path path;
    fs::file_time_type used;
    std::uint64_t size;
  };
  std::vector<Candidate> entries;
  std::uint64_t total = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(options_.directory, error)) {
    if (!is_entry(entry)) continue;
    std::error_code stat_error;
    const auto size = entry.file_size(stat_error);
    const auto used = entry.last_write_time(stat_error);
    if (stat_error) continue;
    entries.push_back({entry.path(), used, size});
    total += size;
  }
  if (total <= options_.max_bytes) return;
  std::sort(entries.begin(), entries.end(), [](const Candidate& a, const Candidate& b) { return a.used < b.used; });
  for (const Candidate& victim : entries) {
    if (total <= options_.max_bytes) break;
    std::error_code ignored;
    if (fs::remove(victim.path, ignored)) total -= victim.size;
  }
}

CacheUsage cache_usage(const CacheOptions& cache) {
  CacheUsage usage;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(cache.directory, error)) {
    if (!is_entry(entry)) continue;
    std::error_code stat_error;
    const auto size = entry.file_size(stat_error);
    if (stat_error) continue;
    ++usage.entries;
    usage.bytes += size;
  }
  return usage;
}

CacheUsage clean_cache(const CacheOptions& cache) {
  CacheUsage removed;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(cache.directory, error)) {
    const std::string name = entry.path().filename().string();
    // Leftover temporary files of killed runs go too.
    if (!name.ends_with(kEntrySuffix) && !name.starts_with(kTempPrefix)) continue;
    std::error_code stat_error;
    const auto size = entry.file_size(stat_error);
    if (fs::remove(entry.path(), stat_error) && is_entry(entry)) {
      ++removed.entries;
      removed.bytes += size;
    }
  }
  return removed;
}

}  // namespace wasibuild::runner
