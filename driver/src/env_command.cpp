// `wasibuild env [--toolchain T] [--target T] [--meson-cross FILE]`: the
// resolved toolchain as variables for Make and autotools, and a Meson cross
// file, so projects without CMake build to wasm too.
#include <fmt/format.h>

#include <cctype>
#include <fstream>

#include "command.hpp"
#include "commands.hpp"
#include "toolchains.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;
namespace tc = wasibuild::toolchain;

namespace {

// Single quotes for sh: 'it'\''s'
std::string sh_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Meson strings use single quotes with backslash escapes.
std::string meson_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// -u __main_argc_argv: a main in a static library is linked (wasi.cmake says why).
constexpr const char* kLinkFlags = "-Wl,--stack-first -Wl,-z,stack-size=8388608 -Wl,-u,__main_argc_argv";

// What cmake-modules/wasi.cmake adds beside --target and --sysroot, the same
// rules (tests/project/toolchain_file_test.cpp compares the two): __unix__,
// as for Emscripten;
// wasi-libc's opt-in emulations (signal(), clock(), mmap(), getpid(), and a
// pthread_create() that fails with EAGAIN in newer ones) wherever
// the sysroot ships their library, and C++ exceptions in the standard form
// where libc++ has them, else -fno-exceptions; and libc++'s switch that keeps
// the transitive includes older code relies on.
struct FlagRecipe {
  std::string c_flags;       // " -D_WASI_EMULATED_SIGNAL ..."
  std::string cxx_flags;     // c_flags and the exception flags
  std::string libraries;     // " -lwasi-emulated-signal ..."
  std::string cxx_libraries;  // libraries, and -lunwind with exceptions
};

FlagRecipe flag_recipe(const tc::Toolchain& toolchain, const std::string& target) {
  FlagRecipe recipe;
  recipe.c_flags = " -D__unix__=1 -D__unix=1";
  std::error_code error;
  for (const std::string emulation : {"signal", "process-clocks", "mman", "getpid", "pthread"}) {
    if (!fs::exists(toolchain.sysroot / "lib" / target / fmt::format("libwasi-emulated-{}.a", emulation), error)) {
      continue;
    }
    std::string define = emulation;
    for (char& c : define) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    recipe.c_flags += " -D_WASI_EMULATED_" + define;
    recipe.libraries += " -lwasi-emulated-" + emulation;
  }
  recipe.cxx_flags = recipe.c_flags + " -D_LIBCPP_KEEP_TRANSITIVE_INCLUDES_LLVM23" +
                     (toolchain.capabilities.exceptions
                                           ? " -fwasm-exceptions -mllvm -wasm-use-legacy-eh=false"
                                           : " -fno-exceptions");
  recipe.cxx_libraries = recipe.libraries + (toolchain.capabilities.exceptions ? " -lunwind" : "");
  return recipe;
}

class EnvCommand final : public Command {
 public:
  void setup(CLI::App& app) override {
    app.add_option("--toolchain", toolchain_, "Use this toolchain instead of the resolved one");
    app.add_option("--target", target_, "Target triple (default: the toolchain's)");
    app.add_option("--meson-cross", meson_, "Also write a Meson cross file here")->type_name("FILE");
    app.footer("Examples:\n  eval \"$(wasibuild env)\" && ./configure --host=wasm32-wasi && make\n"
               "  wasibuild env --meson-cross wasi.ini && meson setup --cross-file wasi.ini build");
  }

  int run(Env& env) override {
    auto resolved = resolve_toolchain(env, toolchain_.empty() ? std::nullopt : std::optional(toolchain_));
    if (!resolved) throw failure_of(resolved.error());
    if (!resolved.value().toolchain) {
      throw Failure{"no WASI toolchain is installed and none was found on this system",
                    {"install one: wasibuild toolchain install"}};
    }
    const tc::Toolchain& toolchain = *resolved.value().toolchain;
    const std::string target = target_.empty() ? toolchain.default_target : target_;
    const std::string common = fmt::format("--target={} --sysroot={}", target, toolchain.sysroot.string());
    const FlagRecipe recipe = flag_recipe(toolchain, target);
    *env.out << fmt::format("# {} ({}), for Make and autotools: eval \"$(wasibuild env)\"\n", toolchain.name,
                            tc::rule_description(resolved.value().rule))
             << fmt::format("export CC={}\n", sh_quoted(toolchain.clang.string()))
             << fmt::format("export CXX={}\n", sh_quoted(toolchain.clangxx.string()))
             << fmt::format("export AR={}\n", sh_quoted(toolchain.ar.string()))
             << fmt::format("export RANLIB={}\n", sh_quoted(toolchain.ranlib.string()))
             << fmt::format("export CFLAGS={}\n", sh_quoted(common + recipe.c_flags))
             << fmt::format("export CXXFLAGS={}\n", sh_quoted(common + recipe.cxx_flags))
             << fmt::format("export LDFLAGS={}\n", sh_quoted(fmt::format("{} {}", common, kLinkFlags)))
             // Libraries go after the objects: LIBS, as autotools and most Makefiles place it.
             << fmt::format("export LIBS={}\n", sh_quoted(recipe.cxx_libraries.empty() ? "" : recipe.cxx_libraries.substr(1)))
             << fmt::format("export WASIBUILD_TARGET={}\n", sh_quoted(target))
             << fmt::format("export WASIBUILD_RUNNER={}\n", sh_quoted(env.executable.string() + " exec --"));
    if (!meson_.empty()) write_meson_cross(env, toolchain, target, common, recipe);
    return 0;
  }

 private:
  void write_meson_cross(const Env& env, const tc::Toolchain& toolchain, const std::string& target,
                         const std::string& common, const FlagRecipe& recipe) const {
    const auto list = [](const std::string& words) {
      std::string items;
      std::size_t start = 0;
      while (start < words.size()) {
        const auto end = words.find(' ', start);
        const std::string word = words.substr(start, end - start);
        if (!word.empty()) items += (items.empty() ? "" : ", ") + meson_quoted(word);
        if (end == std::string::npos) break;
        start = end + 1;
      }
      return "[" + items + "]";
    };
    const fs::path file = env.working_directory / meson_;
    std::ofstream out(file);
    out << "# Written by `wasibuild env`: a Meson cross file for " << target << "\n"
        << "[binaries]\n"
        << "c = " << meson_quoted(toolchain.clang.string()) << "\n"
        << "cpp = " << meson_quoted(toolchain.clangxx.string()) << "\n"
        << "ar = " << meson_quoted(toolchain.ar.string()) << "\n"
        << "ranlib = " << meson_quoted(toolchain.ranlib.string()) << "\n"
        << "exe_wrapper = [" << meson_quoted(env.executable.string()) << ", 'exec', '--']\n\n"
        << "[built-in options]\n"
        << "c_args = " << list(common + recipe.c_flags) << "\n"
        << "cpp_args = " << list(common + recipe.cxx_flags) << "\n"
        << "c_link_args = " << list(common + " " + kLinkFlags + recipe.libraries) << "\n"
        << "cpp_link_args = " << list(common + " " + kLinkFlags + recipe.cxx_libraries) << "\n"
        << "default_library = 'static'\n\n"
        << "[host_machine]\nsystem = 'wasi'\ncpu_family = 'wasm32'\ncpu = 'wasm32'\nendian = 'little'\n";
    if (!out) throw Failure{fmt::format("{}: cannot write it", file.string())};
  }

  std::string toolchain_;
  std::string target_;
  std::string meson_;
};

}  // namespace

std::unique_ptr<Command> make_env_command() { return std::make_unique<EnvCommand>(); }

}  // namespace wasibuild::driver
