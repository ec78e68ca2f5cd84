#include "build_dir_guard.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "command.hpp"

namespace wasibuild::driver {

namespace fs = std::filesystem;

namespace {

// Files a build system, CTest or a test script runs or reads for commands.
constexpr std::array kGuardedNames = {std::string_view("CMakeCache.txt"), std::string_view("CMakeLists.txt"),
                                      std::string_view("Makefile"), std::string_view("DartConfiguration.tcl")};
constexpr std::array kGuardedSuffixes = {std::string_view(".cmake"), std::string_view(".ninja"),
                                         std::string_view(".sh"),    std::string_view(".py"),
                                         std::string_view(".pl"),    std::string_view(".tcl")};
// Directories kept read-only whole: CMake's own state, and version-control
// metadata (git runs .git/hooks/*, existing or newly planted).
constexpr std::array kGuardedDirectories = {std::string_view("CMakeFiles"), std::string_view(".git"),
                                            std::string_view(".hg"), std::string_view(".svn")};
// Far beyond any build tree: walking a home directory is a mistake, not a plan.
constexpr std::size_t kMaxEntries = 200'000;

// Full host paths, as strings: sorted, a directory comes before what it holds.
struct GuardPlan {
  std::set<std::string> pinned;     // directories that hold guarded files: not renamable
  std::set<std::string> read_only;  // guarded files, and whole CMakeFiles/ directories
};

[[noreturn]] void refuse(const fs::path& directory, const std::string& problem, std::vector<std::string> help = {}) {
  help.emplace_back(
      "or grant it with --dir, which lets the guest rewrite them (toolchain file: -DWASIBUILD_TEST_CWD=writable)");
  throw Failure{fmt::format("--dir-build {}: cannot keep its build files read-only: {}", directory.string(), problem),
                std::move(help), kExitRunnerError};
}

[[noreturn]] void refuse_listing(const fs::path& directory, const std::string& path, int error) {
  refuse(directory, fmt::format("cannot list {}: {}", path, std::strerror(error)));
}

constexpr const char* kNoNamespaceHelp = "this system allows no private mount namespace (a container without that right?)";

// The system said no to a mount.
[[noreturn]] void refuse_mount(const fs::path& directory, std::string_view step, const std::string& path, int error) {
  refuse(directory, fmt::format("{} {}: {}", step, path, std::strerror(error)), {kNoNamespaceHelp});
}

bool has_suffix(std::string_view name, std::string_view suffix) {
  return name.size() > suffix.size() && name.ends_with(suffix);
}

bool has_guarded_name(std::string_view name) {
  if (name.starts_with(".ninja_")) return true;  // Ninja's log and deps decide what is rebuilt
  return std::ranges::find(kGuardedNames, name) != kGuardedNames.end() ||
         std::ranges::any_of(kGuardedSuffixes, [&](std::string_view suffix) { return has_suffix(name, suffix); });
}

// Launchers, scripts and modules: whatever has an execute bit.
bool is_executable(int directory_fd, const char* name) {
  struct stat info {};
  return fstatat(directory_fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(info.st_mode) &&
         (info.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
}

// The walk runs before every guarded test, over trees of thousands of files,
// so it uses readdir's entry types and stats relative to the directory
// instead of std::filesystem's full-path lookups (three times faster here).
class Planner {
 public:
  Planner(const fs::path& root, GuardPlan& plan) : root_(root), plan_(plan) {}

  void walk(const std::string& path, bool is_root) {
    DIR* directory = opendir(path.c_str());
    if (directory == nullptr) {
      if (is_root || errno != EACCES) refuse_listing(root_, path, errno);
      return;  // a directory we may not read, the guest may not enter either
    }
    std::vector<std::string> subdirectories;
    bool holds_guarded = false;
    int error = 0;
    for (;;) {
      errno = 0;  // readdir signals an error only through errno
      const dirent* entry = readdir(directory);
      if (entry == nullptr) {
        error = errno;
        break;
      }
      if (++entries_ > kMaxEntries) refuse(root_, fmt::format("it holds more than {} entries", kMaxEntries));
      const Kind kind = classify(dirfd(directory), *entry);
      if (kind == Kind::other) continue;
      std::string child = path + "/" + entry->d_name;
      if (kind == Kind::subdirectory) {
        subdirectories.push_back(std::move(child));
      } else {
        plan_.read_only.insert(std::move(child));
        holds_guarded = true;
      }
    }
    closedir(directory);
    if (error != 0) refuse_listing(root_, path, error);
    if (holds_guarded && !is_root) pin_with_parents(path);
    for (const std::string& subdirectory : subdirectories) walk(subdirectory, false);
  }

 private:
  enum class Kind { other, guarded, subdirectory };

  static Kind classify(int directory_fd, const dirent& entry) {
    const std::string_view name = entry.d_name;
    if (name == "." || name == "..") return Kind::other;
    const unsigned char type = entry.d_type == DT_UNKNOWN ? type_of(directory_fd, entry.d_name) : entry.d_type;
    if (type == DT_DIR) {
      const bool guarded = std::ranges::find(kGuardedDirectories, name) != kGuardedDirectories.end();
      return guarded ? Kind::guarded : Kind::subdirectory;
    }
    if (type == DT_REG && (has_guarded_name(name) || is_executable(directory_fd, entry.d_name))) return Kind::guarded;
    return Kind::other;
  }

  static unsigned char type_of(int directory_fd, const char* name) {
    struct stat info {};
    if (fstatat(directory_fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0) return DT_UNKNOWN;
    if (S_ISDIR(info.st_mode)) return DT_DIR;
    return S_ISREG(info.st_mode) ? DT_REG : DT_UNKNOWN;
  }

  void pin_with_parents(std::string path) {
    const std::string& root = root_.native();
    while (path.size() > root.size() && plan_.pinned.insert(path).second) path.resize(path.rfind('/'));
  }

  const fs::path& root_;
  GuardPlan& plan_;
  std::size_t entries_ = 0;
};

// Each returns why it failed, or nothing.
std::optional<std::string> write_proc_file(const char* path, const std::string& text) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fmt::format("open {}: {}", path, std::strerror(errno));
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int error = errno;
  close(fd);
  if (!written) return fmt::format("write {}: {}", path, std::strerror(error));
  return std::nullopt;
}

// root may make a mount namespace directly; anyone else (and root in a
// container without CAP_SYS_ADMIN) needs a user namespace that maps only its
// own ids, so files keep their owners and no privilege is gained outside.
std::optional<std::string> enter_private_mount_namespace() {
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  if (uid != 0 || unshare(CLONE_NEWNS) != 0) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      return fmt::format("unshare a mount namespace: {}", std::strerror(errno));
    }
    for (const auto& [path, text] : {std::pair{"/proc/self/setgroups", std::string("deny")},
                                     std::pair{"/proc/self/uid_map", fmt::format("{} {} 1", uid, uid)},
                                     std::pair{"/proc/self/gid_map", fmt::format("{} {} 1", gid, gid)}}) {
      if (auto error = write_proc_file(path, text)) return error;
    }
  }
  // Nothing mounted below may propagate back to the host's namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fmt::format("make / private: {}", std::strerror(errno));
  }
  return std::nullopt;
}

// A remount inside a user namespace must keep the flags the parent mount has
// locked (nosuid, nodev, noexec, atime), or the kernel refuses it.
unsigned long locked_flags(const fs::path& path) {
  struct statvfs info {};
  if (statvfs(path.c_str(), &info) != 0) return 0;
  unsigned long flags = 0;
  if (info.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (info.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (info.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (info.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (info.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (info.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

// A mount point cannot be renamed, removed or replaced: pinning a directory
// keeps a guest from moving it aside and planting a fresh one in its place.
void pin(const fs::path& directory, const std::string& path) {
  if (mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) refuse_mount(directory, "bind-mount", path, errno);
}

// `root_flags` are the locked flags of the directory's own mount; a path on
// another mount below it gets its own on a retry.
void bind_read_only(const fs::path& directory, const std::string& path, unsigned long root_flags) {
  pin(directory, path);
  constexpr unsigned long kReadOnly = MS_BIND | MS_REMOUNT | MS_RDONLY;
  if (mount(nullptr, path.c_str(), nullptr, kReadOnly | root_flags, nullptr) == 0) return;
  if (mount(nullptr, path.c_str(), nullptr, kReadOnly | locked_flags(path), nullptr) != 0) {
    refuse_mount(directory, "remount read-only", path, errno);
  }
}

}  // namespace

void guard_build_directories(const std::vector<fs::path>& directories) {
  std::vector<std::pair<fs::path, GuardPlan>> plans;
  for (const fs::path& directory : directories) {
    std::error_code error;
    const fs::path root = fs::canonical(directory, error);
    // A missing grant is the runner's error to report, in its own words.
    if (error || !fs::is_directory(root)) continue;
    auto& [_, plan] = plans.emplace_back(root, GuardPlan{});
    Planner(root, plan).walk(root.native(), true);
  }
  const bool nothing_to_guard = std::ranges::all_of(plans, [](const auto& plan) { return plan.second.read_only.empty(); });
  if (nothing_to_guard) return;
  if (auto error = enter_private_mount_namespace()) refuse(plans.front().first, *error, {kNoNamespaceHelp});
  for (const auto& [root, plan] : plans) {
    // Sorted paths put each directory before what it holds.
    for (const std::string& path : plan.pinned) pin(root, path);
    const unsigned long root_flags = locked_flags(root);
    for (const std::string& path : plan.read_only) bind_read_only(root, path, root_flags);
  }
}

std::optional<std::string> build_guard_unavailable() {
  int channel[2];
  if (pipe2(channel, O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));
  const pid_t child = fork();
  if (child < 0) return fmt::format("fork: {}", std::strerror(errno));
  if (child == 0) {
    close(channel[0]);
    const std::string reason = enter_private_mount_namespace().value_or("");
    (void)!write(channel[1], reason.data(), reason.size());
    _exit(0);
  }
  close(channel[1]);
  std::string reason;
  char buffer[512];
  for (ssize_t got; (got = read(channel[0], buffer, sizeof buffer)) > 0;) reason.append(buffer, static_cast<std::size_t>(got));
  close(channel[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status)) return std::string("the probe process ended abnormally");
  if (reason.empty()) return std::nullopt;
  return reason;
}

}  // namespace wasibuild::driver
