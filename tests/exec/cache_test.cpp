// The compiled-code cache, observed from outside: entries appear, are used,
// survive damage, are shared safely by concurrent runs, and are evicted.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "exec_helpers.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> entries(const fs::path& dir) {
  std::vector<fs::path> found;
  if (!fs::exists(dir)) return found;
  for (const auto& entry : fs::directory_iterator(dir)) found.push_back(entry.path());
  return found;
}

fs::path only_entry(const fs::path& dir) {
  const auto found = entries(dir);
  REQUIRE(found.size() == 1);
  return found.front();
}

}  // namespace

TEST_CASE("the first run stores one entry, later runs load it instead of compiling") {
  Wasibuild wasibuild;
  TempDir caches;
  // Two caches, one module each.
  wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = (caches / "a").string();
  CHECK(wasibuild.exec({fixture("exit_code"), "4"}).exit_status == 4);
  wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = (caches / "b").string();
  CHECK(wasibuild.exec({fixture("args_env")}).exit_status == 0);
  const fs::path exit_code_entry = only_entry(caches / "a");
  const fs::path args_env_entry = only_entry(caches / "b");

  // Put exit_code's compiled code under args_env's key: if the next run of
  // args_env behaves like exit_code, it came from the cache, not a compile.
  fs::copy_file(exit_code_entry, args_env_entry, fs::copy_options::overwrite_existing);
  const auto result = wasibuild.exec({fixture("args_env"), "4"});
  CHECK(result.exit_status == 4);
  CHECK(result.out == "");
}

TEST_CASE("--no-cache neither reads nor writes the cache") {
  Wasibuild wasibuild;
  TempDir cache;
  wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = cache.path().string();
  CHECK(wasibuild.exec({"--no-cache", fixture("exit_code"), "2"}).exit_status == 2);
  CHECK(entries(cache.path()).empty());
}

TEST_CASE("a corrupted or truncated entry is detected and replaced") {
  Wasibuild wasibuild;
  TempDir cache;
  wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = cache.path().string();
  REQUIRE(wasibuild.exec({fixture("hello_cpp")}).exit_status == 0);
  const fs::path entry = only_entry(cache.path());
  const std::string good = read_file(entry);

  SUBCASE("one flipped byte in the compiled code") {
    std::string damaged = good;
    damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x5a);
    write_file(entry, damaged);
  }
  SUBCASE("cut in half") { write_file(entry, good.substr(0, good.size() / 2)); }
  SUBCASE("emptied") { write_file(entry, ""); }
  SUBCASE("random bytes") { write_file(entry, std::string(4096, '\x7f')); }

  const auto result = wasibuild.exec({fixture("hello_cpp"), "again"});
  CHECK(result.exit_status == 0);
  CHECK(result.out == "hello from C++ again\n");
  CHECK(read_file(only_entry(cache.path())).size() == good.size());
}

TEST_CASE("concurrent runs of one module share the cache safely") {
  Wasibuild wasibuild;
  TempDir cache;
  wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = cache.path().string();
  constexpr int kRuns = 6;
  std::vector<ProcessResult> results(kRuns);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] { results[i] = wasibuild.exec({fixture("hello_cpp"), std::to_string(i)}); });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kRuns; ++i) {
    CAPTURE(i);
    CHECK(results[i].exit_status == 0);
    CHECK(results[i].out == "hello from C++ " + std::to_string(i) + "\n");
  }
  CHECK(entries(cache.path()).size() == 1);  // no temporary files left behind
  CHECK(wasibuild.exec({fixture("hello_cpp"), "after"}).out == "hello from C++ after\n");
}

TEST_CASE("the cache stays under its size limit by evicting the least recently used") {
  Wasibuild wasibuild;
  TempDir cache;
  wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = cache.path().string();
  REQUIRE(wasibuild.exec({fixture("hello_cpp")}).exit_status == 0);
  const auto one_entry = fs::file_size(only_entry(cache.path()));
  // Room for the big C++ entry but not for it and two more modules.
  wasibuild.options.environment["WASIBUILD_CACHE_MAX_SIZE"] = std::to_string(one_entry + one_entry / 4);
  REQUIRE(wasibuild.exec({fixture("exit_code")}).exit_status == 0);
  REQUIRE(wasibuild.exec({fixture("args_env")}).exit_status == 0);
  std::uintmax_t total = 0;
  for (const auto& path : entries(cache.path())) total += fs::file_size(path);
  CHECK(total <= one_entry + one_entry / 4);
  CHECK(entries(cache.path()).size() >= 1);
}

TEST_CASE("cache info and cache clean") {
  Wasibuild wasibuild;
  TempDir cache;
  wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = cache.path().string();
  REQUIRE(wasibuild.exec({fixture("exit_code")}).exit_status == 0);
  REQUIRE(wasibuild.exec({fixture("args_env")}).exit_status == 0);
  const auto info = wasibuild({"cache", "info"});
  CHECK(info.exit_status == 0);
  CHECK(info.out.starts_with(cache.path().string() + ": 2 modules, "));
  const auto dir = wasibuild({"cache", "dir"});
  CHECK(dir.out == cache.path().string() + "\n");
  const auto clean = wasibuild({"cache", "clean"});
  CHECK(clean.exit_status == 0);
  CHECK(clean.out.starts_with("removed 2 modules ("));
  CHECK(entries(cache.path()).empty());
}

TEST_CASE("the cache lives under WASIBUILD_HOME by default") {
  Wasibuild wasibuild;
  REQUIRE(wasibuild.exec({fixture("exit_code")}).exit_status == 0);
  CHECK(entries(wasibuild.home.path() / "cache/modules").size() == 1);
}

TEST_CASE("a malformed WASIBUILD_CACHE_MAX_SIZE is a clear error") {
  Wasibuild wasibuild;
  wasibuild.options.environment["WASIBUILD_CACHE_MAX_SIZE"] = "huge";
  const auto result = wasibuild.exec({fixture("exit_code")});
  CHECK(result.exit_status == 125);
  CHECK(result.err ==
        "wasibuild: error: WASIBUILD_CACHE_MAX_SIZE: 'huge' is not a size\nhelp: use a size such as 512MiB or 2GiB\n");
}

// ---- Planted entries: whoever can write the cache must not get native code run

namespace {

// A cache holding an entry for args_env whose content is exit_code's
// compiled code: if args_env then exits 4 with no output, the entry ran.
struct PlantedCache {
  Wasibuild wasibuild;
  TempDir caches;
  fs::path donor;   // exit_code's genuine entry
  fs::path target;  // args_env's entry

  PlantedCache() {
    wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = (caches / "donor").string();
    REQUIRE(wasibuild.exec({fixture("exit_code"), "4"}).exit_status == 4);
    wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = (caches / "cache").string();
    REQUIRE(wasibuild.exec({fixture("args_env")}).exit_status == 0);
    donor = only_entry(caches / "donor");
    target = only_entry(caches / "cache");
  }
  void plant_copy() const { fs::copy_file(donor, target, fs::copy_options::overwrite_existing); }
  // args_env ran from its own code; exit_code's never did.
  void check_not_loaded(const ProcessResult& result) const {
    CHECK(result.exit_status == 0);
    CHECK(result.out == "arg[0]=args_env\narg[1]=4\n");
  }
  // The planted entry was replaced by a fresh private one.
  void check_rebuilt() const {
    struct stat info {};
    REQUIRE(::lstat(target.c_str(), &info) == 0);
    REQUIRE(S_ISREG(info.st_mode));  // before reading it: a FIFO would block the test
    CHECK((info.st_mode & 07777) == 0600);
    CHECK(info.st_uid == ::geteuid());
    CHECK(read_file(target) != read_file(donor));
  }
};

}  // namespace

TEST_CASE("attack: a cache entry replaced by a symlink is not followed - and is rebuilt" * doctest::test_suite("attack")) {
  PlantedCache cache;
  fs::remove(cache.target);
  fs::create_symlink(cache.donor, cache.target);
  cache.check_not_loaded(cache.wasibuild.exec({fixture("args_env"), "4"}));
  cache.check_rebuilt();
}

TEST_CASE("attack: a cache entry others may write is not loaded - and is rebuilt" * doctest::test_suite("attack")) {
  PlantedCache cache;
  cache.plant_copy();
  SUBCASE("world-writable") { fs::permissions(cache.target, fs::perms(0666)); }
  SUBCASE("group-writable") { fs::permissions(cache.target, fs::perms(0620)); }
  cache.check_not_loaded(cache.wasibuild.exec({fixture("args_env"), "4"}));
  cache.check_rebuilt();
}

TEST_CASE("attack: a cache entry owned by another user is not loaded" * doctest::test_suite("attack")) {
  if (::geteuid() != 0) {
    MESSAGE("skipped: only root can give a file to another user");
    return;
  }
  PlantedCache cache;
  cache.plant_copy();
  REQUIRE(::chown(cache.target.c_str(), 65534, 65534) == 0);
  cache.check_not_loaded(cache.wasibuild.exec({fixture("args_env"), "4"}));
  cache.check_rebuilt();
}

TEST_CASE("attack: a cache entry that is a FIFO does not hang a run" * doctest::test_suite("attack")) {
  PlantedCache cache;
  fs::remove(cache.target);
  REQUIRE(::mkfifo(cache.target.c_str(), 0600) == 0);
  cache.wasibuild.options.kill_after = std::chrono::seconds(60);
  const auto result = cache.wasibuild.exec({fixture("args_env"), "4"});
  CHECK_FALSE(result.killed);
  cache.check_not_loaded(result);
  cache.check_rebuilt();
}

TEST_CASE("attack: a cache directory that is a symlink or writable by others is not used" * doctest::test_suite("attack")) {
  PlantedCache cache;
  cache.plant_copy();
  const std::string planted = read_file(cache.target);
  SUBCASE("a symlink to the directory") {
    fs::create_directory_symlink(cache.caches / "cache", cache.caches / "link");
    cache.wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = (cache.caches / "link").string();
  }
  SUBCASE("world-writable") { fs::permissions(cache.caches / "cache", fs::perms(0777)); }
  SUBCASE("group-writable") { fs::permissions(cache.caches / "cache", fs::perms(0770)); }
  cache.check_not_loaded(cache.wasibuild.exec({fixture("args_env"), "4"}));
  // Neither read nor written: the planted entry is still there, alone.
  CHECK(entries(cache.caches / "cache").size() == 1);
  CHECK(read_file(cache.target) == planted);
}

TEST_CASE("a new cache directory and its entries are private") {
  Wasibuild wasibuild;
  TempDir caches;
  wasibuild.options.environment["WASIBUILD_CACHE_DIR"] = (caches / "new").string();
  REQUIRE(wasibuild.exec({fixture("exit_code")}).exit_status == 0);
  CHECK((fs::status(caches / "new").permissions() & fs::perms::all) == fs::perms::owner_all);
  CHECK((fs::status(only_entry(caches / "new")).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
}
