// Toolchain metadata and the store of installed toolchains.
#include <doctest/doctest.h>

#include <filesystem>

#include "process.hpp"
#include "wasibuild/toolchain.hpp"

using namespace wasibuild::toolchain;
using wasibuild::testing::TempDir;
using wasibuild::testing::write_file;
namespace fs = std::filesystem;

namespace {

Toolchain example(const fs::path& root) {
  Toolchain toolchain;
  toolchain.name = "wasi-sdk-33";
  toolchain.provider = Provider::wasi_sdk;
  toolchain.version = "33";
  toolchain.root = root;
  toolchain.clang = root / "bin/clang";
  toolchain.clangxx = root / "bin/clang++";
  toolchain.ar = root / "bin/llvm-ar";
  toolchain.ranlib = root / "bin/llvm-ranlib";
  toolchain.sysroot = root / "share/wasi-sysroot";
  toolchain.default_target = "wasm32-wasip1";
  toolchain.capabilities = {{"wasm32-wasip1", "wasm32-wasip2"}, true, true, true, true};
  toolchain.source = "https://example.com/x.tar.gz";
  toolchain.sha256 = std::string(64, 'a');
  toolchain.pinned = true;
  return toolchain;
}

void install_metadata(const fs::path& dir, const Toolchain& toolchain) {
  fs::create_directories(dir);
  write_file(dir / kMetadataFile, to_toml(toolchain));
}

}  // namespace

TEST_CASE("metadata round-trips, with paths stored relative to the toolchain") {
  TempDir temp;
  const Toolchain original = example(temp / "staging-name");
  const std::string text = to_toml(original);
  CHECK(text.find("staging-name") == std::string::npos);  // survives the rename into place
  CHECK(text.find("clang = 'bin/clang'") != std::string::npos);
  auto loaded = toolchain_from_toml(text, temp / "final-name" / kMetadataFile);
  REQUIRE(loaded.ok());
  const Toolchain& toolchain = loaded.value();
  CHECK(toolchain.name == "wasi-sdk-33");
  CHECK(toolchain.provider == Provider::wasi_sdk);
  CHECK(toolchain.clang == temp / "final-name/bin/clang");
  CHECK(toolchain.sysroot == temp / "final-name/share/wasi-sysroot");
  CHECK(toolchain.capabilities.targets == std::vector<std::string>{"wasm32-wasip1", "wasm32-wasip2"});
  CHECK(toolchain.capabilities.exceptions);
  CHECK(toolchain.pinned);
  CHECK(toolchain.sha256 == std::string(64, 'a'));
}

TEST_CASE("paths outside the toolchain (a paired system clang) stay absolute") {
  TempDir temp;
  Toolchain toolchain = example(temp / "t");
  toolchain.clang = "/usr/bin/clang-19";
  auto loaded = toolchain_from_toml(to_toml(toolchain), temp / "t" / kMetadataFile);
  CHECK(loaded.value().clang == "/usr/bin/clang-19");
}

TEST_CASE("installed() lists only complete toolchains") {
  TempDir temp;
  const Store store(temp.path());
  install_metadata(temp / "wasi-sdk-33", example(temp / "wasi-sdk-33"));
  Toolchain other = example(temp / "zzz");
  other.name = "zzz";
  install_metadata(temp / "zzz", other);
  install_metadata(temp / ".staging-wasi-sdk-32-1", example(temp / ".staging-wasi-sdk-32-1"));
  fs::create_directories(temp / "half-installed/bin");
  fs::create_directories(temp / "broken");
  write_file(temp / "broken" / kMetadataFile, "name = [");
  const auto installed = store.installed();
  REQUIRE(installed.size() == 2);
  CHECK(installed[0].name == "wasi-sdk-33");
  CHECK(installed[1].name == "zzz");
}

TEST_CASE("a broken metadata file is reported with its position") {
  TempDir temp;
  fs::create_directories(temp / "x");
  write_file(temp / "x" / kMetadataFile, "name = \"x\"\nprovider = = 1\n");
  auto loaded = Store(temp.path()).load("x");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().kind == Error::Kind::invalid_metadata);
  CHECK(loaded.error().message().starts_with((temp / "x" / kMetadataFile).string() +
                                             ": invalid toolchain metadata: line 2, column"));
}

TEST_CASE("remove deletes the toolchain, and only a valid installed name") {
  TempDir temp;
  const Store store(temp.path());
  install_metadata(temp / "wasi-sdk-33", example(temp / "wasi-sdk-33"));
  CHECK_FALSE(store.remove("wasi-sdk-33").has_value());
  CHECK_FALSE(fs::exists(temp / "wasi-sdk-33"));
  CHECK(store.remove("wasi-sdk-33")->kind == Error::Kind::not_installed);
  CHECK(store.remove("../outside")->kind == Error::Kind::bad_name);
}
