#include "landlock.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

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
constexpr std::uint64_t kScopeAbstractUnixSocket = 1ULL << 0;  // ABI 6
constexpr std::uint64_t kScopeSignal = 1ULL << 1;

// struct landlock_ruleset_attr as of ABI 6; older kernels take a prefix.
struct RulesetAttr {
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;
  std::uint64_t scoped = 0;
};

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

std::optional<std::string> confine_to_grants(const std::vector<DirectoryGrant>& grants) {
  const int abi = landlock_version();
  if (abi == 0) return std::nullopt;
  RulesetAttr attr;
  attr.handled_access_fs = handled_fs_access(abi);
  std::size_t size = sizeof attr.handled_access_fs;
  if (abi >= 4) {
    attr.handled_access_net = kNetBindTcp | kNetConnectTcp;  // no rule: no TCP at all
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
  if (!error) check_leaks_before_confinement();
  if (!error && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) error = failed("prctl(PR_SET_NO_NEW_PRIVS)");
  if (!error && ::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) error = failed("landlock_restrict_self");
  ::close(ruleset);
  return error;
}

}  // namespace wasibuild::runner
