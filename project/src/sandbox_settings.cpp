#include "wasibuild/sandbox_settings.hpp"

#include <type_traits>

namespace wasibuild::project {

const std::vector<SandboxFlagSpec>& sandbox_flag_table() {
  using V = FlagValue;
  using F = SandboxFlags;
  static const std::vector<SandboxFlagSpec> table = {
      {"--dir", "dirs", V::grants, "HOST[::GUEST]", false,
       "Grant a directory read-write, as HOST or HOST::GUEST (e.g. --dir ./out::/out)", &F::dirs},
      {"--dir-ro", "dirs-ro", V::grants, "HOST[::GUEST]", false,
       "Grant a directory read-only (e.g. --dir-ro ./assets::/assets)", &F::read_only_dirs},
      {"--dir-build", nullptr, V::grants, "HOST[::GUEST]", false,
       "Grant a build directory read-write, but keep its build files (CMake, Ninja and Make files, CMakeFiles/, "
       "scripts, executables) read-only (e.g. --dir-build .::.); tests use it",
       &F::build_dirs},
      {"--build-root", nullptr, V::names, "DIR", false,
       "With --dir-build: the top directory of the Ninja build tree; every file its build graph reads or produces "
       "stays read-only too (the toolchain file passes it)",
       &F::build_root},
      {"--host-cwd", nullptr, V::boolean, "", false,
       "Grant the working directory (the grant whose guest path is `.`) also at its host path, with the same "
       "access, and set PWD to that path: a program built by the toolchain file starts there, so `../x` resolves "
       "as on the host (tests use it)",
       &F::host_cwd},
      {"--env", "env", V::env, "NAME[=VALUE]", false,
       "Set a variable, or copy one from the host (e.g. --env LANG=C --env HOME)", &F::env},
      {"--env-file", "env-files", V::files, "FILE", false,
       "Set the variables in a host file, NAME=VALUE (or NAME, copied from the host) a line, # comments; --env "
       "wins (e.g. --env-file ./guest.env)",
       &F::env_files},
      {"--inherit-env", "inherit-env", V::boolean, "", false, "Give the guest every host environment variable",
       &F::inherit_env},
      {"--env-names-from", nullptr, V::names, "VAR", false,
       "Copy the host variables named, comma-separated, in host variable VAR (e.g. --env-names-from "
       "WASIBUILD_GUEST_ENV); CTest's ENVIRONMENT reaches tests this way",
       &F::env_names_from},
      {"--env-changed-since", nullptr, V::names, "VAR", false,
       "Copy the host variables added or changed since the snapshot in host variable VAR, which `wasibuild binfmt "
       "run` takes before a test's own script runs: what the script sets for the program",
       &F::env_changed_since},
      {"--private-tmp", nullptr, V::boolean, "", false,
       "Give the guest a fresh empty /tmp, deleted after the run (tests use it)", &F::private_tmp},
      {"--allow-tcp-connect", "allow-tcp-connect", V::addresses, "HOST:PORT", false,
       "Let a component connect to an address: IPv4, [IPv6], a CIDR block, localhost or *, and a port, FIRST-LAST "
       "or * (e.g. --allow-tcp-connect 127.0.0.1:8080)",
       &F::tcp_connect},
      {"--allow-tcp-listen", "allow-tcp-listen", V::addresses, "HOST:PORT", false,
       "Let a component bind and listen on an address, and accept connections (e.g. --allow-tcp-listen "
       "127.0.0.1:8000-8099)",
       &F::tcp_listen},
      {"--allow-udp", "allow-udp", V::addresses, "HOST:PORT", false,
       "Let a component bind a UDP socket on the address and exchange datagrams with it (e.g. --allow-udp "
       "127.0.0.1:5353)",
       &F::udp},
      {"--allow-dns", "allow-dns", V::boolean, "", false,
       "Let a component resolve host names (getaddrinfo) through the host's resolver", &F::allow_dns},
      {"--trace-denials", "trace-denials", V::boolean, "", false,
       "Print each socket address the grants refused on stderr, with the flag that would allow it",
       &F::trace_denials},
      {"--max-memory", "max-memory", V::size, "SIZE", true,
       "Cap the guest's total memory: memories and tables (e.g. --max-memory 64MiB)", &F::max_memory},
      {"--max-wasm-stack", "max-wasm-stack", V::size, "SIZE", true,
       "Native stack for the guest's calls; deeper recursion traps (default 8MiB, e.g. --max-wasm-stack 64MiB)",
       &F::max_wasm_stack},
      {"--timeout", "timeout", V::duration, "DURATION", true,
       "End the guest after a wall-clock time, exit 124 (e.g. --timeout 250ms)", &F::timeout},
      {"--fuel", "fuel", V::count, "N", true,
       "Deterministic instruction budget; running out traps (e.g. --fuel 1000000)", &F::fuel},
      {"--max-threads", "max-threads", V::count, "N", true,
       "Threads a wasm32-wasip1-threads module may run besides its main one; past it pthread_create fails with "
       "EAGAIN (default 64, e.g. --max-threads 8)",
       &F::max_threads},
  };
  return table;
}

SandboxFlags merged(SandboxFlags base, const SandboxFlags& extra) {
  for (const SandboxFlagSpec& spec : sandbox_flag_table()) {
    std::visit(
        [&](auto member) {
          auto& into = base.*member;
          const auto& from = extra.*member;
          using Target = std::remove_cvref_t<decltype(into)>;
          if constexpr (std::is_same_v<Target, bool>) {
            into = into || from;
          } else if constexpr (std::is_same_v<Target, std::string>) {
            if (!from.empty()) into = from;
          } else {
            into.insert(into.end(), from.begin(), from.end());
          }
        },
        spec.field);
  }
  return base;
}

}  // namespace wasibuild::project
