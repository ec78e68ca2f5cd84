// The release manifest compiled into wasibuild.
#include <doctest/doctest.h>

#include "wasibuild/toolchain.hpp"

using namespace wasibuild::toolchain;

TEST_CASE("the builtin manifest lists WASI SDK 20 to 34") {
  const Manifest& manifest = builtin_manifest();
  REQUIRE(manifest.releases.size() == 15);
  CHECK(manifest.releases.front().version == 20);
  CHECK(manifest.releases.back().version == 34);
  CHECK(manifest.base_url == "https://github.com/WebAssembly/wasi-sdk/releases/download");
}

TEST_CASE("asset names, URLs and top directories follow each era's naming") {
  const Manifest& manifest = builtin_manifest();
  const Release* sdk33 = manifest.find(33);
  REQUIRE(sdk33 != nullptr);
  CHECK(sdk33->url(manifest.base_url, "x86_64-linux") ==
        "https://github.com/WebAssembly/wasi-sdk/releases/download/wasi-sdk-33/wasi-sdk-33.0-x86_64-linux.tar.gz");
  CHECK(sdk33->top_directory("arm64-macos") == "wasi-sdk-33.0-arm64-macos");
  CHECK(sdk33->default_target == "wasm32-wasip1");
  CHECK(sdk33->exceptions);
  CHECK(sdk33->clang == "22.1.0");

  const Release* sdk20 = manifest.find(20);
  REQUIRE(sdk20 != nullptr);
  CHECK(sdk20->asset("x86_64-linux") == "wasi-sdk-20.0-linux.tar.gz");
  CHECK(sdk20->asset("arm64-macos") == "wasi-sdk-20.0-macos.tar.gz");  // one universal file
  CHECK_FALSE(sdk20->asset("arm64-linux").has_value());
  CHECK(sdk20->top_directory("x86_64-linux") == "wasi-sdk-20.0");
  CHECK_FALSE(sdk20->filesystem);
  CHECK(manifest.find(22)->filesystem);
  CHECK(manifest.find(26)->setjmp);
  CHECK_FALSE(manifest.find(25)->setjmp);
}

TEST_CASE("only confirmed hashes are pinned") {
  const Manifest& manifest = builtin_manifest();
  CHECK(manifest.find(33)->sha256.at("x86_64-linux") ==
        "0ba8b5bfaeb2adf3f29bab5841d76cf5318ab8e1642ea195f88baba1abd47bce");
  CHECK(manifest.find(32)->sha256.at("x86_64-linux") ==
        "55fc523ebfbc98f69d1034fcfcb83d1ff5610cd9ab7eceef6cd097a30ba4ef93");  // the re-released set
  CHECK(manifest.find(31)->sha256.empty());  // single source
  CHECK(manifest.find(23)->sha256.empty());
  CHECK_FALSE(manifest.find(24)->sha256.contains("arm64-linux"));  // confirmed only by unnamed files
  CHECK_FALSE(manifest.find(22)->sha256.contains("x86_64-macos"));
  for (const Release& release : manifest.releases) {
    for (const auto& [host, hash] : release.sha256) {
      CAPTURE(release.version);
      CAPTURE(host);
      CHECK(hash.size() == 64);
      CHECK(release.asset(host).has_value());
    }
  }
}

TEST_CASE("WASI SDK 34: the new target names only, and its x86_64 Linux pin") {
  const Release* sdk34 = builtin_manifest().find(34);
  REQUIRE(sdk34 != nullptr);
  CHECK(sdk34->url(builtin_manifest().base_url, "x86_64-linux") ==
        "https://github.com/WebAssembly/wasi-sdk/releases/download/wasi-sdk-34/wasi-sdk-34.0-x86_64-linux.tar.gz");
  CHECK(sdk34->top_directory("x86_64-linux") == "wasi-sdk-34.0-x86_64-linux");
  CHECK(sdk34->targets ==
        std::vector<std::string>{"wasm32-wasip1", "wasm32-wasip2", "wasm32-wasip3", "wasm32-wasip1-threads"});
  CHECK(sdk34->default_target == "wasm32-wasip1");
  CHECK(sdk34->sha256.at("x86_64-linux") == "b761e3a0721dbae9c09a0059e5fdb2bf917d1b4a8a7b430fb3b5aafb0984b2c4");
  CHECK_FALSE(sdk34->sha256.contains("arm64-linux"));  // needs --sha256 there
}

TEST_CASE("the default release is the newest pinned one for the host, up to default_version") {
  const Manifest& manifest = builtin_manifest();
  CHECK(manifest.default_release("x86_64-linux")->version == 33);
  CHECK(manifest.default_release("arm64-macos")->version == 33);
  // 34 is pinned but not the default (its archive was never unpacked here).
  CHECK(manifest.find(34)->sha256.contains("x86_64-linux"));
  CHECK(manifest.default_release("riscv64-linux") == nullptr);
}

TEST_CASE("a malformed manifest is an error, not a crash") {
  auto parsed = parse_manifest("base_url = [");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().kind == Error::Kind::invalid_metadata);
}

TEST_CASE("the host platform has the manifest's spelling") {
  const std::string host = host_platform();
  CHECK((host == "x86_64-linux" || host == "arm64-linux" || host == "x86_64-macos" || host == "arm64-macos"));
}
