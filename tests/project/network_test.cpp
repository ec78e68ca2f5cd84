// Network grants, end to end, with real WASI 0.2 components: tests/fixtures/
// net/net.c built for wasm32-wasip2 by the toolchain scripts/setup.sh
// assembles (debian-llvm23: Debian sid's wasi-libc, whose wasm32-wasip2
// sysroot has real sockets over wasi:sockets, clang 22 from PyPI's ziglang
// wheel, and crates.io's wasm-component-ld; no official WASI SDK is
// downloadable here), through the drop-in toolchain file. The servers the
// guest talks to are started here, on loopback. Every run has a --timeout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "../support/cmake_project.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kLlvm23Archive = WASIBUILD_TEST_LLVM23_ARCHIVE;

// net.c exits 2 when a call is refused; a component's exit status is 0 or 1
// (its wasi-libc ends exit(n) with wasi:cli/exit's ok or err,
// docs/exit-status.md), so the host sees 1.
constexpr int kRefusedStatus = 1;

// A loopback socket of TYPE bound to an ephemeral port, and that port.
std::pair<int, int> bound_socket(int type) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  return {fd, ntohs(address.sin_port)};
}

// A free loopback TCP port (bound once, then released).
int free_port() {
  const auto [fd, port] = bound_socket(SOCK_STREAM);
  ::close(fd);
  return port;
}

// Echoes "echo <message>" to every connection (TCP) or datagram (UDP)
// until destroyed.
class EchoServer {
 public:
  explicit EchoServer(int type) : type_(type) {
    std::tie(fd_, port_) = bound_socket(type);
    if (type == SOCK_STREAM) REQUIRE(::listen(fd_, 8) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  [[nodiscard]] std::string port() const { return std::to_string(port_); }
  [[nodiscard]] int served() const { return served_; }

 private:
  void serve() {
    while (!stop_) {
      char buffer[256];
      if (type_ == SOCK_DGRAM) {
        sockaddr_in from{};
        socklen_t length = sizeof from;
        const ssize_t got = ::recvfrom(fd_, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &length);
        if (got <= 0) continue;
        const std::string reply = "echo " + std::string(buffer, static_cast<std::size_t>(got));
        (void)::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), length);
      } else {
        const int peer = ::accept(fd_, nullptr, nullptr);
        if (peer < 0) continue;
        const ssize_t got = ::recv(peer, buffer, sizeof buffer, 0);
        if (got > 0) {
          const std::string reply = "echo " + std::string(buffer, static_cast<std::size_t>(got));
          (void)::send(peer, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
        ::close(peer);
      }
      ++served_;
    }
  }

  int type_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  std::thread thread_;
};

constexpr const char* kCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(net C)
include(WasiBuild)
enable_testing()
add_executable(net net.c)
target_compile_options(net PRIVATE -Wall -Wextra -Werror)
# One program listens and connects to itself: granted both, it passes;
# granted only the listen, its connect is refused (exit 2, EACCES).
wasibuild_add_test(NAME loopback COMMAND net loopback ${NET_PORT} TIMEOUT 20s
  NET tcp-listen=127.0.0.1:${NET_PORT} tcp-connect=127.0.0.1:${NET_PORT})
set_tests_properties(loopback PROPERTIES PASS_REGULAR_EXPRESSION "loopback: ping pong")
wasibuild_add_test(NAME connect_denied COMMAND net loopback ${NET_PORT} TIMEOUT 20s
  NET tcp-listen=127.0.0.1:${NET_PORT} trace-denials)
set_tests_properties(connect_denied PROPERTIES
  PASS_REGULAR_EXPRESSION "connect: EACCES"
  FAIL_REGULAR_EXPRESSION "wasm trap")
)";

// The project, configured for wasm32-wasip2 with debian-llvm23, built; or
// false (the test reports itself skipped) without the archive.
bool build_net(CMakeProject& project, int port) {
  if (!use_llvm23_archive(project, kLlvm23Archive)) return false;
  write_file(project.source / "CMakeLists.txt", kCMakeLists);
  fs::copy_file(fixture_source("net/net.c"), project.source / "net.c");
  const auto configured = project.configure({"-DWASIBUILD_TARGET=wasm32-wasip2", "-DNET_PORT=" + std::to_string(port)});
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_status == 0);
  const auto built = project.build_all();
  INFO(built.out << built.err);
  REQUIRE(built.exit_status == 0);
  return true;
}

struct Net {
  CMakeProject project;
  bool built = false;
  int port = free_port();
  Net() { built = build_net(project, port); }
  [[nodiscard]] ProcessResult exec(std::vector<std::string> flags, const std::vector<std::string>& arguments) const {
    flags.insert(flags.begin(), {"--timeout", "20s"});
    flags.push_back((project.build / "net.wasm").string());
    flags.insert(flags.end(), arguments.begin(), arguments.end());
    return project.wasibuild.exec(flags);
  }
};

}  // namespace

TEST_CASE("a component connects where a grant allows, and gets EACCES, not a trap, elsewhere") {
  Net net;
  if (!net.built) return;
  EchoServer server(SOCK_STREAM);
  const std::string at = "127.0.0.1:" + server.port();

  const auto granted = net.exec({"--allow-tcp-connect", at}, {"connect", "127.0.0.1", server.port(), "hello"});
  INFO(granted.out << granted.err);
  CHECK(granted.exit_status == 0);
  CHECK(granted.out == "reply: echo hello\n");

  // With no grant at all, not even a socket is made.
  const auto none = net.exec({}, {"connect", "127.0.0.1", server.port(), "hello"});
  CHECK(none.out == "socket: EACCES\n");
  CHECK(none.exit_status == kRefusedStatus);

  // Another port, another address, a block around neither, a listen grant.
  for (const std::string& other : std::vector<std::string>{"127.0.0.1:" + std::to_string(free_port()),
                                                           "127.0.0.2:" + server.port(), "10.0.0.0/8:*"}) {
    const auto denied = net.exec({"--allow-tcp-connect", other, "--trace-denials"},
                                 {"connect", "127.0.0.1", server.port(), "hello"});
    INFO(other << ": " << denied.out << denied.err);
    CHECK(denied.out == "connect: EACCES\n");
    CHECK(denied.err == "wasibuild: denied: tcp connect " + at + " (grant it with --allow-tcp-connect " + at + ")\n");
    CHECK(denied.exit_status == kRefusedStatus);
  }
  CHECK(net.exec({"--allow-tcp-listen", at}, {"connect", "127.0.0.1", server.port(), "x"}).out == "connect: EACCES\n");
  // Traced with no grant at all: the socket is made, so the refusal has an
  // address to report.
  const auto traced = net.exec({"--trace-denials"}, {"connect", "127.0.0.1", server.port(), "hello"});
  CHECK(traced.out == "connect: EACCES\n");
  CHECK(traced.err == "wasibuild: denied: tcp connect " + at + " (grant it with --allow-tcp-connect " + at + ")\n");
  // Ranges and localhost cover it.
  CHECK(net.exec({"--allow-tcp-connect", "localhost:1-65535"}, {"connect", "127.0.0.1", server.port(), "range"}).out ==
        "reply: echo range\n");
  CHECK(server.served() == 2);
}

TEST_CASE("a component listens and accepts one loopback connection where a listen grant allows") {
  Net net;
  if (!net.built) return;
  const std::string port = std::to_string(free_port());
  std::string reply;
  std::thread client([&] {
    // Connects once the guest listens (it prints "listening" first).
    for (int attempt = 0; attempt < 400 && reply.empty(); ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port)));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        (void)::send(fd, "knock", 5, MSG_NOSIGNAL);
        char buffer[64];
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got > 0) reply.assign(buffer, static_cast<std::size_t>(got));
      }
      ::close(fd);
    }
  });
  const auto served = net.exec({"--allow-tcp-listen", "127.0.0.1:" + port}, {"serve", port});
  client.join();
  INFO(served.out << served.err);
  CHECK(served.exit_status == 0);
  CHECK(served.out == "listening\nserved: knock\n");
  CHECK(reply == "served knock");

  const auto denied = net.exec({"--allow-tcp-listen", "127.0.0.1:" + std::to_string(free_port())}, {"serve", port});
  CHECK(denied.out == "bind: EACCES\n");
  CHECK(denied.exit_status == kRefusedStatus);
}

TEST_CASE("a UDP round trip where a grant allows it, and EACCES where none does") {
  Net net;
  if (!net.built) return;
  EchoServer server(SOCK_DGRAM);
  const auto granted = net.exec({"--allow-udp", "127.0.0.1:" + server.port()}, {"udp", "127.0.0.1", server.port(), "dgram"});
  INFO(granted.out << granted.err);
  CHECK(granted.exit_status == 0);
  CHECK(granted.out == "reply: echo dgram\n");
  const auto denied = net.exec({"--allow-udp", "127.0.0.1:" + std::to_string(free_port())},
                               {"udp", "127.0.0.1", server.port(), "dgram"});
  CHECK(denied.out.find("EACCES") != std::string::npos);
  CHECK(denied.exit_status == kRefusedStatus);
}

TEST_CASE("name lookups need --allow-dns") {
  Net net;
  if (!net.built) return;
  const auto denied = net.exec({}, {"resolve", "localhost"});
  INFO(denied.out << denied.err);
  CHECK(denied.exit_status == kRefusedStatus);
  CHECK(denied.out.rfind("getaddrinfo: ", 0) == 0);
  const auto allowed = net.exec({"--allow-dns"}, {"resolve", "localhost"});
  INFO(allowed.out << allowed.err);
  CHECK(allowed.exit_status == 0);
  CHECK(allowed.out == "address: 127.0.0.1\n");
}

TEST_CASE("a component gets the directory grants a module gets, and nothing beyond them") {
  Net net;
  if (!net.built) return;
  TempDir data;
  write_file(data / "granted.txt", "inside\n");
  write_file(data.path().parent_path() / (data.path().filename().string() + "-outside.txt"), "outside\n");
  const auto granted = net.exec({"--dir-ro", data.path().string() + "::/data"}, {"read", "/data/granted.txt"});
  INFO(granted.out << granted.err);
  CHECK(granted.out == "line: inside\n");
  CHECK(granted.exit_status == 0);
  const auto escape = net.exec({"--dir-ro", data.path().string() + "::/data"},
                               {"read", "/data/../" + data.path().filename().string() + "-outside.txt"});
  CHECK(escape.out.rfind("fopen: ", 0) == 0);
  CHECK(escape.exit_status == kRefusedStatus);
  CHECK(net.exec({}, {"read", (data / "granted.txt").string()}).out.rfind("fopen: ", 0) == 0);
  fs::remove(data.path().parent_path() / (data.path().filename().string() + "-outside.txt"));
}

TEST_CASE("CTest runs a project's socket tests with the grants wasibuild_add_test(NET) gives") {
  Net net;
  if (!net.built) return;
  const auto ran = net.project.ctest();
  INFO(ran.out << ran.err);
  CHECK(ran.exit_status == 0);
  CHECK(ran.out.find("100% tests passed, 0 tests failed out of 2") != std::string::npos);
}
