#include "build_guard.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <spawn.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wasibuild/files.hpp"

namespace wasibuild::runner {

namespace fs = std::filesystem;

namespace {

// Files a build system, CTest or a test script runs or reads for commands.
constexpr std::array kGuardedNames = {std::string_view("CMakeCache.txt"), std::string_view("CMakeLists.txt"),
                                      std::string_view("Makefile"), std::string_view("DartConfiguration.tcl")};
constexpr std::array kGuardedSuffixes = {std::string_view(".cmake"), std::string_view(".ninja"),
                                         std::string_view(".sh"),    std::string_view(".py"),
                                         std::string_view(".pl"),    std::string_view(".tcl")};
// Directories kept read-only whole: CMake's own state (.cmake/ holds its
// file API's queries and replies), and version-control metadata (git runs
// .git/hooks/*, existing or newly planted). CTest's Testing/ only at the
// build root, where CTest keeps it: elsewhere the name is common for a
// project's own test data.
constexpr std::array kGuardedDirectories = {std::string_view("CMakeFiles"), std::string_view(".cmake"),
                                            std::string_view(".git"), std::string_view(".hg"),
                                            std::string_view(".svn")};
constexpr std::string_view kCTestDirectory = "Testing";
// Far beyond any build tree: walking a home directory is a mistake, not a plan.
constexpr std::size_t kMaxEntries = 200'000;

// Full host paths, as strings: sorted, a directory comes before what it holds.
struct GuardPlan {
  std::set<std::string> pinned;     // directories that hold guarded files: not renamable
  std::set<std::string> read_only;  // guarded files
  std::set<std::string> read_only_directories;  // whole CMakeFiles/, .cmake/, .git/...
};

// Why a directory's build files cannot be kept read-only. Thrown from deep
// in the walk and the graph, and caught once, in guard_build_directories().
struct Refusal {
  Error error;
};

[[noreturn]] void refuse(const fs::path& directory, const std::string& problem, std::vector<std::string> help = {}) {
  help.emplace_back(
      "or grant it with --dir, which lets the guest rewrite them (toolchain file: -DWASIBUILD_TEST_CWD=writable)");
  throw Refusal{Error{Error::Kind::build_guard_failed, directory, problem, std::move(help)}};
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
// It never follows a symbolic link: a subdirectory is entered only when
// readdir (or an lstat-like fstatat) says it is a directory, and a link is
// never guarded (nor mounted over), whatever its name or the graph says.
class Planner {
 public:
  // `graph`: sorted absolute paths the build reads or produces (may be
  // empty); `build_root`: the canonical build root, or empty.
  Planner(const fs::path& root, GuardPlan& plan, const std::vector<std::string>& graph, const std::string& build_root)
      : root_(root), plan_(plan), graph_(graph), build_root_(build_root) {}

  void walk(const std::string& path, bool is_root) {
    DIR* directory = opendir(path.c_str());
    if (directory == nullptr) {
      if (is_root || errno != EACCES) refuse_listing(root_, path, errno);
      return;  // a directory we may not read, the guest may not enter either
    }
    // The graph's files in this directory or below: one search per
    // directory, and none per entry where the build has nothing here.
    const std::string prefix = path + "/";
    const auto first = std::ranges::lower_bound(graph_, prefix);
    const bool graph_here = first != graph_.end() && first->starts_with(prefix);
    const bool at_build_root = path == build_root_;
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
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      const int directory_fd = dirfd(directory);
      const unsigned char type = entry->d_type == DT_UNKNOWN ? type_of(directory_fd, entry->d_name) : entry->d_type;
      Kind kind = Kind::other;
      if (type == DT_DIR) {
        const bool guarded = std::ranges::find(kGuardedDirectories, name) != kGuardedDirectories.end() ||
                             (at_build_root && name == kCTestDirectory);
        kind = guarded ? Kind::guarded : Kind::subdirectory;
      } else if (type == DT_REG && (has_guarded_name(name) || is_executable(directory_fd, entry->d_name))) {
        kind = Kind::guarded;
      }
      if (kind == Kind::other && (type != DT_REG || !graph_here)) continue;
      std::string child = prefix;
      child.append(name);
      if (kind == Kind::other && !std::binary_search(first, graph_.end(), child)) continue;
      if (kind == Kind::subdirectory) {
        // A tree deeper than PATH_MAX can only be a guest's own making (no
        // build writes there, no host step reads there): skip it, or one
        // such tree would make every later test in this directory fail.
        if (child.size() + 1 + NAME_MAX >= PATH_MAX) continue;
        subdirectories.push_back(std::move(child));
      } else {
        (type == DT_DIR ? plan_.read_only_directories : plan_.read_only).insert(std::move(child));
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
  const std::vector<std::string>& graph_;
  const std::string& build_root_;
  std::size_t entries_ = 0;
};

// ---- The build graph, from Ninja ------------------------------------------
//
// Ninja is asked, not trusted to be found: the build root comes from the
// toolchain file (exec --build-root), and its build.ninja is one no guest
// can have written: CMake writes it at the root before any test runs, and a
// guest sees the root either read-only (--dir-ro of the build tree) or, as
// its working directory, with build.ninja guarded by name. Tools such as
// `-t targets` only read the manifest: Ninja neither rebuilds it nor runs a
// command.
//
// Asking costs a few milliseconds per Ninja run on a large graph, and this
// runs before every test, so the answer is cached per build in
// <root>/CMakeFiles/wasibuild-build-graph.txt (no guest can write in any
// CMakeFiles/). Its first line is the key: device, inode, size and mtime of
// build.ninja and of .ninja_deps (which a build rewrites as it discovers
// headers). The file is read with O_NOFOLLOW and written to a fresh O_EXCL
// temporary file renamed over it within the same directory fd.

constexpr const char* kGraphCacheName = "wasibuild-build-graph.txt";
constexpr std::string_view kGraphCacheHeader = "wasibuild build graph v1";

[[noreturn]] void refuse_graph(const fs::path& guarded, const BuildGraph& build_root, const std::string& problem,
                               std::vector<std::string> help = {}) {
  refuse(guarded, fmt::format("cannot list the build graph of {}: {}", build_root.root.string(), problem),
         std::move(help));
}

struct Captured {
  int status = 0;
  std::string out;
  std::string err;
};

// Runs `program` with `arguments` (argv[0] included) and only PATH in its
// environment; stdout and stderr are read until both close.
std::optional<Captured> capture(const std::string& program, const std::vector<std::string>& arguments,
                                const std::string& search_path, int& error) {
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return error = errno, std::nullopt;
  if (pipe2(err, O_CLOEXEC) != 0) {
    error = errno;
    close(out[0]);
    close(out[1]);
    return std::nullopt;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::vector<char*> argv;
  for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  std::string path_variable = "PATH=" + search_path;
  std::array<char*, 2> envp = {path_variable.data(), nullptr};
  pid_t child = 0;
  error = posix_spawn(&child, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  Captured captured;
  std::array<pollfd, 2> pipes = {pollfd{out[0], POLLIN, 0}, pollfd{err[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks = {&captured.out, &captured.err};
  char buffer[65536];
  for (int open_pipes = 2; error == 0 && open_pipes > 0;) {
    if (poll(pipes.data(), pipes.size(), -1) < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    for (std::size_t i = 0; i < pipes.size(); ++i) {
      if (pipes[i].fd < 0 || pipes[i].revents == 0) continue;
      const ssize_t got = read(pipes[i].fd, buffer, sizeof buffer);
      if (got > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        pipes[i].fd = -1;  // poll skips negative descriptors
        --open_pipes;
      }
    }
  }
  close(out[0]);
  close(err[0]);
  if (child > 0) {
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    captured.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  if (error != 0) return std::nullopt;
  return captured;
}

std::optional<std::string> find_ninja(const std::string& search_path) {
  std::size_t start = 0;
  while (start <= search_path.size()) {
    const std::size_t colon = std::min(search_path.find(':', start), search_path.size());
    const std::string directory = search_path.substr(start, colon - start);
    start = colon + 1;
    if (directory.empty() || directory.front() != '/') continue;  // a relative PATH entry depends on the cwd
    for (const char* name : {"ninja", "ninja-build"}) {
      const std::string candidate = directory + "/" + name;
      struct stat info {};
      if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
  }
  return std::nullopt;
}

std::string first_line(const std::string& text) {
  const std::string line = text.substr(0, text.find('\n'));
  return line.size() > 300 ? line.substr(0, 300) + "..." : line;
}

// Absolute, lexically normal, with the build root spelled canonically; or
// nothing for an object under a CMakeFiles/ directory (guarded whole).
std::optional<std::string> graph_path(std::string_view path, const std::string& given_root,
                                      const std::string& canonical_root) {
  std::string absolute;
  if (path.starts_with('/')) {
    absolute = path;
    if (absolute.starts_with(given_root + "/")) absolute = canonical_root + absolute.substr(given_root.size());
  } else {
    absolute = canonical_root + "/" + std::string(path);
  }
  if (absolute.find("/./") != std::string::npos || absolute.find("/../") != std::string::npos ||
      absolute.find("//") != std::string::npos) {
    absolute = fs::path(absolute).lexically_normal().string();
  }
  if (absolute.find("/CMakeFiles/") != std::string::npos) return std::nullopt;
  return absolute;
}

std::string stat_key(int directory_fd, const char* name) {
  struct stat info {};
  if (fstatat(directory_fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0) return "-";
  return fmt::format("{}:{}:{}:{}.{}", info.st_dev, info.st_ino, info.st_size, info.st_mtim.tv_sec,
                     info.st_mtim.tv_nsec);
}

// The cache's paths when its key matches, else nothing.
std::optional<std::vector<std::string>> read_graph_cache(int cache_directory_fd, const std::string& key) {
  const int fd = openat(cache_directory_fd, kGraphCacheName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  struct stat info {};
  if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
    char buffer[65536];
    for (ssize_t got; (got = read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(got));
  }
  close(fd);
  if (!text.starts_with(key) || !text.ends_with('\n')) return std::nullopt;
  std::vector<std::string> paths;
  for (std::size_t start = key.size(); start < text.size();) {
    const std::size_t end = text.find('\n', start);
    if (text[start] != '/') return std::nullopt;  // not ours
    paths.emplace_back(text, start, end - start);
    start = end + 1;
  }
  if (!std::ranges::is_sorted(paths)) return std::nullopt;
  return paths;
}

// Best effort: a cache that cannot be written only costs time.
void write_graph_cache(int cache_directory_fd, const std::string& key, const std::vector<std::string>& paths) {
  const std::string temporary = fmt::format("{}.{}.tmp", kGraphCacheName, getpid());
  const int fd = openat(cache_directory_fd, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string text = key;
  for (const std::string& path : paths) text.append(path).push_back('\n');
  bool written = true;
  for (std::size_t done = 0; written && done < text.size();) {
    const ssize_t wrote = write(fd, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    written = wrote > 0;
    if (written) done += static_cast<std::size_t>(wrote);
  }
  written = close(fd) == 0 && written;
  if (!written || renameat(cache_directory_fd, temporary.c_str(), cache_directory_fd, kGraphCacheName) != 0) {
    unlinkat(cache_directory_fd, temporary.c_str(), 0);
  }
}

// Every path recorded in Ninja's deps log: the outputs built with a depfile
// and each dependency the compiler reported (headers, configure_file()
// outputs among them), current or once. Read here rather than with
// `ninja -t deps`, which loads the logs for writing and may recompact or
// truncate them: this runs while other tests, or a build, use them. Format
// (ninja's deps_log.cc, versions 3 and 4): "# ninjadeps\n", a 32-bit
// version, then records of a 32-bit size (high bit: a deps record, skipped)
// and a payload; a path record is the path, NUL-padded to 4 bytes, and a
// 32-bit checksum.
std::vector<std::string> deps_log_paths(int root_fd, const BuildGraph& build_root, const fs::path& guarded) {
  std::vector<std::string> paths;
  const int fd = openat(root_fd, ".ninja_deps", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return paths;  // nothing built yet
    refuse_graph(guarded, build_root, fmt::format("open .ninja_deps: {}", std::strerror(errno)));
  }
  std::string log;
  struct stat info {};
  if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
    char buffer[65536];
    for (ssize_t got; (got = read(fd, buffer, sizeof buffer)) > 0;) log.append(buffer, static_cast<std::size_t>(got));
  }
  close(fd);
  constexpr std::string_view kSignature = "# ninjadeps\n";
  const auto word = [&](std::size_t at) {
    std::uint32_t value = 0;
    std::memcpy(&value, log.data() + at, sizeof value);
    return value;
  };
  const std::uint32_t version = log.size() >= kSignature.size() + 4 ? word(kSignature.size()) : 0;
  if (!log.starts_with(kSignature) || (version != 3 && version != 4)) {
    refuse_graph(guarded, build_root, "unknown .ninja_deps format (not version 3 or 4)");
  }
  // A record cut short at the end (a build was interrupted) ends the list.
  for (std::size_t at = kSignature.size() + 4; at + 4 <= log.size();) {
    const std::uint32_t header = word(at);
    const std::size_t size = header & 0x7fffffffu;
    at += 4;
    if (size > log.size() - at) break;
    if ((header & 0x80000000u) == 0 && size >= 4) {
      std::string_view path(log.data() + at, size - 4);
      while (!path.empty() && path.back() == '\0') path.remove_suffix(1);
      paths.emplace_back(path);
    }
    at += size;
  }
  return paths;
}

// Asks Ninja for the outputs and the inputs, and reads the dependencies the
// compilers reported.
std::vector<std::string> ask_ninja(const BuildGraph& build_root, const std::string& canonical_root, int root_fd,
                                   const fs::path& guarded) {
  const auto ninja = find_ninja(build_root.search_path);
  if (!ninja) {
    refuse_graph(guarded, build_root, "no ninja on PATH",
                 {"the build tree was generated for Ninja: put it on PATH, as when building"});
  }
  const std::string& given_root = build_root.root.native();
  std::vector<std::string> paths;
  const auto add = [&](std::string_view path) {
    if (path.empty()) return;
    if (auto absolute = graph_path(path, given_root, canonical_root)) paths.push_back(std::move(*absolute));
  };
  for (const char* tool : {"targets", "inputs"}) {
    // `-t targets all` lists every output; `-t inputs` with no target, the
    // inputs of the default targets (CMake's `all`).
    std::vector<std::string> arguments = {*ninja, "-C", canonical_root, "-t", tool};
    if (std::string_view(tool) == "targets") arguments.emplace_back("all");
    int error = 0;
    const auto result = capture(*ninja, arguments, build_root.search_path, error);
    if (!result) refuse_graph(guarded, build_root, fmt::format("run {}: {}", *ninja, std::strerror(error)));
    if (result->status != 0) {
      refuse_graph(guarded, build_root,
                   fmt::format("ninja -t {} exited with status {}: {}", tool, result->status,
                               first_line(result->err.empty() ? result->out : result->err)));
    }
    std::string_view text = result->out;
    while (!text.empty()) {
      const std::size_t end = std::min(text.find('\n'), text.size());
      std::string_view line = text.substr(0, end);
      text.remove_prefix(std::min(end + 1, text.size()));
      if (std::string_view(tool) == "targets") {
        // "path: rule"; a phony target names no file.
        const std::size_t colon = line.rfind(": ");
        if (colon == std::string_view::npos || line.substr(colon + 2) == "phony") continue;
        add(line.substr(0, colon));
      } else {
        add(line);
      }
    }
  }
  for (const std::string& path : deps_log_paths(root_fd, build_root, guarded)) add(path);
  std::ranges::sort(paths);
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

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

// Opens `path` (under `root`, as the plan spells it) as an O_PATH descriptor
// without following a symbolic link anywhere on the way (openat2's
// RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH; before Linux 5.6, O_NOFOLLOW on the
// last component), and checks it is still the kind of file planned. A file
// swapped for a link since the walk is refused: the guard never mounts over,
// nor through, a link a guest may have planted.
int open_planned(const fs::path& directory, const std::string& path, bool expect_directory) {
  const std::string& root = directory.native();
  const std::string relative = path.size() > root.size() ? path.substr(root.size() + 1) : std::string(".");
  open_how how{};
  how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH;
  const int root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) refuse_mount(directory, "open", root, errno);
  int fd = static_cast<int>(syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how));
  if (fd < 0 && errno == ENOSYS) fd = openat(root_fd, relative.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  const int error = errno;
  close(root_fd);
  if (fd < 0) refuse_mount(directory, "open", path, error);
  struct stat info {};
  if (fstat(fd, &info) != 0 || (expect_directory ? !S_ISDIR(info.st_mode) : !S_ISREG(info.st_mode))) {
    close(fd);
    refuse(directory, fmt::format("{} changed while it was being guarded", path));
  }
  return fd;
}

std::string fd_path(int fd) { return fmt::format("/proc/self/fd/{}", fd); }

// A mount point cannot be renamed, removed or replaced: pinning a directory
// keeps a guest from moving it aside and planting a fresh one in its place.
// The mount goes through /proc/self/fd, so it lands on the file opened.
void pin(const fs::path& directory, const std::string& path, bool is_directory) {
  const int fd = open_planned(directory, path, is_directory);
  const std::string target = fd_path(fd);
  const int result = mount(target.c_str(), target.c_str(), nullptr, MS_BIND, nullptr);
  const int error = errno;
  close(fd);
  if (result != 0) refuse_mount(directory, "bind-mount", path, error);
}

// `root_flags` are the locked flags of the directory's own mount; a path on
// another mount below it gets its own on a retry.
void bind_read_only(const fs::path& directory, const std::string& path, bool is_directory, unsigned long root_flags) {
  pin(directory, path, is_directory);
  // Opened again: the descriptor now names the new mount, not the file below it.
  const int fd = open_planned(directory, path, is_directory);
  const std::string target = fd_path(fd);
  constexpr unsigned long kReadOnly = MS_BIND | MS_REMOUNT | MS_RDONLY;
  int result = mount(nullptr, target.c_str(), nullptr, kReadOnly | root_flags, nullptr);
  if (result != 0) result = mount(nullptr, target.c_str(), nullptr, kReadOnly | locked_flags(target), nullptr);
  const int error = errno;
  close(fd);
  if (result != 0) refuse_mount(directory, "remount read-only", path, error);
}

// Every file the Ninja build under `build_root` reads or produces, as sorted
// absolute paths (objects under CMakeFiles/ left out: that directory is
// guarded whole). Empty when the root holds no build.ninja (before the first
// generate). Cached in <root>/CMakeFiles/ (above). Refuses, naming
// `guarded`, when Ninja cannot be run or fails.
std::vector<std::string> build_graph_files(const BuildGraph& build_root, const fs::path& guarded) {
  std::error_code error;
  const fs::path canonical = fs::canonical(build_root.root, error);
  if (error || !fs::is_directory(canonical)) {
    refuse_graph(guarded, build_root, "not a directory", {"--build-root names the top build directory"});
  }
  const std::string canonical_root = canonical.string();
  const base::Fd root(open(canonical_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) refuse_graph(guarded, build_root, std::strerror(errno));
  struct stat manifest {};
  if (fstatat(root.get(), "build.ninja", &manifest, AT_SYMLINK_NOFOLLOW) != 0) {
    return {};  // not generated yet (try_run during the first configure): the name rules alone
  }
  if (!S_ISREG(manifest.st_mode)) refuse_graph(guarded, build_root, "build.ninja is not a regular file");
  const std::string key = fmt::format("{} {} {}\n", kGraphCacheHeader, stat_key(root.get(), "build.ninja"),
                                      stat_key(root.get(), ".ninja_deps"));
  const base::Fd cache(openat(root.get(), "CMakeFiles", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (cache.get() >= 0) {
    if (auto cached = read_graph_cache(cache.get(), key)) return std::move(*cached);
  }
  std::vector<std::string> paths = ask_ninja(build_root, canonical_root, root.get(), guarded);
  if (cache.get() >= 0) write_graph_cache(cache.get(), key, paths);
  return paths;
}

void guard(const std::vector<fs::path>& directories, const std::optional<BuildGraph>& build_root) {
  std::vector<std::pair<fs::path, GuardPlan>> plans;
  std::optional<std::vector<std::string>> graph;
  std::string canonical_build_root;
  for (const fs::path& directory : directories) {
    std::error_code error;
    const fs::path root = fs::canonical(directory, error);
    // A missing grant is the runner's error to report, in its own words.
    if (error || !fs::is_directory(root)) continue;
    if (!graph) {
      graph.emplace();
      if (build_root) {
        *graph = build_graph_files(*build_root, directory);
        canonical_build_root = fs::canonical(build_root->root, error).string();
      }
    }
    auto& [_, plan] = plans.emplace_back(root, GuardPlan{});
    Planner(root, plan, *graph, canonical_build_root).walk(root.native(), true);
  }
  const bool nothing_to_guard = std::ranges::all_of(plans, [](const auto& plan) {
    return plan.second.read_only.empty() && plan.second.read_only_directories.empty();
  });
  if (nothing_to_guard) return;
  if (auto error = enter_private_mount_namespace()) refuse(plans.front().first, *error, {kNoNamespaceHelp});
  for (const auto& [root, plan] : plans) {
    // Sorted paths put each directory before what it holds.
    for (const std::string& path : plan.pinned) pin(root, path, true);
    const unsigned long root_flags = locked_flags(root);
    for (const std::string& path : plan.read_only_directories) bind_read_only(root, path, true, root_flags);
    for (const std::string& path : plan.read_only) bind_read_only(root, path, false, root_flags);
  }
}

}  // namespace

std::optional<Error> guard_build_directories(const Policy& policy) {
  std::vector<fs::path> directories;
  for (const DirectoryGrant& grant : policy.directories) {
    if (grant.guard == Guard::build_files) directories.push_back(grant.host);
  }
  try {
    guard(directories, policy.build_graph);
  } catch (Refusal& refusal) {
    return std::move(refusal.error);
  }
  return std::nullopt;
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

}  // namespace wasibuild::runner
