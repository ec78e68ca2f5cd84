// Self-test of the download/install test support: the loopback HTTP server
// against the real curl, the archive writer against GNU tar, and the fake
// WASI SDK against a real compile.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "archive_builder.hpp"
#include "fake_sdk.hpp"
#include "http_server.hpp"
#include "process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using wasibuild::testing::ArchiveEntry;
using wasibuild::testing::Fault;
using wasibuild::testing::FaultSpec;
using wasibuild::testing::LoopbackServer;
using wasibuild::testing::ProcessResult;
using wasibuild::testing::read_file;
using wasibuild::testing::run_process;
using wasibuild::testing::TempDir;
using wasibuild::testing::write_file;

namespace {

const std::string curl_binary = "/usr/bin/curl";

// curl with no config file, no proxy, quiet but with error messages.
ProcessResult curl(std::vector<std::string> arguments) {
  std::vector<std::string> argv = {curl_binary, "-q", "--silent", "--show-error", "--noproxy", "*"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return run_process(argv);
}

std::string binary_body(std::size_t size) {
  std::string body(size, '\0');
  for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return body;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A raw client socket, for what curl cannot do (stall, misbehave).
class RawClient {
 public:
  explicit RawClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  ~RawClient() { ::close(fd_); }

  void send_text(const std::string& text) const {
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t sent = ::send(fd_, text.data() + done, text.size() - done, MSG_NOSIGNAL);
      REQUIRE(sent > 0);
      done += static_cast<std::size_t>(sent);
    }
  }

  // Everything until EOF (or the timeout).
  [[nodiscard]] std::string read_all(std::chrono::milliseconds timeout = 5s) const {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd entry{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&entry, 1, static_cast<int>(left.count())) <= 0) break;
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
  }

 private:
  int fd_;
};

std::chrono::milliseconds time_destruction(std::optional<LoopbackServer>& server) {
  const auto start = std::chrono::steady_clock::now();
  server.reset();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

TEST_CASE("curl is available for the support self-test") {
  REQUIRE_MESSAGE(fs::exists(curl_binary), "install curl: apt-get install curl");
}

TEST_CASE("LoopbackServer serves a body intact to curl and counts requests") {
  LoopbackServer server;
  TempDir dir;
  const std::string body = binary_body(300 * 1024);
  server.serve("/sdk.tar.gz", body);
  CHECK(server.port() > 0);
  CHECK(server.url("/sdk.tar.gz") == "http://127.0.0.1:" + std::to_string(server.port()) + "/sdk.tar.gz");

  const auto got = curl({"--output", (dir / "out").string(), "--write-out", "%{http_code}",
                         server.url("/sdk.tar.gz")});
  CHECK(got.exit_status == 0);
  CHECK(got.out == "200");
  CHECK(read_file(dir / "out") == body);
  CHECK(server.requests("/sdk.tar.gz") == 1);
  CHECK(server.range_headers("/sdk.tar.gz") == std::vector<std::string>{""});

  SUBCASE("a query string does not change the path") {
    const auto query = curl({"--output", (dir / "q").string(), server.url("/sdk.tar.gz?x=1")});
    CHECK(query.exit_status == 0);
    CHECK(read_file(dir / "q") == body);
    CHECK(server.requests("/sdk.tar.gz") == 2);
  }
  SUBCASE("HEAD answers the headers only") {
    const auto head = curl({"--head", server.url("/sdk.tar.gz")});
    CHECK(head.exit_status == 0);
    CHECK(contains(head.out, "HTTP/1.1 200 OK"));
    CHECK(contains(head.out, "Content-Length: " + std::to_string(body.size())));
    CHECK(contains(head.out, "Accept-Ranges: bytes"));
    CHECK(contains(head.out, "Connection: close"));
    CHECK(server.requests("/sdk.tar.gz") == 2);
  }
  SUBCASE("an unknown path is 404") {
    const auto missing = curl({"--fail", "--output", "/dev/null", "--write-out", "%{http_code}",
                               server.url("/nothing")});
    CHECK(missing.exit_status == 22);
    CHECK(missing.out == "404");
    CHECK(server.requests("/nothing") == 1);
  }
  SUBCASE("serve_file serves a file's content") {
    write_file(dir / "file.bin", "file content\n");
    server.serve_file("/file.bin", dir / "file.bin");
    const auto file = curl({server.url("/file.bin")});
    CHECK(file.exit_status == 0);
    CHECK(file.out == "file content\n");
  }
}

TEST_CASE("LoopbackServer honours byte ranges") {
  LoopbackServer server;
  TempDir dir;
  server.serve("/digits", "0123456789");

  SUBCASE("bytes=5- is 206 with the tail") {
    const auto got = curl({"--header", "Range: bytes=5-", "--dump-header", (dir / "headers").string(),
                           "--write-out", "%{http_code}", "--output", (dir / "out").string(), server.url("/digits")});
    CHECK(got.exit_status == 0);
    CHECK(got.out == "206");
    CHECK(read_file(dir / "out") == "56789");
    const auto headers = read_file(dir / "headers");
    CHECK(contains(headers, "HTTP/1.1 206 Partial Content"));
    CHECK(contains(headers, "Content-Range: bytes 5-9/10"));
    CHECK(contains(headers, "Content-Length: 5"));
    CHECK(server.range_headers("/digits") == std::vector<std::string>{"bytes=5-"});
  }
  SUBCASE("bytes=N-M is 206 with that slice; the end is clamped") {
    const auto got = curl({"--range", "2-4", "--dump-header", "-", server.url("/digits")});
    CHECK(got.exit_status == 0);
    CHECK(contains(got.out, "Content-Range: bytes 2-4/10"));
    CHECK(got.out.substr(got.out.size() - 3) == "234");
    const auto clamped = curl({"--range", "8-100", server.url("/digits")});
    CHECK(clamped.out == "89");
    CHECK(server.range_headers("/digits") == std::vector<std::string>{"bytes=2-4", "bytes=8-100"});
  }
  SUBCASE("a range at or after the end is 416") {
    const auto got = curl({"--range", "10-", "--dump-header", (dir / "headers").string(), "--output", "/dev/null",
                           "--write-out", "%{http_code}", server.url("/digits")});
    CHECK(got.out == "416");
    CHECK(contains(read_file(dir / "headers"), "Content-Range: bytes */10"));
    const auto after = curl({"--fail", "--range", "50-60", "--output", "/dev/null", server.url("/digits")});
    CHECK(after.exit_status == 22);
  }
  SUBCASE("curl's resume (-C) works") {
    write_file(dir / "partial", "01234");
    const auto got = curl({"--continue-at", "-", "--output", (dir / "partial").string(), server.url("/digits")});
    CHECK(got.exit_status == 0);
    CHECK(read_file(dir / "partial") == "0123456789");
    CHECK(server.range_headers("/digits") == std::vector<std::string>{"bytes=5-"});
  }
  SUBCASE("header names are case-insensitive") {
    RawClient client(server.port());
    client.send_text("GET /digits HTTP/1.1\r\nhost: x\r\nrAnGe: bytes=7-\r\n\r\n");
    const auto response = client.read_all();
    CHECK(response.rfind("HTTP/1.1 206 ", 0) == 0);
    CHECK(contains(response, "Content-Length: 3\r\n"));
    CHECK(response.substr(response.size() - 3) == "789");
  }
}

TEST_CASE("LoopbackServer fault modes") {
  LoopbackServer server;
  TempDir dir;
  const std::string body = binary_body(4000);
  server.serve("/f", body);
  const auto out = (dir / "out").string();

  SUBCASE("ignore_range answers 200 with the whole body") {
    server.set_fault("/f", {Fault::ignore_range});
    const auto got = curl({"--range", "5-", "--write-out", "%{http_code}", "--output", out, server.url("/f")});
    CHECK(got.exit_status == 0);
    CHECK(got.out == "200");
    CHECK(read_file(out) == body);
    write_file(out, body.substr(0, 100));
    const auto resume = curl({"--continue-at", "-", "--output", out, server.url("/f")});
    CHECK(resume.exit_status == 33);  // CURLE_RANGE_ERROR: server does not support ranges
    CHECK(server.range_headers("/f") == std::vector<std::string>{"bytes=5-", "bytes=100-"});
  }
  SUBCASE("drop_midway closes after after_bytes of the body") {
    server.set_fault("/f", {Fault::drop_midway, 1000});
    const auto got = curl({"--output", out, server.url("/f")});
    CHECK(got.exit_status == 18);  // CURLE_PARTIAL_FILE
    CHECK(read_file(out) == body.substr(0, 1000));
    SUBCASE("also within a range") {
      const auto ranged = curl({"--range", "2000-", "--output", out, server.url("/f")});
      CHECK(ranged.exit_status == 18);
      CHECK(read_file(out) == body.substr(2000, 1000));
    }
  }
  SUBCASE("wrong_bytes changes exactly one byte") {
    server.set_fault("/f", {Fault::wrong_bytes});
    const auto got = curl({"--output", out, server.url("/f")});
    CHECK(got.exit_status == 0);
    const auto received = read_file(out);
    REQUIRE(received.size() == body.size());
    std::size_t differences = 0;
    for (std::size_t i = 0; i < body.size(); ++i) differences += received[i] != body[i] ? 1 : 0;
    CHECK(differences == 1);
  }
  SUBCASE("not_found is 404 although the path is served") {
    server.set_fault("/f", {Fault::not_found});
    const auto got = curl({"--fail", "--output", out, "--write-out", "%{http_code}", server.url("/f")});
    CHECK(got.exit_status == 22);
    CHECK(got.out == "404");
  }
  SUBCASE("fail_then_succeed answers 500 first") {
    server.set_fault("/f", {Fault::fail_then_succeed, 0, 2});
    for (int attempt = 0; attempt < 2; ++attempt) {
      const auto failed = curl({"--fail", "--output", out, "--write-out", "%{http_code}", server.url("/f")});
      CHECK(failed.exit_status == 22);
      CHECK(failed.out == "500");
    }
    const auto got = curl({"--fail", "--output", out, server.url("/f")});
    CHECK(got.exit_status == 0);
    CHECK(read_file(out) == body);
    CHECK(server.requests("/f") == 3);
  }
  SUBCASE("slow sends small chunks with a delay") {
    server.set_fault("/f", {Fault::slow, 1000, 1, 40ms});  // 4 chunks, 3 pauses
    const auto got = curl({"--output", out, server.url("/f")});
    CHECK(got.exit_status == 0);
    CHECK(read_file(out) == body);
    CHECK(got.elapsed >= 120ms);
    server.set_fault("/f", {Fault::slow, 0, 1, 200ms});  // 16 chunks of 256 bytes
    const auto timed_out = curl({"--max-time", "0.3", "--output", out, server.url("/f")});
    CHECK(timed_out.exit_status == 28);  // CURLE_OPERATION_TIMEDOUT
  }
}

TEST_CASE("LoopbackServer is robust against bad and stalled clients") {
  std::optional<LoopbackServer> server(std::in_place);
  server->serve("/big", binary_body(16 * 1024 * 1024));
  server->serve("/small", "small");

  SUBCASE("a stalled client neither blocks others nor the destructor") {
    RawClient stalled(server->port());
    stalled.send_text("GET /small HTTP/1.1\r\n");  // never finishes its request
    RawClient not_reading(server->port());
    not_reading.send_text("GET /big HTTP/1.1\r\n\r\n");  // never reads 16 MiB
    const auto got = curl({server->url("/small")});
    CHECK(got.exit_status == 0);
    CHECK(got.out == "small");
    std::this_thread::sleep_for(50ms);  // let the big send block
    CHECK(time_destruction(server) < 1000ms);
  }
  SUBCASE("a slow response in progress does not block the destructor") {
    server->set_fault("/small", {Fault::slow, 1, 1, 10s});
    RawClient client(server->port());
    client.send_text("GET /small HTTP/1.1\r\n\r\n");
    std::this_thread::sleep_for(50ms);
    CHECK(time_destruction(server) < 1000ms);
  }
  SUBCASE("several connections at once") {
    std::vector<std::thread> threads;
    std::vector<int> statuses(8, -1);
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      threads.emplace_back([&, i] {
        const auto got = curl({"--output", "/dev/null", server->url("/big")});
        statuses[i] = got.exit_status;
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(std::count(statuses.begin(), statuses.end(), 0) == 8);
    CHECK(server->requests("/big") == 8);
  }
  SUBCASE("request heads over 64 KiB are refused with 431") {
    RawClient client(server->port());
    client.send_text("GET /small HTTP/1.1\r\nX-Filler: " + std::string(70 * 1024, 'a') + "\r\n\r\n");
    CHECK(client.read_all().rfind("HTTP/1.1 431 ", 0) == 0);
    CHECK(server->requests("/small") == 0);
  }
  SUBCASE("other methods and malformed requests") {
    RawClient post(server->port());
    post.send_text("POST /small HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    CHECK(post.read_all().rfind("HTTP/1.1 405 ", 0) == 0);
    RawClient garbage(server->port());
    garbage.send_text("hello\r\n\r\n");
    CHECK(garbage.read_all().rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(server->requests("/small") == 0);
  }
}

TEST_CASE("write_tar_gz writes crafted entries verbatim") {
  TempDir dir;
  const auto archive = dir / "crafted.tar.gz";
  wasibuild::testing::write_tar_gz(
      archive, {
                   {"top", ArchiveEntry::Type::directory, {}, {}, 0755},
                   {"top/hello.txt", ArchiveEntry::Type::file, "hello\n", {}, 0644},
                   {"top/run.sh", ArchiveEntry::Type::file, "#!/bin/sh\n", {}, 0755},
                   {"../evil", ArchiveEntry::Type::file, "evil\n", {}, 0644},
                   {"/abs/file", ArchiveEntry::Type::file, "abs\n", {}, 0644},
                   {"top/link", ArchiveEntry::Type::symlink, {}, "../../outside", 0777},
                   {"top/hard", ArchiveEntry::Type::hardlink, {}, "top/hello.txt", 0644},
                   {"top/null", ArchiveEntry::Type::char_device, {}, {}, 0666},
                   {"top/pipe", ArchiveEntry::Type::fifo, {}, {}, 0644},
               });
  // -P: GNU tar must not strip "/" or "../" from what it lists.
  const auto listing = run_process({"/usr/bin/tar", "-P", "-tzvf", archive.string()});
  REQUIRE(listing.exit_status == 0);
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; start < listing.out.size(); start = end + 1) {
    end = listing.out.find('\n', start);
    if (end == std::string::npos) end = listing.out.size();
    lines.push_back(listing.out.substr(start, end - start));
  }
  REQUIRE(lines.size() == 9);
  auto ends_with = [](const std::string& text, const std::string& tail) {
    return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
  };
  CHECK(lines[0].rfind("drwxr-xr-x", 0) == 0);
  CHECK(ends_with(lines[0], " top/"));
  CHECK(lines[1].rfind("-rw-r--r--", 0) == 0);
  CHECK(ends_with(lines[1], " top/hello.txt"));
  CHECK(lines[2].rfind("-rwxr-xr-x", 0) == 0);
  CHECK(ends_with(lines[3], " ../evil"));
  CHECK(ends_with(lines[4], " /abs/file"));
  CHECK(lines[5].rfind("lrwxrwxrwx", 0) == 0);
  CHECK(ends_with(lines[5], " top/link -> ../../outside"));
  CHECK(lines[6].rfind("hrw-r--r--", 0) == 0);
  CHECK(ends_with(lines[6], " top/hard link to top/hello.txt"));
  CHECK(lines[7].rfind("crw-rw-rw-", 0) == 0);
  CHECK(lines[8].rfind("prw-r--r--", 0) == 0);

  const auto content = run_process({"/usr/bin/tar", "-P", "-xzOf", archive.string(), "../evil"});
  CHECK(content.out == "evil\n");
}

TEST_CASE("write_tree_tar_gz keeps modes and symlinks under the top directory") {
  TempDir dir;
  const auto tree = dir / "tree";
  fs::create_directories(tree / "bin");
  write_file(tree / "bin" / "tool", "#!/bin/sh\n");
  fs::permissions(tree / "bin" / "tool", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  write_file(tree / "VERSION", "1\n");
  fs::create_symlink("bin/tool", tree / "alias");
  const auto archive = dir / "tree.tar.gz";
  wasibuild::testing::write_tree_tar_gz(archive, tree, "pkg-1.0");
  const auto listing = run_process({"/usr/bin/tar", "-tzvf", archive.string()});
  REQUIRE(listing.exit_status == 0);
  CHECK(contains(listing.out, " pkg-1.0/\n"));
  CHECK(contains(listing.out, " pkg-1.0/bin/\n"));
  CHECK(contains(listing.out, " pkg-1.0/VERSION\n"));
  CHECK(contains(listing.out, " pkg-1.0/alias -> bin/tool\n"));
  CHECK(contains(listing.out, "-rwxr-xr-x root/root        10 "));
  const auto out = dir / "out";
  fs::create_directories(out);
  REQUIRE(run_process({"/usr/bin/tar", "-xzf", archive.string(), "-C", out.string()}).exit_status == 0);
  CHECK(read_file(out / "pkg-1.0" / "bin" / "tool") == "#!/bin/sh\n");
  CHECK(fs::is_symlink(out / "pkg-1.0" / "alias"));
  CHECK((fs::status(out / "pkg-1.0" / "bin" / "tool").permissions() & fs::perms::owner_exec) != fs::perms::none);
}

TEST_CASE("the fake WASI SDK compiles and links C to wasm") {
  TempDir dir;
  const auto top = wasibuild::testing::make_fake_wasi_sdk(dir.path(), "25.0");
  CHECK(top == dir / "wasi-sdk-25.0-x86_64-linux");
  CHECK(read_file(top / "VERSION") == "25.0\n");
  for (const char* tool : {"clang", "clang++", "wasm-ld", "llvm-ar", "llvm-ranlib", "llvm-nm"}) {
    CHECK((fs::status(top / "bin" / tool).permissions() & fs::perms::others_exec) != fs::perms::none);
  }
  CHECK(fs::is_regular_file(top / "share/wasi-sysroot/include/wasm32-wasi/c++/v1/iostream"));
  CHECK(fs::is_regular_file(top / "share/wasi-sysroot/lib/wasm32-wasi/libc++.a"));
  CHECK_FALSE(fs::is_symlink(top / "share/wasi-sysroot/include/wasm32-wasi/c++/v1"));

  write_file(dir / "hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n");
  const auto compiled = run_process({(top / "bin" / "clang").string(), "--target=wasm32-wasi", "-O1",
                                     (dir / "hello.c").string(), "-o", (dir / "hello.wasm").string()});
  INFO(compiled.err);
  REQUIRE(compiled.exit_status == 0);
  CHECK(read_file(dir / "hello.wasm").substr(0, 4) == std::string("\0asm", 4));

  // The wrappers find their sysroot through a symlink and a relative invocation too.
  fs::create_symlink(top / "bin" / "clang", dir / "cc");
  const auto via_link = run_process({"./cc", "--target=wasm32-wasi", "-c", "hello.c", "-o", "hello.o"},
                                    {{}, {}, dir.path()});
  INFO(via_link.err);
  CHECK(via_link.exit_status == 0);
}
