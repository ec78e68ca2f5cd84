// The install transaction: lock, download, verify, stage, validate,
// probe, write metadata, rename into place.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>

#include "archive_rules.hpp"
#include "layout.hpp"
#include "wasibuild/installer.hpp"
#include "wasibuild/sources.hpp"

namespace wasibuild::toolchain {

namespace fs = std::filesystem;

namespace {

// An exclusive flock on <toolchains>/.lock, released when destroyed. Tries
// without blocking first so a waiting user is told why.
class InstallLock {
 public:
  static Result<InstallLock> acquire(const fs::path& dir, ProgressSink& progress) {
    std::error_code error;
    fs::create_directories(dir, error);
    const fs::path path = dir / ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Error{Error::Kind::io, path.string(), std::strerror(errno)};
    InstallLock lock(fd);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      progress.note(fmt::format("waiting for lock on {} (another wasibuild is installing)", dir.string()));
      while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) return Error{Error::Kind::io, path.string(), std::strerror(errno)};
      }
    }
    return lock;
  }
  InstallLock(InstallLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  InstallLock& operator=(InstallLock&&) = delete;
  ~InstallLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }

 private:
  explicit InstallLock(int fd) : fd_(fd) {}
  int fd_;
};

// A directory removed with its contents unless committed.
class StagingDir {
 public:
  explicit StagingDir(fs::path path) : path_(std::move(path)) {}
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  ~StagingDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string random_suffix() {
  std::random_device device;
  return fmt::format("{}-{:08x}", ::getpid(), device());
}

// Staging directories of killed installs: nobody holds them (we hold the lock).
void remove_stale_staging(const fs::path& dir) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".staging-") || name.starts_with(".old-") || name.starts_with(".archive-")) {
      fs::remove_all(entry.path(), error);
    }
  }
}

// The toolchain's own directory inside the staging directory: the expected
// top directory, else a single directory, else the staging root itself.
fs::path toolchain_root(const fs::path& staging, const std::string& top_directory) {
  std::error_code error;
  if (!top_directory.empty() && fs::is_directory(staging / top_directory, error)) return staging / top_directory;
  std::vector<fs::path> children;
  for (const auto& entry : fs::directory_iterator(staging, error)) children.push_back(entry.path());
  if (children.size() == 1 && fs::is_directory(children.front(), error) && !fs::is_symlink(children.front(), error)) {
    return children.front();
  }
  return staging;
}

// Extraction checked symlinks against the archive's root; only its top
// directory is installed, so a link may not climb above that either
// (`sdk/share/escape -> ../..` would point into the toolchains directory).
std::optional<Error> check_links_inside(const fs::path& root, const std::string& archive) {
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(root, error); it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_symlink(error)) continue;
    const fs::path relative = it->path().lexically_relative(root);
    const std::string target = fs::read_symlink(it->path(), error).string();
    if (!symlink_stays_inside(relative, target)) {
      return Error{Error::Kind::unsafe_archive, archive,
                   fmt::format("symlink '{}' points outside the toolchain ('{}')", relative.string(), target),
                   {}, {}, {"nothing was installed"}};
    }
  }
  if (error) return Error{Error::Kind::io, root.string(), error.message()};
  return std::nullopt;
}

fs::path first_existing(const fs::path& root, std::initializer_list<const char*> names) {
  std::error_code error;
  for (const char* name : names) {
    if (fs::exists(root / name, error)) return root / name;
  }
  return root / *names.begin();
}

// wasm32-wasip1 where the sysroot has it: clang 22 deprecates the
// wasm32-wasi spelling (a warning that -Werror turns into an error), and a
// sysroot with wasip1 directories comes with a clang (18+) that knows it.
std::string preferred_target(const std::vector<std::string>& targets) {
  const bool has_wasip1 = std::find(targets.begin(), targets.end(), "wasm32-wasip1") != targets.end();
  return has_wasip1 ? "wasm32-wasip1" : targets.front();
}

// Fills in the paths of an SDK-layout toolchain (or a sysroot-only one
// paired with a system clang) and checks that clang runs and a libc exists.
Result<Toolchain> validate(const fs::path& root, const InstallRequest& request) {
  Toolchain toolchain;
  toolchain.name = request.name;
  toolchain.provider = request.provider;
  toolchain.version = request.version;
  toolchain.root = root;
  toolchain.default_target = request.default_target;
  toolchain.source = request.source;
  std::error_code error;
  const bool has_own_clang = fs::exists(root / "bin/clang", error);
  if (has_own_clang) {
    toolchain.clang = root / "bin/clang";
    toolchain.clangxx = first_existing(root, {"bin/clang++"});
    toolchain.ar = first_existing(root, {"bin/llvm-ar", "bin/ar"});
    toolchain.ranlib = first_existing(root, {"bin/llvm-ranlib", "bin/ranlib"});
    toolchain.sysroot = root / "share/wasi-sysroot";
  } else if (auto compiler = request.find_system_compiler ? request.find_system_compiler() : std::nullopt) {
    toolchain.clang = compiler->clang;
    toolchain.clangxx = compiler->clangxx;
    toolchain.ar = compiler->ar;
    toolchain.ranlib = compiler->ranlib;
    toolchain.sysroot = root;
  } else {
    return Error{Error::Kind::invalid_layout, request.source, "it has no bin/clang, and no system clang was found "
                 "to pair a sysroot-only archive with"};
  }
  const ToolRun version = run_tool({toolchain.clang.string(), "--version"});
  if (version.exit_status != 0) {
    return Error{Error::Kind::invalid_layout, request.source,
                 fmt::format("{} does not run (exit status {})", toolchain.clang.filename().string(),
                             version.exit_status)};
  }
  const auto targets = sysroot_targets(toolchain.sysroot);
  if (targets.empty()) {
    return Error{Error::Kind::invalid_layout, request.source, "its sysroot has no libc.a for any wasm32 target"};
  }
  if (std::find(targets.begin(), targets.end(), toolchain.default_target) == targets.end()) {
    toolchain.default_target = preferred_target(targets);
  }
  return toolchain;
}

std::optional<Error> write_metadata(const Toolchain& toolchain) {
  const fs::path file = toolchain.root / kMetadataFile;
  std::ofstream out(file, std::ios::trunc);
  out << to_toml(toolchain);
  out.close();
  if (!out) return Error{Error::Kind::io, file.string(), "cannot write the toolchain metadata"};
  return std::nullopt;
}

// Moves the finished toolchain to its name. A directory cannot replace a
// non-empty one, so an existing install is moved aside first and removed
// only after the new one is in place.
std::optional<Error> move_into_place(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::path aside;
  if (fs::exists(to, error)) {
    aside = to.parent_path() / (".old-" + to.filename().string() + "-" + random_suffix());
    fs::rename(to, aside, error);
    if (error) return Error{Error::Kind::io, to.string(), error.message()};
  }
  fs::rename(from, to, error);
  if (error) {
    if (!aside.empty()) fs::rename(aside, to, error);  // roll back
    return Error{Error::Kind::io, to.string(), error.message()};
  }
  if (!aside.empty()) fs::remove_all(aside, error);
  return std::nullopt;
}

// The archive to unpack: downloaded into the cache (or found there), or the
// user's `--from FILE`, then read once into a private copy while hashing
// (copy_archive says why), and checked against the expected hash. An
// unpinned download is checked against the hash it had while streaming.
Result<ArchiveCopy> fetch(const InstallRequest& request, ProgressSink& progress) {
  const bool is_url = toolchain::is_url(request.source);
  std::optional<std::string> expected = request.sha256;
  fs::path file = request.source;
  if (is_url) {
    auto downloaded = download(request.source, request.sha256, request.download_cache, request.download, progress);
    if (!downloaded) return downloaded.error();
    file = downloaded.value().file;
    if (!expected) expected = downloaded.value().sha256;
  }
  auto copy = copy_archive(file, is_url ? ArchiveOrigin::cache_entry : ArchiveOrigin::user_file,
                           request.toolchains_dir);
  if (!copy) return copy.error();
  if (expected && copy.value().sha256() != *expected) {
    if (!is_url) return Error{Error::Kind::checksum_mismatch, request.source, {}, *expected, copy.value().sha256()};
    std::error_code ignored;
    fs::remove(file, ignored);
    return Error{Error::Kind::checksum_mismatch, file.string(), {}, *expected, copy.value().sha256(),
                 {"the cached download changed after it was verified; it was deleted, run the install again"}};
  }
  return copy;
}

// The part every install shares, under the caller's lock: the verified
// download or copy, unpacked safely into a fresh staging directory (removed
// on every path out), its top directory found and its links checked; then
// `finish(staging, root, sha256)` validates it and moves it into place.
using FinishInstall =
    std::function<std::optional<Error>(const fs::path& staging, const fs::path& root, const std::string& sha256)>;
std::optional<Error> with_unpacked(const InstallRequest& request, const std::string& name,
                                   const std::string& top_directory, ProgressSink& progress,
                                   const FinishInstall& finish) {
  remove_stale_staging(request.toolchains_dir);
  auto fetched = fetch(request, progress);
  if (!fetched) return fetched.error();
  const StagingDir staging(request.toolchains_dir / (".staging-" + name + "-" + random_suffix()));
  std::error_code error;
  fs::create_directories(staging.path(), error);
  if (error) return Error{Error::Kind::io, staging.path().string(), error.message()};
  progress.note(fmt::format("unpacking {}", fs::path(request.source).filename().string()));
  const ArchiveCopy& archive = fetched.value();
  if (auto failure = extract_safely(archive.fd(), archive.origin(), staging.path())) return failure;
  const fs::path root = toolchain_root(staging.path(), top_directory);
  if (auto failure = check_links_inside(root, request.source)) return failure;
  return finish(staging.path(), root, archive.sha256());
}

}  // namespace

Result<Toolchain> install(const InstallRequest& request, ProgressSink& progress) {
  if (!is_valid_name(request.name)) return Error{Error::Kind::bad_name, request.name};
  if (!request.sha256 && !request.allow_unpinned) {
    return Error{Error::Kind::checksum_required, request.source, {}, {}, {},
                 {"pass the archive's SHA-256 with --sha256 HEX"}};
  }
  auto lock = InstallLock::acquire(request.toolchains_dir, progress);
  if (!lock) return lock.error();
  const Store store(request.toolchains_dir);
  // Checked again under the lock: another process may have just finished.
  if (!request.replace_existing) {
    if (auto existing = store.load(request.name)) {
      progress.note(fmt::format("{} was installed by another wasibuild meanwhile", request.name));
      return existing;
    }
  }
  const auto failure = with_unpacked(
      request, request.name, request.top_directory, progress,
      [&](const fs::path& staging, const fs::path& root, const std::string& sha256) -> std::optional<Error> {
        auto toolchain = validate(root, request);
        if (!toolchain) return toolchain.error();
        toolchain.value().sha256 = sha256;  // of the very bytes unpacked
        toolchain.value().pinned = request.sha256.has_value();
        progress.note("probing the toolchain's capabilities");
        const fs::path scratch = staging / ".probe";
        toolchain.value().capabilities = probe_capabilities(toolchain.value(), scratch);
        std::error_code ignored;
        fs::remove_all(scratch, ignored);
        if (auto failed = write_metadata(toolchain.value())) return failed;
        return move_into_place(root, store.path_of(request.name));
      });
  if (failure) return *failure;
  return store.load(request.name);
}

Result<InstalledTool> install_tool(const InstallRequest& request, const ToolRelease& tool, ProgressSink& progress) {
  if (!request.sha256 && !request.allow_unpinned) {
    return Error{Error::Kind::checksum_required, request.source, {}, {}, {},
                 {"pass the archive's SHA-256 with --sha256 HEX"}};
  }
  auto lock = InstallLock::acquire(request.toolchains_dir, progress);
  if (!lock) return lock.error();
  if (!request.replace_existing) {
    if (auto existing = load_tool(request.toolchains_dir, tool.name)) return existing;
  }
  const auto failure = with_unpacked(
      request, tool.name, tool.top_directory, progress,
      [&](const fs::path&, const fs::path& root, const std::string& sha256) -> std::optional<Error> {
        std::error_code error;
        if (!fs::is_regular_file(root / tool.program, error)) {
          return Error{Error::Kind::bad_archive, request.source,
                       fmt::format("it has no {}, so it is not {} {}", tool.program, tool.name, tool.version),
                       {}, {}, {"nothing was installed"}};
        }
        const InstalledTool installed{tool.name, tool.version, root, root / tool.program, request.source, sha256};
        const fs::path file = root / kToolMetadataFile;
        std::ofstream out(file, std::ios::trunc);
        out << tool_to_toml(installed);
        out.close();
        if (!out) return Error{Error::Kind::io, file.string(), "cannot write the tool's metadata"};
        return move_into_place(root, request.toolchains_dir / tool.name);
      });
  if (failure) return *failure;
  return load_tool(request.toolchains_dir, tool.name);
}

}  // namespace wasibuild::toolchain
