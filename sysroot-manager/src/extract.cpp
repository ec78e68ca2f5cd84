// Unpacking with libarchive, checking every entry ourselves: libarchive's
// SECURE_* flags reject absolute staging prefixes wholesale and never look
// at where a symlink points (design.md, known traps).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "archive_rules.hpp"
#include "wasibuild/installer.hpp"

namespace wasibuild::toolchain {

namespace fs = std::filesystem;

namespace {

struct FreeReader {
  void operator()(archive* reader) const { archive_read_free(reader); }
};
struct FreeWriter {
  void operator()(archive* writer) const { archive_write_free(writer); }
};

constexpr std::uint64_t kMaxEntries = 1'000'000;
constexpr std::uint64_t kMaxUnpackedBytes = std::uint64_t{16} << 30;  // 16 GiB: a bomb, not an SDK

// A relative path without `..`, `.`-only or empty components is inside.
std::optional<fs::path> safe_relative(std::string_view text) {
  if (text.empty() || text.front() == '/') return std::nullopt;
  fs::path clean;
  for (const auto& part : fs::path(text)) {
    if (part == "..") return std::nullopt;
    if (part.empty() || part == ".") continue;
    clean /= part;
  }
  if (clean.empty()) return std::nullopt;
  return clean;
}

std::string describe_type(mode_t type) {
  switch (type) {
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a fifo";
    case AE_IFSOCK: return "a socket";
    default: return "a special file";
  }
}

}  // namespace

// A symlink target may climb with leading `..` (through real directories,
// since nothing is extracted through a symlink) but must not leave the root,
// and may not climb again after descending: `q/..` after a symlink `q`
// would climb from wherever `q` points.
bool symlink_stays_inside(const fs::path& link, std::string_view target) {
  if (target.empty() || target.front() == '/') return false;
  const fs::path parent = link.parent_path();
  auto depth = static_cast<long>(std::distance(parent.begin(), parent.end()));
  bool descended = false;
  for (const auto& part : fs::path(target)) {
    if (part == "." || part.empty()) continue;
    if (part == "..") {
      if (descended || --depth < 0) return false;
    } else {
      descended = true;
    }
  }
  return true;
}

std::optional<Error> extract_safely(int fd, const fs::path& archive_path, const fs::path& destination) {
  const auto unsafe = [&](std::string detail) {
    return Error{Error::Kind::unsafe_archive, archive_path.string(), std::move(detail),
                 {}, {}, {"nothing was installed; the archive was not unpacked beyond this entry"}};
  };
  const auto broken = [&](archive* handle) {
    return Error{Error::Kind::bad_archive, archive_path.string(),
                 archive_error_string(handle) ? archive_error_string(handle) : "unknown libarchive error"};
  };
  std::error_code error;
  // A canonical prefix has no symlinks, so SECURE_SYMLINKS only sees ours.
  const fs::path root = fs::canonical(destination, error);
  if (error) return Error{Error::Kind::io, destination.string(), error.message()};

  std::unique_ptr<archive, FreeReader> reader(archive_read_new());
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());
  archive_read_support_format_zip(reader.get());
  if (::lseek(fd, 0, SEEK_SET) != 0) {
    return Error{Error::Kind::io, archive_path.string(), fmt::format("cannot rewind it: {}", std::strerror(errno))};
  }
  // The descriptor, never the name: the caller hashed what it holds.
  if (archive_read_open_fd(reader.get(), fd, 1 << 16) != ARCHIVE_OK) return broken(reader.get());
  std::unique_ptr<archive, FreeWriter> writer(archive_write_disk_new());
  archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                   ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                   ARCHIVE_EXTRACT_NO_OVERWRITE);

  std::uint64_t entries = 0;
  std::uint64_t unpacked = 0;
  archive_entry* entry = nullptr;
  for (;;) {
    const int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) return broken(reader.get());
    if (++entries > kMaxEntries) return unsafe("more than a million entries");

    const char* raw_name = archive_entry_pathname(entry);
    const std::string name = raw_name ? raw_name : "";
    const auto relative = safe_relative(name);
    if (!relative) {
      if (fs::path(name).lexically_normal() == "." || fs::path(name).lexically_normal() == "./") continue;
      return unsafe(fmt::format("entry '{}' is absolute or climbs out with '..'", name));
    }
    const mode_t type = archive_entry_filetype(entry);
    const char* hardlink = archive_entry_hardlink(entry);
    // A hard link's own type field is often 0; its target is checked below.
    if (hardlink == nullptr && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      return unsafe(fmt::format("entry '{}' is {}", name, describe_type(type)));
    }
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      if (!target || !symlink_stays_inside(*relative, target)) {
        return unsafe(fmt::format("symlink '{}' points outside the archive ('{}')", name, target ? target : ""));
      }
    }
    if (hardlink != nullptr) {
      const auto link_target = safe_relative(hardlink);
      if (!link_target) return unsafe(fmt::format("hard link '{}' points outside the archive ('{}')", name, hardlink));
      archive_entry_set_hardlink(entry, (root / *link_target).c_str());
    }
    unpacked += static_cast<std::uint64_t>(std::max<la_int64_t>(archive_entry_size(entry), 0));
    if (unpacked > kMaxUnpackedBytes) return unsafe("it unpacks to more than 16 GiB");
    // Every output path is the staging prefix plus the checked name; no
    // setuid/setgid bits, nothing writable by others.
    archive_entry_set_pathname(entry, (root / *relative).c_str());
    archive_entry_set_perm(entry, archive_entry_perm(entry) & 0755);

    if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN) return broken(writer.get());
    if (type == AE_IFREG && archive_entry_size(entry) > 0) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      for (;;) {
        const int read = archive_read_data_block(reader.get(), &block, &size, &offset);
        if (read == ARCHIVE_EOF) break;
        if (read < ARCHIVE_WARN) return broken(reader.get());
        if (archive_write_data_block(writer.get(), block, size, offset) < ARCHIVE_WARN) return broken(writer.get());
      }
    }
    if (archive_write_finish_entry(writer.get()) < ARCHIVE_WARN) return broken(writer.get());
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) return broken(writer.get());
  return std::nullopt;
}

std::optional<Error> extract_safely(const fs::path& archive, const fs::path& destination) {
  const int fd = ::open(archive.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{Error::Kind::bad_archive, archive.string(), std::strerror(errno)};
  auto result = extract_safely(fd, archive, destination);
  ::close(fd);
  return result;
}

}  // namespace wasibuild::toolchain
