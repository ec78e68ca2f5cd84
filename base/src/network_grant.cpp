#include "wasibuild/network_grant.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace wasibuild::base {

namespace {

// IPv4 addresses are kept IPv4-mapped: ::ffff:a.b.c.d.
constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr unsigned kMappedPrefixBits = 96;

// `text`, as messages quote what the user wrote.
std::string quoted(std::string_view text) {
  std::string out(1, '`');
  out.append(text);
  out.push_back('`');
  return out;
}

std::array<std::uint8_t, 16> mapped(const std::uint8_t (&v4)[4]) {
  std::array<std::uint8_t, 16> address = {};
  std::copy(std::begin(kMappedPrefix), std::end(kMappedPrefix), address.begin());
  std::copy(std::begin(v4), std::end(v4), address.begin() + 12);
  return address;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// "8080", "8000-8099" or "*" into the grant; false if malformed.
bool parse_ports(std::string_view text, NetworkGrant& grant) {
  if (text == "*") return true;
  const auto dash = text.find('-');
  const auto first = parse_port(text.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : parse_port(text.substr(dash + 1));
  if (!first || !last || *first > *last) return false;
  grant.first_port = *first;
  grant.last_port = *last;
  return true;
}

// "127.0.0.1", "10.0.0.0/8", "[::1]", "[fd00::]/8" into the grant.
std::optional<std::string> parse_host(std::string_view text, NetworkGrant& grant) {
  // The prefix may follow the brackets or sit inside them: [fd00::]/8, [fd00::/8].
  std::string spelled(text);
  std::string prefix;
  if (const auto slash = spelled.find('/'); slash != std::string::npos) {
    const auto end = spelled.find(']', slash);
    prefix = spelled.substr(slash + 1, end == std::string::npos ? std::string::npos : end - slash - 1);
    spelled.erase(slash, prefix.size() + 1);
  }
  const bool bracketed = spelled.size() >= 2 && spelled.front() == '[' && spelled.back() == ']';
  const std::string host = bracketed ? spelled.substr(1, spelled.size() - 2) : spelled;
  std::uint8_t v4[4];
  unsigned max_bits = 128;
  unsigned offset = 0;
  if (!bracketed && ::inet_pton(AF_INET, host.c_str(), v4) == 1) {
    grant.address = mapped(v4);
    max_bits = 32;
    offset = kMappedPrefixBits;
  } else if (bracketed && ::inet_pton(AF_INET6, host.c_str(), grant.address.data()) == 1) {
  } else if (!bracketed && host.find(':') != std::string::npos) {
    return "write an IPv6 address in brackets, as [::1]:PORT";
  } else {
    return quoted(host) + " is not a numeric address: grants name addresses (IPv4, [IPv6], a CIDR block, "
           "localhost or *), because a name cannot be matched once the guest has resolved it";
  }
  grant.prefix_bits = max_bits + offset;
  if (!prefix.empty()) {
    const auto bits = parse_port(prefix);
    if (!bits || *bits > max_bits) return quoted("/" + prefix) + " is not a prefix length of 0 to " + std::to_string(max_bits);
    grant.prefix_bits = *bits + offset;
  }
  return std::nullopt;
}

}  // namespace

std::variant<std::vector<NetworkGrant>, std::string> parse_network_grant(NetworkUse use, std::string_view text) {
  const auto colon = text.rfind(':');
  const bool bracketed = !text.empty() && text.front() == '[';
  if (!bracketed && text.find(':') != colon) return std::string("write an IPv6 address in brackets, as [::1]:PORT");
  if (colon == std::string_view::npos || colon == 0 ||
      (bracketed && text[colon - 1] != ']' && text.find("]/") == std::string_view::npos)) {
    return std::string("expected HOST:PORT (an address and a port, range or *), as 127.0.0.1:8080 or [::1]:*");
  }
  const std::string_view host = text.substr(0, colon);
  NetworkGrant grant{.use = use, .text = std::string(text)};
  if (!parse_ports(text.substr(colon + 1), grant)) {
    return quoted(text.substr(colon + 1)) + " is not a port, a range FIRST-LAST of ports (0 to 65535), or *";
  }
  if (host == "*") {
    grant.prefix_bits = 0;
    return std::vector<NetworkGrant>{grant};
  }
  if (host == "localhost") {
    NetworkGrant v4 = grant;
    NetworkGrant v6 = grant;
    (void)parse_host("127.0.0.1", v4);
    (void)parse_host("[::1]", v6);
    return std::vector<NetworkGrant>{v4, v6};
  }
  if (auto error = parse_host(host, grant)) return *error;
  return std::vector<NetworkGrant>{grant};
}

}  // namespace wasibuild::base
