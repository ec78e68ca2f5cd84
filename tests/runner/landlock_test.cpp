// The kernel's second wall: after confine_to_grants, this process reaches
// only its grants, whatever code asks. Tried in a forked child with real
// files, as the runner would be confined.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "landlock.hpp"
#include "process.hpp"

using namespace wasibuild;
using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

// One bit per expectation that held; the child exits with the mask.
enum Check : int {
  reads_read_only = 1,
  cannot_write_read_only = 2,
  writes_read_write = 4,
  cannot_read_outside = 8,
  cannot_create_outside = 16,
  cannot_connect = 32,
};

bool opens(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

// A loopback listener made before confinement (binding is governed too).
struct Listener {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  Listener() {
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), size) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  }
  ~Listener() { ::close(fd); }
  [[nodiscard]] bool accepts_a_connection() const {
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    const bool connected = ::connect(client, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(client);
    return connected;
  }
};

}  // namespace

TEST_CASE("attack: once confined - the runner's process reaches only its grants" * doctest::test_suite("attack")) {
  if (runner::landlock_version() == 0) {
    MESSAGE("SKIPPED: this kernel has no Landlock");
    return;
  }
  TempDir dir;
  fs::create_directories(dir / "ro");
  fs::create_directories(dir / "rw");
  fs::create_directories(dir / "outside");
  write_file(dir / "ro/data", "data");
  write_file(dir / "outside/secret", "secret");
  const Listener listener;
  REQUIRE(listener.accepts_a_connection());
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const auto error = runner::confine_to_grants(
        {{dir / "ro", "/ro", runner::Access::read_only}, {dir / "rw", "/rw", runner::Access::read_write}});
    if (error) ::_exit(255);
    int held = 0;
    if (opens(dir / "ro/data", O_RDONLY)) held |= reads_read_only;
    if (!opens(dir / "ro/data", O_WRONLY)) held |= cannot_write_read_only;
    if (opens(dir / "rw/new", O_WRONLY | O_CREAT)) held |= writes_read_write;
    if (!opens(dir / "outside/secret", O_RDONLY)) held |= cannot_read_outside;
    if (!opens(dir / "outside/created", O_WRONLY | O_CREAT)) held |= cannot_create_outside;
    if (runner::landlock_version() < 4 || !listener.accepts_a_connection()) held |= cannot_connect;
    ::_exit(held);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == (reads_read_only | cannot_write_read_only | writes_read_write | cannot_read_outside |
                                cannot_create_outside | cannot_connect));
  CHECK_FALSE(fs::exists(dir / "outside/created"));
  // And the same process before confinement could do all of it.
  CHECK(opens(dir / "outside/secret", O_RDONLY));
}
