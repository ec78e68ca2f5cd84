// The compiled-code cache as a unit: entries, checksums, eviction.
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "code_cache.hpp"
#include "process.hpp"

using namespace wasibuild::runner;
using wasibuild::testing::read_file;
using wasibuild::testing::TempDir;
using wasibuild::testing::write_file;
namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t> payload_of(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 31);
  return bytes;
}

std::vector<std::uint8_t> loaded(const CodeCache& cache, const std::string& key) {
  auto entry = cache.load(key);
  if (!entry) return {};
  auto payload = entry->payload();
  return {payload.begin(), payload.end()};
}

}  // namespace

TEST_CASE("a stored entry loads back byte for byte; a missing key is a miss") {
  TempDir dir;
  CodeCache cache({dir.path() / "modules", 1 << 20});
  const auto payload = payload_of(5000, 1);
  cache.store("k1", payload);
  CHECK(loaded(cache, "k1") == payload);
  CHECK_FALSE(cache.load("k2").has_value());
}

TEST_CASE("damaged entries are misses and are removed") {
  TempDir dir;
  CodeCache cache({dir.path(), 1 << 20});
  cache.store("k", payload_of(5000, 2));
  const fs::path path = cache.entry_path("k");
  const std::string good = read_file(path);

  SUBCASE("payload byte flipped") {
    std::string bad = good;
    bad[good.size() - 10] = static_cast<char>(bad[good.size() - 10] ^ 1);
    write_file(path, bad);
  }
  SUBCASE("checksum byte flipped") {
    std::string bad = good;
    bad[20] = static_cast<char>(bad[20] ^ 1);
    write_file(path, bad);
  }
  SUBCASE("truncated") { write_file(path, good.substr(0, good.size() - 1)); }
  SUBCASE("longer than its header says") { write_file(path, good + "x"); }
  SUBCASE("only a header") { write_file(path, good.substr(0, 48)); }
  SUBCASE("shorter than a header") { write_file(path, good.substr(0, 20)); }
  SUBCASE("wrong magic") { write_file(path, "XXXXXXXX" + good.substr(8)); }

  CHECK_FALSE(cache.load("k").has_value());
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("eviction removes the least recently used entries first") {
  TempDir dir;
  CodeCache cache({dir.path(), 2 * 1048 + 100});
  cache.store("old", payload_of(1000, 3));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  cache.store("used", payload_of(1000, 4));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(cache.load("old").has_value());  // now "used" is the least recent
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  cache.store("new", payload_of(1000, 5));
  CHECK(cache.load("old").has_value());
  CHECK(cache.load("new").has_value());
  CHECK_FALSE(cache.load("used").has_value());
}

TEST_CASE("usage and clean count entries and remove leftovers of killed writers") {
  TempDir dir;
  CacheOptions options{dir.path(), 1 << 20};
  CodeCache cache(options);
  cache.store("a", payload_of(100, 6));
  cache.store("b", payload_of(200, 7));
  write_file(dir / ".tmp-999-0-c.entry", "half-written");
  write_file(dir / "unrelated.txt", "keep me");
  const auto usage = cache_usage(options);
  CHECK(usage.entries == 2);
  CHECK(usage.bytes == 100 + 200 + 2 * 48);
  const auto removed = clean_cache(options);
  CHECK(removed.entries == 2);
  CHECK_FALSE(fs::exists(dir / ".tmp-999-0-c.entry"));
  CHECK(fs::exists(dir / "unrelated.txt"));
  CHECK(cache_usage(options).entries == 0);
}

TEST_CASE("a cache directory that cannot be created degrades to no caching") {
  TempDir dir;
  write_file(dir / "file", "not a directory");
  CodeCache cache({dir / "file" / "modules", 1 << 20});
  cache.store("k", payload_of(10, 8));
  CHECK_FALSE(cache.load("k").has_value());
}
