// Installing a toolchain: download (libcurl) with SHA-256 computed while
// streaming (OpenSSL EVP), extraction with libarchive into a staging
// directory on the same filesystem, layout validation, capability probes,
// metadata, then an atomic rename under an exclusive lock. Nothing is
// unpacked before its hash is verified, what is unpacked is the very bytes
// that were hashed (a private copy, see ArchiveCopy), and an interrupted
// install never leaves a directory that `Store::installed()` reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "wasibuild/toolchain.hpp"

namespace wasibuild::toolchain {

// Progress as events; the installer never prints. The driver renders them
// (a bar on a terminal, plain lines otherwise).
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void begin(std::string_view label, std::optional<std::uint64_t> total_bytes) = 0;
  virtual void advance(std::uint64_t bytes_so_far) = 0;
  virtual void end(bool succeeded) = 0;
  // A one-line notice ("waiting for lock on ...", "retrying ...").
  virtual void note(std::string_view line) = 0;
};

struct DownloadSettings {
  std::optional<std::filesystem::path> ca_bundle;  // for company mirrors
  std::chrono::seconds connect_timeout{30};
  std::uint64_t low_speed_bytes_per_second = 1024;  // slower than this ...
  std::chrono::seconds low_speed_time{30};           // ... for this long fails
  int attempts = 4;                                  // retries with backoff
  std::chrono::milliseconds first_backoff{500};
};

struct Downloaded {
  std::filesystem::path file;  // the verified archive in the download cache
  std::string sha256;
};

// Downloads `url` (http, https, file) into `cache_dir`, or reuses a verified
// earlier download. With `expected_sha256`, a mismatch deletes the partial
// file and fails; without it, the actual hash is returned for the caller to
// record. A network failure keeps `<cache>/<key>.part` for resumption with
// an HTTP Range request.
[[nodiscard]] Result<Downloaded> download(const std::string& url, const std::optional<std::string>& expected_sha256,
                                          const std::filesystem::path& cache_dir, const DownloadSettings& settings,
                                          ProgressSink& progress);

// Where an archive to unpack comes from; it decides how it may be opened.
enum class ArchiveOrigin {
  // `--from FILE`: the user's own path. Symlinks are followed; a regular
  // file, a FIFO or a pipe (`/dev/stdin`) is read; devices and directories
  // are refused.
  user_file,
  // `<cache>/<sha256>`: opened with O_NOFOLLOW and used only if it is a
  // regular file of this user that neither its group nor others may write.
  cache_entry,
};

// An archive copied, while it was hashed, into an unnamed file of our own
// (O_TMPFILE: no name anyone could open, swap or write). The bytes later
// unpacked from fd() are exactly the bytes whose SHA-256 is sha256().
class ArchiveCopy {
 public:
  ArchiveCopy(int fd, std::string sha256, std::filesystem::path origin)
      : fd_(fd), sha256_(std::move(sha256)), origin_(std::move(origin)) {}
  ArchiveCopy(ArchiveCopy&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), sha256_(std::move(other.sha256_)), origin_(std::move(other.origin_)) {}
  ArchiveCopy& operator=(ArchiveCopy&&) = delete;
  ArchiveCopy(const ArchiveCopy&) = delete;
  ArchiveCopy& operator=(const ArchiveCopy&) = delete;
  ~ArchiveCopy();
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::string& sha256() const { return sha256_; }
  [[nodiscard]] const std::filesystem::path& origin() const { return origin_; }  // for messages

 private:
  int fd_;
  std::string sha256_;
  std::filesystem::path origin_;
};

// Reads `source` once, hashing it while writing it to a private unnamed
// file in `scratch_dir` (which must be on a filesystem with room for it).
[[nodiscard]] Result<ArchiveCopy> copy_archive(const std::filesystem::path& source, ArchiveOrigin origin,
                                               const std::filesystem::path& scratch_dir);

// Unpacks the archive read from `fd` (from its start; `label` names it in
// errors) into the empty directory `destination`, refusing absolute paths,
// `..`, links that lead outside, device files and fifos.
[[nodiscard]] std::optional<Error> extract_safely(int fd, const std::filesystem::path& label,
                                                  const std::filesystem::path& destination);
// The same for a file opened by name (tests and tools; the installer
// unpacks only an ArchiveCopy).
[[nodiscard]] std::optional<Error> extract_safely(const std::filesystem::path& archive,
                                                  const std::filesystem::path& destination);

struct InstallRequest {
  std::string name;                       // directory name in the store
  std::string source;                     // URL, or a local archive path
  std::optional<std::string> sha256;      // expected hash (pin or --sha256)
  bool allow_unpinned = false;            // record the hash of an unpinned source
  Provider provider = Provider::custom;
  std::string version;
  std::string top_directory;              // expected top directory ("" = detect)
  std::string default_target;             // "" = chosen from the sysroot (install.cpp)
  // A sysroot-only archive (wasi-sysroot-*.tar.gz) is paired with the clang
  // this returns; asked only for such an archive (discovery runs clang).
  std::function<std::optional<Toolchain>()> find_system_compiler;
  bool replace_existing = false;
  std::filesystem::path toolchains_dir;
  std::filesystem::path download_cache;
  DownloadSettings download;
};

// Runs the whole pipeline; returns the installed toolchain (or the one
// already installed under that name, unless replace_existing).
[[nodiscard]] Result<Toolchain> install(const InstallRequest& request, ProgressSink& progress);

// Installs `tool` from request.source (its npm tarball, or --from FILE)
// into request.toolchains_dir (the tools directory) with the same
// guarantees: verified against request.sha256 before unpacking, staged,
// checked (the program must exist), metadata written, renamed into place.
[[nodiscard]] Result<InstalledTool> install_tool(const InstallRequest& request, const ToolRelease& tool,
                                                 ProgressSink& progress);

}  // namespace wasibuild::toolchain
