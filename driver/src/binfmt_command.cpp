// `wasibuild binfmt install | remove | status`: register `.wasm` files with
// the kernel's binfmt_misc, so that executing a module (a test script that
// runs `prog.wasm` itself) starts it in wasibuild (docs/testing.md).
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "command.hpp"
#include "commands.hpp"

namespace wasibuild::driver {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kEntry = "wasibuild";
const fs::path kBinfmtDir = "/proc/sys/fs/binfmt_misc";

[[noreturn]] void fail(std::string message, std::vector<std::string> help = {}) {
  throw Failure{std::move(message), std::move(help), kExitFailure};
}

void require_mounted() {
  if (::access((kBinfmtDir / "register").c_str(), F_OK) != 0) {
    fail(fmt::format("{}: binfmt_misc is not mounted", kBinfmtDir.string()),
         {fmt::format("mount it (as root) with: mount -t binfmt_misc binfmt_misc {}", kBinfmtDir.string())});
  }
}

// One write, as binfmt_misc wants each command.
void write_command(const fs::path& file, const std::string& text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  const int open_error = errno;
  if (fd < 0 && (open_error == EACCES || open_error == EPERM)) {
    fail(fmt::format("{}: permission denied: changing binfmt_misc needs root", file.string()));
  }
  if (fd < 0) fail(fmt::format("{}: cannot open it: {}", file.string(), std::strerror(open_error)));
  const ssize_t written = ::write(fd, text.data(), text.size());
  const int write_error = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size())) {
    if (write_error == EACCES || write_error == EPERM) {
      fail(fmt::format("{}: permission denied: changing binfmt_misc needs root", file.string()));
    }
    fail(fmt::format("{}: the kernel refused the entry: {}", file.string(), std::strerror(write_error)));
  }
}

std::optional<std::string> read_entry() {
  const int fd = ::open((kBinfmtDir / kEntry).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text(4096, '\0');
  const ssize_t got = ::read(fd, text.data(), text.size());
  ::close(fd);
  text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return text;
}

std::string interpreter_of(const std::string& entry) {
  const auto at = entry.find("interpreter ");
  if (at == std::string::npos) return {};
  const auto end = entry.find('\n', at);
  return entry.substr(at + 12, end == std::string::npos ? std::string::npos : end - at - 12);
}

class BinfmtCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    app.add_subcommand("install", "Register .wasm modules (magic \\0asm) with binfmt_misc; needs root")
        ->callback([this] { action_ = Action::install; });
    app.add_subcommand("remove", "Remove the registration")->callback([this] { action_ = Action::remove; });
    app.add_subcommand("status", "Say whether .wasm modules are registered, and with which wasibuild")
        ->callback([this] { action_ = Action::status; });
    app.require_subcommand(1);
    app.footer(
        "A module executed directly then runs as `wasibuild exec --dir-build .::. --host-cwd --private-tmp\n"
        "--env-names-from WASIBUILD_GUEST_ENV -- prog.wasm ARGS...`: a test's default grants without the source\n"
        "and build trees. It affects every user of this system (or of this user namespace); see docs/testing.md.");
  }

  int run(Env& env) override {
    if (action_ != Action::status && ::geteuid() != 0) {
      fail(fmt::format("binfmt {}: changing binfmt_misc needs root", action_ == Action::install ? "install" : "remove"),
           {"run it with sudo (or as root in a user namespace with its own binfmt_misc mount)"});
    }
    require_mounted();
    const std::optional<std::string> entry = read_entry();
    switch (action_) {
      case Action::status:
        if (entry) {
          *env.out << fmt::format("registered: {} runs .wasm modules ({})\n", interpreter_of(*entry),
                                  (kBinfmtDir / kEntry).string());
        } else {
          *env.out << "not registered\n";
        }
        return 0;
      case Action::remove:
        if (!entry) {
          *env.out << "not registered; nothing to remove\n";
          return 0;
        }
        write_command(kBinfmtDir / kEntry, "-1");
        *env.out << "removed the binfmt_misc entry for .wasm modules\n";
        return 0;
      case Action::install: {
        const std::string interpreter = env.executable.string();
        // binfmt_misc splits its register line at ':' and keeps at most 127
        // bytes of the interpreter.
        if (interpreter.empty() || interpreter.find_first_of(":\n") != std::string::npos ||
            interpreter.size() > 127) {
          fail(fmt::format("{}: cannot register this path with binfmt_misc (empty, over 127 bytes, or with ':')",
                           interpreter));
        }
        if (entry && interpreter_of(*entry) == interpreter) {
          *env.out << fmt::format("already registered: {} runs .wasm modules\n", interpreter);
          return 0;
        }
        if (entry) write_command(kBinfmtDir / kEntry, "-1");
        // M: match the magic at offset 0. F: the kernel opens the
        // interpreter now, so it works in other mount namespaces and
        // containers, and a file later put at that path is not run. No C
        // (credentials): a setuid .wasm gains nothing. No P: the guest's
        // argv[0] is the module's path.
        write_command(kBinfmtDir / "register", fmt::format(":{}:M::\\x00asm::{}:F", kEntry, interpreter));
        *env.out << fmt::format("registered: {} runs .wasm modules\n", interpreter);
        return 0;
      }
    }
    return 0;
  }

 private:
  enum class Action { install, remove, status };
  Action action_ = Action::status;
};

}  // namespace

std::unique_ptr<Command> make_binfmt_command() { return std::make_unique<BinfmtCommand>(); }

// binfmt_misc starts the interpreter as `wasibuild <path of the module>
// ARGS...`, with that path also in the auxiliary vector's AT_EXECFN (the
// file the caller executed). A normal start has wasibuild's own path there.
std::optional<std::vector<std::string>> binfmt_arguments(const std::vector<std::string>& arguments,
                                                         std::string_view executed_file) {
  if (arguments.empty() || executed_file.empty() || arguments.front() != executed_file) return std::nullopt;
  std::vector<std::string> rewritten = {"exec",        "--dir-build",   ".::.", "--host-cwd", "--private-tmp",
                                        "--env-names-from", "WASIBUILD_GUEST_ENV", "--"};
  rewritten.insert(rewritten.end(), arguments.begin(), arguments.end());
  return rewritten;
}

}  // namespace wasibuild::driver
