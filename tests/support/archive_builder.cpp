#include "archive_builder.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace wasibuild::testing {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t fixed_mtime = 1'700'000'000;  // reproducible archives

struct EntryDeleter {
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

class TarGzWriter {
 public:
  explicit TarGzWriter(const fs::path& path) : archive_(archive_write_new()), path_(path) {
    if (archive_ == nullptr) throw std::runtime_error("archive_write_new failed");
    check(archive_write_add_filter_gzip(archive_), "gzip filter");
    check(archive_write_set_format_pax_restricted(archive_), "tar format");
    check(archive_write_open_filename(archive_, path.c_str()), "open");
  }
  TarGzWriter(const TarGzWriter&) = delete;
  TarGzWriter& operator=(const TarGzWriter&) = delete;
  ~TarGzWriter() { archive_write_free(archive_); }  // also closes when close() was not reached

  // Writes one entry header; a file's `size` bytes must follow through data().
  void header(const ArchiveEntry& spec, std::int64_t size) {
    EntryPtr entry(archive_entry_new());
    if (!entry) throw std::runtime_error("archive_entry_new failed");
    archive_entry_copy_pathname(entry.get(), spec.path.c_str());
    archive_entry_set_perm(entry.get(), static_cast<mode_t>(spec.mode & 07777U));
    archive_entry_set_mtime(entry.get(), fixed_mtime, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_copy_uname(entry.get(), "root");
    archive_entry_copy_gname(entry.get(), "root");
    archive_entry_set_size(entry.get(), 0);
    switch (spec.type) {
      case ArchiveEntry::Type::file:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_size(entry.get(), size);
        break;
      case ArchiveEntry::Type::directory:
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        break;
      case ArchiveEntry::Type::symlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_copy_symlink(entry.get(), spec.link_target.c_str());
        break;
      case ArchiveEntry::Type::hardlink:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_copy_hardlink(entry.get(), spec.link_target.c_str());
        break;
      case ArchiveEntry::Type::char_device:
        archive_entry_set_filetype(entry.get(), AE_IFCHR);
        archive_entry_set_rdevmajor(entry.get(), 1);
        archive_entry_set_rdevminor(entry.get(), 3);
        break;
      case ArchiveEntry::Type::fifo:
        archive_entry_set_filetype(entry.get(), AE_IFIFO);
        break;
    }
    check(archive_write_header(archive_, entry.get()), "header of " + spec.path);
  }

  void data(const char* bytes, std::size_t size) {
    while (size > 0) {
      const la_ssize_t written = archive_write_data(archive_, bytes, size);
      if (written <= 0) fail("data");
      bytes += written;
      size -= static_cast<std::size_t>(written);
    }
  }

  void close() { check(archive_write_close(archive_), "close"); }

 private:
  void check(int status, const std::string& what) {
    if (status < ARCHIVE_WARN) fail(what);
  }
  [[noreturn]] void fail(const std::string& what) {
    const char* message = archive_error_string(archive_);
    throw std::runtime_error("libarchive: " + path_.string() + ": " + what + ": " +
                             (message != nullptr ? message : "unknown error"));
  }

  archive* archive_;
  fs::path path_;
};

}  // namespace

void write_tar_gz(const fs::path& archive, const std::vector<ArchiveEntry>& entries) {
  TarGzWriter writer(archive);
  for (const auto& entry : entries) {
    writer.header(entry, static_cast<std::int64_t>(entry.content.size()));
    if (entry.type == ArchiveEntry::Type::file) writer.data(entry.content.data(), entry.content.size());
  }
  writer.close();
}

void write_tree_tar_gz(const fs::path& archive, const fs::path& tree, const std::string& top_directory) {
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(tree); it != fs::recursive_directory_iterator(); ++it) {
    paths.push_back(it->path());
  }
  std::vector<std::pair<std::string, fs::path>> items;  // archive name, file
  for (const auto& path : paths) {
    std::string name = path.lexically_relative(tree).generic_string();
    if (!top_directory.empty()) name = top_directory + "/" + name;
    items.emplace_back(std::move(name), path);
  }
  // Plain string order puts every directory before its content.
  std::sort(items.begin(), items.end());

  TarGzWriter writer(archive);
  if (!top_directory.empty()) {
    writer.header({top_directory, ArchiveEntry::Type::directory, {}, {}, 0755}, 0);
  }
  for (const auto& [name, path] : items) {
    const auto status = fs::symlink_status(path);
    ArchiveEntry entry{name, ArchiveEntry::Type::file, {}, {}, static_cast<unsigned>(status.permissions()) & 07777U};
    if (fs::is_symlink(status)) {
      entry.type = ArchiveEntry::Type::symlink;
      entry.link_target = fs::read_symlink(path).string();
      writer.header(entry, 0);
    } else if (fs::is_directory(status)) {
      entry.type = ArchiveEntry::Type::directory;
      writer.header(entry, 0);
    } else if (fs::is_regular_file(status)) {
      const auto size = fs::file_size(path);
      writer.header(entry, static_cast<std::int64_t>(size));
      std::ifstream in(path, std::ios::binary);
      if (!in) throw std::runtime_error("cannot read " + path.string());
      char buffer[64 * 1024];
      std::uintmax_t left = size;
      while (left > 0) {
        const auto want = static_cast<std::streamsize>(std::min<std::uintmax_t>(left, sizeof buffer));
        in.read(buffer, want);
        if (in.gcount() != want) throw std::runtime_error("short read from " + path.string());
        writer.data(buffer, static_cast<std::size_t>(want));
        left -= static_cast<std::uintmax_t>(want);
      }
    } else {
      throw std::runtime_error("write_tree_tar_gz: unsupported file type: " + path.string());
    }
  }
  writer.close();
}

}  // namespace wasibuild::testing
