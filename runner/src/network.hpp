// Network grants for components: parsing "HOST:PORT", matching an address
// the guest uses against the grants, and handing the check to the engine.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <wasmtime.hh>

#include "wasibuild/runner.hpp"

namespace wasibuild::runner {

// How the engine uses a socket address (the shim's codes, in this order).
enum class SocketUse : std::uint32_t { tcp_bind, tcp_listen, tcp_accept, tcp_connect, udp_bind, udp_send, udp_receive };

struct SocketAddress {
  std::array<std::uint8_t, 16> address = {};  // IPv4 as IPv4-mapped IPv6
  std::uint16_t port = 0;
  bool ipv4 = false;
};

// Whether the grants allow `use` of `address`:
// - a bind to the unspecified address at port 0 is always allowed (before a
//   connect or send on an unbound socket Wasmtime asks for it, and binds
//   nothing; an explicit one only takes an ephemeral port, which Landlock
//   refuses unless a grant covers port 0); every later use is checked;
// - tcp_connect grants give connect to their addresses;
// - tcp_listen grants give bind and listen on exactly their addresses and
//   ports (a program binds port 0 only under a grant of `*` or a range
//   holding 0, and then listens on the port it got), and accept from anyone;
// - udp grants give bind on their addresses at their ports or port 0, and
//   send to and receive from their addresses and ports.
[[nodiscard]] bool network_allows(const std::vector<NetworkGrant>& grants, SocketUse use,
                                  const SocketAddress& address);

// "127.0.0.1:8080", "[::1]:53".
[[nodiscard]] std::string address_text(const SocketAddress& address);

// Switches TCP, UDP and name lookups on in `wasi` as far as `policy` grants
// them, with the grants checked per address (through the shim's C function,
// docs/design-notes.md). Nothing for an empty policy: the engine's default
// denies every socket.
void grant_network(wasmtime::WasiConfig& wasi, const NetworkPolicy& policy);

}  // namespace wasibuild::runner
