// `wasibuild binfmt install | remove | status`: register `.wasm` files with
// the kernel's binfmt_misc, so that executing a module (a test script that
// runs `prog.wasm` itself) starts it in wasibuild (docs/testing.md).
// `wasibuild binfmt run [GRANTS...] -- CMD ARGS...` (internal, used by the
// toolchain file's add_test()): the same for CMD alone, in a user and mount
// namespace of its own, with no root and no change to the system.
#include <fmt/format.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>

#include "command.hpp"
#include "commands.hpp"
#include "sandbox_flags.hpp"

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

// Writes TEXT to FILE in one write; false (with errno kept) on failure.
bool write_once(const char* file, const std::string& text) {
  const int fd = ::open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t written = ::write(fd, text.data(), text.size());
  const int error = errno;
  ::close(fd);
  errno = error;
  return written == static_cast<ssize_t>(text.size());
}

std::string registration(const std::string& interpreter) {
  // M: match the magic at offset 0. F: the kernel opens the interpreter
  // now, so it works in other mount namespaces and containers, and a file
  // later put at that path is not run. No C (credentials): a setuid .wasm
  // gains nothing. No P: the guest's argv[0] is the module's path.
  return fmt::format(":{}:M::\\x00asm::{}:F", kEntry, interpreter);
}

bool registrable(const std::string& interpreter) {
  // binfmt_misc splits its register line at ':' and keeps at most 127
  // bytes of the interpreter.
  return !interpreter.empty() && interpreter.find_first_of(":\n") == std::string::npos && interpreter.size() <= 127;
}

// A user namespace mapping this process's uid and gid to themselves (root
// stays root), a mount namespace with private mounts, and in it a fresh
// binfmt_misc instance (Linux 6.7+: one per user namespace) that runs
// `.wasm` files through INTERPRETER. Empty on success, else what failed.
std::string enter_private_binfmt(const std::string& interpreter) {
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  if (!registrable(interpreter)) return fmt::format("{}: not a path binfmt_misc can register", interpreter);
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
    return fmt::format("no user namespace: {}", std::strerror(errno));
  }
  if (!write_once("/proc/self/setgroups", "deny") ||
      !write_once("/proc/self/uid_map", fmt::format("{} {} 1", uid, uid)) ||
      !write_once("/proc/self/gid_map", fmt::format("{} {} 1", gid, gid))) {
    return fmt::format("cannot map the user: {}", std::strerror(errno));
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fmt::format("cannot make mounts private: {}", std::strerror(errno));
  }
  if (::mount("binfmt_misc", kBinfmtDir.c_str(), "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return fmt::format("cannot mount a private binfmt_misc on {} (Linux 6.7+ allows it): {}", kBinfmtDir.string(),
                       std::strerror(errno));
  }
  if (!write_once((kBinfmtDir / "register").c_str(), registration(interpreter))) {
    return fmt::format("the private binfmt_misc refused the entry: {}", std::strerror(errno));
  }
  return {};
}

// Tries enter_private_binfmt in a child first, so that a failure leaves
// this process exactly as it was (no half-made namespace).
std::string probe_private_binfmt(const std::string& interpreter) {
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));
  const pid_t child = ::fork();
  if (child < 0) {
    const int error = errno;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return fmt::format("fork: {}", std::strerror(error));
  }
  if (child == 0) {
    ::close(pipe_fds[0]);
    const std::string why = enter_private_binfmt(interpreter);
    if (!why.empty()) (void)!::write(pipe_fds[1], why.data(), why.size());
    ::_exit(why.empty() ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string why;
  std::array<char, 512> buffer{};
  for (;;) {
    const ssize_t got = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    why.append(buffer.data(), static_cast<std::size_t>(got));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (why.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) why = "the probe failed";
  return why;
}

// The grant and limit flags (sandbox_flag_table) named `name`, if any.
const SandboxFlagSpec* sandbox_flag_named(std::string_view name) {
  for (const SandboxFlagSpec& spec : sandbox_flag_table()) {
    if (name == spec.flag) return &spec;
  }
  return nullptr;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  if (text.empty()) return lines;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find('\n', start);
    lines.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return lines;
}

class BinfmtCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    app.add_subcommand("install", "Register .wasm modules (magic \\0asm) with binfmt_misc; needs root")
        ->callback([this] { action_ = Action::install; });
    app.add_subcommand("remove", "Remove the registration")->callback([this] { action_ = Action::remove; });
    app.add_subcommand("status", "Say whether .wasm modules are registered, and with which wasibuild")
        ->callback([this] { action_ = Action::status; });
    // Internal (the toolchain file's add_test() writes it): not in help.
    CLI::App* run = app.add_subcommand("run", "Run CMD with .wasm files runnable, in a namespace of its own");
    run->group("");
    run->allow_extras();
    run->add_flag("-v,--verbose", verbose_, "Say on stderr when the namespace cannot be made");
    run->callback([this, run] {
      action_ = Action::run;
      grants_ = run->remaining();
    });
    app.require_subcommand(1);
    app.footer(
        "A module executed directly then runs as `wasibuild exec --dir-build .::. --host-cwd --private-tmp\n"
        "--env-names-from WASIBUILD_GUEST_ENV -- prog.wasm ARGS...`: a test's default grants without the source\n"
        "and build trees. It affects every user of this system (or of this user namespace); see docs/testing.md.");
  }

  [[nodiscard]] bool takes_trailing_arguments() const override { return true; }
  void set_trailing_arguments(std::vector<std::string> arguments) override { command_ = std::move(arguments); }

  int run(Env& env) override {
    if (action_ == Action::run) return run_command(env);
    if (!command_.empty()) fail("unexpected arguments after `--`");
    if (action_ != Action::status && ::geteuid() != 0) {
      fail(fmt::format("binfmt {}: changing binfmt_misc needs root", action_ == Action::install ? "install" : "remove"),
           {"run it with sudo (or as root in a user namespace with its own binfmt_misc mount)"});
    }
    require_mounted();
    const std::optional<std::string> entry = read_entry();
    switch (action_) {
      case Action::run:
        break;  // handled above
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
        if (!registrable(interpreter)) {
          fail(fmt::format("{}: cannot register this path with binfmt_misc (empty, over 127 bytes, or with ':')",
                           interpreter));
        }
        if (entry && interpreter_of(*entry) == interpreter) {
          *env.out << fmt::format("already registered: {} runs .wasm modules\n", interpreter);
          return 0;
        }
        if (entry) write_command(kBinfmtDir / kEntry, "-1");
        write_command(kBinfmtDir / "register", registration(interpreter));
        *env.out << fmt::format("registered: {} runs .wasm modules\n", interpreter);
        return 0;
      }
    }
    return 0;
  }

 private:
  // `binfmt run`: CMD gets WASIBUILD_BINFMT_GRANTS (the grants, one a line)
  // and, where the kernel allows, a private binfmt_misc; where it does not,
  // CMD runs as it would have without wasibuild in front.
  int run_command(Env& env) {
    if (command_.empty()) fail("binfmt run: no command after `--`", {"usage: wasibuild binfmt run [GRANTS...] -- CMD [ARGS...]"});
    std::string joined;
    for (const auto& grant : grants_) {
      if (grant.find('\n') != std::string::npos) fail(fmt::format("binfmt run: a grant holds a newline: {}", grant));
      if (!joined.empty()) joined += '\n';
      joined += grant;
    }
    if (auto error = binfmt_grants_error(grants_)) fail(fmt::format("binfmt run: {}", *error));
    const std::string why = probe_private_binfmt(env.executable.string());
    if (why.empty()) {
      const std::string again = enter_private_binfmt(env.executable.string());
      if (!again.empty()) fail(fmt::format("binfmt run: {}", again));
    } else if (verbose_ || env.get("WASIBUILD_BINFMT_VERBOSE").value_or("").size() > 0) {
      *env.err << fmt::format("wasibuild: note: {}; running {} without it\n", why, command_.front());
      env.err->flush();
    }
    ::setenv("WASIBUILD_BINFMT_GRANTS", joined.c_str(), 1);
    // What the test's own script adds from here on may reach its program
    // (--env-changed-since in the toolchain file's grants).
    ::setenv(kHarnessEnvironment, environment_snapshot(env).c_str(), 1);
    std::vector<char*> argv;
    argv.reserve(command_.size() + 1);
    for (auto& word : command_) argv.push_back(word.data());
    argv.push_back(nullptr);
    std::cout.flush();
    ::execvp(argv.front(), argv.data());
    const int error = errno;
    throw Failure{fmt::format("{}: cannot run it: {}", command_.front(), std::strerror(error)), {},
                  error == ENOENT ? 127 : 126};
  }

  enum class Action { install, remove, status, run };
  Action action_ = Action::status;
  bool verbose_ = false;
  std::vector<std::string> grants_;
  std::vector<std::string> command_;
};

}  // namespace

std::unique_ptr<Command> make_binfmt_command() { return std::make_unique<BinfmtCommand>(); }

// binfmt_misc starts the interpreter as `wasibuild <path of the module>
// ARGS...`, with that path also in the auxiliary vector's AT_EXECFN (the
// file the caller executed). A normal start has wasibuild's own path there.
// Under `binfmt run`, WASIBUILD_BINFMT_GRANTS (`grants`) holds the test's
// grants instead, one a line, checked to be grant and limit flags only. It
// is no privilege boundary: whoever can set it could as well run `wasibuild
// exec` with the same flags; the check keeps a stray value from turning on
// anything else (a precompiled module's native code, say).
std::optional<std::vector<std::string>> binfmt_arguments(const std::vector<std::string>& arguments,
                                                         std::string_view executed_file, const char* grants) {
  if (arguments.empty() || executed_file.empty() || arguments.front() != executed_file) return std::nullopt;
  std::vector<std::string> rewritten = {"exec"};
  if (grants == nullptr) {
    rewritten.insert(rewritten.end(), {"--dir-build", ".::.", "--host-cwd", "--private-tmp", "--env-names-from",
                                       "WASIBUILD_GUEST_ENV"});
  } else {
    std::vector<std::string> lines = split_lines(grants);
    if (auto error = binfmt_grants_error(lines)) {
      throw std::invalid_argument(fmt::format("WASIBUILD_BINFMT_GRANTS: {}", *error));
    }
    rewritten.insert(rewritten.end(), lines.begin(), lines.end());
  }
  rewritten.emplace_back("--");
  rewritten.insert(rewritten.end(), arguments.begin(), arguments.end());
  return rewritten;
}

std::optional<std::string> binfmt_grants_error(const std::vector<std::string>& grants) {
  for (std::size_t i = 0; i < grants.size(); ++i) {
    const std::string& word = grants[i];
    const auto equals = word.find('=');
    const std::string_view name = std::string_view(word).substr(0, equals);
    const SandboxFlagSpec* spec = sandbox_flag_named(name);
    if (spec != nullptr && spec->value != FlagValue::boolean) {
      if (equals != std::string::npos) continue;
      if (i + 1 == grants.size()) return fmt::format("{} needs a value", word);
      if (grants[i + 1].starts_with("-")) return fmt::format("{} needs a value, not {}", word, grants[i + 1]);
      ++i;
      continue;
    }
    if (equals == std::string::npos && spec != nullptr) continue;
    std::vector<std::string_view> names;
    for (const SandboxFlagSpec& known : sandbox_flag_table()) names.emplace_back(known.flag);
    return fmt::format("{} is not a grant or limit flag (only {})", word, fmt::join(names, ", "));
  }
  return std::nullopt;
}

}  // namespace wasibuild::driver
