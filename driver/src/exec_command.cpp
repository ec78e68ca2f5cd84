// `wasibuild exec [OPTIONS] FILE [--] [ARGS...]`: run one module in the
// embedded runner. CTest uses it as the cross-compiling emulator.
#include "exec_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <string_view>

#include "commands.hpp"
#include "paths.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

// The first two lines of every launcher WasiTests.cmake writes; the second
// names the module, a file in the launcher's own directory.
constexpr std::string_view kLauncherHeader = "#!/bin/sh\n# wasibuild-launcher: ";

struct OpenedFile {
  int fd = -1;
  struct stat status {};
  OpenedFile(const OpenedFile&) = delete;
  OpenedFile& operator=(const OpenedFile&) = delete;
  explicit OpenedFile(const fs::path& path) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd >= 0 && ::fstat(fd, &status) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~OpenedFile() {
    if (fd >= 0) ::close(fd);
  }
  // A regular file with its owner's execute bit: the linker's output or a
  // launcher, never a file a guest created (WASI cannot set that bit).
  [[nodiscard]] bool executable_file() const { return fd >= 0 && S_ISREG(status.st_mode) && (status.st_mode & S_IXUSR); }
  [[nodiscard]] std::string head(std::size_t limit) const {
    std::string bytes(limit, '\0');
    const ssize_t got = ::pread(fd, bytes.data(), limit, 0);
    bytes.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    return bytes;
  }
};

bool plain_file_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(), [](char c) { return c == '/' || static_cast<unsigned char>(c) < 0x20; });
}

// `exec prog`, where prog is a launcher written by the toolchain file (a
// project that calls the emulator with a target's file name): the module
// it names. Read as hostile input, since a guest can write files next to
// itself: only an executable regular file reached without a link counts,
// the module must be a plain file name in the same directory, itself an
// executable regular WebAssembly binary, and the runner opens it without
// following a link. Anything else that is no launcher is returned as given.
std::optional<fs::path> launcher_module(const fs::path& launcher) {
  const OpenedFile file(launcher);
  if (!file.executable_file()) return std::nullopt;
  const std::string head = file.head(kLauncherHeader.size() + 257);
  if (!head.starts_with(kLauncherHeader)) return std::nullopt;
  const std::size_t end = head.find('\n', kLauncherHeader.size());
  const std::string name = head.substr(kLauncherHeader.size(), end == std::string::npos ? 0 : end - kLauncherHeader.size());
  if (end == std::string::npos || !plain_file_name(name)) {
    throw Failure{launcher.string() + ": a wasibuild launcher whose module is not a file name in its own directory",
                  {}, kExitRunnerError};
  }
  const fs::path module = launcher.parent_path() / name;
  const OpenedFile target(module);
  if (!target.executable_file() || !target.head(4).starts_with(std::string_view("\0asm", 4))) {
    throw Failure{launcher.string() + ": the launcher's module " + module.string() +
                      " is not an executable WebAssembly binary (a link, a missing file or another kind of file)",
                  {"rebuild the target to write both again"}, kExitRunnerError};
  }
  return module;
}

// `exec prog` with no file `prog` (or a directory of that name) but a
// `prog.wasm`: CMake's target file name without the suffix.
std::optional<fs::path> module_beside(const fs::path& given) {
  if (given.extension() == ".wasm") return std::nullopt;
  struct stat status {};
  if (::stat(given.c_str(), &status) == 0 && !S_ISDIR(status.st_mode)) return std::nullopt;
  fs::path module = given;
  module += ".wasm";
  if (::stat(module.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) return std::nullopt;
  return module;
}

}  // namespace

void ExecCommand::setup(CLI::App& app) {
  app.add_option("FILE", options_.file, "The module: .wasm, .wat, or (with --allow-precompiled) .cwasm")
      ->required()
      ->type_name("");
  bind_sandbox_flags(app, options_.sandbox);
  app.add_flag("--allow-precompiled", options_.allow_precompiled,
               "Accept a .cwasm from `wasibuild compile` (native code, outside the sandbox)");
  app.add_flag("--no-cache", options_.no_cache, "Compile without reading or writing the compiled-code cache");
  app.add_option("--argv0", options_.argv0,
                 "The guest's argv[0] (default: the file name without .wasm, as a native build names it)")
      ->type_name("NAME");
  app.footer(
      "Everything after FILE goes to the guest, even flags such as --help; `--` before FILE ends wasibuild's\n"
      "options too (CTest's emulator form: wasibuild exec [OPTIONS] -- FILE ARGS...).\n"
      "Examples:\n"
      "  wasibuild exec hello.wasm world\n"
      "  wasibuild exec --dir-ro ./assets::/assets --dir ./out::/out --env LANG=C tool.wasm -- --verbose\n"
      "  wasibuild exec --timeout 2s --max-memory 64MiB --fuel 100000000 untrusted.wasm\n"
      "Exit status: the guest's own; 134 on a trap, 124 on a timeout, 125 on a runner error.");
}

int ExecCommand::run(Env& env) {
  runner::Program program{env.working_directory / options_.file, options_.arguments, options_.allow_precompiled};
  program.argv0 = options_.argv0;
  if (auto module = launcher_module(program.module)) {
    program.module = std::move(*module);
    program.allow_precompiled = false;
    program.follow_links = false;
  } else if (auto beside = module_beside(program.module)) {
    program.module = std::move(*beside);
  }
  runner::Policy policy = policy_from(options_.sandbox, env);
  const runner::Limits limits = limits_from(options_.sandbox);
  std::optional<runner::CacheOptions> cache;
  if (!options_.no_cache) cache = module_cache(env);
  return run_guest(program, policy, limits, cache, env);
}

}  // namespace wasibuild::driver

namespace wasibuild::driver {
std::unique_ptr<Command> make_exec_command() { return std::make_unique<ExecCommand>(); }
}  // namespace wasibuild::driver
