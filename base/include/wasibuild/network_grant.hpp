// Network grants as written: "HOST:PORT" for a use (connect, listen,
// UDP). Parsed here, below every part, so that wasibuild.toml is checked
// when it is loaded and flags when they are read, by the same rules; what a
// grant allows is the runner's (runner/src/network.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wasibuild::base {

enum class NetworkUse {
  tcp_connect,  // connect to ADDR:PORT (an implicit bind to an ephemeral port comes with it)
  tcp_listen,   // bind and listen on ADDR:PORT, and accept whoever connects
  udp,          // bind ADDR (the given or an ephemeral port), and exchange datagrams with ADDR:PORT
};

// An address range (one address, a CIDR block, or every address) and a
// port range. IPv4 addresses are kept as IPv4-mapped IPv6 (::ffff:a.b.c.d),
// so a grant of 127.0.0.1 also matches a v6 socket's ::ffff:127.0.0.1.
struct NetworkGrant {
  NetworkUse use = NetworkUse::tcp_connect;
  std::array<std::uint8_t, 16> address = {};
  unsigned prefix_bits = 128;  // 0: every address
  std::uint16_t first_port = 0;
  std::uint16_t last_port = 65535;
  std::string text;  // as the user wrote it, for messages
};

// Parses "HOST:PORT": HOST is an IPv4 address, [IPv6], either with a
// /PREFIX (a CIDR block), `localhost` (127.0.0.1 and [::1]: two grants) or
// `*`; PORT is a number, FIRST-LAST, or `*`. Host names are refused: a
// grant is checked against the address the guest uses, which a name cannot
// be matched to once resolved (docs/security.md#network). The error names
// the problem, without the text.
[[nodiscard]] std::variant<std::vector<NetworkGrant>, std::string> parse_network_grant(NetworkUse use,
                                                                                     std::string_view text);

}  // namespace wasibuild::base
