// The toolchain manager's core: what a WASI toolchain is, where installed
// ones live, the release manifest, the system provider and resolution.
//
// Nothing here touches the network or unpacks archives (that is
// installer.hpp), so the driver links it without paying for libcurl or
// libarchive at start-up.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "wasibuild/failure.hpp"

namespace wasibuild::toolchain {

// ---- Errors ----------------------------------------------------------------

struct Error {
  enum class Kind {
    unknown_toolchain,     // subject: the name asked for
    unknown_version,       // subject: the version asked for
    no_asset_for_host,     // subject: version, detail: host
    not_installed,         // subject: name
    no_toolchain,          // nothing resolves (offline or no network allowed)
    invalid_metadata,      // subject: metadata file, detail: parser message
    invalid_layout,        // subject: directory, detail: what is missing
    bad_name,              // subject: the rejected name
    io,                    // subject: path, detail: OS error
    download_failed,       // subject: URL, detail: curl/HTTP error
    checksum_mismatch,     // subject: URL, expected, actual
    checksum_required,     // subject: URL (no pin and no --sha256)
    unsafe_archive,        // subject: archive, detail: the entry and why
    bad_archive,           // subject: archive, detail: libarchive message
    offline,               // subject: what would have been downloaded
    untrusted_file,        // subject: path, detail: why it is not used (a symlink, another owner, ...)
  };
  Kind kind;
  std::string subject = {};
  std::string detail = {};
  std::string expected = {};
  std::string actual = {};
  std::vector<std::string> help = {};

  [[nodiscard]] std::string message() const;
};

// A value or the reason there is none (base's one result type).
template <class T>
using Result = base::Result<T, Error>;

// ---- What a toolchain is -----------------------------------------------------

// Probed once by compiling small programs, stored with the toolchain.
struct Capabilities {
  std::vector<std::string> targets;  // triples whose libc is present
  bool exceptions = false;           // libc++ with C++ exceptions (WASI SDK 33+)
  bool filesystem = false;           // <fstream> and <filesystem> compile and link
  bool threads = false;              // <thread> for wasm32-wasip1-threads
  bool setjmp = false;               // <setjmp.h> in the sysroot
};

enum class Provider { wasi_sdk, system, custom };

struct Toolchain {
  std::string name;         // "wasi-sdk-33", "system", or a custom name
  Provider provider = Provider::custom;
  std::string version;      // "33" for a WASI SDK, clang's version otherwise
  std::filesystem::path root;  // install directory ("" for system)
  std::filesystem::path clang;
  std::filesystem::path clangxx;
  std::filesystem::path ar;
  std::filesystem::path ranlib;
  std::filesystem::path sysroot;
  std::string default_target;  // the triple builds use unless told otherwise
  Capabilities capabilities;
  std::string source;          // URL or file it came from
  std::string sha256;          // of that archive
  bool pinned = false;         // sha256 was pinned (manifest or --sha256)
};

[[nodiscard]] std::string provider_name(Provider provider);

// ---- Running toolchain programs ----------------------------------------------

// A toolchain program's run (clang, llvm-strip, wasm-opt), without a shell.
struct ToolRun {
  int exit_status = -1;     // -1: could not start
  std::string output;       // stdout and stderr together, at most 64 KiB
  std::string start_error;  // why it could not start
};

// Runs argv[0] (a path) with the given arguments; stdin is /dev/null.
[[nodiscard]] ToolRun run_tool(const std::vector<std::string>& argv);

// ---- The release manifest ----------------------------------------------------

struct Release {
  int version = 0;
  std::string tag;
  std::string clang;
  std::map<std::string, std::string> assets;   // host -> asset name
  std::map<std::string, std::string> sha256;   // host -> pinned hash
  std::string top_dir;
  std::vector<std::string> targets;
  std::string default_target;
  bool filesystem = false;
  bool exceptions = false;
  bool setjmp = false;

  [[nodiscard]] std::optional<std::string> asset(const std::string& host) const;
  [[nodiscard]] std::string url(const std::string& base_url, const std::string& host) const;
  [[nodiscard]] std::string top_directory(const std::string& host) const;
};

struct Manifest {
  std::string base_url;
  int default_version = 0;
  std::vector<Release> releases;  // ascending by version

  [[nodiscard]] const Release* find(int version) const;
  // The newest release with a pinned hash for `host`.
  [[nodiscard]] const Release* default_release(const std::string& host) const;
};

// The manifest compiled into wasibuild (sysroot-manager/data).
[[nodiscard]] const Manifest& builtin_manifest();
[[nodiscard]] Result<Manifest> parse_manifest(std::string_view toml_text);

// "x86_64-linux", "arm64-macos", ... for the machine running wasibuild.
[[nodiscard]] std::string host_platform();

// ---- Installed toolchains ----------------------------------------------------

// <data>/toolchains/<name>/ with wasibuild-toolchain.toml written last.
class Store {
 public:
  explicit Store(std::filesystem::path toolchains_dir) : dir_(std::move(toolchains_dir)) {}
  [[nodiscard]] const std::filesystem::path& directory() const { return dir_; }
  [[nodiscard]] std::filesystem::path path_of(const std::string& name) const { return dir_ / name; }
  // Every installed toolchain with valid metadata, sorted by name; half
  // installed or foreign directories are skipped.
  [[nodiscard]] std::vector<Toolchain> installed() const;
  [[nodiscard]] Result<Toolchain> load(const std::string& name) const;
  [[nodiscard]] std::optional<Error> remove(const std::string& name) const;

 private:
  std::filesystem::path dir_;
};

inline constexpr const char* kMetadataFile = "wasibuild-toolchain.toml";

[[nodiscard]] std::string to_toml(const Toolchain& toolchain);
[[nodiscard]] Result<Toolchain> toolchain_from_toml(std::string_view text, const std::filesystem::path& file);

// A toolchain name is also a directory name: letters, digits, '.', '-', '_'.
[[nodiscard]] bool is_valid_name(std::string_view name);

// ---- Helper tools ---------------------------------------------------------------

// A program a toolchain may need beside clang, installed by `wasibuild
// toolchain install <name>` into <data>/tools/<name>/ (wasibuild-tool.toml
// written last). Today one: npm's binaryen, whose wasm-opt translates clang
// 19's setjmp/longjmp to standard exception handling (docs/setjmp.md).
struct ToolRelease {
  std::string name;           // "binaryen": the install argument and the store directory
  std::string version;        // "132.0.0"
  std::string registry_path;  // appended to the npm registry's URL
  std::string sha256;         // of the .tgz, pinned
  std::string top_directory;  // "package", as in every npm tarball
  std::string program;        // the program to use, relative to the tool's directory
};

inline constexpr const char* kNpmRegistry = "https://registry.npmjs.org";
inline constexpr const char* kToolMetadataFile = "wasibuild-tool.toml";

[[nodiscard]] const ToolRelease& binaryen_release();

struct InstalledTool {
  std::string name;
  std::string version;
  std::filesystem::path root;
  std::filesystem::path program;  // absolute
  std::string source;
  std::string sha256;
};

[[nodiscard]] std::string tool_to_toml(const InstalledTool& tool);
// The tool `name` in `tools_dir`, or not_installed.
[[nodiscard]] Result<InstalledTool> load_tool(const std::filesystem::path& tools_dir, const std::string& name);

// ---- The system provider -----------------------------------------------------

// Where to look; the defaults describe this machine (PATH, the usual
// distribution sysroots, WASI_SYSROOT).
struct SystemSearch {
  std::vector<std::filesystem::path> path;  // directories of PATH
  std::optional<std::filesystem::path> wasi_sysroot;  // WASI_SYSROOT
  std::filesystem::path root = "/";  // tests point this at a fake tree
  // Debian's WASI sysroot is /usr, so clang would also search /usr/include
  // and a header missing from wasi-libc would silently come from glibc.
  // With this set, such a sysroot is presented through a directory of
  // symlinks to its wasm32-* include and lib directories only.
  std::optional<std::filesystem::path> isolated_view;
};

// A distribution's clang + WASI sysroot, or why there is none. May create
// `search.isolated_view` (idempotently).
[[nodiscard]] Result<Toolchain> discover_system(const SystemSearch& search);

// ---- Capabilities --------------------------------------------------------------

// Compiles small programs with `toolchain` into `scratch` to learn what it
// supports. Slow (a few clang runs): done once, at install or discovery.
[[nodiscard]] Capabilities probe_capabilities(const Toolchain& toolchain, const std::filesystem::path& scratch);

// ---- Resolution ----------------------------------------------------------------

struct ResolveInputs {
  std::optional<std::string> flag;             // --toolchain
  std::optional<std::string> environment;      // WASIBUILD_TOOLCHAIN
  std::optional<std::string> project;          // wasibuild.toml [toolchain] name
  std::optional<std::string> user_default;     // config.toml default
  std::vector<Toolchain> installed;            // from the Store
  std::optional<Toolchain> system;             // from discover_system
};

struct Resolution {
  enum class Rule { flag, environment, project, user_default, newest_installed_sdk, system, install_default };
  Rule rule;
  std::optional<Toolchain> toolchain;  // empty for install_default
  std::string requested;               // the name the rule asked for
};

[[nodiscard]] std::string rule_description(Resolution::Rule rule);

// Pure: picks by the documented order. install_default means nothing is
// installed and no system toolchain exists: the caller may download the
// pinned default SDK (online) or must stop with the remedy (offline).
[[nodiscard]] Result<Resolution> resolve(const ResolveInputs& inputs);

}  // namespace wasibuild::toolchain
