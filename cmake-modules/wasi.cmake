# Drop-in CMake toolchain file: cross-compile any CMake project to WASI
# preview1 and run its CTest suite in wasibuild's sandboxed runner.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=$(wasibuild toolchain-file) -S . -B build
#   cmake --build build && ctest --test-dir build
#
# The toolchain comes from explicit variables first (cache or environment;
# a value from the environment is kept in the cache, so a later configure
# without it, such as ninja's re-run of cmake, still sees it):
#   WASIBUILD_CLANG, WASIBUILD_CLANGXX, WASIBUILD_AR, WASIBUILD_RANLIB,
#   WASIBUILD_SYSROOT, WASIBUILD_TARGET
# and otherwise from `wasibuild toolchain which --cmake`, which applies
# wasibuild's resolution order. This file never downloads anything.
# Other inputs:
#   WASIBUILD_EXECUTABLE   the wasibuild binary (default: next to this file's
#                          install prefix, then PATH); runs tests as emulator
#   WASIBUILD_TOOLCHAIN    a toolchain name for `which` (like --toolchain)
#   WASIBUILD_STACK_SIZE   linear-memory stack in bytes (default 8 MiB)
#   WASIBUILD_THREADS      ON: build for wasm32-wasip1-threads (wasi-threads:
#                          real pthreads and std::thread over a shared memory),
#                          the same as -DWASIBUILD_TARGET=wasm32-wasip1-threads
#   WASIBUILD_MAX_MEMORY   for a threads target, the shared memory's maximum in
#                          bytes, a multiple of 64 KiB (default 1 GiB): a shared
#                          memory cannot grow past the maximum it declares
#   WASIBUILD_MAX_THREADS  for a threads target, the threads each test may run
#                          besides its main one (`exec --max-threads`; the
#                          runner's default, 64, when unset)
#   WASIBUILD_TEST_CWD     guarded (default: a test's working directory is
#                          writable but its build files are not) or writable
#                          (where mount namespaces are forbidden; docs/testing.md)
#   WASIBUILD_TEST_EXTRA_GRANTS  more `wasibuild exec` flags for every test, a
#                          list such as `--dir-ro=/abs/data::/data;--timeout=30s`;
#                          `wasibuild build` and `test` pass the project's [test] here
set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

set(_wasibuild_inputs WASIBUILD_CLANG WASIBUILD_CLANGXX WASIBUILD_AR WASIBUILD_RANLIB WASIBUILD_SYSROOT
    WASIBUILD_TARGET WASIBUILD_EXECUTABLE WASIBUILD_TOOLCHAIN WASIBUILD_STACK_SIZE WASIBUILD_SUPPORT_LIBRARY
    WASIBUILD_THREADS WASIBUILD_MAX_MEMORY WASIBUILD_MAX_THREADS
    WASIBUILD_FSTREAM_LIBRARY WASIBUILD_KEEP_WERROR)
# An input taken from the environment is kept in the cache: ninja re-runs
# cmake when a CMakeLists.txt changes, from whatever shell runs ninja, and
# that configure must see the same toolchain. A new value in the environment
# replaces the kept one (a moved wasm-opt must not leave a stale path behind);
# a value given with -D, or set by `toolchain which`, is never overridden.
macro(_wasibuild_input_from_environment input)
  if(DEFINED ENV{${input}}
     AND (NOT DEFINED ${input} OR "x${${input}}" STREQUAL "x${_WASIBUILD_ENV_${input}}"))
    set(${input} "$ENV{${input}}" CACHE STRING "${input} (from the environment)" FORCE)
    set(_WASIBUILD_ENV_${input} "$ENV{${input}}" CACHE INTERNAL "the environment's ${input}, as cached")
  endif()
endmacro()
foreach(input IN LISTS _wasibuild_inputs)
  _wasibuild_input_from_environment(${input})
endforeach()
# try_compile projects see only the variables listed here (and run in a
# scratch directory with no wasibuild.toml): pass the resolved toolchain.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ${_wasibuild_inputs})

if(NOT WASIBUILD_EXECUTABLE)
  get_filename_component(_wasibuild_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
  find_program(WASIBUILD_EXECUTABLE wasibuild HINTS "${_wasibuild_prefix}/bin" "${_wasibuild_prefix}/driver" NO_CACHE)
endif()

# The target the project asked for, before `toolchain which` names its
# default: WASIBUILD_THREADS=ON asks for the threads target, unless the
# project named another one.
set(_wasibuild_asked_target "${WASIBUILD_TARGET}")
if(WASIBUILD_THREADS)
  if(NOT _wasibuild_asked_target)
    set(_wasibuild_asked_target wasm32-wasip1-threads)
  elseif(NOT _wasibuild_asked_target MATCHES "-threads$")
    message(FATAL_ERROR "wasi.cmake: WASIBUILD_THREADS=ON asks for wasm32-wasip1-threads, but "
      "WASIBUILD_TARGET=${_wasibuild_asked_target}; drop one of them")
  endif()
  set(WASIBUILD_TARGET "${_wasibuild_asked_target}")
endif()

if(NOT WASIBUILD_CLANG OR NOT WASIBUILD_SYSROOT)
  if(NOT WASIBUILD_EXECUTABLE)
    message(FATAL_ERROR "wasi.cmake: no toolchain given and no wasibuild found to resolve one.\n"
      "Pass -DWASIBUILD_EXECUTABLE=/path/to/wasibuild, or -DWASIBUILD_CLANG=... -DWASIBUILD_SYSROOT=...")
  endif()
  set(_which_args toolchain which --cmake)
  if(WASIBUILD_TOOLCHAIN)
    list(APPEND _which_args --toolchain "${WASIBUILD_TOOLCHAIN}")
  endif()
  execute_process(COMMAND "${WASIBUILD_EXECUTABLE}" ${_which_args}
    OUTPUT_VARIABLE _which_output ERROR_VARIABLE _which_error RESULT_VARIABLE _which_result)
  if(NOT _which_result EQUAL 0)
    message(FATAL_ERROR "wasi.cmake: no WASI toolchain resolves here:\n${_which_error}"
      "Install one with: wasibuild toolchain install")
  endif()
  set(_which_file "${CMAKE_BINARY_DIR}/CMakeFiles/wasibuild-toolchain.cmake")
  file(WRITE "${_which_file}" "${_which_output}")
  # The toolchain's default target, unless the project asked for one
  # (-DWASIBUILD_TARGET=wasm32-wasip2): `which` names the default only.
  include("${_which_file}")
  if(_wasibuild_asked_target)
    set(WASIBUILD_TARGET "${_wasibuild_asked_target}")
  endif()
endif()
# try_compile projects get the capabilities with the toolchain (they do not
# run `toolchain which` again): a check_cxx_source_compiles() with a `try`
# must see the exception mode the project builds with.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES WASIBUILD_HAS_EXCEPTIONS WASIBUILD_HAS_FILESYSTEM
     WASIBUILD_HAS_THREADS WASIBUILD_HAS_SETJMP)
list(REMOVE_DUPLICATES CMAKE_TRY_COMPILE_PLATFORM_VARIABLES)

# clang-19 -> clang++-19, clang -> clang++ (a WASI SDK's bin/clang). Not one
# REGEX REPLACE with \1: CMake stops on a group that did not take part.
if(NOT WASIBUILD_CLANGXX AND WASIBUILD_CLANG MATCHES "^(.*)clang(-[0-9]+)?$")
  set(WASIBUILD_CLANGXX "${CMAKE_MATCH_1}clang++${CMAKE_MATCH_2}")
endif()
# wasm32-wasip1 where the sysroot has it, as `toolchain which` decides for
# installed SDKs: clang 20+ warns that wasm32-wasi is deprecated, which
# breaks every -Werror project; a sysroot with wasip1 directories comes with
# a clang (18+) that knows the name. Debian 12's sysroot has only wasm32-wasi.
if(NOT WASIBUILD_TARGET)
  if(EXISTS "${WASIBUILD_SYSROOT}/lib/wasm32-wasip1")
    set(WASIBUILD_TARGET wasm32-wasip1)
  else()
    set(WASIBUILD_TARGET wasm32-wasi)
  endif()
endif()
# wasm32-wasi and wasm32-wasip1 name one ABI (and so do the -threads
# pair): a cache or preset written for
# one builds with a sysroot that has only the other (WASI SDK 34 dropped the
# old name; Debian 12 has only it), as the driver's build plan does.
if(WASIBUILD_TARGET STREQUAL "wasm32-wasi" AND NOT EXISTS "${WASIBUILD_SYSROOT}/lib/wasm32-wasi"
   AND EXISTS "${WASIBUILD_SYSROOT}/lib/wasm32-wasip1")
  set(WASIBUILD_TARGET wasm32-wasip1)
elseif(WASIBUILD_TARGET STREQUAL "wasm32-wasip1" AND NOT EXISTS "${WASIBUILD_SYSROOT}/lib/wasm32-wasip1"
       AND EXISTS "${WASIBUILD_SYSROOT}/lib/wasm32-wasi")
  set(WASIBUILD_TARGET wasm32-wasi)
elseif(WASIBUILD_TARGET STREQUAL "wasm32-wasi-threads" AND NOT EXISTS "${WASIBUILD_SYSROOT}/lib/wasm32-wasi-threads"
       AND EXISTS "${WASIBUILD_SYSROOT}/lib/wasm32-wasip1-threads")
  set(WASIBUILD_TARGET wasm32-wasip1-threads)
elseif(WASIBUILD_TARGET STREQUAL "wasm32-wasip1-threads" AND NOT EXISTS "${WASIBUILD_SYSROOT}/lib/wasm32-wasip1-threads"
       AND EXISTS "${WASIBUILD_SYSROOT}/lib/wasm32-wasi-threads")
  set(WASIBUILD_TARGET wasm32-wasi-threads)
endif()
# A target the toolchain has no libc for would fail at the first compile
# check with a missing header; say so once, with what it has.
# list(FIND), not IN_LIST: projects under old policies (CMP0057) include this file.
list(FIND WASIBUILD_TARGETS "${WASIBUILD_TARGET}" _wasibuild_target_index)
if(WASIBUILD_TARGETS AND _wasibuild_target_index EQUAL -1)
  string(REPLACE ";" ", " _wasibuild_targets_text "${WASIBUILD_TARGETS}")
  set(_wasibuild_remedy)
  if(WASIBUILD_TARGET MATCHES "-threads$")
    string(CONCAT _wasibuild_remedy "\nA toolchain with threads: scripts/setup.sh's debian-llvm23, or a WASI SDK "
      "(`wasibuild toolchain list` shows each toolchain's threads).")
  endif()
  message(FATAL_ERROR "wasi.cmake: the toolchain ${WASIBUILD_TOOLCHAIN_NAME} has no ${WASIBUILD_TARGET}; "
    "its targets: ${_wasibuild_targets_text}${_wasibuild_remedy}")
endif()
# A sysroot given directly (WASIBUILD_SYSROOT, no capability report): a
# threads target needs its own libc, built for a shared memory.
if(WASIBUILD_TARGET MATCHES "-threads$" AND NOT EXISTS "${WASIBUILD_SYSROOT}/lib/${WASIBUILD_TARGET}/libc.a")
  message(FATAL_ERROR "wasi.cmake: the sysroot ${WASIBUILD_SYSROOT} has no ${WASIBUILD_TARGET} libc "
    "(lib/${WASIBUILD_TARGET}/libc.a), so it cannot build threads.\nA toolchain with threads: scripts/setup.sh's "
    "debian-llvm23, or a WASI SDK (`wasibuild toolchain list` shows each toolchain's threads).")
endif()
if(NOT WASIBUILD_STACK_SIZE)
  set(WASIBUILD_STACK_SIZE 8388608)
endif()
foreach(tool CLANG CLANGXX)
  if(NOT EXISTS "${WASIBUILD_${tool}}")
    message(FATAL_ERROR "wasi.cmake: WASIBUILD_${tool}=${WASIBUILD_${tool}} does not exist")
  endif()
endforeach()

set(CMAKE_C_COMPILER "${WASIBUILD_CLANG}")
set(CMAKE_CXX_COMPILER "${WASIBUILD_CLANGXX}")
set(CMAKE_ASM_COMPILER "${WASIBUILD_CLANG}")
set(CMAKE_C_COMPILER_TARGET "${WASIBUILD_TARGET}")
set(CMAKE_CXX_COMPILER_TARGET "${WASIBUILD_TARGET}")
set(CMAKE_ASM_COMPILER_TARGET "${WASIBUILD_TARGET}")
set(CMAKE_SYSROOT "${WASIBUILD_SYSROOT}")
if(WASIBUILD_AR)
  set(CMAKE_AR "${WASIBUILD_AR}" CACHE FILEPATH "wasm archiver")
endif()
if(WASIBUILD_RANLIB)
  set(CMAKE_RANLIB "${WASIBUILD_RANLIB}" CACHE FILEPATH "wasm ranlib")
endif()

# Adds a compile-only option (a "SHELL:" group keeps a repeated -mllvm
# together) unless an earlier inclusion of this file already did: it is read
# more than once per configure. Compile options never reach the link line,
# where clang warns that an -mllvm flag is unused (an error under -Werror).
# What the toolchain needs on every compile and link is added as directory
# options, not *_FLAGS_INIT: a user's -DCMAKE_C_FLAGS=... (or
# CMAKE_EXE_LINKER_FLAGS) replaces the _INIT value, and would silently drop
# the emulation defines, the support headers, -fno-exceptions and the stack.
# Once each: the toolchain file is read more than once per configure.
function(_wasibuild_add_compile_option entry)
  get_directory_property(options COMPILE_OPTIONS)
  list(FIND options "${entry}" found)  # not IN_LIST: the project's policies apply here
  if(found EQUAL -1)
    add_compile_options("${entry}")
  endif()
endfunction()

function(_wasibuild_add_link_option entry)
  get_directory_property(options LINK_OPTIONS)
  list(FIND options "${entry}" found)
  if(found EQUAL -1)
    add_link_options("${entry}")
  endif()
endfunction()

# Untuned projects are written against libstdc++ or an older libc++, whose
# headers bring <new>, <atomic>, <cstring>... along; libc++ 23 stopped doing
# that (Catch2 2.13: "no member named 'nothrow' in namespace 'std'") and
# keeps libc++'s own switch to bring them back, which has no effect on an
# older libc++.
_wasibuild_add_compile_option("$<$<COMPILE_LANGUAGE:CXX>:-D_LIBCPP_KEEP_TRANSITIVE_INCLUDES_LLVM23>")

# The compiler's side of CMake's UNIX (Platform/WASI.cmake): clang defines
# no __unix__ for WASI, though wasi-libc is a POSIX libc (musl's headers),
# and code that picks its POSIX branch by __unix__ took its "unknown
# platform" one instead, which stops with #error or never includes
# <stdio.h> (zstd's and lz4's platform.h, mbedtls's timing and entropy).
# Emscripten's clang target defines it for the same reason. Not the
# GNU-mode `unix`, which would take an identifier away from programs.
_wasibuild_add_compile_option("-D__unix__=1")
_wasibuild_add_compile_option("-D__unix=1")

# C++ exceptions: on, in the standard (exnref) form Wasmtime runs, where the
# toolchain's libc++ has them (WASI SDK 33+, debian-llvm23); otherwise code
# must not use them (Debian 12's wasm32 libc++ has none), and a `try` or
# `throw` stops the compile. The configure says so once, with the remedy, so
# the user need not decode clang's "cannot use 'try' with exceptions
# disabled" deep in the build (docs/toolchains.md). A stack placed first and
# larger than wasm-ld's 64 KiB makes an overflow trap instead of silently
# corrupting static data.
set(_wasibuild_exception_libraries)
if(WASIBUILD_HAS_EXCEPTIONS)
  _wasibuild_add_compile_option("$<$<COMPILE_LANGUAGE:CXX>:-fwasm-exceptions>")
  # The same entry as WasiSetjmp.cmake's native mode: an -mllvm option given
  # twice is an error.
  _wasibuild_add_compile_option("$<$<COMPILE_LANGUAGE:C,CXX>:SHELL:-mllvm -wasm-use-legacy-eh=false>")
  set(_wasibuild_exception_libraries " -lunwind")
else()
  _wasibuild_add_compile_option("$<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions>")
  # A libc++ built only with exceptions (debian-llvm23) needs libunwind even
  # when the project's code has none; an archive costs nothing unused.
  if(EXISTS "${WASIBUILD_SYSROOT}/lib/${WASIBUILD_TARGET}/libunwind.a")
    set(_wasibuild_exception_libraries " -lunwind")
  endif()
  set(_wasibuild_no_exceptions "C++ exceptions off: the toolchain's libc++ has none (a toolchain with them: \
`wasibuild toolchain install`, or scripts/setup.sh's debian-llvm23)")
  if(NOT _WASIBUILD_EXCEPTIONS_REPORTED STREQUAL "${WASIBUILD_CLANG}")
    message(STATUS "wasibuild: ${_wasibuild_no_exceptions}")
    set(_WASIBUILD_EXCEPTIONS_REPORTED "${WASIBUILD_CLANG}" CACHE INTERNAL "toolchain whose missing exceptions were reported")
  endif()
endif()
# A project's -Werror is tuned to the compilers its authors build with (GCC,
# an older clang); the WASI clang warns about other things (clang 22: a
# __COUNTER__ "C2y extension", unsafe-buffer checks under -Weverything), so
# untuned projects stopped on warnings nobody had seen: glm passed 21 of 188
# tests, 188 with this. As Debian's packaging does, warnings stay warnings:
# -Wno-error goes after every flag a project gives (it cancels -Werror, not
# a -Werror=<warning> the project names), and -Wno-error=pedantic turns the
# pedantic diagnostics that -pedantic-errors raised back into warnings, which
# -Wno-error leaves alone (doctest: 983 errors on clang 22's __COUNTER__).
# clang 22 honours it; clang 19 cannot downgrade what -pedantic-errors
# raised, and ignores it. -DWASIBUILD_KEEP_WERROR=ON keeps both, for a
# project tuned for this toolchain.
if(NOT WASIBUILD_KEEP_WERROR)
  foreach(lang C CXX)
    set(CMAKE_${lang}_COMPILE_OBJECT
        "<CMAKE_${lang}_COMPILER> <DEFINES> <INCLUDES> <FLAGS> -Wno-error -Wno-error=pedantic -o <OBJECT> -c <SOURCE>")
  endforeach()
  if(NOT _WASIBUILD_WERROR_REPORTED)
    message(STATUS "wasibuild: warnings never stop the build (-Wno-error; -DWASIBUILD_KEEP_WERROR=ON keeps -Werror)")
    set(_WASIBUILD_WERROR_REPORTED ON CACHE INTERNAL "the -Werror policy was reported")
  endif()
endif()

# Release builds use wasm SIMD (Wasmtime runs it): measured against plain -O3
# and -O2 on six CPU workloads, -msimd128 was faster in every run
# (docs/performance.md, bench/release_flags.sh); clang vectorizes for wasm
# only when it is on. Relaxed SIMD is left out: its results may differ
# between hosts.
# LLVM's WebAssembly target reports a maximum interleave factor of 1, so a
# vectorized loop handles one v128 per iteration, and wasm engines do not
# unroll loops themselves; native x86 code interleaves such loops 2-4 times.
# Raising the target's maximum lets the cost model interleave vectorized
# loops (it still weighs loop size and register pressure): matmul ran 1.6x
# faster, and no other workload changed a byte. The forced interleave count
# (-force-vector-interleave) was rejected: it also unrolls scalar loops, and
# sieve ran 1.6x slower. The linker gets it too (-Wl,-mllvm), for LTO's code
# generation; the compiler's -mllvm form is a compile option only.
set(_wasibuild_interleave "-force-target-max-vector-interleave=4")
set(CMAKE_C_FLAGS_RELEASE_INIT "-msimd128")  # CMake appends -O3 -DNDEBUG
set(CMAKE_CXX_FLAGS_RELEASE_INIT "-msimd128")
_wasibuild_add_compile_option("$<$<AND:$<CONFIG:Release>,$<COMPILE_LANGUAGE:C,CXX>>:SHELL:-mllvm ${_wasibuild_interleave}>")
foreach(kind EXE SHARED MODULE)
  set(CMAKE_${kind}_LINKER_FLAGS_RELEASE_INIT "-Wl,-mllvm,${_wasibuild_interleave}")
endforeach()
_wasibuild_add_link_option("-Wl,--stack-first")
_wasibuild_add_link_option("-Wl,-z,stack-size=${WASIBUILD_STACK_SIZE}")
# wasi-threads (wasm32-wasip1-threads): every C and C++ file is compiled
# with -pthread (atomics, bulk memory and _REENTRANT, under which wasi-libc
# declares its threads functions), and the module links to a shared memory
# that the host creates once for all threads: imported, exported too (WASI
# calls reach memory through the export), with the maximum a shared memory
# must declare (wasm-ld would otherwise make it the initial size, and the
# first malloc that grows memory would fail). clang's driver adds
# --shared-memory itself for this triple.
if(WASIBUILD_TARGET MATCHES "-threads$")
  if(NOT DEFINED WASIBUILD_MAX_MEMORY)
    set(WASIBUILD_MAX_MEMORY 1073741824 CACHE STRING
      "wasm32-wasip1-threads: the shared memory's maximum in bytes, a multiple of 65536 (default 1 GiB)")
  endif()
  if(NOT WASIBUILD_MAX_MEMORY MATCHES "^[0-9]+$" OR WASIBUILD_MAX_MEMORY GREATER 4294967296)
    message(FATAL_ERROR "wasi.cmake: WASIBUILD_MAX_MEMORY=${WASIBUILD_MAX_MEMORY} is not a number of bytes up to 4 GiB")
  endif()
  math(EXPR _wasibuild_pages_rest "${WASIBUILD_MAX_MEMORY} % 65536")
  if(NOT _wasibuild_pages_rest EQUAL 0 OR WASIBUILD_MAX_MEMORY EQUAL 0)
    message(FATAL_ERROR "wasi.cmake: WASIBUILD_MAX_MEMORY=${WASIBUILD_MAX_MEMORY} is not a multiple of 64 KiB "
      "(65536), the size of a wasm page")
  endif()
  _wasibuild_add_compile_option("$<$<COMPILE_LANGUAGE:C,CXX>:-pthread>")
  _wasibuild_add_link_option("-pthread")
  _wasibuild_add_link_option("-Wl,--import-memory,--export-memory,--max-memory=${WASIBUILD_MAX_MEMORY}")
endif()
# A main(argc, argv) is the symbol __main_argc_argv, which newer wasi-libc
# references only weakly, and a weak reference never takes a member out of
# an archive: a main that lives in a static library (googletest's
# gtest_main, a project's own test driver library) was silently left out
# and the program trapped on start. --undefined makes the reference strong; a
# program whose main is elsewhere (main(void), a reactor) is unaffected.
_wasibuild_add_link_option("-Wl,--undefined=__main_argc_argv")  # wasm-component-ld takes no -u
# clang runs a wasm-opt from PATH after every optimized link, without -g:
# that drops the name section and fails on modules an old binaryen cannot
# read. A do-nothing wasm-opt found first through -B stops it on every clang
# version (clang 19's --no-wasm-opt skips the link itself).
_wasibuild_add_link_option("-B${CMAKE_CURRENT_LIST_DIR}/support/no-wasm-opt")

# wasi-libc hides signal(), clock(), mmap(), getpid() and (newer ones)
# pthread_create(), which fails with EAGAIN, behind opt-in
# emulation defines and libraries; real projects (and their configure checks)
# expect them, so turn on every emulation the sysroot ships. An archive on
# the link line costs nothing unless a symbol is used.
# Where the sysroot has no archive for one (wasm32-wasip1-threads: wasi-libc's
# were built without atomics, and wasm-ld refuses them in a shared-memory
# module), the support library has a thread-safe one of its own in
# support/emulated, if any; its define comes with the library.
set(_wasibuild_libs "${WASIBUILD_SYSROOT}/lib/${WASIBUILD_TARGET}")
set(_wasibuild_standard_libraries)
set(WASIBUILD_SUPPORT_EMULATIONS)
foreach(emulation IN ITEMS signal process-clocks mman getpid pthread)
  string(TOUPPER "${emulation}" define)
  string(REPLACE "-" "_" define "${define}")
  if(EXISTS "${_wasibuild_libs}/libwasi-emulated-${emulation}.a")
    _wasibuild_add_compile_option("-D_WASI_EMULATED_${define}")
    string(APPEND _wasibuild_standard_libraries " -lwasi-emulated-${emulation}")
  elseif(EXISTS "${CMAKE_CURRENT_LIST_DIR}/support/emulated/${emulation}.c")
    list(APPEND WASIBUILD_SUPPORT_EMULATIONS ${emulation})
  endif()
endforeach()
include(WasiSupport)
if(WASIBUILD_SUPPORT_LIBRARY)
  foreach(emulation IN LISTS WASIBUILD_SUPPORT_EMULATIONS)
    string(TOUPPER "${emulation}" define)
    string(REPLACE "-" "_" define "${define}")
    _wasibuild_add_compile_option("-D_WASI_EMULATED_${define}")
  endforeach()
  # support/cwd.c (a test starts in its host working directory, and `..`
  # crosses grants) is linked into every command and kept: the entry point
  # crt1 calls is wrapped by support/start.c, which refers to it.
  # support/links.c follows links that leave their grant, after wasi-libc's
  # open(), stat(), access() and opendir() failed on one, and hands
  # /dev/null and friends to support/devices.c, which answers wasi-libc's
  # calls on their descriptors.
  set(_wasibuild_wrapped __main_void __original_main)
  # WASI 0.2 components reach files through 0.2 handles: links.c and
  # devices.c are preview 1's (docs/posix.md).
  if(NOT WASIBUILD_TARGET MATCHES "^wasm32-wasip[23]")
    list(APPEND _wasibuild_wrapped
      __wasilibc_nocwd_openat_nomode __wasilibc_nocwd_fstatat __wasilibc_nocwd_faccessat __wasilibc_nocwd_opendirat
      __wasi_fd_read __wasi_fd_write __wasi_fd_pread __wasi_fd_pwrite __wasi_fd_close __wasi_fd_seek __wasi_fd_tell
      __wasi_fd_fdstat_get __wasi_fd_fdstat_set_flags __wasi_fd_filestat_get __wasi_fd_renumber)
  endif()
  # Threads: a sleep waits in the guest, not in a WASI call that would keep
  # the other threads' calls waiting (support/thread_sleep.c).
  if(WASIBUILD_TARGET MATCHES "-threads$")
    list(APPEND _wasibuild_wrapped __wasi_poll_oneoff)
  endif()
  list(JOIN _wasibuild_wrapped " -Wl,--wrap=" _wasibuild_wrap_flags)
  string(APPEND _wasibuild_standard_libraries " -Wl,--wrap=${_wasibuild_wrap_flags} \"${WASIBUILD_SUPPORT_LIBRARY}\"")
  # support/resource_usage.c calls wasi-libc's getrusage(), whose archive
  # came before the support library on the line: name it again after.
  if(EXISTS "${_wasibuild_libs}/libwasi-emulated-process-clocks.a")
    string(APPEND _wasibuild_standard_libraries " -lwasi-emulated-process-clocks")
  endif()
  # The POSIX gap layer's declarations (mkstemp, tmpfile, tzset...), ahead of
  # the sysroot's headers, which they include (docs/posix.md).
  foreach(lang C CXX)
    list(APPEND CMAKE_${lang}_STANDARD_INCLUDE_DIRECTORIES "${CMAKE_CURRENT_LIST_DIR}/support/include")
    list(REMOVE_DUPLICATES CMAKE_${lang}_STANDARD_INCLUDE_DIRECTORIES)
  endforeach()
endif()
if(WASIBUILD_FSTREAM_INCLUDE)
  list(APPEND CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES "${WASIBUILD_FSTREAM_INCLUDE}")
  list(REMOVE_DUPLICATES CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES)
  string(APPEND _wasibuild_exception_libraries " \"${WASIBUILD_FSTREAM_LIBRARY}\"")
endif()
set(CMAKE_C_STANDARD_LIBRARIES_INIT "${_wasibuild_standard_libraries}")
set(CMAKE_CXX_STANDARD_LIBRARIES_INIT "${_wasibuild_standard_libraries}${_wasibuild_exception_libraries}")
# CMake caches CMAKE_<LANG>_STANDARD_LIBRARIES at the first configure, so a
# build tree configured by an older wasibuild kept its link line (without
# wraps the support library now relies on) through every reconfigure. The
# value this file wrote is recorded; while the cache still holds it (nobody
# changed it since), a reconfigure brings it up to date. A tree from before
# the record counts as ours when its value links the support library.
foreach(lang C CXX)
  set(_wasibuild_current "${CMAKE_${lang}_STANDARD_LIBRARIES_INIT}")
  if(DEFINED CACHE{CMAKE_${lang}_STANDARD_LIBRARIES})
    set(_wasibuild_cached "$CACHE{CMAKE_${lang}_STANDARD_LIBRARIES}")
    if(DEFINED CACHE{_WASIBUILD_${lang}_STANDARD_LIBRARIES})
      set(_wasibuild_ours "$CACHE{_WASIBUILD_${lang}_STANDARD_LIBRARIES}")
    elseif(_wasibuild_cached MATCHES "libwasibuild-support\\.a")
      set(_wasibuild_ours "${_wasibuild_cached}")
    else()
      set(_wasibuild_ours "")
    endif()
    if(_wasibuild_cached STREQUAL _wasibuild_ours AND NOT _wasibuild_cached STREQUAL _wasibuild_current)
      set(CMAKE_${lang}_STANDARD_LIBRARIES "${_wasibuild_current}" CACHE STRING
        "Libraries linked into every executable and shared library linked for language ${lang}." FORCE)
    endif()
  endif()
  set(_WASIBUILD_${lang}_STANDARD_LIBRARIES "${_wasibuild_current}" CACHE INTERNAL "")
endforeach()

# Packages, libraries and headers come from the sysroot, never the host.
# Appended, so a user's -DCMAKE_FIND_ROOT_PATH=<prefix of a cross-built
# dependency> stays. In ONLY mode CMake re-roots every search path under the
# root paths, which would send -D<Pkg>_ROOT=<prefix> and CMAKE_PREFIX_PATH to
# <sysroot>/<prefix>; a path inside a root path is searched as it is, so
# those prefixes become root paths too (BOTH mode would also find the host's
# x86 packages). A <Pkg>_ROOT set later, in a CMakeLists.txt, is not seen:
# pass it with -D or in the environment's CMAKE_PREFIX_PATH.
list(APPEND CMAKE_FIND_ROOT_PATH "${WASIBUILD_SYSROOT}")
set(_wasibuild_prefixes ${CMAKE_PREFIX_PATH})
if(DEFINED ENV{CMAKE_PREFIX_PATH})
  string(REPLACE ":" ";" _wasibuild_env_prefixes "$ENV{CMAKE_PREFIX_PATH}")
  list(APPEND _wasibuild_prefixes ${_wasibuild_env_prefixes})
endif()
get_cmake_property(_wasibuild_variables VARIABLES)
foreach(_wasibuild_variable IN LISTS _wasibuild_variables)
  if(_wasibuild_variable MATCHES "^[A-Za-z0-9_]+_ROOT$" AND NOT _wasibuild_variable MATCHES "^(CMAKE|WASIBUILD)_")
    list(APPEND _wasibuild_prefixes ${${_wasibuild_variable}})
  endif()
endforeach()
foreach(_wasibuild_prefix IN LISTS _wasibuild_prefixes)
  if(IS_ABSOLUTE "${_wasibuild_prefix}" AND IS_DIRECTORY "${_wasibuild_prefix}")
    list(APPEND CMAKE_FIND_ROOT_PATH "${_wasibuild_prefix}")
  endif()
endforeach()
list(REMOVE_DUPLICATES CMAKE_FIND_ROOT_PATH)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests run in the sandboxed runner with these grants (docs/testing.md):
# the source tree read-only and the build tree read-only at their host
# paths, the test's working directory read-write (as `.`, and at its host
# path with `--host-cwd`, where the program starts) but with its build
# files read-only (`--dir-build`, unless WASIBUILD_TEST_CWD=writable), a
# private /tmp, the variables CTest's ENVIRONMENT sets (WasiTests.cmake
# lists their names in WASIBUILD_GUEST_ENV) and those a test's own script
# sets for the program it starts (`cmake -E env`, a Python runner: what
# changed since `binfmt run` took its snapshot), then WASIBUILD_TEST_EXTRA_GRANTS
# (wasibuild.toml's [test]: more directories, variables and limits). The
# trailing `--` keeps a test's own flags (`prog --help`) away from wasibuild.
_wasibuild_input_from_environment(WASIBUILD_TEST_CWD)
if(NOT DEFINED WASIBUILD_TEST_CWD OR WASIBUILD_TEST_CWD STREQUAL "guarded")
  set(_wasibuild_cwd_grant --dir-build)
elseif(WASIBUILD_TEST_CWD STREQUAL "writable")
  # For systems that allow no mount namespace: the test may then rewrite the
  # build files in its working directory.
  set(_wasibuild_cwd_grant --dir)
else()
  message(FATAL_ERROR "wasi.cmake: WASIBUILD_TEST_CWD=${WASIBUILD_TEST_CWD} is not guarded or writable")
endif()
# With Ninja, the guard also keeps read-only every file the build graph
# reads or produces (a static library, a generated header): `--build-root`
# names the top build directory here, where no guest can change it, rather
# than letting exec look for a build.ninja near the test, where a guest could
# have planted one. Makefile generators keep the name rules alone.
set(_wasibuild_build_root)
if(_wasibuild_cwd_grant STREQUAL "--dir-build" AND CMAKE_GENERATOR MATCHES "^Ninja")
  set(_wasibuild_build_root --build-root "${CMAKE_BINARY_DIR}")
endif()
set(_wasibuild_thread_cap)
if(DEFINED WASIBUILD_MAX_THREADS AND NOT WASIBUILD_MAX_THREADS STREQUAL "")
  if(NOT WASIBUILD_MAX_THREADS MATCHES "^[0-9]+$")
    message(FATAL_ERROR "wasi.cmake: WASIBUILD_MAX_THREADS=${WASIBUILD_MAX_THREADS} is not a whole number")
  endif()
  set(_wasibuild_thread_cap --max-threads "${WASIBUILD_MAX_THREADS}")
endif()
if(WASIBUILD_EXECUTABLE)
  set(WASIBUILD_TEST_GRANTS --dir-ro "${CMAKE_SOURCE_DIR}::${CMAKE_SOURCE_DIR}"
      --dir-ro "${CMAKE_BINARY_DIR}::${CMAKE_BINARY_DIR}" ${_wasibuild_cwd_grant} ".::." --host-cwd ${_wasibuild_build_root}
      --private-tmp --env-names-from WASIBUILD_GUEST_ENV --env-changed-since WASIBUILD_HARNESS_ENV
      ${_wasibuild_thread_cap} ${WASIBUILD_TEST_EXTRA_GRANTS})
  if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
    set(CMAKE_CROSSCOMPILING_EMULATOR "${WASIBUILD_EXECUTABLE};exec;${WASIBUILD_TEST_GRANTS};--")
  endif()
  include(WasiTests)
endif()

# setjmp/longjmp (WASIBUILD_SETJMP): last, as it extends the link rules set above.
include(WasiSetjmp)
