# Builds the Wasmtime C API (runner/wasmtime-shim, a staticlib crate) with
# cargo and exposes it as the imported target `wasmtime::wasmtime`.
#
# Compiling Wasmtime takes many minutes on two cores, so the cargo target
# directory may live outside the build tree: set WASIBUILD_CARGO_TARGET_DIR
# (environment or cache) and every build tree (GCC, clang, sanitizer) and
# every fresh clone reuses the compiled engine. They all build the same
# feature set with `--release --locked`, so none of them recompiles Wasmtime.

find_program(CARGO_EXECUTABLE cargo HINTS "$ENV{HOME}/.cargo/bin" REQUIRED)
find_program(RUSTC_EXECUTABLE rustc HINTS "$ENV{HOME}/.cargo/bin" REQUIRED)

if(DEFINED ENV{WASIBUILD_CARGO_TARGET_DIR} AND NOT "$ENV{WASIBUILD_CARGO_TARGET_DIR}" STREQUAL "")
  set(_wasmtime_default_target_dir "$ENV{WASIBUILD_CARGO_TARGET_DIR}")
else()
  set(_wasmtime_default_target_dir "${CMAKE_BINARY_DIR}/cargo-target")
endif()
set(WASIBUILD_CARGO_TARGET_DIR "${_wasmtime_default_target_dir}" CACHE PATH
    "Cargo target directory for the Wasmtime build (share it between build trees)")

set(_wasmtime_crate "${PROJECT_SOURCE_DIR}/runner/wasmtime-shim")
set(_wasmtime_out "${WASIBUILD_CARGO_TARGET_DIR}/release")
set(_wasmtime_lib "${_wasmtime_out}/libwasibuild_wasmtime.a")
set(WASMTIME_INCLUDE_DIR "${_wasmtime_out}/include")
# Imported targets must name include directories that exist at generate time;
# cargo fills this one (see runner/wasmtime-shim/build.rs).
file(MAKE_DIRECTORY "${WASMTIME_INCLUDE_DIR}")

# The system libraries a Rust staticlib needs, as rustc itself reports them
# for this host. An empty crate is enough: Wasmtime adds no native library.
set(_probe_dir "${CMAKE_BINARY_DIR}/rust-native-libs")
file(MAKE_DIRECTORY "${_probe_dir}")
file(WRITE "${_probe_dir}/empty.rs" "")
execute_process(
  COMMAND "${RUSTC_EXECUTABLE}" --crate-type=staticlib --print=native-static-libs
          -o "${_probe_dir}/libempty.a" "${_probe_dir}/empty.rs"
  ERROR_VARIABLE _probe_stderr RESULT_VARIABLE _probe_result)
string(REGEX MATCH "native-static-libs: ([^\n]*)" _ "${_probe_stderr}")
if(NOT _probe_result EQUAL 0 OR CMAKE_MATCH_1 STREQUAL "")
  message(FATAL_ERROR "rustc did not report its native static libraries:\n${_probe_stderr}")
endif()
separate_arguments(WASMTIME_NATIVE_LIBS UNIX_COMMAND "${CMAKE_MATCH_1}")
# rustc lists libc itself; the C++ link adds it anyway, and a leading -lc would
# sort before the sanitizer runtimes.
list(REMOVE_ITEM WASMTIME_NATIVE_LIBS "-lc")
# Nor the unwinder: the C++ link supplies it too, as libgcc_s or, for the
# wasibuild executable (-static-libgcc, driver/CMakeLists.txt), statically.
list(REMOVE_ITEM WASMTIME_NATIVE_LIBS "-lgcc_s")

# Cargo decides itself whether anything changed, so it runs on every build
# (a no-op takes a fraction of a second). CC/CXX/*FLAGS are cleared: Wasmtime's
# build scripts compile C helpers and rebuild when those variables change,
# so a clang (sanitizer) tree next to a GCC tree would recompile Wasmtime.
add_custom_target(wasmtime_cargo_build
  COMMAND "${CMAKE_COMMAND}" -E env --unset=CC --unset=CXX --unset=CFLAGS --unset=CXXFLAGS
          "CARGO_TARGET_DIR=${WASIBUILD_CARGO_TARGET_DIR}"
          "${CARGO_EXECUTABLE}" build --release --locked
          --manifest-path "${_wasmtime_crate}/Cargo.toml"
  BYPRODUCTS "${_wasmtime_lib}" "${WASMTIME_INCLUDE_DIR}/wasmtime.h"
  WORKING_DIRECTORY "${_wasmtime_crate}"
  COMMENT "Building the Wasmtime C API with cargo (the first build takes many minutes)"
  USES_TERMINAL)

add_library(wasmtime_c_api STATIC IMPORTED GLOBAL)
set_target_properties(wasmtime_c_api PROPERTIES
  IMPORTED_LOCATION "${_wasmtime_lib}"
  INTERFACE_INCLUDE_DIRECTORIES "${WASMTIME_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${WASMTIME_NATIVE_LIBS}")
add_dependencies(wasmtime_c_api wasmtime_cargo_build)
add_library(wasmtime::wasmtime ALIAS wasmtime_c_api)
