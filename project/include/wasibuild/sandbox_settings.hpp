// The sandbox settings a program runs with: the grant and limit flags of
// `exec` and `run`, and the same keys in wasibuild.toml's [run] and [test].
// Here they are data (one table); what they mean is the runner's policy,
// and binding them to a command line is the driver's.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "wasibuild/text.hpp"

namespace wasibuild::project {

struct SandboxFlags {
  std::vector<std::string> dirs;            // HOST[::GUEST], read-write
  std::vector<std::string> read_only_dirs;  // HOST[::GUEST]
  std::vector<std::string> build_dirs;      // HOST[::GUEST], read-write but build files (runner::Guard)
  std::string build_root;                   // the top of a Ninja build tree, whose graph --dir-build guards
  bool host_cwd = false;                    // the `.` grant again at the working directory's host path, and PWD
  std::vector<std::string> env;             // NAME=VALUE or NAME
  std::vector<std::string> env_files;       // host files of NAME=VALUE lines
  bool inherit_env = false;
  std::string env_names_from;  // a host variable listing more names to copy
  std::string env_changed_since;  // a host variable holding an environment_snapshot()
  bool private_tmp = false;
  std::vector<std::string> tcp_connect;  // HOST:PORT (components only)
  std::vector<std::string> tcp_listen;   // HOST:PORT
  std::vector<std::string> udp;          // HOST:PORT
  bool allow_dns = false;
  bool trace_denials = false;  // report each refused socket address on stderr
  std::string max_memory;
  std::string max_wasm_stack;
  std::string timeout;
  std::string fuel;
  std::string max_threads;
};

// What a sandbox flag's value is: how it is bound, checked in
// wasibuild.toml, merged and passed on.
enum class FlagValue {
  grants,    // repeated HOST[::GUEST]; in wasibuild.toml a list, hosts relative to the project
  env,       // repeated NAME[=VALUE]
  files,     // repeated host file paths; in wasibuild.toml relative to the project
  names,     // a host variable's name (command line only)
  boolean,   // a switch
  size,      // "64MiB"; the last one given counts
  duration,  // "250ms"; the last one given counts
  count,     // an integer, 0 or more; in wasibuild.toml an integer
  addresses, // repeated HOST:PORT; in wasibuild.toml a list
};

// One row per sandbox flag: the one place a flag is declared. Binding it
// (exec, run), its key in wasibuild.toml's [run] and [test], merging a
// project's settings with the command line's, and the flags every test
// gets (test_grants) are all read from this table; what the flag means is
// the runner's policy (policy_from, limits_from). CONTRIBUTING.md shows how
// a flag is added.
struct SandboxFlagSpec {
  const char* flag;      // "--dir-ro"
  const char* toml_key;  // "dirs-ro" in [run] and [test]; nullptr: command line only
  FlagValue value;
  const char* type_name;  // "HOST[::GUEST]"; "" for a switch
  bool is_limit;          // grouped under "Limits" in help, else "Capabilities"
  const char* help;
  std::variant<std::vector<std::string> SandboxFlags::*, bool SandboxFlags::*, std::string SandboxFlags::*> field;
};
[[nodiscard]] const std::vector<SandboxFlagSpec>& sandbox_flag_table();

// `extra` (the command line) after `base` (wasibuild.toml): lists add up,
// switches turn on, a value replaces.
[[nodiscard]] SandboxFlags merged(SandboxFlags base, const SandboxFlags& extra);

// User text quoted in an error (a key, a value, a flag's argument): at most
// kQuoteLimit bytes, cut at a character boundary and ended with "...". A
// 10 MB key is not echoed whole.
inline constexpr std::size_t kQuoteLimit = 100;
[[nodiscard]] inline std::string capped(std::string_view text) { return base::capped(text, kQuoteLimit); }

}  // namespace wasibuild::project
