// `wasibuild toolchain ...` end to end: the real binary installs real
// .tar.gz archives (made here, at test time) from a real loopback HTTP
// server with injected faults, and the installed toolchain really compiles a
// C program that `wasibuild exec` then runs. No mocks.
//
// Cost control: one fake WASI SDK archive per test-binary run (a ~17 MB
// copy of the Debian WASI toolchain), cached in a static temp dir; and every
// fresh WASIBUILD_HOME is seeded with the system-toolchain probe result the
// binary itself wrote once (cache/system-toolchain.toml), so that each test
// does not pay ~2 s of system clang probes again. The seed is only a time
// saver: when it does not match, the binary probes as usual.
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../exec/exec_helpers.hpp"
#include "archive_builder.hpp"
#include "fake_sdk.hpp"
#include "http_server.hpp"

using namespace wasibuild::testing;
namespace fs = std::filesystem;

namespace {

// ---- Host facts (the manifest's x86_64-linux / arm64-linux assets) ------------

#if defined(__aarch64__)
const std::string kHost = "arm64-linux";
const std::string kPinned33 = "4f98ee738c7abb45c81a94d1461fc53cc569d1cd01498951c8184d841a027844";
#else
const std::string kHost = "x86_64-linux";
const std::string kPinned33 = "0ba8b5bfaeb2adf3f29bab5841d76cf5318ab8e1642ea195f88baba1abd47bce";
#endif
const std::string kTop33 = "wasi-sdk-33.0-" + kHost;
const std::string kAsset33 = kTop33 + ".tar.gz";
const std::string kMirrorPath33 = "/wasi-sdk-33/" + kAsset33;
const std::string kOfficialUrl33 = "https://github.com/WebAssembly/wasi-sdk/releases/download/wasi-sdk-33/" + kAsset33;

// ---- Small utilities ------------------------------------------------------------

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

int count_lines_starting_with(const std::string& text, const std::string& prefix) {
  int count = 0;
  for (const auto& line : lines_of(text)) count += line.starts_with(prefix) ? 1 : 0;
  return count;
}

int count_occurrences(const std::string& text, const std::string& needle) {
  int count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
  return count;
}

std::string sha256_of(const fs::path& file) {
  const auto result = run_process({"/usr/bin/sha256sum", file.string()}, {{{"PATH", "/usr/bin:/bin"}}, {}, {}});
  if (result.exit_status != 0 || result.out.size() < 64) throw std::runtime_error("sha256sum failed: " + result.err);
  return result.out.substr(0, 64);
}

std::string sha256_of_text(const std::string& text) {
  TempDir dir;
  write_file(dir / "bytes", text);
  return sha256_of(dir / "bytes");
}

// Names of the entries directly in `dir` that `keep` accepts.
template <class Predicate>
std::vector<std::string> entries_where(const fs::path& dir, Predicate keep) {
  std::vector<std::string> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (keep(name)) found.push_back(name);
  }
  return found;
}

// e.g. leftover ".staging-*" directories or "*.part" files.
std::vector<std::string> entries_starting_with(const fs::path& dir, const std::string& prefix) {
  return entries_where(dir, [&](const std::string& name) { return name.starts_with(prefix); });
}

std::vector<std::string> entries_ending_with(const fs::path& dir, const std::string& suffix) {
  return entries_where(dir, [&](const std::string& name) { return name.ends_with(suffix); });
}

// Every path below `root` (symlinks not followed), relative to it.
std::vector<std::string> tree_of(const fs::path& root) {
  std::vector<std::string> paths;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(root, error); it != fs::recursive_directory_iterator();
       it.increment(error)) {
    paths.push_back(it->path().lexically_relative(root).generic_string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// ---- The shared fake SDK archive -------------------------------------------------

// One fake WASI SDK (top directory wasi-sdk-33.0-<host>) archived once per run.
struct FakeSdkArchive {
  TempDir dir;
  fs::path archive;
  std::string sha256;
  std::uintmax_t size = 0;

  FakeSdkArchive() {
    const fs::path tree = make_fake_wasi_sdk(dir / "tree", "33.0");
    archive = dir / kAsset33;
    write_tree_tar_gz(archive, tree, tree.filename().string());
    fs::remove_all(dir / "tree");
    sha256 = sha256_of(archive);
    size = fs::file_size(archive);
  }
};

const FakeSdkArchive& fake_sdk() {
  static const FakeSdkArchive instance;
  return instance;
}

// The system toolchain's probe result as the binary wrote it in a fresh
// home, and that home's path. Seeding it into other homes (with the path
// replaced: the system sysroot view lives in the home) only saves time: the
// binary re-probes whenever the seeded entry does not match what it finds.
struct SystemProbe {
  std::string toml;
  std::string home;
};

const std::optional<SystemProbe>& system_probe_cache() {
  static const std::optional<SystemProbe> cached = []() -> std::optional<SystemProbe> {
    Wasibuild seed;
    (void)seed({"toolchain", "list"});
    const fs::path file = seed.home / "cache/system-toolchain.toml";
    if (!fs::exists(file)) return std::nullopt;
    return SystemProbe{read_file(file), seed.home.path().string()};
  }();
  return cached;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A clean WASIBUILD_HOME with NO_PROXY for the loopback server.
struct Home : Wasibuild {
  Home() {
    options.environment["NO_PROXY"] = "127.0.0.1,localhost";
    options.environment["no_proxy"] = "127.0.0.1,localhost";
    if (const auto& probe = system_probe_cache()) {
      fs::create_directories(home / "cache");
      write_file(home / "cache/system-toolchain.toml", replace_all(probe->toml, probe->home, home.path().string()));
    }
  }
  [[nodiscard]] fs::path toolchains() const { return home / "data/toolchains"; }
  [[nodiscard]] fs::path downloads() const { return home / "cache/downloads"; }
  [[nodiscard]] std::vector<std::string> staging_dirs() const { return entries_starting_with(toolchains(), ".staging-"); }
  [[nodiscard]] std::vector<std::string> part_files() const { return entries_ending_with(downloads(), ".part"); }
  [[nodiscard]] std::string installed_json() const {
    const auto result = (*this)({"toolchain", "list", "--json"});
    REQUIRE(result.exit_status == 0);
    return result.out;
  }
  [[nodiscard]] bool nothing_installed() const { return installed_json().starts_with("{\"installed\":[],"); }
};

// A child `wasibuild` that the test can kill; its output goes to /dev/null.
class KillableChild {
 public:
  KillableChild(const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_text;
    for (const auto& [name, value] : environment) env_text.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
    const int spawned = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  KillableChild(const KillableChild&) = delete;
  KillableChild& operator=(const KillableChild&) = delete;
  ~KillableChild() {
    if (pid_ > 0) kill_and_wait();
  }

  // SIGKILL (unless it already ended), then reaps it; returns the wait status.
  int kill_and_wait() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
    return status_;
  }
  // False once it has ended (it is then reaped, and never signalled).
  [[nodiscard]] bool running() {
    if (pid_ > 0 && ::waitpid(pid_, &status_, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

// Waits until a "*.part" download in `dir` has at least one byte.
bool wait_for_partial_download(const fs::path& dir, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
      if (entry.path().extension() == ".part" && entry.file_size(error) > 0) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Compiles a C program with the installed toolchain's clang and runs it
// with `wasibuild exec`: the proof that the install is usable.
void check_toolchain_compiles_and_runs(const Home& home, const fs::path& root) {
  TempDir work;
  write_file(work / "hello.c",
             "#include <stdio.h>\n"
             "int main(int argc, char** argv) {\n"
             "  printf(\"hello from the installed toolchain, %d args, last=%s\\n\", argc, argv[argc - 1]);\n"
             "  return 7;\n"
             "}\n");
  const auto compiled = run_process({(root / "bin/clang").string(), "--target=wasm32-wasi", "-O1",
                                     (work / "hello.c").string(), "-o", (work / "hello.wasm").string()},
                                    {{{"PATH", "/usr/bin:/bin"}}, {}, work.path()});
  INFO("clang stderr: " << compiled.err);
  REQUIRE(compiled.exit_status == 0);
  REQUIRE(fs::exists(work / "hello.wasm"));
  const auto ran = home.exec({(work / "hello.wasm").string(), "tail-arg"});
  CHECK(ran.exit_status == 7);
  CHECK(ran.out == "hello from the installed toolchain, 2 args, last=tail-arg\n");
}

// Serves the fake SDK at `url_path` on `server`.
void serve_sdk(LoopbackServer& server, const std::string& url_path) { server.serve_file(url_path, fake_sdk().archive); }

}  // namespace

// ---- 1. Install from a URL, list, path, JSON, and the toolchain works --------

TEST_CASE("install --from URL --sha256 --name installs a working toolchain") {
  const auto& sdk = fake_sdk();
  LoopbackServer server;
  serve_sdk(server, "/sdk.tar.gz");
  Home home;
  const fs::path root = home.toolchains() / "my-sdk";

  const auto installed =
      home({"toolchain", "install", "--from", server.url("/sdk.tar.gz"), "--sha256", sdk.sha256, "--name", "my-sdk"});
  INFO("stderr: " << installed.err);
  REQUIRE(installed.exit_status == 0);
  const auto out_lines = lines_of(installed.out);
  REQUIRE(out_lines.size() == 2);
  CHECK(out_lines[0] == "installed my-sdk in " + root.string());
  CHECK(out_lines[1].starts_with("  targets wasm32-wasi"));
  CHECK(installed.err.find("downloading " + server.url("/sdk.tar.gz") + "\n") != std::string::npos);
  CHECK(installed.err.find("unpacking sdk.tar.gz\n") != std::string::npos);
  CHECK(installed.err.find("warning:") == std::string::npos);  // pinned by --sha256
  CHECK(server.requests("/sdk.tar.gz") == 1);

  CHECK(fs::is_regular_file(root / "wasibuild-toolchain.toml"));
  CHECK(fs::is_regular_file(root / "bin/clang"));
  CHECK(read_file(root / "VERSION") == "33.0\n");
  CHECK(home.staging_dirs().empty());
  CHECK(home.part_files().empty());
  // The verified download stays in the cache under its hash.
  CHECK(fs::is_regular_file(home.downloads() / sdk.sha256));

  const auto list = home({"toolchain", "list"});
  CHECK(list.exit_status == 0);
  CHECK(list.out.starts_with("installed:\n  my-sdk  custom"));

  const auto path = home({"toolchain", "path", "my-sdk"});
  CHECK(path.exit_status == 0);
  CHECK(path.out == root.string() + "\n");
  CHECK(path.err == "");

  const std::string json = home.installed_json();
  CHECK(json.starts_with("{\"installed\":[{\"name\":\"my-sdk\",\"provider\":\"custom\","));
  CHECK(json.find("\"root\":\"" + root.string() + "\"") != std::string::npos);
  CHECK(json.find("\"sha256\":\"" + sdk.sha256 + "\",\"pinned\":true}") != std::string::npos);
  CHECK(count_occurrences(json, "\"name\":\"my-sdk\"") == 1);

  const auto which = home({"toolchain", "which", "--toolchain", "my-sdk"});
  CHECK(which.exit_status == 0);
  CHECK(first_line(which.out) == "my-sdk (chosen by --toolchain)");
  CHECK(which.out.find("  clang    " + (root / "bin/clang").string() + "\n") != std::string::npos);

  // Installing the same name again is a no-op that says so.
  const auto again =
      home({"toolchain", "install", "--from", server.url("/sdk.tar.gz"), "--sha256", sdk.sha256, "--name", "my-sdk"});
  CHECK(again.exit_status == 0);
  CHECK(again.out == "my-sdk is already installed in " + root.string() + "\n");
  CHECK(server.requests("/sdk.tar.gz") == 1);

  check_toolchain_compiles_and_runs(home, fs::path(first_line(path.out)));
}

// ---- 2. A mirror and the pinned hash of the real release ---------------------

TEST_CASE("install 33 through WASIBUILD_MIRROR: the pinned hash protects, --sha256 overrides") {
  const auto& sdk = fake_sdk();
  LoopbackServer server;
  serve_sdk(server, kMirrorPath33);
  Home home;
  home.options.environment["WASIBUILD_MIRROR"] = "http://127.0.0.1:" + std::to_string(server.port());
  const std::string url = server.url(kMirrorPath33);

  const auto refused = home({"toolchain", "install", "33"});
  CHECK(refused.exit_status == 1);
  CHECK(refused.out == "");
  CHECK(refused.err.find("downloading " + url + "\n") != std::string::npos);
  const std::string expected_error = "wasibuild: error: " + url + ": SHA-256 mismatch: expected " + kPinned33 +
                                     ", got " + sdk.sha256 + "\n";
  CHECK(refused.err.find(expected_error) != std::string::npos);
  CHECK(refused.err.find("help: the download was deleted; if the archive really changed, pass the new hash with "
                         "--sha256\n") != std::string::npos);
  CHECK(count_lines_starting_with(refused.err, "wasibuild: error:") == 1);
  CHECK(server.requests(kMirrorPath33) == 1);
  CHECK(home.nothing_installed());
  CHECK(home.staging_dirs().empty());
  CHECK(home.part_files().empty());
  CHECK_FALSE(fs::exists(home.toolchains() / "wasi-sdk-33"));
  // Nothing unverified is kept in the download cache at all.
  CHECK(entries_starting_with(home.downloads(), "").empty());

  const auto installed = home({"toolchain", "install", "33", "--sha256", sdk.sha256});
  INFO("stderr: " << installed.err);
  REQUIRE(installed.exit_status == 0);
  CHECK(first_line(installed.out) == "installed wasi-sdk-33 in " + (home.toolchains() / "wasi-sdk-33").string());
  CHECK(server.requests(kMirrorPath33) == 2);

  const std::string json = home.installed_json();
  CHECK(json.starts_with("{\"installed\":[{\"name\":\"wasi-sdk-33\",\"provider\":\"wasi-sdk\",\"version\":\"33\","));
  CHECK(json.find("\"sha256\":\"" + sdk.sha256 + "\",\"pinned\":true}") != std::string::npos);

  const auto which = home({"toolchain", "which"});
  CHECK(which.exit_status == 0);
  CHECK(first_line(which.out) == "wasi-sdk-33 (the newest installed WASI SDK)");
  CHECK(which.out.find("  clang    " + (home.toolchains() / "wasi-sdk-33/bin/clang").string() + "\n") !=
        std::string::npos);
  // The manifest's default target for 33 is wasm32-wasip1; the Debian-made
  // sysroot only has wasm32-wasi, so the installer falls back to it.
  CHECK(which.out.find("  target   wasm32-wasi\n") != std::string::npos);
}

TEST_CASE("install of an unknown SDK version or a malformed --sha256 is refused before any download") {
  Home home;
  const auto unknown = home({"toolchain", "install", "7"});
  CHECK(unknown.exit_status == 1);
  CHECK(unknown.err == "wasibuild: error: there is no WASI SDK release '7' (known: 20-34)\n"
                       "help: see the list: wasibuild toolchain list\n");

  const auto bad_hash = home({"toolchain", "install", "--from", "http://127.0.0.1:9/x.tar.gz", "--sha256", "ABC"});
  CHECK(bad_hash.exit_status == 2);
  CHECK(bad_hash.err == "wasibuild: error: --sha256 'ABC': expected 64 lowercase hex digits\n");

  const auto both = home({"toolchain", "install", "33", "--from", "http://127.0.0.1:9/x.tar.gz"});
  CHECK(both.exit_status == 2);
  CHECK(both.err == "wasibuild: error: give a VERSION or --from, not both\n");

  const auto unpinned = home({"toolchain", "install", "--from", "http://127.0.0.1:9/x.tar.gz"});
  CHECK(unpinned.exit_status == 1);
  CHECK(unpinned.err == "wasibuild: error: http://127.0.0.1:9/x.tar.gz: no pinned SHA-256 for this archive\n"
                        "help: pass the archive's SHA-256 with --sha256 HEX\n"
                        "help: or accept it unverified and record its hash with --allow-unpinned\n");

  const std::string some_hash(64, 'a');
  for (const std::string name : {"../evil", ".hidden", "a/b"}) {
    CAPTURE(name);
    const auto bad_name =
        home({"toolchain", "install", "--from", "http://127.0.0.1:9/x.tar.gz", "--sha256", some_hash, "--name", name});
    CHECK(bad_name.exit_status == 1);
    CHECK(bad_name.err == "wasibuild: error: '" + name +
                              "' is not a valid toolchain name (use letters, digits, '.', '-' and '_')\n");
  }
  CHECK_FALSE(fs::exists(home.home / "data/evil"));
  CHECK(home.nothing_installed());
}

// ---- 3. Hostile archives ----------------------------------------------------------

TEST_CASE("hostile archives are refused and write nothing outside the staging directory") {
  using Type = ArchiveEntry::Type;
  const std::string abs_target = "/tmp/wasibuild-abs-evil-" + std::to_string(::getpid());
  struct Case {
    std::string label;
    ArchiveEntry evil;
    std::string detail;  // after "refusing unsafe archive: "
    std::vector<ArchiveEntry> after = {};  // entries that would exploit the evil one
  };
  const std::vector<Case> cases = {
      {"dot-dot file", {"../evil.txt", Type::file, "escaped\n"}, "entry '../evil.txt' is absolute or climbs out with '..'"},
      {"deep dot-dot file",
       {"sdk/../../../evil.txt", Type::file, "escaped\n"},
       "entry 'sdk/../../../evil.txt' is absolute or climbs out with '..'"},
      {"absolute file", {abs_target, Type::file, "escaped\n"}, "entry '" + abs_target + "' is absolute or climbs out with '..'"},
      {"absolute symlink",
       {"sdk/bin/clang", Type::symlink, {}, "/bin/sh", 0777},
       "symlink 'sdk/bin/clang' points outside the archive ('/bin/sh')"},
      {"climbing symlink",
       {"sdk/up", Type::symlink, {}, "../../outside", 0777},
       "symlink 'sdk/up' points outside the archive ('../../outside')",
       {{"sdk/up/evil.txt", Type::file, "escaped\n"}}},
      {"symlink to the parent, then a file through it",
       {"sdk/escape", Type::symlink, {}, "../..", 0777},
       "symlink 'sdk/escape' points outside the archive ('../..')",
       {{"sdk/escape/evil.txt", Type::file, "escaped\n"}}},
      {"hardlink climbing out",
       {"sdk/passwd", Type::hardlink, {}, "../../etc/passwd"},
       "hard link 'sdk/passwd' points outside the archive ('../../etc/passwd')"},
      {"absolute hardlink",
       {"sdk/passwd", Type::hardlink, {}, "/etc/passwd"},
       "hard link 'sdk/passwd' points outside the archive ('/etc/passwd')"},
      {"fifo", {"sdk/pipe", Type::fifo}, "entry 'sdk/pipe' is a fifo"},
      {"character device", {"sdk/null", Type::char_device}, "entry 'sdk/null' is a character device"},
  };
  std::error_code ignored;
  fs::remove(abs_target, ignored);
  for (const Case& item : cases) {
    CAPTURE(item.label);
    TempDir dir;
    std::vector<ArchiveEntry> entries = {
        {"sdk", Type::directory, {}, {}, 0755},
        {"sdk/bin", Type::directory, {}, {}, 0755},
        {"sdk/VERSION", Type::file, "1\n"},
    };
    entries.push_back(item.evil);
    entries.insert(entries.end(), item.after.begin(), item.after.end());
    const fs::path archive = dir / "evil.tar.gz";
    write_tar_gz(archive, entries);
    const std::string hash = sha256_of(archive);
    LoopbackServer server;
    server.serve_file("/evil.tar.gz", archive);
    Home home;

    const auto result =
        home({"toolchain", "install", "--from", server.url("/evil.tar.gz"), "--sha256", hash, "--name", "evil"});
    CHECK(result.exit_status == 1);
    CHECK(result.out == "");
    CHECK(count_lines_starting_with(result.err, "wasibuild: error:") == 1);
    CHECK(result.err.find("wasibuild: error: " + (home.downloads() / hash).string() +
                          ": refusing unsafe archive: " + item.detail + "\n") != std::string::npos);
    CHECK(result.err.find("help: nothing was installed; the archive was not unpacked beyond this entry\n") !=
          std::string::npos);

    CHECK(home.nothing_installed());
    CHECK(home.staging_dirs().empty());
    CHECK_FALSE(fs::exists(home.toolchains() / "evil"));
    // The whole home holds nothing but the bookkeeping: no evil.txt in the
    // toolchains dir or its parents, no "outside", no link to passwd.
    const auto tree = tree_of(home.home.path());
    for (const auto& path : tree) {
      CAPTURE(path);
      CHECK(path.find("evil.txt") == std::string::npos);
      CHECK(path.find("outside") == std::string::npos);
      CHECK(path.find("passwd") == std::string::npos);
      CHECK(path.find("pipe") == std::string::npos);
    }
    CHECK(entries_starting_with(home.toolchains(), "") == std::vector<std::string>{".lock"});
    CHECK_FALSE(fs::exists(dir / "evil.txt"));
    CHECK_FALSE(fs::exists(fs::temp_directory_path() / "evil.txt"));
    CHECK_FALSE(fs::exists(abs_target));

    if (item.label == "dot-dot file") {
      // The verified download stays cached, so --offline reaches the
      // extraction again without the network (and is refused again).
      const int requests = server.requests("/evil.tar.gz");
      const auto offline = home({"toolchain", "install", "--from", server.url("/evil.tar.gz"), "--sha256", hash,
                                 "--name", "evil", "--offline"});
      CHECK(offline.exit_status == 1);
      CHECK(offline.err.find("refusing unsafe archive: " + item.detail + "\n") != std::string::npos);
      CHECK(server.requests("/evil.tar.gz") == requests);
      CHECK(home.nothing_installed());
    }
  }
}

// Regression: extraction checks symlinks against the archive's root, but only
// the archive's top directory is installed, so a link climbing from inside
// it to the archive root ("share/escape -> ../..") would point at the
// toolchains directory, or into a sibling toolchain, once installed. The
// installer now checks links against the toolchain's own root as well.
TEST_CASE("no symlink in an installed toolchain leads outside its directory") {
  using Type = ArchiveEntry::Type;
  TempDir dir;
  const fs::path archive = dir / "sneaky.tar.gz";
  // The smallest tree the installer accepts: a clang that runs and a libc.a.
  write_tar_gz(archive, {
                            {"sdk", Type::directory, {}, {}, 0755},
                            {"sdk/bin", Type::directory, {}, {}, 0755},
                            {"sdk/bin/clang", Type::file, "#!/bin/sh\nexit 0\n", {}, 0755},
                            {"sdk/share", Type::directory, {}, {}, 0755},
                            {"sdk/share/wasi-sysroot", Type::directory, {}, {}, 0755},
                            {"sdk/share/wasi-sysroot/lib", Type::directory, {}, {}, 0755},
                            {"sdk/share/wasi-sysroot/lib/wasm32-wasi", Type::directory, {}, {}, 0755},
                            {"sdk/share/wasi-sysroot/lib/wasm32-wasi/libc.a", Type::file, "!<arch>\n"},
                            // Inside the archive (sdk/share/../.. is its root) ...
                            {"sdk/share/escape", Type::symlink, {}, "../..", 0777},
                            // ... and, installed, a link into a sibling toolchain.
                            {"sdk/bin/other-clang", Type::symlink, {}, "../../victim/bin/clang", 0777},
                        });
  const std::string hash = sha256_of(archive);
  LoopbackServer server;
  server.serve_file("/sneaky.tar.gz", archive);
  Home home;
  const auto result =
      home({"toolchain", "install", "--from", server.url("/sneaky.tar.gz"), "--sha256", hash, "--name", "sneaky"});
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  const fs::path root = home.toolchains() / "sneaky";
  if (result.exit_status != 0) {
    // Refusing the archive is a correct answer.
    CHECK(result.err.find("refusing unsafe archive") != std::string::npos);
    CHECK(home.nothing_installed());
    return;
  }
  for (const std::string link : {"share/escape", "bin/other-clang"}) {
    CAPTURE(link);
    REQUIRE(fs::is_symlink(root / link));
    const fs::path resolved = (root / link).parent_path() / fs::read_symlink(root / link);
    const fs::path normal = resolved.lexically_normal();
    const auto relative = normal.lexically_relative(root);
    CAPTURE(normal);
    CHECK((!relative.empty() && *relative.begin() != ".."));
  }
}

// ---- 4. Checksum mismatch -----------------------------------------------------------

TEST_CASE("a --sha256 of other bytes fails with SHA-256 mismatch and installs nothing") {
  const auto& sdk = fake_sdk();
  LoopbackServer server;
  serve_sdk(server, "/sdk.tar.gz");
  Home home;
  const std::string other = sha256_of_text("some other bytes\n");
  const std::string url = server.url("/sdk.tar.gz");

  const auto result = home({"toolchain", "install", "--from", url, "--sha256", other, "--name", "my-sdk"});
  CHECK(result.exit_status == 1);
  CHECK(result.out == "");
  CHECK(result.err.find("wasibuild: error: " + url + ": SHA-256 mismatch: expected " + other + ", got " + sdk.sha256 +
                        "\n") != std::string::npos);
  CHECK(count_lines_starting_with(result.err, "wasibuild: error:") == 1);
  CHECK(home.nothing_installed());
  CHECK(home.staging_dirs().empty());
  CHECK(home.part_files().empty());

  // The server flips a byte: the right --sha256 now catches it.
  server.set_fault("/sdk.tar.gz", {Fault::wrong_bytes});
  const auto corrupted = home({"toolchain", "install", "--from", url, "--sha256", sdk.sha256, "--name", "my-sdk"});
  CHECK(corrupted.exit_status == 1);
  CHECK(corrupted.err.find("wasibuild: error: " + url + ": SHA-256 mismatch: expected " + sdk.sha256 + ", got ") !=
        std::string::npos);
  CHECK(home.nothing_installed());
  CHECK(home.part_files().empty());
}

// ---- 5. Network faults --------------------------------------------------------------

TEST_CASE("HTTP 404 fails at once with the status") {
  LoopbackServer server;
  serve_sdk(server, "/sdk.tar.gz");
  server.set_fault("/sdk.tar.gz", {Fault::not_found});
  Home home;
  const std::string url = server.url("/sdk.tar.gz");
  const auto result = home({"toolchain", "install", "--from", url, "--sha256", fake_sdk().sha256, "--name", "x"});
  CHECK(result.exit_status == 1);
  CHECK(result.out == "");
  CHECK(result.err.find("wasibuild: error: " + url + ": download failed: HTTP status 404\n") != std::string::npos);
  CHECK(result.err.find("retrying") == std::string::npos);  // 404 is not transient
  CHECK(server.requests("/sdk.tar.gz") == 1);
  CHECK(home.nothing_installed());
}

TEST_CASE("HTTP 500 twice, then success: the download is retried") {
  const auto& sdk = fake_sdk();
  LoopbackServer server;
  serve_sdk(server, "/sdk.tar.gz");
  server.set_fault("/sdk.tar.gz", {.kind = Fault::fail_then_succeed, .failures = 2});
  Home home;
  const std::string url = server.url("/sdk.tar.gz");
  const auto result = home({"toolchain", "install", "--from", url, "--sha256", sdk.sha256, "--name", "retried"});
  INFO("stderr: " << result.err);
  CHECK(result.exit_status == 0);
  CHECK(first_line(result.out) == "installed retried in " + (home.toolchains() / "retried").string());
  CHECK(server.requests("/sdk.tar.gz") == 3);
  CHECK(result.err.find(url + ": HTTP status 500; retrying in 500 ms (2 of 4)\n") != std::string::npos);
  CHECK(result.err.find(url + ": HTTP status 500; retrying in 1000 ms (3 of 4)\n") != std::string::npos);
  // The 500 pages' bodies were not written into the archive.
  CHECK(home.installed_json().find("\"sha256\":\"" + sdk.sha256 + "\"") != std::string::npos);
}

TEST_CASE("a connection dropped midway: retries resume with Range, a later install resumes the .part") {
  const auto& sdk = fake_sdk();
  LoopbackServer server;
  serve_sdk(server, "/sdk.tar.gz");
  // Every response stops after a fifth of the file: the 4 attempts fetch
  // four fifths, each resuming where the previous one stopped.
  const std::size_t piece = sdk.size / 5;
  server.set_fault("/sdk.tar.gz", {.kind = Fault::drop_midway, .after_bytes = piece});
  Home home;
  const std::string url = server.url("/sdk.tar.gz");
  const std::vector<std::string> install = {"toolchain", "install", "--from", url, "--sha256", sdk.sha256,
                                            "--name",    "resumed"};

  const auto failed = home(install);
  CHECK(failed.exit_status == 1);
  CHECK(failed.err.find("wasibuild: error: " + url + ": download failed: Transferred a partial file\n") !=
        std::string::npos);
  CHECK(failed.err.find(url + ": Transferred a partial file; retrying in 500 ms (2 of 4)\n") != std::string::npos);
  CHECK(failed.err.find("retrying in 2000 ms (4 of 4)\n") != std::string::npos);
  CHECK(server.requests("/sdk.tar.gz") == 4);
  CHECK(server.range_headers("/sdk.tar.gz") ==
        std::vector<std::string>{"", "bytes=" + std::to_string(piece) + "-", "bytes=" + std::to_string(2 * piece) + "-",
                                 "bytes=" + std::to_string(3 * piece) + "-"});
  CHECK(home.nothing_installed());
  // The network failure kept the partial download, four fifths of it.
  REQUIRE(home.part_files().size() == 1);
  CHECK(fs::file_size(home.downloads() / home.part_files().front()) == 4 * piece);

  server.set_fault("/sdk.tar.gz", {Fault::none});
  const auto resumed = home(install);
  INFO("stderr: " << resumed.err);
  CHECK(resumed.exit_status == 0);
  CHECK(first_line(resumed.out) == "installed resumed in " + (home.toolchains() / "resumed").string());
  CHECK(server.requests("/sdk.tar.gz") == 5);
  CHECK(server.range_headers("/sdk.tar.gz").back() == "bytes=" + std::to_string(4 * piece) + "-");
  CHECK(home.part_files().empty());
  CHECK(fs::is_regular_file(home.downloads() / sdk.sha256));
}

TEST_CASE("a server that ignores Range after an interrupted download still yields the right archive") {
  const auto& sdk = fake_sdk();
  LoopbackServer server;
  serve_sdk(server, "/sdk.tar.gz");
  server.set_fault("/sdk.tar.gz", {.kind = Fault::slow, .after_bytes = 64 * 1024, .delay = std::chrono::milliseconds(100)});
  Home home;
  const std::string url = server.url("/sdk.tar.gz");
  {
    KillableChild child({WASIBUILD_BINARY, "toolchain", "install", "--from", url, "--sha256", sdk.sha256, "--name",
                         "ranged"},
                        home.options.environment);
    REQUIRE(wait_for_partial_download(home.downloads(), std::chrono::seconds(20)));
    child.kill_and_wait();
  }
  REQUIRE(home.part_files().size() == 1);
  const auto left_over = fs::file_size(home.downloads() / home.part_files().front());
  CHECK(left_over > 0);
  CHECK(left_over < sdk.size);

  server.set_fault("/sdk.tar.gz", {Fault::ignore_range});
  const auto result = home({"toolchain", "install", "--from", url, "--sha256", sdk.sha256, "--name", "ranged"});
  INFO("stderr: " << result.err);
  CHECK(result.exit_status == 0);
  CHECK(first_line(result.out) == "installed ranged in " + (home.toolchains() / "ranged").string());
  // It asked to resume, got the whole file instead, and started over.
  CHECK(server.range_headers("/sdk.tar.gz").back().starts_with("bytes="));
  CHECK(server.range_headers("/sdk.tar.gz").back() != "bytes=0-");
  CHECK(sha256_of(home.downloads() / sdk.sha256) == sdk.sha256);
  CHECK(fs::file_size(home.downloads() / sdk.sha256) == sdk.size);
  CHECK(home.part_files().empty());
}

TEST_CASE("a complete leftover .part is verified through a 416 answer, not downloaded again") {
  using Type = ArchiveEntry::Type;
  TempDir dir;
  // Not a toolchain (no clang, no libc): every install of it fails after the
  // download, cheaply, and leaves the verified download in the cache.
  const fs::path archive = dir / "empty.tar.gz";
  write_tar_gz(archive, {{"sdk", Type::directory, {}, {}, 0755}, {"sdk/VERSION", Type::file, "1\n"}});
  const std::string hash = sha256_of(archive);
  const auto size = fs::file_size(archive);
  LoopbackServer server;
  server.serve_file("/empty.tar.gz", archive);
  Home home;
  const std::vector<std::string> install = {"toolchain", "install", "--from", server.url("/empty.tar.gz"),
                                            "--sha256",  hash,      "--name", "empty"};
  const auto first = home(install);
  CHECK(first.exit_status == 1);
  CHECK(first.err.find(": not a usable WASI toolchain: ") != std::string::npos);
  REQUIRE(fs::is_regular_file(home.downloads() / hash));
  CHECK(server.requests("/empty.tar.gz") == 1);

  // What a kill after the last byte but before the rename leaves: the whole
  // file under its in-progress name (the name the other tests observe).
  fs::rename(home.downloads() / hash, home.downloads() / (hash + ".part"));
  const auto second = home(install);
  CHECK(second.exit_status == 1);
  CHECK(second.err.find(": not a usable WASI toolchain: ") != std::string::npos);
  CHECK(second.err.find("SHA-256 mismatch") == std::string::npos);
  CHECK(server.requests("/empty.tar.gz") == 2);
  CHECK(server.range_headers("/empty.tar.gz").back() == "bytes=" + std::to_string(size) + "-");
  CHECK(fs::is_regular_file(home.downloads() / hash));
  CHECK(home.part_files().empty());
  CHECK(home.nothing_installed());
  CHECK(home.staging_dirs().empty());
}

// ---- 6. Two installs of the same name at once -------------------------------------

TEST_CASE("two concurrent installs of the same name: one installs, the other waits and reuses it") {
  const auto& sdk = fake_sdk();
  LoopbackServer server;
  serve_sdk(server, "/sdk.tar.gz");
  // About 1.5 s of download, so that the two processes overlap.
  const std::size_t chunk = std::max<std::size_t>(sdk.size / 15, 1024);
  server.set_fault("/sdk.tar.gz", {.kind = Fault::slow, .after_bytes = chunk, .delay = std::chrono::milliseconds(100)});
  Home home;
  const std::vector<std::string> argv = {WASIBUILD_BINARY, "toolchain", "install", "--from", server.url("/sdk.tar.gz"),
                                         "--sha256",       sdk.sha256,  "--name",  "same"};
  ProcessResult results[2];
  {
    std::thread first([&] { results[0] = run_process(argv, home.options); });
    std::thread second([&] { results[1] = run_process(argv, home.options); });
    first.join();
    second.join();
  }
  const std::string root = (home.toolchains() / "same").string();
  int waited = 0;
  for (const auto& result : results) {
    INFO("stdout: " << result.out << "\nstderr: " << result.err);
    CHECK(result.exit_status == 0);
    const bool said_waiting =
        result.err.find("waiting for lock on " + home.toolchains().string() + " (another wasibuild is installing)\n") !=
        std::string::npos;
    const bool said_already = result.out == "same is already installed in " + root + "\n";
    waited += (said_waiting || said_already) ? 1 : 0;
    CHECK((first_line(result.out) == "installed same in " + root || said_already));
  }
  CHECK(waited == 1);
  // Only one of them downloaded: the other re-checked under the lock.
  CHECK(server.requests("/sdk.tar.gz") == 1);

  const auto list = home({"toolchain", "list"});
  CHECK(count_occurrences(list.out, "  same  custom") == 1);
  CHECK(count_occurrences(home.installed_json(), "\"name\":\"same\"") == 1);
  CHECK(home.staging_dirs().empty());
  CHECK(entries_starting_with(home.toolchains(), ".old-").empty());
  check_toolchain_compiles_and_runs(home, root);
}

// ---- 7. A killed install ------------------------------------------------------------

TEST_CASE("an install killed mid-download leaves nothing installed and the next one succeeds") {
  const auto& sdk = fake_sdk();
  LoopbackServer server;
  serve_sdk(server, "/sdk.tar.gz");
  server.set_fault("/sdk.tar.gz", {.kind = Fault::slow, .after_bytes = 64 * 1024, .delay = std::chrono::milliseconds(100)});
  Home home;
  const std::string url = server.url("/sdk.tar.gz");
  const std::vector<std::string> install = {"toolchain", "install", "--from", url, "--sha256", sdk.sha256,
                                            "--name",    "killed"};
  {
    std::vector<std::string> argv = install;
    argv.insert(argv.begin(), WASIBUILD_BINARY);
    KillableChild child(argv, home.options.environment);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // Killed while downloading (the slow server needs seconds for the file),
    // once the first bytes are on disk.
    CHECK(wait_for_partial_download(home.downloads(), std::chrono::seconds(10)));
    CHECK(child.running());
    const int status = child.kill_and_wait();
    CHECK(WIFSIGNALED(status));
  }
  CHECK(home.nothing_installed());
  CHECK_FALSE(fs::exists(home.toolchains() / "killed" / "wasibuild-toolchain.toml"));
  // The partial download is kept for resumption, named after the expected hash.
  CHECK(home.part_files() == std::vector<std::string>{sdk.sha256 + ".part"});
  const auto path = home({"toolchain", "path", "killed"});
  CHECK(path.exit_status == 1);

  // A kill during unpacking would also leave a half-filled staging
  // directory behind (nobody holds the lock any more); plant one.
  const fs::path stale = home.toolchains() / ".staging-killed-12345-deadbeef";
  fs::create_directories(stale / "sdk/bin");
  write_file(stale / "sdk/bin/clang", "half");

  server.set_fault("/sdk.tar.gz", {Fault::none});
  const auto result = home(install);
  INFO("stderr: " << result.err);
  CHECK(result.exit_status == 0);
  CHECK(first_line(result.out) == "installed killed in " + (home.toolchains() / "killed").string());
  CHECK_FALSE(fs::exists(stale));
  CHECK(result.err.find("waiting for lock") == std::string::npos);  // the dead process's lock is gone
  CHECK(home.staging_dirs().empty());
  CHECK(home.part_files().empty());
  CHECK(count_occurrences(home.installed_json(), "\"name\":\"killed\"") == 1);
}

// ---- 8. Offline ------------------------------------------------------------------------

TEST_CASE("install 33 offline with nothing cached fails with the reason") {
  Home home;
  const std::string expected = "wasibuild: error: offline: " + kOfficialUrl33 +
                               " would have to be downloaded\n"
                               "help: run it again without --offline (WASIBUILD_OFFLINE), or install a local copy with "
                               "--from FILE --sha256 HEX\n";
  const auto flag = home({"toolchain", "install", "33", "--offline"});
  CHECK(flag.exit_status == 1);
  CHECK(flag.out == "");
  CHECK(flag.err == expected);

  home.options.environment["WASIBUILD_OFFLINE"] = "1";
  const auto variable = home({"toolchain", "install", "33"});
  CHECK(variable.exit_status == 1);
  CHECK(variable.err == expected);
  CHECK(home.nothing_installed());
  CHECK_FALSE(fs::exists(home.downloads()));
}

// ---- 9. remove and default --------------------------------------------------------------

TEST_CASE("remove, default and did-you-mean") {
  const auto& sdk = fake_sdk();
  LoopbackServer server;
  serve_sdk(server, "/sdk.tar.gz");
  Home home;
  const std::string url = server.url("/sdk.tar.gz");
  const fs::path root = home.toolchains() / "my-sdk";

  const auto too_early = home({"toolchain", "default", "my-sdk"});
  CHECK(too_early.exit_status == 1);
  CHECK(too_early.err == "wasibuild: error: toolchain 'my-sdk' is not installed\n"
                         "help: see what is installed: wasibuild toolchain list\n");

  const auto installed = home({"toolchain", "install", "--from", url, "--sha256", sdk.sha256, "--name", "my-sdk", "-q"});
  INFO("stderr: " << installed.err);
  REQUIRE(installed.exit_status == 0);
  CHECK(installed.err.find("downloading") == std::string::npos);  // -q

  const auto set_default = home({"toolchain", "default", "my-sdk"});
  CHECK(set_default.exit_status == 0);
  CHECK(set_default.out == "default toolchain: my-sdk\n");
  const auto list = home({"toolchain", "list"});
  CHECK(list.out.starts_with("installed:\n  my-sdk (default)  custom"));
  CHECK(home.installed_json().find("\"name\":\"my-sdk\",\"provider\":\"custom\",\"version\":\"\",\"default\":true") !=
        std::string::npos);
  const auto which = home({"toolchain", "which"});
  CHECK(first_line(which.out) == "my-sdk (the user default (wasibuild toolchain default))");

  const auto typo = home({"toolchain", "default", "my-sdkk"});
  CHECK(typo.exit_status == 1);
  CHECK(typo.err == "wasibuild: error: toolchain 'my-sdkk' is not installed\nhelp: did you mean 'my-sdk'?\n");
  const auto path_typo = home({"toolchain", "path", "my_sdk"});
  CHECK(path_typo.exit_status == 1);
  CHECK(path_typo.err == "wasibuild: error: toolchain 'my_sdk' is not installed\nhelp: did you mean 'my-sdk'?\n");

  const auto removed = home({"toolchain", "remove", "my-sdk"});
  CHECK(removed.exit_status == 0);
  CHECK(removed.out == "removed my-sdk\n");
  CHECK(removed.err == "wasibuild: warning: my-sdk was the default toolchain; choose another: wasibuild toolchain "
                       "default NAME (the system's: wasibuild toolchain default system)\n");
  CHECK_FALSE(fs::exists(root));
  const auto path = home({"toolchain", "path", "my-sdk"});
  CHECK(path.exit_status == 1);
  CHECK(path.out == "");
  CHECK(path.err.starts_with("wasibuild: error: toolchain 'my-sdk' is not installed\n"));
  CHECK(home.nothing_installed());
  const auto removed_again = home({"toolchain", "remove", "my-sdk"});
  CHECK(removed_again.exit_status == 1);
  CHECK(removed_again.err.starts_with("wasibuild: error: toolchain 'my-sdk' is not installed\n"));

  // The user default still names the removed toolchain: `which` says so
  // rather than silently picking another one.
  const auto dangling = home({"toolchain", "which"});
  CHECK(dangling.exit_status == 1);
  CHECK(dangling.err.starts_with("wasibuild: error: toolchain 'my-sdk' is not installed\n"));
  CHECK(dangling.err.ends_with("help: or use the system toolchain: wasibuild toolchain default system\n"));
  // doctor names the problem and the same fixes.
  const auto doctor = home({"doctor"});
  CHECK(doctor.exit_status != 0);
  CHECK(doctor.out.find("  missing toolchain 'my-sdk' is not installed\n          fix: install it: wasibuild "
                        "toolchain install --from URL|FILE --name my-sdk\n") != std::string::npos);
  CHECK(doctor.out.find("          or use the system toolchain: wasibuild toolchain default system\n") !=
        std::string::npos);
  const auto back_to_system = home({"toolchain", "default", "system"});
  CHECK(back_to_system.exit_status == 0);
  CHECK(back_to_system.out == "default toolchain: system\n");
  CHECK(first_line(home({"toolchain", "which"}).out) == "system (the user default (wasibuild toolchain default))");

  // No "did you mean" for a name close to nothing.
  const auto far = home({"toolchain", "default", "nonsense-name"});
  CHECK(far.exit_status == 1);
  CHECK(far.err == "wasibuild: error: toolchain 'nonsense-name' is not installed\n"
                   "help: see what is installed: wasibuild toolchain list\n");
}

// ---- 10. A local archive ------------------------------------------------------------

TEST_CASE("install --from ./FILE without --sha256: a local file is trusted and its hash recorded") {
  const auto& sdk = fake_sdk();
  Home home;
  TempDir work;
  fs::copy_file(sdk.archive, work / "local-sdk.tar.gz");
  home.options.working_directory = work.path();

  const auto result = home({"toolchain", "install", "--from", "./local-sdk.tar.gz"});
  INFO("stderr: " << result.err);
  CHECK(result.exit_status == 0);
  const fs::path root = home.toolchains() / "local-sdk";  // named after the file
  CHECK(first_line(result.out) == "installed local-sdk in " + root.string());
  CHECK(result.err.find("downloading") == std::string::npos);
  const std::string json = home.installed_json();
  CHECK(json.starts_with("{\"installed\":[{\"name\":\"local-sdk\","));
  CHECK(json.find("\"sha256\":\"" + sdk.sha256 + "\",\"pinned\":false}") != std::string::npos);
  CHECK(read_file(root / "wasibuild-toolchain.toml").find("source = '" + (work / "local-sdk.tar.gz").string() + "'") !=
        std::string::npos);
  // Nothing is copied into the download cache for a local file.
  CHECK(entries_starting_with(home.downloads(), "").empty());

  const auto missing = home({"toolchain", "install", "--from", "./missing.tar.gz"});
  CHECK(missing.exit_status == 1);
  CHECK(missing.err == "wasibuild: error: " + (work / "missing.tar.gz").string() + ": no such file\n");

  // A local file with a wrong --sha256 is still checked.
  const std::string other = sha256_of_text("x");
  const auto mismatch =
      home({"toolchain", "install", "--from", "./local-sdk.tar.gz", "--sha256", other, "--name", "other"});
  CHECK(mismatch.exit_status == 1);
  CHECK(mismatch.err.find("SHA-256 mismatch: expected " + other + ", got " + sdk.sha256) != std::string::npos);
}

// ---- 11. What is verified is what is unpacked ------------------------------------------

namespace {

// The smallest toolchain the installer accepts (a clang that runs, a
// libc.a), with `version` in sdk/VERSION to tell archives apart.
void write_small_toolchain(const fs::path& archive, const std::string& version) {
  using Type = ArchiveEntry::Type;
  write_tar_gz(archive, {
                            {"sdk", Type::directory, {}, {}, 0755},
                            {"sdk/VERSION", Type::file, version},
                            {"sdk/bin", Type::directory, {}, {}, 0755},
                            {"sdk/bin/clang", Type::file, "#!/bin/sh\nexit 0\n", {}, 0755},
                            {"sdk/share", Type::directory, {}, {}, 0755},
                            {"sdk/share/wasi-sysroot", Type::directory, {}, {}, 0755},
                            {"sdk/share/wasi-sysroot/lib", Type::directory, {}, {}, 0755},
                            {"sdk/share/wasi-sysroot/lib/wasm32-wasi", Type::directory, {}, {}, 0755},
                            {"sdk/share/wasi-sysroot/lib/wasm32-wasi/libc.a", Type::file, "!<arch>\n"},
                        });
}

// A verified archive and an impostor, both installable.
struct GoodAndEvil {
  TempDir dir;
  fs::path good = dir / "good.tar.gz";
  fs::path evil = dir / "evil.tar.gz";
  std::string good_sha256;
  GoodAndEvil() {
    write_small_toolchain(good, "good\n");
    write_small_toolchain(evil, "evil\n");
    good_sha256 = sha256_of(good);
  }
};

// A FIFO that hands each reader who opens it the next payload: what an
// attacker uses to give the hasher one archive and the unpacker another.
// Destroying it releases a writer still waiting for a reader.
class FifoServer {
 public:
  FifoServer(fs::path path, std::vector<std::string> payloads) : path_(std::move(path)), payloads_(std::move(payloads)) {
    if (::mkfifo(path_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed: " + path_.string());
    // Kept to reach the FIFO even after its name is removed or replaced.
    inode_ = ::open(path_.c_str(), O_PATH | O_CLOEXEC);
    if (inode_ < 0) throw std::runtime_error("cannot open " + path_.string());
    thread_ = std::thread([this] { serve(); });
  }
  FifoServer(const FifoServer&) = delete;
  FifoServer& operator=(const FifoServer&) = delete;
  ~FifoServer() {
    stop_ = true;
    const std::string reopen = "/proc/self/fd/" + std::to_string(inode_);
    const int unblock = ::open(reopen.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    thread_.join();
    if (unblock >= 0) ::close(unblock);
    ::close(inode_);
  }
  // How many readers got a payload so far.
  [[nodiscard]] int served() const { return served_; }

 private:
  void serve() {
    // A reader that stops early must give this thread EPIPE, not kill the
    // test binary with SIGPIPE.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    const std::string reopen = "/proc/self/fd/" + std::to_string(inode_);
    for (const std::string& payload : payloads_) {
      const int fd = ::open(reopen.c_str(), O_WRONLY | O_CLOEXEC);  // waits for a reader
      if (fd < 0) return;
      if (stop_) {
        ::close(fd);
        return;
      }
      std::size_t done = 0;
      while (done < payload.size()) {
        const ssize_t wrote = ::write(fd, payload.data() + done, payload.size() - done);
        if (wrote <= 0) break;
        done += static_cast<std::size_t>(wrote);
      }
      ::close(fd);
      ++served_;
      // A new writer would join the same reader while it still has the FIFO
      // open; wait until it has closed it (a non-blocking open for writing
      // fails with ENXIO when there is no reader), so the next payload goes
      // to the next reader.
      for (;;) {
        const int probe = ::open(reopen.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (probe < 0) break;
        ::close(probe);
        if (stop_) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  }

  fs::path path_;
  std::vector<std::string> payloads_;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  int inode_ = -1;
  std::thread thread_;
};

// `wasibuild ARGS` in `home`, killed after two minutes if it hangs (exit 137).
ProcessResult run_bounded(const Home& home, const std::vector<std::string>& arguments) {
  std::vector<std::string> argv = {"/usr/bin/timeout", "-s", "KILL", "120", WASIBUILD_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return run_process(argv, home.options);
}

}  // namespace

// Before: the installer hashed the FIFO (first reader: the good archive),
// then opened it again by name and unpacked what the second reader got
// (another archive, never hashed), recording the good hash; with a FIFO
// that has one writer it waited forever on that second open.
TEST_CASE("attack: --from a FIFO that serves another archive to a second reader" * doctest::test_suite("attack")) {
  GoodAndEvil archives;
  const fs::path fifo = archives.dir / "sdk.tar.gz";
  FifoServer server(fifo, {read_file(archives.good), read_file(archives.evil)});
  Home home;

  const auto result =
      run_bounded(home, {"toolchain", "install", "--from", fifo.string(), "--sha256", archives.good_sha256, "--name", "piped"});
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE(result.exit_status != 137);  // no hang
  CHECK(result.exit_status == 0);
  const fs::path root = home.toolchains() / "piped";
  CHECK(first_line(result.out) == "installed piped in " + root.string());
  CHECK(server.served() == 1);  // read once
  CHECK(read_file(root / "VERSION") == "good\n");
  CHECK(home.installed_json().find("\"sha256\":\"" + archives.good_sha256 + "\",\"pinned\":true}") != std::string::npos);
  CHECK(home.staging_dirs().empty());
  CHECK(entries_starting_with(home.toolchains(), ".archive-").empty());

  // A pipe on stdin is read once the same way.
  const auto piped = run_process(
      {"/bin/sh", "-c",
       "/bin/cat \"$0\" | /usr/bin/timeout -s KILL 120 \"$1\" toolchain install --from /dev/stdin --sha256 \"$2\" "
       "--name from-stdin",
       archives.good.string(), WASIBUILD_BINARY, archives.good_sha256},
      home.options);
  INFO("stdin install stderr: " << piped.err);
  CHECK(piped.exit_status == 0);
  CHECK(read_file(home.toolchains() / "from-stdin/VERSION") == "good\n");

  // A wrong --sha256 for what the FIFO gives: refused, nothing installed.
  FifoServer other(archives.dir / "other.tar.gz", {read_file(archives.evil)});
  const auto refused = run_bounded(home, {"toolchain", "install", "--from", (archives.dir / "other.tar.gz").string(),
                                          "--sha256", archives.good_sha256, "--name", "other"});
  CHECK(refused.exit_status == 1);
  CHECK(refused.err == "wasibuild: error: " + (archives.dir / "other.tar.gz").string() + ": SHA-256 mismatch: expected " +
                           archives.good_sha256 + ", got " + sha256_of(archives.evil) + "\n");
  CHECK_FALSE(fs::exists(home.toolchains() / "other"));
  CHECK(home.staging_dirs().empty());
}

TEST_CASE("attack: --from a device or a directory is refused with one line - never read forever" * doctest::test_suite("attack")) {
  Home home;
  TempDir dir;
  const auto directory = run_bounded(home, {"toolchain", "install", "--from", dir.path().string(), "--name", "d"});
  CHECK(directory.exit_status == 1);
  CHECK(directory.err == "wasibuild: error: " + dir.path().string() +
                             ": cannot unpack: it is a directory, not a file or a pipe\n");
  const auto device = run_bounded(home, {"toolchain", "install", "--from", "/dev/zero", "--name", "z"});
  CHECK(device.exit_status == 1);
  CHECK(device.err == "wasibuild: error: /dev/zero: cannot unpack: it is a character device, not a file or a pipe\n");
  CHECK(home.nothing_installed());
}

// Before: a cached download was hashed through whatever its name led to,
// then opened again by name to unpack. A link to a FIFO (or a FIFO) that
// serves the good archive first and other bytes next had those other bytes
// unpacked under the pinned hash; a link, or a file someone else could
// write, was trusted as it was.
TEST_CASE("attack: a planted download cache entry is not used - the archive is downloaded again" * doctest::test_suite("attack")) {
  GoodAndEvil archives;
  const std::string hash = archives.good_sha256;
  enum class Plant { symlink_to_fifo, fifo, symlink_to_good_copy, group_writable, other_owner };
  struct Case {
    std::string label;
    Plant plant;
    std::string reason;
  };
  std::vector<Case> cases = {
      {"symlink to a FIFO", Plant::symlink_to_fifo, "it is a symbolic link"},
      {"a FIFO", Plant::fifo, "it is a fifo"},
      {"symlink to a good copy", Plant::symlink_to_good_copy, "it is a symbolic link"},
      {"group-writable", Plant::group_writable, "it is writable by its group or by others"},
  };
  if (::geteuid() == 0) {
    cases.push_back({"owned by nobody", Plant::other_owner, "it is owned by uid 65534, not by uid 0"});
  }
  for (const Case& item : cases) {
    CAPTURE(item.label);
    LoopbackServer server;
    server.serve_file("/sdk.tar.gz", archives.good);
    Home home;
    fs::create_directories(home.downloads());
    const fs::path entry = home.downloads() / hash;
    TempDir elsewhere;
    std::optional<FifoServer> fifo;
    switch (item.plant) {
      case Plant::symlink_to_fifo:
        fifo.emplace(elsewhere / "swap", std::vector<std::string>{read_file(archives.good), read_file(archives.evil)});
        fs::create_symlink(elsewhere / "swap", entry);
        break;
      case Plant::fifo:
        fifo.emplace(entry, std::vector<std::string>{read_file(archives.good), read_file(archives.evil)});
        break;
      case Plant::symlink_to_good_copy:
        fs::copy_file(archives.good, elsewhere / "copy");
        fs::create_symlink(elsewhere / "copy", entry);
        break;
      case Plant::group_writable:
        fs::copy_file(archives.good, entry);
        fs::permissions(entry, fs::perms(0664));
        break;
      case Plant::other_owner:
        fs::copy_file(archives.good, entry);
        fs::permissions(entry, fs::perms(0644));
        REQUIRE(::chown(entry.c_str(), 65534, 65534) == 0);
        break;
    }

    const auto result = run_bounded(home, {"toolchain", "install", "--from", server.url("/sdk.tar.gz"), "--sha256",
                                           hash, "--name", "cached"});
    INFO("stdout: " << result.out << "\nstderr: " << result.err);
    REQUIRE(result.exit_status != 137);  // no hang
    CHECK(result.exit_status == 0);
    CHECK(result.err.find("warning: " + entry.string() + ": refusing to use it: " + item.reason +
                          "; downloading it again\n") != std::string::npos);
    CHECK(server.requests("/sdk.tar.gz") == 1);
    CHECK(read_file(home.toolchains() / "cached/VERSION") == "good\n");
    CHECK(home.installed_json().find("\"sha256\":\"" + hash + "\",\"pinned\":true}") != std::string::npos);
    // The entry is now the verified download, a plain file of ours.
    CHECK(fs::is_regular_file(fs::symlink_status(entry)));
    CHECK(sha256_of(entry) == hash);
    CHECK((fs::status(entry).permissions() & (fs::perms::group_write | fs::perms::others_write)) == fs::perms::none);
    // O_NOFOLLOW never reached the FIFO behind the link.
    if (item.plant == Plant::symlink_to_fifo) CHECK(fifo->served() == 0);
    // A link was removed, not followed: its target is untouched.
    if (item.plant == Plant::symlink_to_good_copy) CHECK(read_file(elsewhere / "copy") == read_file(archives.good));
  }
}

// The same for the in-progress download: a planted `.part` link is never
// written through.
TEST_CASE("attack: a planted .part symlink is removed - not appended to" * doctest::test_suite("attack")) {
  GoodAndEvil archives;
  LoopbackServer server;
  server.serve_file("/sdk.tar.gz", archives.good);
  Home home;
  fs::create_directories(home.downloads());
  TempDir elsewhere;
  write_file(elsewhere / "victim", "precious\n");
  const fs::path part = home.downloads() / (archives.good_sha256 + ".part");
  fs::create_symlink(elsewhere / "victim", part);

  const auto result = run_bounded(home, {"toolchain", "install", "--from", server.url("/sdk.tar.gz"), "--sha256",
                                         archives.good_sha256, "--name", "parted"});
  INFO("stderr: " << result.err);
  CHECK(result.exit_status == 0);
  CHECK(result.err.find("warning: " + part.string() + ": refusing to use it: it is a symbolic link; removing it\n") !=
        std::string::npos);
  CHECK(read_file(elsewhere / "victim") == "precious\n");
  CHECK(read_file(home.toolchains() / "parted/VERSION") == "good\n");
  CHECK(home.part_files().empty());
}
