#include "network.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace wasibuild::runner {

namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::array<std::uint8_t, 16> mapped(const std::uint8_t (&v4)[4]) {
  std::array<std::uint8_t, 16> address = {};
  std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), address.begin());
  std::copy(std::begin(v4), std::end(v4), address.begin() + 12);
  return address;
}

bool is_mapped_v4(const std::array<std::uint8_t, 16>& address) {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.begin());
}

bool is_unspecified(const std::array<std::uint8_t, 16>& address) {
  const bool all_zero = std::all_of(address.begin(), address.end(), [](std::uint8_t byte) { return byte == 0; });
  const bool v4_zero = is_mapped_v4(address) && std::all_of(address.begin() + 12, address.end(),
                                                           [](std::uint8_t byte) { return byte == 0; });
  return all_zero || v4_zero;
}

bool in_range(const NetworkGrant& grant, const std::array<std::uint8_t, 16>& address) {
  unsigned bits = std::min(grant.prefix_bits, 128u);
  for (std::size_t i = 0; bits > 0; ++i) {
    const unsigned take = std::min(bits, 8u);
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((grant.address[i] & mask) != (address[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

bool port_in(const NetworkGrant& grant, std::uint16_t port) { return port >= grant.first_port && port <= grant.last_port; }

bool allows(const NetworkGrant& grant, SocketUse use, const SocketAddress& socket) {
  const bool exact = in_range(grant, socket.address) && port_in(grant, socket.port);
  switch (grant.use) {
    case NetworkUse::tcp_connect: return use == SocketUse::tcp_connect && exact;
    case NetworkUse::tcp_listen:
      // Exactly there: an implicit bind would listen on every interface.
      if (use == SocketUse::tcp_accept) return true;
      return (use == SocketUse::tcp_bind || use == SocketUse::tcp_listen) && exact;
    case NetworkUse::udp:
      if (use == SocketUse::udp_bind) return in_range(grant, socket.address) && (socket.port == 0 || port_in(grant, socket.port));
      return (use == SocketUse::udp_send || use == SocketUse::udp_receive) && exact;
  }
  return false;
}

void report(const NetworkPolicy& policy, SocketUse use, const SocketAddress& address) {
  if (!policy.on_denial) return;
  static constexpr const char* kActions[] = {"tcp bind", "tcp listen", "tcp accept", "tcp connect",
                                             "udp bind", "udp send", "udp receive"};
  const std::string where = address_text(address);
  std::string grant;
  switch (use) {
    case SocketUse::tcp_connect: grant = "--allow-tcp-connect " + where; break;
    case SocketUse::tcp_bind:
    case SocketUse::tcp_listen: grant = "--allow-tcp-listen " + where; break;
    case SocketUse::udp_bind:
    case SocketUse::udp_send:
    case SocketUse::udp_receive: grant = "--allow-udp " + where; break;
    case SocketUse::tcp_accept: break;
  }
  policy.on_denial(Denial{kActions[static_cast<std::uint32_t>(use)], where, grant});
}

// The shim's C ABI (runner/wasmtime-shim/src/network.rs).
struct ShimAddress {
  std::uint8_t family;
  std::uint8_t bytes[16];
  std::uint16_t port;
};
extern "C" {
using ShimCheck = bool (*)(void* data, std::uint32_t use, const ShimAddress* address);
void wasibuild_wasi_config_network(wasi_config_t* config, bool tcp, bool udp, bool dns, ShimCheck check, void* data,
                                   void (*finalize)(void*));
}

// Called from Rust: nothing may unwind through it, so any failure (an
// allocation in the report) is a refusal.
bool check_from_engine(void* data, std::uint32_t use_code, const ShimAddress* shim) noexcept try {
  const auto& policy = *static_cast<const NetworkPolicy*>(data);
  if (use_code > static_cast<std::uint32_t>(SocketUse::udp_receive)) return false;
  SocketAddress address{.port = shim->port, .ipv4 = shim->family == 4};
  if (address.ipv4) {
    address.address = mapped({shim->bytes[0], shim->bytes[1], shim->bytes[2], shim->bytes[3]});
  } else {
    std::copy(std::begin(shim->bytes), std::end(shim->bytes), address.address.begin());
  }
  const auto use = static_cast<SocketUse>(use_code);
  if (network_allows(policy.grants, use, address)) return true;
  report(policy, use, address);
  return false;
} catch (...) {
  return false;
}

}  // namespace

bool network_allows(const std::vector<NetworkGrant>& grants, SocketUse use, const SocketAddress& address) {
  // The unspecified address at port 0: the permission Wasmtime asks for
  // before a connect or send on an unbound socket (it binds nothing itself),
  // or an explicit bind to an ephemeral port on every interface, which
  // Landlock refuses without a grant of port 0. Neither reaches a peer or
  // takes a port of the guest's choosing: every later use is checked.
  if ((use == SocketUse::tcp_bind || use == SocketUse::udp_bind) && is_unspecified(address.address) &&
      address.port == 0) {
    return true;
  }
  return std::any_of(grants.begin(), grants.end(), [&](const NetworkGrant& grant) { return allows(grant, use, address); });
}

std::string address_text(const SocketAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ipv4 || is_mapped_v4(address.address)) {
    ::inet_ntop(AF_INET, address.address.data() + 12, text, sizeof text);
    return fmt::format("{}:{}", text, address.port);
  }
  ::inet_ntop(AF_INET6, address.address.data(), text, sizeof text);
  return fmt::format("[{}]:{}", text, address.port);
}

void grant_network(wasmtime::WasiConfig& wasi, const NetworkPolicy& policy) {
  // Traced, sockets are made and each address refused by the check, so
  // that every refusal is reported; untraced, a kind no grant names is off
  // in the engine, and socket() itself fails.
  const bool traced = static_cast<bool>(policy.on_denial);
  if (policy.empty() && !traced) return;
  const auto any = [&](NetworkUse use) {
    return std::any_of(policy.grants.begin(), policy.grants.end(), [&](const NetworkGrant& grant) { return grant.use == use; });
  };
  // The engine keeps the check (and with it this copy) as long as the WASI
  // context lives, on whichever thread that ends.
  auto* copy = new NetworkPolicy(policy);
  wasibuild_wasi_config_network(
      wasi.capi(), traced || any(NetworkUse::tcp_connect) || any(NetworkUse::tcp_listen), traced || any(NetworkUse::udp),
      policy.name_lookup, check_from_engine, copy, [](void* data) { delete static_cast<NetworkPolicy*>(data); });
}

}  // namespace wasibuild::runner
