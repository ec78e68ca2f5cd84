// Capabilities, learned by compiling small programs once per toolchain.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

#include "layout.hpp"
#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

namespace fs = std::filesystem;

namespace {

// Compiles and links `source` (C++) for `target`; true when clang succeeds.
bool compiles(const Toolchain& toolchain, const fs::path& scratch, const std::string& name,
              const std::string& source, const std::string& target, std::vector<std::string> flags) {
  const fs::path file = scratch / (name + ".cpp");
  std::ofstream(file) << source;
  std::vector<std::string> argv = {toolchain.clangxx.string(), "--target=" + target,
                                   "--sysroot=" + toolchain.sysroot.string(), "-O0", file.string(), "-o",
                                   (scratch / (name + ".wasm")).string()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return run_tool(argv).exit_status == 0;
}

// Flags for code built without exceptions, as wasi.cmake passes them: a
// libc++ built with exceptions (the only one some toolchains have) needs
// libunwind even then.
std::vector<std::string> without_exceptions(const Toolchain& toolchain, const std::string& target) {
  std::error_code error;
  if (fs::is_regular_file(toolchain.sysroot / "lib" / target / "libunwind.a", error)) {
    return {"-fno-exceptions", "-lunwind"};
  }
  return {"-fno-exceptions"};
}

constexpr const char* kFilesystemProbe = R"(#include <filesystem>
#include <algorithm>
#include <fstream>
int main() { std::ofstream out("x"); return std::filesystem::exists("x") ? 0 : 1; }
)";

constexpr const char* kExceptionsProbe = R"(#include <stdexcept>
int main() { try { throw std::runtime_error("x"); } catch (const std::exception&) { return 0; } return 1; }
)";

// A std::thread that signals a condition variable, in a wasi-threads module.
constexpr const char* kThreadsProbe = R"(#include <condition_variable>
#include <mutex>
#include <thread>
int main() {
  std::mutex mutex; std::condition_variable ready; bool done = false;
  std::thread worker([&] { std::lock_guard lock(mutex); done = true; ready.notify_one(); });
  { std::unique_lock lock(mutex); ready.wait(lock, [&] { return done; }); }
  worker.join(); return 0;
}
)";

// Whether the module imports wasi-threads' `wasi` `thread-spawn`: the
// import's names as the import section spells them (length-prefixed). A
// libc whose pthread_create only fails (single-threaded stubs) links a
// std::thread program too, without it.
bool spawns_threads(const fs::path& module) {
  std::ifstream in(module, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes.find(std::string("\x04wasi\x0cthread-spawn")) != std::string::npos;
}

constexpr const char* kSetjmpProbe = R"(#include <setjmp.h>
static jmp_buf env;
int main() { if (setjmp(env) == 0) longjmp(env, 1); return 0; }
)";

}  // namespace

bool has_libc(const fs::path& lib_dir) {
  std::error_code error;
  return fs::is_regular_file(lib_dir / "libc.a", error);
}

std::vector<std::string> sysroot_targets(const fs::path& sysroot) {
  std::vector<std::string> targets;
  for (const char* triple : {"wasm32-wasi", "wasm32-wasip1", "wasm32-wasip2", "wasm32-wasip3", "wasm32-wasi-threads",
                             "wasm32-wasip1-threads"}) {
    if (has_libc(sysroot / "lib" / triple)) targets.emplace_back(triple);
  }
  if (targets.empty() && has_libc(sysroot / "lib")) targets.emplace_back("wasm32-wasi");  // pre-multiarch
  return targets;
}

Capabilities probe_capabilities(const Toolchain& toolchain, const fs::path& scratch) {
  Capabilities caps;
  caps.targets = sysroot_targets(toolchain.sysroot);
  std::error_code error;
  fs::create_directories(scratch, error);
  const std::string target = toolchain.default_target;
  // setjmp as wasi.cmake uses it (WasiSetjmp.cmake): standard exception
  // handling and libsetjmp, WASI SDK 26+. A setjmp.h alone is not enough:
  // SDKs 22-25 ship one for the legacy form, which Wasmtime does not run,
  // and their clang (19 or older) rejects -wasm-use-legacy-eh.
  caps.setjmp = compiles(toolchain, scratch, "setjmp", kSetjmpProbe, target,
                         {"-fno-exceptions", "-mllvm", "-wasm-enable-sjlj", "-mllvm", "-wasm-use-legacy-eh=false",
                          "-lsetjmp"});
  caps.filesystem = compiles(toolchain, scratch, "filesystem", kFilesystemProbe, target,
                             without_exceptions(toolchain, target));
  // WASI SDK 33+: exceptions are opt-in and use the standard (exnref) form.
  caps.exceptions = compiles(toolchain, scratch, "exceptions", kExceptionsProbe, target,
                             {"-fwasm-exceptions", "-mllvm", "-wasm-use-legacy-eh=false", "-lunwind"});
  // Threads: a threads target in the sysroot (as wasm32-wasip2 is reported,
  // by its libc), whose libc and libc++ link a std::thread program into a
  // module that spawns threads, with wasi.cmake's flags for that target
  // (clang's driver adds --shared-memory).
  for (const char* threads_target : {"wasm32-wasip1-threads", "wasm32-wasi-threads"}) {
    if (std::find(caps.targets.begin(), caps.targets.end(), threads_target) == caps.targets.end()) continue;
    std::vector<std::string> flags = without_exceptions(toolchain, threads_target);
    flags.insert(flags.end(), {"-pthread", "-Wl,--import-memory,--export-memory,--max-memory=1073741824"});
    caps.threads = compiles(toolchain, scratch, "threads", kThreadsProbe, threads_target, flags) &&
                   spawns_threads(scratch / "threads.wasm");
    break;
  }
  return caps;
}

}  // namespace wasibuild::toolchain
