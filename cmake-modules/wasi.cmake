# Drop-in CMake toolchain file: cross-compile any CMake project to WASI
# preview1 (wasm32-wasi) and run its tests through `wasibuild exec`.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=<this file> -S . -B build
#
# Inputs (cache or environment variables, explicit values first):
#   WASIBUILD_CLANG        clang to use (default: clang-19, then clang)
#   WASIBUILD_SYSROOT      WASI sysroot (default: Debian's layout under /usr)
#   WASIBUILD_EXECUTABLE   the wasibuild binary used as the test emulator
#   WASIBUILD_STACK_SIZE   linear-memory stack in bytes (default 8 MiB)
set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

foreach(input WASIBUILD_CLANG WASIBUILD_SYSROOT WASIBUILD_EXECUTABLE WASIBUILD_STACK_SIZE)
  if(NOT DEFINED ${input} AND DEFINED ENV{${input}})
    set(${input} "$ENV{${input}}")
  endif()
endforeach()
# try_compile projects see only the variables listed here.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES
  WASIBUILD_CLANG WASIBUILD_SYSROOT WASIBUILD_EXECUTABLE WASIBUILD_STACK_SIZE)

if(NOT WASIBUILD_CLANG)
  find_program(WASIBUILD_CLANG NAMES clang-19 clang NO_CACHE)
endif()
if(NOT WASIBUILD_CLANG)
  message(FATAL_ERROR "wasi.cmake: no clang found for WebAssembly.\n"
    "Install Debian's WASI toolchain (apt-get install clang-19 lld-19 wasi-libc libc++-19-dev-wasm32 "
    "libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32) or pass -DWASIBUILD_CLANG=/path/to/clang")
endif()
if(NOT WASIBUILD_SYSROOT)
  set(WASIBUILD_SYSROOT "/usr")
endif()
if(NOT EXISTS "${WASIBUILD_SYSROOT}/include/wasm32-wasi/stdio.h"
   AND NOT EXISTS "${WASIBUILD_SYSROOT}/include/stdio.h")
  message(FATAL_ERROR "wasi.cmake: WASIBUILD_SYSROOT=${WASIBUILD_SYSROOT} has no WASI libc headers.\n"
    "Install wasi-libc, or pass -DWASIBUILD_SYSROOT=<dir> pointing at a wasi-sysroot")
endif()
if(NOT WASIBUILD_STACK_SIZE)
  set(WASIBUILD_STACK_SIZE 8388608)
endif()

get_filename_component(_wasi_bin "${WASIBUILD_CLANG}" DIRECTORY)
get_filename_component(_wasi_name "${WASIBUILD_CLANG}" NAME)
string(REPLACE "clang" "" _wasi_version_suffix "${_wasi_name}")  # "-19" or ""

set(CMAKE_C_COMPILER "${WASIBUILD_CLANG}")
set(CMAKE_CXX_COMPILER "${_wasi_bin}/clang++${_wasi_version_suffix}")
set(CMAKE_ASM_COMPILER "${WASIBUILD_CLANG}")
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)
set(CMAKE_ASM_COMPILER_TARGET wasm32-wasi)
set(CMAKE_SYSROOT "${WASIBUILD_SYSROOT}")
find_program(CMAKE_AR NAMES "llvm-ar${_wasi_version_suffix}" llvm-ar HINTS "${_wasi_bin}")
find_program(CMAKE_RANLIB NAMES "llvm-ranlib${_wasi_version_suffix}" llvm-ranlib HINTS "${_wasi_bin}")

# Debian's wasm32 libc++ is built without exceptions. A stack placed first,
# and larger than wasm-ld's 64 KiB, makes an overflow trap instead of
# silently corrupting static data.
set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--stack-first -Wl,-z,stack-size=${WASIBUILD_STACK_SIZE}")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests run in the embedded runner; the trailing `--` keeps a test's own
# flags (`prog --help`) away from wasibuild.
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  if(NOT WASIBUILD_EXECUTABLE)
    find_program(WASIBUILD_EXECUTABLE wasibuild NO_CACHE)
  endif()
  if(WASIBUILD_EXECUTABLE)
    set(CMAKE_CROSSCOMPILING_EMULATOR "${WASIBUILD_EXECUTABLE};exec;--")
  endif()
endif()
