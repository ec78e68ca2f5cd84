#include "link_reading.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>

#include "descriptors.hpp"
#include "guest_abi.hpp"

namespace wasibuild::runner {

namespace {

constexpr std::uint32_t kFirstPreopen = 3;

// The grants' directories, opened when they were granted, so that a
// directory renamed or replaced later is not the one looked in.
struct GrantDirectories {
  std::vector<int> descriptors;  // -1 where one could not be opened
  explicit GrantDirectories(const std::vector<DirectoryGrant>& grants) {
    for (const auto& grant : grants) {
      descriptors.push_back(open(grant.host.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
  }
  ~GrantDirectories() {
    for (const int descriptor : descriptors) {
      if (descriptor >= 0) close(descriptor);
    }
  }
  GrantDirectories(const GrantDirectories&) = delete;
  GrantDirectories& operator=(const GrantDirectories&) = delete;

  int of(std::uint32_t engine_fd) const {
    if (engine_fd < kFirstPreopen || engine_fd - kFirstPreopen >= descriptors.size()) return -1;
    return descriptors[engine_fd - kFirstPreopen];
  }
};

struct LinkReading {
  EngineFunctions engine;
  GrantDirectories grants;
  LinkReading(CompileText compile, const std::vector<DirectoryGrant>& granted)
      : engine(std::move(compile)), grants(granted) {}
};

// path_readlink(fd, path, path_len, buf, buf_len, bufused) -> errno.
HostResult read_link(LinkReading& shared, wasmtime::Caller& caller, wasmtime::Span<const wasmtime::Val> params,
                     wasmtime::Span<wasmtime::Val> results) {
  auto called = shared.engine.call(caller, "path_readlink", {params.begin(), params.end()});
  if (!called || called.ok() != kWasiPermission) return answer(results, called);
  const int directory = shared.grants.of(static_cast<std::uint32_t>(params[0].i32()));
  if (directory < 0) return answer(results, called);
  auto memory = guest_memory(caller);
  const auto path_at = static_cast<std::uint32_t>(params[1].i32());
  const auto path_length = static_cast<std::uint32_t>(params[2].i32());
  const auto buffer_at = static_cast<std::uint32_t>(params[3].i32());
  const auto buffer_length = static_cast<std::uint32_t>(params[4].i32());
  const auto used_at = static_cast<std::uint32_t>(params[5].i32());
  if (!in_bounds(memory, path_at, path_length) || !in_bounds(memory, buffer_at, buffer_length) ||
      !in_bounds(memory, used_at, 4)) {
    return answer(results, kWasiFault);
  }
  const std::string_view path(reinterpret_cast<const char*>(memory.data() + path_at), path_length);
  const std::optional<std::string> target = read_link_beneath(directory, path);
  // Only the absolute targets Wasmtime refused: anything else keeps its answer.
  if (!target || target->empty() || target->front() != '/') return answer(results, called);
  const std::size_t copied = std::min<std::size_t>(target->size(), buffer_length);
  std::memcpy(memory.data() + buffer_at, target->data(), copied);
  store_u32(memory, used_at, static_cast<std::uint32_t>(copied));
  return answer(results, kWasiSuccess);
}

}  // namespace

bool imports_link_reading(const wasmtime::Module& module) {
  for (const auto& import : module.imports()) {
    if (import.module() == kPreview1 && import.name() == "path_readlink") return true;
  }
  return false;
}

std::optional<std::string> read_link_beneath(int directory, std::string_view path) {
  if (path.empty() || path.find('\0') != std::string_view::npos) return std::nullopt;
  const std::size_t slash = path.find_last_of('/');
  const std::string parent = slash == std::string_view::npos ? "." : std::string(path.substr(0, slash + 1));
  const std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
  if (name.empty() || name == "." || name == "..") return std::nullopt;
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  // Without openat2 (Linux before 5.6) nothing is read: there is no other
  // way to walk a path that a guest may be changing without following links.
  const int parent_fd = static_cast<int>(syscall(SYS_openat2, directory, parent.c_str(), &how, sizeof how));
  if (parent_fd < 0) return std::nullopt;
  std::array<char, 4096> target{};
  const ssize_t length = readlinkat(parent_fd, name.c_str(), target.data(), target.size());
  close(parent_fd);
  if (length <= 0 || static_cast<std::size_t>(length) >= target.size()) return std::nullopt;
  return std::string(target.data(), static_cast<std::size_t>(length));
}

std::optional<std::string> define_link_reading(wasmtime::Linker& linker, wasmtime::Store& store,
                                               const wasmtime::Module& module,
                                               const std::vector<DirectoryGrant>& grants, const CompileText& compile) {
  if (!imports_link_reading(module) || grants.empty()) return std::nullopt;
  auto shared = std::make_shared<LinkReading>(compile, grants);
  if (!shared->engine.take(linker, store, "path_readlink")) return "the engine has no WASI preview 1 path_readlink";
  linker.allow_shadowing(true);
  auto defined = linker.func_new(kPreview1, "path_readlink", shared->engine.taken().front().second,
                                 [shared](wasmtime::Caller caller, wasmtime::Span<const wasmtime::Val> params,
                                          wasmtime::Span<wasmtime::Val> results) -> HostResult {
                                   return read_link(*shared, caller, params, results);
                                 });
  linker.allow_shadowing(false);
  if (!defined) return defined.err().message();
  return std::nullopt;
}

}  // namespace wasibuild::runner
