// Files in directories someone else may write: the one small layer every host
// step uses where a guest could have been first (build trees, private /tmp,
// caches). Nothing here follows a symbolic link: a path is resolved below a
// directory descriptor with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
// (or component by component with O_NOFOLLOW where the kernel lacks it), new
// files are created with O_EXCL, and replacements are renamed within one
// directory descriptor. docs/security.md says why.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wasibuild::base {

// A file operation that failed, with the path it concerned and why.
class FileError : public std::runtime_error {
 public:
  FileError(std::filesystem::path path, std::string problem);
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] const std::string& problem() const { return problem_; }

 private:
  std::filesystem::path path_;
  std::string problem_;
};

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] explicit operator bool() const { return fd_ >= 0; }
  int release();

 private:
  int fd_ = -1;
};

// A directory the caller trusts by its path (a project root, a cache root).
[[nodiscard]] Fd open_directory(const std::filesystem::path& path);

// `relative` below the directory `root` (shown in errors as `shown`): no
// absolute path, no `..`, and no symbolic link in any component, the last
// one included. Throws FileError; with `missing_ok`, a path that does not
// exist gives an empty Fd instead.
[[nodiscard]] Fd open_beneath(int root, const std::filesystem::path& relative, int flags,
                              const std::filesystem::path& shown, bool missing_ok = false);

// A regular file's whole content, read from `fd` (at most `limit` bytes).
[[nodiscard]] std::string read_all(int fd, const std::filesystem::path& shown, std::size_t limit = 64u << 20);

// The content of regular file `name` in directory `dir`, or nothing when
// there is none. A symbolic link or any other kind of file is an error.
[[nodiscard]] std::optional<std::string> read_file_at(int dir, const std::string& name,
                                                      const std::filesystem::path& shown,
                                                      std::size_t limit = 64u << 20);

// Replaces (or creates) `name` in `dir` with `content`: a new file created
// with O_EXCL beside it, then renamed over it. Whatever stood at `name`
// (a symbolic link too) is replaced, never written through.
void replace_file_at(int dir, const std::string& name, std::string_view content, mode_t mode,
                     const std::filesystem::path& shown);

// replace_file_at for a file whose directory the caller trusts by its path
// (the user's config and caches): creates the directories up to it first.
void replace_file(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

// Creates `name` in `dir` only if nothing (not even a dangling symbolic link)
// has that name; returns whether it did.
[[nodiscard]] bool create_new_file_at(int dir, const std::string& name, std::string_view content, mode_t mode,
                                      const std::filesystem::path& shown);

// Removes `name` in `dir` and, if it is a directory, all it holds, by
// descriptor (no path is ever longer than one name, so trees deeper than
// PATH_MAX go too); links are removed, never followed. Missing is fine.
void remove_tree_at(int dir, const std::string& name, const std::filesystem::path& shown);

}  // namespace wasibuild::base
