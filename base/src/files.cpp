#include "wasibuild/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace wasibuild::base {

namespace fs = std::filesystem;

namespace {

std::string os_error(int error) { return std::strerror(error); }

[[noreturn]] void fail(const fs::path& shown, int error, std::string_view what = {}) {
  std::string problem = what.empty() ? os_error(error) : std::string(what);
  if (error == ELOOP && what.empty()) problem = "a symbolic link where a file or directory was expected";
  if (error == EXDEV && what.empty()) problem = "the path leaves its directory";
  throw FileError(shown, std::move(problem));
}

// Kernels before 5.6 (and seccomp filters that hide the call) lack openat2.
std::atomic<bool> no_openat2{false};

int openat2_beneath(int root, const char* relative, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags) | O_CLOEXEC | O_NOFOLLOW;
  how.mode = (flags & O_CREAT) != 0 ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root, relative, &how, sizeof how));
}

// The same walk by hand: each directory opened with O_NOFOLLOW below the last.
int open_by_components(int root, const fs::path& relative, int flags, mode_t mode) {
  Fd current;
  int at = root;
  auto it = relative.begin();
  for (auto next = std::next(it); next != relative.end(); it = next, ++next) {
    Fd step(::openat(at, it->c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!step) return -1;
    current = std::move(step);
    at = current.get();
  }
  return ::openat(at, it->c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

bool is_plain_relative(const fs::path& relative) {
  if (relative.empty() || relative.is_absolute()) return false;
  for (const auto& part : relative) {
    if (part == "..") return false;
  }
  return true;
}

}  // namespace

FileError::FileError(fs::path path, std::string problem)
    : std::runtime_error(path.string() + ": " + problem), path_(std::move(path)), problem_(std::move(problem)) {}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

int Fd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

Fd open_directory(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) fail(path, errno);
  return fd;
}

Fd open_beneath(int root, const fs::path& relative, int flags, const fs::path& shown, bool missing_ok) {
  if (!is_plain_relative(relative)) fail(shown, 0, "the path leaves its directory");
  const mode_t mode = 0644;
  int fd = -1;
  if (!no_openat2.load(std::memory_order_relaxed)) {
    fd = openat2_beneath(root, relative.c_str(), flags, mode);
    if (fd < 0 && (errno == ENOSYS || errno == EPERM)) no_openat2 = true;
  }
  if (no_openat2.load(std::memory_order_relaxed)) fd = open_by_components(root, relative, flags, mode);
  if (fd < 0) {
    if (missing_ok && errno == ENOENT) return {};
    fail(shown, errno);
  }
  return Fd(fd);
}

std::string read_all(int fd, const fs::path& shown, std::size_t limit) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) fail(shown, errno);
  if (!S_ISREG(info.st_mode)) fail(shown, 0, "not a regular file");
  std::string content;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(shown, errno);
    if (got == 0) return content;
    if (content.size() + static_cast<std::size_t>(got) > limit) fail(shown, 0, "larger than expected");
    content.append(buffer, static_cast<std::size_t>(got));
  }
}

std::optional<std::string> read_file_at(int dir, const std::string& name, const fs::path& shown, std::size_t limit) {
  Fd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    fail(shown, errno);
  }
  return read_all(fd.get(), shown, limit);
}

namespace {

void write_all(int fd, std::string_view content, const fs::path& shown) {
  while (!content.empty()) {
    const ssize_t wrote = ::write(fd, content.data(), content.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) fail(shown, errno);
    content.remove_prefix(static_cast<std::size_t>(wrote));
  }
}

}  // namespace

void replace_file_at(int dir, const std::string& name, std::string_view content, mode_t mode, const fs::path& shown) {
  static std::atomic<unsigned> counter{0};
  const std::string temp = ".wasibuild-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name;
  Fd fd(::openat(dir, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) fail(shown, errno);
  try {
    write_all(fd.get(), content, shown);
    // The umask applied at creation; the caller's mode is what it asked for.
    if (::fchmod(fd.get(), mode) != 0) fail(shown, errno);
    if (::renameat(dir, temp.c_str(), dir, name.c_str()) != 0) fail(shown, errno);
  } catch (...) {
    ::unlinkat(dir, temp.c_str(), 0);
    throw;
  }
}

void replace_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  const std::filesystem::path directory = path.parent_path().empty() ? "." : path.parent_path();
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw FileError(directory, error.message());
  const Fd dir = open_directory(directory);
  replace_file_at(dir.get(), path.filename().string(), content, mode, path);
}

bool create_new_file_at(int dir, const std::string& name, std::string_view content, mode_t mode, const fs::path& shown) {
  Fd fd(::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) {
    if (errno == EEXIST) return false;
    fail(shown, errno);
  }
  write_all(fd.get(), content, shown);
  return true;
}

namespace {

// The names in directory `fd` (not . and ..), with whether each is a
// directory (never following a link to find out).
std::vector<std::pair<std::string, bool>> list_entries(int fd, const fs::path& shown) {
  const int copy = ::dup(fd);
  if (copy < 0) fail(shown, errno);
  DIR* directory = ::fdopendir(copy);
  if (directory == nullptr) {
    const int error = errno;
    ::close(copy);
    fail(shown, error);
  }
  std::vector<std::pair<std::string, bool>> entries;
  while (const dirent* entry = ::readdir(directory)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool is_directory = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat info {};
      is_directory = ::fstatat(fd, entry->d_name, &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(info.st_mode);
    }
    entries.emplace_back(entry->d_name, is_directory);
  }
  ::closedir(directory);
  return entries;
}

}  // namespace

// Depth-first with one open directory at a time and a stack of names, so
// neither descriptors nor path lengths grow with the depth of the tree.
void remove_tree_at(int dir, const std::string& name, const fs::path& shown) {
  if (::unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) fail(shown, errno);
  std::vector<std::string> names{name};
  Fd current(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!current) fail(shown, errno);
  while (!names.empty()) {
    std::optional<std::string> subdirectory;
    for (const auto& [entry, is_directory] : list_entries(current.get(), shown)) {
      if (is_directory) {
        subdirectory = entry;
      } else if (::unlinkat(current.get(), entry.c_str(), 0) != 0 && errno != ENOENT) {
        fail(shown, errno);
      }
    }
    if (subdirectory) {
      Fd child(::openat(current.get(), subdirectory->c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) fail(shown, errno);
      current = std::move(child);
      names.push_back(*subdirectory);
      continue;
    }
    // Empty now: remove it from its parent and go back up.
    const std::string done = names.back();
    names.pop_back();
    Fd parent;
    int parent_fd = dir;
    if (!names.empty()) {
      parent = Fd(::openat(current.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!parent) fail(shown, errno);
      parent_fd = parent.get();
    }
    if (::unlinkat(parent_fd, done.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) fail(shown, errno);
    current = std::move(parent);
  }
}

}  // namespace wasibuild::base
