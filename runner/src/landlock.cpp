#include "landlock.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define WASIBUILD_LEAK_CHECK_AVAILABLE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define WASIBUILD_LEAK_CHECK_AVAILABLE 1
#endif
#endif
#ifdef WASIBUILD_LEAK_CHECK_AVAILABLE
#include <sanitizer/lsan_interface.h>
#endif

namespace wasibuild::runner {

namespace {

// Newer than Debian 12's <linux/landlock.h>; the values are kernel ABI.
constexpr std::uint64_t kFsTruncate = 1ULL << 14;  // ABI 3
constexpr std::uint64_t kFsIoctlDev = 1ULL << 15;  // ABI 5
constexpr std::uint64_t kNetBindTcp = 1ULL << 0;   // ABI 4
constexpr std::uint64_t kNetConnectTcp = 1ULL << 1;
constexpr int kRuleNetPort = 2;                   // ABI 4: LANDLOCK_RULE_NET_PORT
constexpr std::uint64_t kScopeAbstractUnixSocket = 1ULL << 0;  // ABI 6
constexpr std::uint64_t kScopeSignal = 1ULL << 1;

// struct landlock_ruleset_attr as of ABI 6; older kernels take a prefix.
struct RulesetAttr {
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;
  std::uint64_t scoped = 0;
};

// struct landlock_net_port_attr (ABI 4), packed as the kernel has it.
struct __attribute__((packed)) NetPortAttr {
  std::uint64_t allowed_access;
  std::uint64_t port;
};

// Landlock knows TCP ports, not addresses (the engine's check does those).
// A grant of more ports than this is not spelled out port by port: the
// access it needs is then left unhandled by Landlock, so the engine's
// check alone decides, as on a kernel without ABI 4.
constexpr unsigned kMostPortRules = 1024;

struct TcpPorts {
  std::vector<std::uint16_t> bind, connect;
  bool any_bind = false, any_connect = false;
};

// The TCP ports Landlock must let the process bind and connect to, for the
// network grants: a connect grant its ports (connect's own binding of an
// ephemeral port is no bind(2), which Landlock checks), a listen grant its
// ports. UDP is not Landlock's (no ABI handles it).
TcpPorts tcp_ports(const std::vector<NetworkGrant>& network) {
  TcpPorts ports;
  for (const NetworkGrant& grant : network) {
    if (grant.use == NetworkUse::udp) continue;
    const bool connect = grant.use == NetworkUse::tcp_connect;
    auto& list = connect ? ports.connect : ports.bind;
    bool& any = connect ? ports.any_connect : ports.any_bind;
    if (unsigned{grant.last_port} - grant.first_port + 1 > kMostPortRules) {
      any = true;
      continue;
    }
    for (unsigned port = grant.first_port; port <= grant.last_port; ++port) list.push_back(static_cast<std::uint16_t>(port));
  }
  return ports;
}

// Adds one rule per port; false (errno set) when the kernel refuses one.
bool allow_ports(int ruleset, std::uint64_t access, const std::vector<std::uint16_t>& ports) {
  for (const std::uint16_t port : ports) {
    NetPortAttr rule{access, port};
    if (::syscall(SYS_landlock_add_rule, ruleset, kRuleNetPort, &rule, 0) != 0) return false;
  }
  return true;
}

constexpr std::uint16_t kDnsPort = 53;

constexpr std::uint64_t kReadOnly = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;

std::uint64_t handled_fs_access(int abi) {
  std::uint64_t access = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: execute .. make_sym
  if (abi >= 2) access |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) access |= kFsTruncate;
  if (abi >= 5) access |= kFsIoctlDev;
  return access;
}

// What a read-write grant allows: everything but executing files and making
// devices (a guest can do neither through WASI anyway).
std::uint64_t read_write_access(int abi) {
  return handled_fs_access(abi) &
         ~(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK | kFsIoctlDev);
}

// What the host's resolver reads when --allow-dns lets the guest look up
// names (glibc's files and dns sources are part of libc since 2.34). A
// file that does not exist is skipped.
bool allow_resolver_files(int ruleset) {
  for (const char* file : {"/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf"}) {
    const int fd = ::open(file, O_PATH | O_CLOEXEC);
    if (fd < 0) continue;
    landlock_path_beneath_attr rule{};
    rule.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE;
    rule.parent_fd = fd;
    const long added = ::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    ::close(fd);
    if (added != 0) return false;
  }
  return true;
}

std::string failed(const char* step) { return std::string(step) + ": " + std::strerror(errno); }

// LeakSanitizer checks at exit, reading /proc and starting a symbolizer:
// neither is possible once confined. In a build with it (the test suite's
// sanitizer build, never a release) the check runs just before confinement
// instead, which also turns off the one at exit.
void check_leaks_before_confinement() {
#ifdef WASIBUILD_LEAK_CHECK_AVAILABLE
  __lsan_do_leak_check();
#endif
}

}  // namespace

int landlock_version() {
  const long version = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return version > 0 ? static_cast<int>(version) : 0;
}

std::optional<std::string> confine_to_grants(const std::vector<DirectoryGrant>& grants,
                                             const NetworkPolicy& network) {
  const int abi = landlock_version();
  if (abi == 0) return std::nullopt;
  RulesetAttr attr;
  attr.handled_access_fs = handled_fs_access(abi);
  std::size_t size = sizeof attr.handled_access_fs;
  TcpPorts ports = tcp_ports(network.grants);
  if (network.name_lookup) ports.connect.push_back(kDnsPort);  // the resolver's fallback to TCP
  if (abi >= 4) {
    // Without a rule, no TCP at all; with grants, their ports only.
    attr.handled_access_net = (ports.any_bind ? 0 : kNetBindTcp) | (ports.any_connect ? 0 : kNetConnectTcp);
    size += sizeof attr.handled_access_net;
  }
  if (abi >= 6) {
    attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
    size += sizeof attr.scoped;
  }
  const int ruleset = static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, size, 0));
  if (ruleset < 0) return failed("landlock_create_ruleset");
  std::optional<std::string> error;
  for (const DirectoryGrant& grant : grants) {
    const int directory = ::open(grant.host.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (directory < 0) {
      error = failed(grant.host.c_str());
      break;
    }
    landlock_path_beneath_attr rule{};
    rule.allowed_access = grant.access == Access::read_only ? kReadOnly : read_write_access(abi);
    // A link's target is not checked by anyone: where links must stay
    // contained, the guest makes none (Wasmtime's WASI stores any target).
    if (grant.guest_links == GuestLinks::contained) rule.allowed_access &= ~std::uint64_t{LANDLOCK_ACCESS_FS_MAKE_SYM};
    rule.parent_fd = directory;
    const long added = ::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    ::close(directory);
    if (added != 0) {
      error = failed("landlock_add_rule");
      break;
    }
  }
  if (!error && network.name_lookup && !allow_resolver_files(ruleset)) error = failed("landlock_add_rule (resolver)");
  if (!error && abi >= 4 &&
      (!allow_ports(ruleset, kNetBindTcp, ports.any_bind ? std::vector<std::uint16_t>{} : ports.bind) ||
       !allow_ports(ruleset, kNetConnectTcp, ports.any_connect ? std::vector<std::uint16_t>{} : ports.connect))) {
    error = failed("landlock_add_rule (a TCP port)");
  }
  if (!error) check_leaks_before_confinement();
  if (!error && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) error = failed("prctl(PR_SET_NO_NEW_PRIVS)");
  if (!error && ::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) error = failed("landlock_restrict_self");
  ::close(ruleset);
  return error;
}

}  // namespace wasibuild::runner
