// Where archives come from, the rules checked before any download, and the
// system toolchain's probe cache (sources.hpp).
#include <doctest/doctest.h>

#include <filesystem>

#include "process.hpp"
#include "wasibuild/sources.hpp"

using namespace wasibuild::toolchain;
using wasibuild::testing::read_file;
using wasibuild::testing::TempDir;
using wasibuild::testing::write_file;
namespace fs = std::filesystem;

namespace {

const std::string kHash(64, 'a');

InstallRequest download(std::optional<std::string> sha256, const fs::path& cache) {
  InstallRequest request;
  request.source = "https://example.invalid/sdk.tar.gz";
  request.sha256 = std::move(sha256);
  request.download_cache = cache;
  return request;
}

}  // namespace

TEST_CASE("URLs and hashes are told apart from paths and typos") {
  CHECK(is_url("https://example.com/a.tar.gz"));
  CHECK(is_url("file:///tmp/a.tar.gz"));
  CHECK_FALSE(is_url("./a.tar.gz"));
  CHECK(is_sha256_hex(kHash));
  CHECK_FALSE(is_sha256_hex(std::string(64, 'A')));
  CHECK_FALSE(is_sha256_hex(std::string(63, 'a')));
  CHECK_FALSE(is_sha256_hex(std::string(63, 'a') + "g"));
}

TEST_CASE("a release comes from the mirror when one is set, with its pinned hash") {
  const Release* release = builtin_manifest().find(33);
  REQUIRE(release != nullptr);
  InstallRequest base;
  base.toolchains_dir = "/store";
  const InstallRequest plain = release_request(base, *release, "x86_64-linux", Sources{});
  CHECK(plain.source == release->url(builtin_manifest().base_url, "x86_64-linux"));
  CHECK(plain.name == "wasi-sdk-33");
  CHECK(plain.provider == Provider::wasi_sdk);
  CHECK(plain.sha256 == release->sha256.at("x86_64-linux"));
  CHECK(plain.toolchains_dir == "/store");
  const InstallRequest mirrored = release_request(base, *release, "x86_64-linux", Sources{.mirror = "http://m/x"});
  CHECK(mirrored.source.starts_with("http://m/x/"));
  CHECK(mirrored.sha256 == plain.sha256);  // a mirror never changes what is trusted
}

TEST_CASE("binaryen comes from the npm registry or its replacement, pinned") {
  const InstallRequest plain = binaryen_request(InstallRequest{}, Sources{});
  CHECK(plain.source.starts_with(std::string(kNpmRegistry) + "/binaryen/"));
  CHECK(plain.sha256 == binaryen_release().sha256);
  const InstallRequest local = binaryen_request(InstallRequest{}, Sources{.npm_registry = "http://127.0.0.1:9/npm//"});
  CHECK(local.source.starts_with("http://127.0.0.1:9/npm/binaryen/"));
}

TEST_CASE("a download needs a hash, and offline only the download cache serves") {
  TempDir cache;
  const auto refusal = [&](const InstallRequest& request, bool offline) {
    auto error = install_refusal(request, Sources{.offline = offline}, "--from FILE");
    return error ? std::optional(error->kind) : std::nullopt;
  };
  CHECK(refusal(download(std::nullopt, cache.path()), false) == Error::Kind::checksum_required);
  InstallRequest unpinned = download(std::nullopt, cache.path());
  unpinned.allow_unpinned = true;
  CHECK_FALSE(refusal(unpinned, false).has_value());
  CHECK(refusal(unpinned, true) == Error::Kind::offline);

  CHECK_FALSE(refusal(download(kHash, cache.path()), false).has_value());
  CHECK(refusal(download(kHash, cache.path()), true) == Error::Kind::offline);
  write_file(cache / kHash, "archive");
  CHECK_FALSE(refusal(download(kHash, cache.path()), true).has_value());

  InstallRequest local = download(std::nullopt, cache.path());
  local.source = "/tmp/sdk.tar.gz";
  local.allow_unpinned = true;
  CHECK_FALSE(refusal(local, true).has_value());  // offline never stops a local file
  const auto help = install_refusal(download(kHash, "/nonexistent"), Sources{.offline = true}, "--from FILE");
  REQUIRE(help);
  CHECK(help->help.front() ==
        "run it again without --offline (WASIBUILD_OFFLINE), or install a local copy with --from FILE");
}

namespace {

// The cached toolchain with `change` applied, written back as the cache.
template <class Change>
void edit_cache(const fs::path& cache_dir, Change change) {
  const fs::path file = cache_dir / "system-toolchain.toml";
  auto cached = toolchain_from_toml(read_file(file), file);
  REQUIRE(cached.ok());
  change(cached.value());
  write_file(file, to_toml(cached.value()));
}

}  // namespace

TEST_CASE("the system toolchain is probed once, and again when what it depends on changes") {
  TempDir home;
  fs::create_directories(home / "bin");
  SystemSearch search;
  search.path = {home / "bin", "/usr/bin"};
  const fs::path cache_dir = home / "cache";

  auto first = cached_system_toolchain(search, cache_dir);
  REQUIRE(first.ok());
  CHECK_FALSE(first.value().capabilities.setjmp);  // Debian's 2022 wasi-libc
  REQUIRE(fs::is_regular_file(cache_dir / "system-toolchain.toml"));
  REQUIRE(fs::is_regular_file(cache_dir / "system-toolchain.key"));

  // A marker only the cache can carry: the next call reads it, not a probe.
  edit_cache(cache_dir, [](Toolchain& toolchain) { toolchain.capabilities.setjmp = true; });
  CHECK(cached_system_toolchain(search, cache_dir).value().capabilities.setjmp);

  // A PATH directory changed: discovery runs again, finds the same clang and
  // sysroot, and keeps the cached capabilities.
  write_file(home / "bin/unrelated", "");
  CHECK(cached_system_toolchain(search, cache_dir).value().capabilities.setjmp);

  // Another clang version than the cache names: probed again.
  edit_cache(cache_dir, [](Toolchain& toolchain) { toolchain.version = "0.0.0"; });
  write_file(home / "bin/another", "");
  const auto reprobed = cached_system_toolchain(search, cache_dir);
  CHECK_FALSE(reprobed.value().capabilities.setjmp);
  CHECK(reprobed.value().version == first.value().version);
}

TEST_CASE("attack: a cache file replaced by a link is neither read nor written through" *
          doctest::test_suite("attack")) {
  TempDir home;
  SystemSearch search;
  search.path = {"/usr/bin"};
  const fs::path cache_dir = home / "cache";
  REQUIRE(cached_system_toolchain(search, cache_dir).ok());
  edit_cache(cache_dir, [](Toolchain& toolchain) { toolchain.capabilities.setjmp = true; });
  const std::string planted = read_file(cache_dir / "system-toolchain.toml");
  fs::rename(cache_dir / "system-toolchain.toml", home / "planted.toml");
  fs::create_symlink(home / "planted.toml", cache_dir / "system-toolchain.toml");

  const auto found = cached_system_toolchain(search, cache_dir);
  CHECK_FALSE(found.value().capabilities.setjmp);  // probed, not read through the link
  CHECK(read_file(home / "planted.toml") == planted);
  CHECK(fs::is_regular_file(fs::symlink_status(cache_dir / "system-toolchain.toml")));
}
