// The archive the installer unpacks is a private copy made while hashing.
//
// Why a copy and not "hash, then unpack by name" or "hash and unpack one
// descriptor": a name can be swapped between two opens, a FIFO hands out
// different bytes to each reader, and even one descriptor of a regular file
// can be rewritten in place, between the hash and the unpack, by whoever may
// write that file (a `--from` file in a shared directory). Reading the
// source exactly once into an unnamed file (O_TMPFILE) that only this
// process holds closes all three, and also lets `--from` read a FIFO or a
// pipe. It costs one extra write of the archive into the page cache and,
// for downloads, a second SHA-256 pass (OpenSSL hashes ~1.7 GB/s on the
// machines here: ~70 ms for a 115 MB SDK), against ~2 s for the install.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "owned_file.hpp"
#include "sha256.hpp"
#include "wasibuild/installer.hpp"

namespace wasibuild::toolchain {

namespace fs = std::filesystem;

namespace {

// No WASI SDK comes close; this only bounds an endless pipe.
constexpr std::uint64_t kMaxArchiveBytes = std::uint64_t{16} << 30;

Error io_error(const fs::path& path, int error) {
  return Error{Error::Kind::io, path.string(), error == ENOENT ? "no such file" : std::strerror(error)};
}

// An unnamed file in `dir`. Where the filesystem has no O_TMPFILE, a file
// created exclusively (never through a link) and unlinked at once.
Result<UniqueFd> unnamed_file(const fs::path& dir) {
#ifdef O_TMPFILE
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd.get() >= 0) return fd;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) return io_error(dir, errno);
#endif
  std::random_device device;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path name = dir / fmt::format(".archive-{}-{:08x}", ::getpid(), device());
    UniqueFd named(::open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (named.get() >= 0) {
      ::unlink(name.c_str());
      return named;
    }
    if (errno != EEXIST) return io_error(name, errno);
  }
  return Error{Error::Kind::io, dir.string(), "cannot create a private file"};
}

// The user's file: followed through symlinks (it is their path), but only a
// regular file or a FIFO/pipe. Devices are refused before opening them
// (opening one may act, and reading one may never end); the type is checked
// again on what was actually opened.
Result<UniqueFd> open_user_file(const fs::path& source) {
  const auto refuse = [&](mode_t mode) {
    const char* what = S_ISDIR(mode) ? "a directory" : S_ISCHR(mode) ? "a character device"
                       : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket" : "a special file";
    return Error{Error::Kind::bad_archive, source.string(), fmt::format("it is {}, not a file or a pipe", what)};
  };
  struct stat info {};
  if (::stat(source.c_str(), &info) != 0) return io_error(source, errno);
  if (!S_ISREG(info.st_mode) && !S_ISFIFO(info.st_mode)) return refuse(info.st_mode);
  // Blocking: a FIFO's reader waits for its writer, as `tar -xf FIFO` does.
  UniqueFd fd;
  do {
    fd = UniqueFd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  } while (fd.get() < 0 && errno == EINTR);
  if (fd.get() < 0) return io_error(source, errno);
  if (::fstat(fd.get(), &info) != 0) return io_error(source, errno);
  if (!S_ISREG(info.st_mode) && !S_ISFIFO(info.st_mode)) return refuse(info.st_mode);
  return fd;
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t wrote = ::write(fd, data, size);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += wrote;
    size -= static_cast<std::size_t>(wrote);
  }
  return true;
}

}  // namespace

ArchiveCopy::~ArchiveCopy() {
  if (fd_ >= 0) ::close(fd_);
}

Result<ArchiveCopy> copy_archive(const fs::path& source, ArchiveOrigin origin, const fs::path& scratch_dir) {
  auto in = origin == ArchiveOrigin::cache_entry ? open_own_file(source, O_RDONLY) : open_user_file(source);
  if (!in) return in.error();
  auto out = unnamed_file(scratch_dir);
  if (!out) return out.error();

  StreamingSha256 hasher;
  std::vector<char> buffer(std::size_t{1} << 20);
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t got = ::read(in.value().get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return io_error(source, errno);
    }
    if (got == 0) break;
    total += static_cast<std::uint64_t>(got);
    if (total > kMaxArchiveBytes) return Error{Error::Kind::bad_archive, source.string(), "it is larger than 16 GiB"};
    hasher.update(buffer.data(), static_cast<std::size_t>(got));
    if (!write_all(out.value().get(), buffer.data(), static_cast<std::size_t>(got))) {
      return Error{Error::Kind::io, scratch_dir.string(), fmt::format("cannot copy {}: {}", source.string(),
                                                                      std::strerror(errno))};
    }
  }
  if (::lseek(out.value().get(), 0, SEEK_SET) != 0) return io_error(scratch_dir, errno);
  return ArchiveCopy(out.value().release(), hasher.hex(), source);
}

}  // namespace wasibuild::toolchain
