// Network grants: what "HOST:PORT" parses to, and which socket uses of which
// addresses each kind of grant allows (deny by default).
#include <doctest/doctest.h>

#include <arpa/inet.h>

#include "network.hpp"

using namespace wasibuild::runner;

namespace {

std::vector<NetworkGrant> grants(NetworkUse use, std::string_view text) {
  auto parsed = parse_network_grant(use, text);
  INFO(text);
  REQUIRE(std::holds_alternative<std::vector<NetworkGrant>>(parsed));
  return std::get<std::vector<NetworkGrant>>(parsed);
}

std::string problem(std::string_view text) {
  auto parsed = parse_network_grant(NetworkUse::tcp_connect, text);
  return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "";
}

// An address as the engine reports it: IPv4 ("127.0.0.1") or IPv6 ("::1").
SocketAddress at(const char* host, std::uint16_t port) {
  SocketAddress address{.port = port};
  std::uint8_t v4[4];
  if (::inet_pton(AF_INET, host, v4) == 1) {
    address.ipv4 = true;
    address.address = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, v4[0], v4[1], v4[2], v4[3]};
  } else {
    REQUIRE(::inet_pton(AF_INET6, host, address.address.data()) == 1);
  }
  return address;
}

}  // namespace

TEST_CASE("grants parse addresses, blocks, localhost, * and port ranges; names and junk are refused") {
  CHECK(grants(NetworkUse::tcp_connect, "127.0.0.1:8080").size() == 1);
  CHECK(grants(NetworkUse::tcp_connect, "[::1]:*").size() == 1);
  CHECK(grants(NetworkUse::tcp_connect, "10.0.0.0/8:1-1024").size() == 1);
  CHECK(grants(NetworkUse::tcp_connect, "[fd00::]/8:53").size() == 1);
  CHECK(grants(NetworkUse::tcp_connect, "[fd00::/8]:53").size() == 1);
  CHECK(grants(NetworkUse::tcp_connect, "localhost:80").size() == 2);
  CHECK(grants(NetworkUse::tcp_connect, "*:443").front().prefix_bits == 0);

  CHECK(problem("example.com:80").find("not a numeric address") != std::string::npos);
  CHECK(problem("::1:80").find("in brackets") != std::string::npos);
  CHECK(problem("127.0.0.1").find("expected HOST:PORT") != std::string::npos);
  CHECK(problem("[::1]").find("expected HOST:PORT") != std::string::npos);
  CHECK(problem("127.0.0.1:65536").find("is not a port") != std::string::npos);
  CHECK(problem("127.0.0.1:90-80").find("is not a port") != std::string::npos);
  CHECK(problem("127.0.0.1:http").find("is not a port") != std::string::npos);
  CHECK(problem("127.0.0.1/33:80").find("prefix length of 0 to 32") != std::string::npos);
  CHECK(problem("[::1]/129:80").find("prefix length of 0 to 128") != std::string::npos);
  CHECK(problem(":80").find("expected HOST:PORT") != std::string::npos);
  CHECK(problem("").find("expected HOST:PORT") != std::string::npos);
}

TEST_CASE("a connect grant allows that address and port, and the implicit bind, nothing else") {
  const auto allowed = grants(NetworkUse::tcp_connect, "127.0.0.1:8080");
  CHECK(network_allows(allowed, SocketUse::tcp_connect, at("127.0.0.1", 8080)));
  CHECK(network_allows(allowed, SocketUse::tcp_connect, at("::ffff:127.0.0.1", 8080)));  // a v6 socket's form
  CHECK(network_allows(allowed, SocketUse::tcp_bind, at("0.0.0.0", 0)));
  CHECK(network_allows(allowed, SocketUse::tcp_bind, at("::", 0)));
  CHECK_FALSE(network_allows(allowed, SocketUse::tcp_connect, at("127.0.0.1", 8081)));
  CHECK_FALSE(network_allows(allowed, SocketUse::tcp_connect, at("127.0.0.2", 8080)));
  CHECK_FALSE(network_allows(allowed, SocketUse::tcp_connect, at("::1", 8080)));
  CHECK_FALSE(network_allows(allowed, SocketUse::tcp_bind, at("127.0.0.1", 8080)));  // an explicit bind is a listen's
  CHECK_FALSE(network_allows(allowed, SocketUse::tcp_listen, at("0.0.0.0", 0)));
  CHECK_FALSE(network_allows(allowed, SocketUse::udp_send, at("127.0.0.1", 8080)));
  CHECK_FALSE(network_allows({}, SocketUse::tcp_connect, at("127.0.0.1", 8080)));  // no grant, nothing
  CHECK_FALSE(network_allows({}, SocketUse::tcp_bind, at("127.0.0.1", 0)));
  CHECK_FALSE(network_allows({}, SocketUse::udp_send, at("127.0.0.1", 53)));
  CHECK(network_allows({}, SocketUse::udp_bind, at("::", 0)));  // an unbound socket's bind, before its checked use

  const auto block = grants(NetworkUse::tcp_connect, "10.1.0.0/16:1000-2000");
  CHECK(network_allows(block, SocketUse::tcp_connect, at("10.1.255.3", 1000)));
  CHECK(network_allows(block, SocketUse::tcp_connect, at("10.1.0.0", 2000)));
  CHECK_FALSE(network_allows(block, SocketUse::tcp_connect, at("10.2.0.1", 1500)));
  CHECK_FALSE(network_allows(block, SocketUse::tcp_connect, at("10.1.0.1", 2001)));
  CHECK_FALSE(network_allows(block, SocketUse::tcp_connect, at("::a01:1", 1500)));  // not the mapped form

  const auto v6 = grants(NetworkUse::tcp_connect, "[fd00::]/8:*");
  CHECK(network_allows(v6, SocketUse::tcp_connect, at("fdff::1", 1)));
  CHECK_FALSE(network_allows(v6, SocketUse::tcp_connect, at("fe00::1", 1)));
  const auto any = grants(NetworkUse::tcp_connect, "*:443");
  CHECK(network_allows(any, SocketUse::tcp_connect, at("203.0.113.9", 443)));
  CHECK(network_allows(any, SocketUse::tcp_connect, at("2001:db8::1", 443)));
  CHECK_FALSE(network_allows(any, SocketUse::tcp_connect, at("203.0.113.9", 80)));
}

TEST_CASE("a listen grant allows bind and listen there, and accepting peers; a UDP grant its peer and ports") {
  const auto listen = grants(NetworkUse::tcp_listen, "127.0.0.1:9000");
  CHECK(network_allows(listen, SocketUse::tcp_bind, at("127.0.0.1", 9000)));
  CHECK(network_allows(listen, SocketUse::tcp_listen, at("127.0.0.1", 9000)));
  CHECK(network_allows(listen, SocketUse::tcp_accept, at("127.0.0.1", 51234)));
  CHECK_FALSE(network_allows(listen, SocketUse::tcp_bind, at("0.0.0.0", 9000)));  // every interface was not granted
  CHECK_FALSE(network_allows(listen, SocketUse::tcp_listen, at("0.0.0.0", 0)));  // an implicit bind: every interface
  CHECK_FALSE(network_allows(listen, SocketUse::tcp_bind, at("127.0.0.1", 9001)));
  CHECK_FALSE(network_allows(listen, SocketUse::tcp_connect, at("127.0.0.1", 9000)));

  const auto udp = grants(NetworkUse::udp, "127.0.0.1:5353");
  CHECK(network_allows(udp, SocketUse::udp_bind, at("127.0.0.1", 0)));
  CHECK(network_allows(udp, SocketUse::udp_bind, at("127.0.0.1", 5353)));
  CHECK(network_allows(udp, SocketUse::udp_bind, at("0.0.0.0", 0)));
  CHECK(network_allows(udp, SocketUse::udp_send, at("127.0.0.1", 5353)));
  CHECK(network_allows(udp, SocketUse::udp_receive, at("127.0.0.1", 5353)));
  CHECK_FALSE(network_allows(udp, SocketUse::udp_send, at("127.0.0.1", 5354)));
  CHECK_FALSE(network_allows(udp, SocketUse::udp_receive, at("127.0.0.2", 5353)));
  CHECK_FALSE(network_allows(udp, SocketUse::udp_bind, at("127.0.0.1", 6000)));
  CHECK_FALSE(network_allows(udp, SocketUse::tcp_connect, at("127.0.0.1", 5353)));
}

TEST_CASE("addresses are written as the flags take them") {
  CHECK(address_text(at("127.0.0.1", 80)) == "127.0.0.1:80");
  CHECK(address_text(at("::1", 53)) == "[::1]:53");
  CHECK(address_text(at("::ffff:10.0.0.1", 7)) == "10.0.0.1:7");
}
