#include "fake_sdk.hpp"

#include <fstream>
#include <stdexcept>
#include <utility>
#include <vector>

namespace wasibuild::testing {

namespace fs = std::filesystem;

namespace {

const fs::path system_include = "/usr/include/wasm32-wasi";
const fs::path system_lib = "/usr/lib/wasm32-wasi";

// Finds the script's own directory (physical path) even when it is run
// through $PATH, a relative path or a symlink, then execs the real tool.
std::string wrapper_script(const std::string& tool, bool compiler) {
  std::string script =
      "#!/bin/sh\n"
      "# WASI SDK test stand-in: runs the Debian " + tool + ".\n";
  if (compiler) {
    script +=
        "self=$0\n"
        "case $self in\n"
        "  */*) ;;\n"
        "  *) self=$(command -v \"$self\") || exit 127 ;;\n"
        "esac\n"
        "while [ -L \"$self\" ]; do\n"
        "  link=$(readlink \"$self\") || exit 127\n"
        "  case $link in\n"
        "    /*) self=$link ;;\n"
        "    *) self=${self%/*}/$link ;;\n"
        "  esac\n"
        "done\n"
        "bin=$(CDPATH= cd -P -- \"${self%/*}\" && pwd -P) || exit 127\n"
        "# Debian's clang-19 runs the linker as wasm-ld-19, found through PATH.\n"
        "PATH=${PATH:+$PATH:}/usr/bin\n"
        "export PATH\n"
        "exec /usr/bin/" + tool + " --sysroot=\"${bin%/*}/share/wasi-sysroot\" \"$@\"\n";
  } else {
    script += "exec /usr/bin/" + tool + " \"$@\"\n";
  }
  return script;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// Recursive copy that follows every symlink, so the result holds only real
// files and directories.
void copy_dereferenced(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (auto it = fs::recursive_directory_iterator(from, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    const fs::path target = to / it->path().lexically_relative(from);
    const auto status = fs::status(it->path());
    if (fs::is_directory(status)) {
      fs::create_directories(target);
    } else if (fs::is_regular_file(status)) {
      fs::copy_file(it->path(), target, fs::copy_options::overwrite_existing);
    } else {
      throw std::runtime_error("make_fake_wasi_sdk: cannot copy " + it->path().string() +
                               " (dangling symlink or special file)");
    }
  }
}

}  // namespace

fs::path make_fake_wasi_sdk(const fs::path& dir, const std::string& version) {
  const std::vector<std::pair<std::string, std::string>> tools = {
      {"clang", "clang-19"},         {"clang++", "clang++-19"},         {"wasm-ld", "wasm-ld-19"},
      {"llvm-ar", "llvm-ar-19"},     {"llvm-ranlib", "llvm-ranlib-19"}, {"llvm-nm", "llvm-nm-19"},
  };
  for (const auto& [name, tool] : tools) {
    if (!fs::exists("/usr/bin/" + tool)) {
      throw std::runtime_error("make_fake_wasi_sdk: /usr/bin/" + tool +
                               " missing (apt-get install clang-19 lld-19 llvm-19)");
    }
  }
  if (!fs::exists(system_include / "stdio.h") || !fs::exists(system_lib / "libc.a") ||
      !fs::exists(system_include / "c++" / "v1" / "iostream")) {
    throw std::runtime_error(
        "make_fake_wasi_sdk: no WASI sysroot in /usr (apt-get install wasi-libc libc++-19-dev-wasm32 "
        "libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32)");
  }

  const fs::path top = dir / ("wasi-sdk-" + version + "-x86_64-linux");
  fs::remove_all(top);
  fs::create_directories(top / "bin");
  for (const auto& [name, tool] : tools) {
    const fs::path script = top / "bin" / name;
    write_text(script, wrapper_script(tool, name == "clang" || name == "clang++"));
    fs::permissions(script, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
  }
  const fs::path sysroot = top / "share" / "wasi-sysroot";
  copy_dereferenced(system_include, sysroot / "include" / "wasm32-wasi");
  copy_dereferenced(system_lib, sysroot / "lib" / "wasm32-wasi");
  write_text(top / "VERSION", version + "\n");
  return top;
}

}  // namespace wasibuild::testing
