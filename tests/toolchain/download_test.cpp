// Downloads over a real loopback HTTP server with injected faults.
#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <filesystem>

#include "http_server.hpp"
#include "process.hpp"
#include "wasibuild/installer.hpp"

using namespace wasibuild::toolchain;
using namespace wasibuild::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct RecordingProgress final : ProgressSink {
  void begin(std::string_view, std::optional<std::uint64_t>) override { ++begins; }
  void advance(std::uint64_t bytes) override { last = bytes; }
  void end(bool succeeded) override { ended_ok = succeeded; }
  void note(std::string_view line) override { notes.emplace_back(line); }
  int begins = 0;
  std::uint64_t last = 0;
  bool ended_ok = false;
  std::vector<std::string> notes;
};

std::string body_of(std::size_t size) {
  std::string body(size, '\0');
  for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return body;
}

std::string sha256(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += "0123456789abcdef"[digest[i] >> 4], hex += "0123456789abcdef"[digest[i] & 15];
  return hex;
}

DownloadSettings fast_settings() {
  DownloadSettings settings;
  settings.first_backoff = 10ms;
  settings.connect_timeout = 5s;
  settings.low_speed_time = 5s;
  return settings;
}

struct Fixture {
  LoopbackServer server;
  TempDir cache;
  RecordingProgress progress;
  std::string body = body_of(300'000);
  std::string hash = sha256(body);
  Fixture() {
    ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    server.serve("/sdk.tar.gz", body);
  }
  Result<Downloaded> get(const std::optional<std::string>& expected) {
    return download(server.url("/sdk.tar.gz"), expected, cache.path(), fast_settings(), progress);
  }
  std::vector<std::string> parts() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(cache.path())) {
      if (entry.path().extension() == ".part") names.push_back(entry.path().filename().string());
    }
    return names;
  }
};

}  // namespace

TEST_CASE("a download is hashed while streaming and kept under its hash") {
  Fixture f;
  auto result = f.get(f.hash);
  REQUIRE(result.ok());
  CHECK(result.value().sha256 == f.hash);
  CHECK(result.value().file == f.cache.path() / f.hash);
  CHECK(read_file(result.value().file) == f.body);
  CHECK(f.progress.last == f.body.size());
  CHECK(f.progress.ended_ok);
  CHECK(f.parts().empty());

  // A second download of the same hash is served from the cache.
  auto again = f.get(f.hash);
  REQUIRE(again.ok());
  CHECK(f.server.requests("/sdk.tar.gz") == 1);
}

TEST_CASE("without an expected hash the actual one is returned") {
  Fixture f;
  auto result = f.get(std::nullopt);
  REQUIRE(result.ok());
  CHECK(result.value().sha256 == f.hash);
}

TEST_CASE("wrong bytes fail the hash check and the partial file is deleted") {
  Fixture f;
  f.server.set_fault("/sdk.tar.gz", {Fault::wrong_bytes});
  auto result = f.get(f.hash);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == Error::Kind::checksum_mismatch);
  CHECK(result.error().expected == f.hash);
  CHECK(result.error().actual != f.hash);
  CHECK(result.error().message() == f.server.url("/sdk.tar.gz") + ": SHA-256 mismatch: expected " + f.hash +
                                        ", got " + result.error().actual);
  CHECK(f.parts().empty());
  CHECK_FALSE(fs::exists(f.cache.path() / f.hash));
}

TEST_CASE("404 fails at once, without retrying") {
  Fixture f;
  f.server.set_fault("/sdk.tar.gz", {Fault::not_found});
  auto result = f.get(f.hash);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message() == f.server.url("/sdk.tar.gz") + ": download failed: HTTP status 404");
  CHECK(f.server.requests("/sdk.tar.gz") == 1);
}

TEST_CASE("server errors are retried with backoff, then succeed") {
  Fixture f;
  f.server.set_fault("/sdk.tar.gz", {Fault::fail_then_succeed, 0, 2});
  auto result = f.get(f.hash);
  REQUIRE(result.ok());
  CHECK(read_file(result.value().file) == f.body);  // no error page bytes mixed in
  CHECK(f.server.requests("/sdk.tar.gz") == 3);
  CHECK(f.progress.notes.size() == 2);
  CHECK(f.progress.notes[0].find("HTTP status 500; retrying in 10 ms (2 of 4)") != std::string::npos);
}

TEST_CASE("a dropped connection is resumed with Range on the next attempt") {
  Fixture f;
  f.server.set_fault("/sdk.tar.gz", {Fault::drop_midway, 100'000});
  auto result = f.get(f.hash);
  REQUIRE(result.ok());
  CHECK(read_file(result.value().file) == f.body);
  CHECK(f.server.range_headers("/sdk.tar.gz") ==
        std::vector<std::string>{"", "bytes=100000-", "bytes=200000-"});
}

TEST_CASE("a failed download keeps its partial file for the next run to resume") {
  Fixture f;
  f.server.set_fault("/sdk.tar.gz", {Fault::drop_midway, 100'000});
  DownloadSettings once = fast_settings();
  once.attempts = 1;
  auto failed = download(f.server.url("/sdk.tar.gz"), f.hash, f.cache.path(), once, f.progress);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == Error::Kind::download_failed);
  CHECK(f.parts() == std::vector<std::string>{f.hash + ".part"});
  CHECK(fs::file_size(f.cache.path() / (f.hash + ".part")) == 100'000);

  f.server.set_fault("/sdk.tar.gz", {Fault::none});
  auto resumed = f.get(f.hash);
  REQUIRE(resumed.ok());
  CHECK(read_file(resumed.value().file) == f.body);
  CHECK(f.server.range_headers("/sdk.tar.gz").back() == "bytes=100000-");
}

TEST_CASE("a server that ignores Range makes the download start over, still correct") {
  Fixture f;
  write_file(f.cache.path() / (f.hash + ".part"), f.body.substr(0, 5000));
  f.server.set_fault("/sdk.tar.gz", {Fault::ignore_range});
  auto result = f.get(f.hash);
  REQUIRE(result.ok());
  CHECK(read_file(result.value().file) == f.body);
  CHECK(f.server.range_headers("/sdk.tar.gz").front() == "bytes=5000-");
}

TEST_CASE("a stalled server is given up on by the low-speed limit") {
  Fixture f;
  f.server.set_fault("/sdk.tar.gz", {Fault::slow, 16, 1, 1500ms});
  DownloadSettings settings = fast_settings();
  settings.low_speed_time = 1s;
  settings.low_speed_bytes_per_second = 100'000;
  settings.attempts = 1;
  auto result = download(f.server.url("/sdk.tar.gz"), f.hash, f.cache.path(), settings, f.progress);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == Error::Kind::download_failed);
}

TEST_CASE("unsupported and malformed URLs fail without retries") {
  Fixture f;
  auto result = download("gopher://127.0.0.1/x", f.hash, f.cache.path(), fast_settings(), f.progress);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == Error::Kind::download_failed);
  CHECK(f.progress.notes.empty());
  auto refused = download("http://127.0.0.1:1/x", f.hash, f.cache.path(), fast_settings(), f.progress);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message().starts_with("http://127.0.0.1:1/x: download failed: "));
}
