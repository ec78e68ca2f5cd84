// Writes real .tar.gz archives with libarchive, including hostile entries
// ("../x", "/abs", links, devices) for extractor tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace wasibuild::testing {

struct ArchiveEntry {
  enum class Type { file, directory, symlink, hardlink, char_device, fifo };
  std::string path;         // written verbatim, so tests can craft "../x" or "/abs" entries
  Type type = Type::file;
  std::string content = {};      // for files
  std::string link_target = {};  // for symlink/hardlink
  unsigned mode = 0644;     // 0755 for directories/executables as the caller wishes
};

// Writes a .tar.gz (gzip-compressed pax/ustar tar). Throws std::runtime_error
// on libarchive failure with its message. Entries are written in the given
// order with a fixed mtime and owner 0:0; a char_device is 1,3 (/dev/null).
void write_tar_gz(const std::filesystem::path& archive, const std::vector<ArchiveEntry>& entries);

// Adds a whole directory tree to a .tar.gz under `top_directory/` (regular
// files with their modes, directories, symlinks kept as symlinks), in sorted
// order, parents first. An empty `top_directory` puts the tree's content at
// the archive root. Other file types (sockets, devices, fifos) throw.
void write_tree_tar_gz(const std::filesystem::path& archive, const std::filesystem::path& tree,
                       const std::string& top_directory);

}  // namespace wasibuild::testing
