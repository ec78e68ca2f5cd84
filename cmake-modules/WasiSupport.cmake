# Support code wasibuild compiles for the project, at configure time, with
# the project's own WASI toolchain: a prebuilt archive would tie the object
# format to the clang wasibuild was built with.
#
# libwasibuild-support.a holds the small pieces wasi-libc lacks and real
# projects link against: -fstack-protector's __stack_chk_guard and
# __stack_chk_fail, and the POSIX gap layer (docs/posix.md): temp files,
# time-zone basics, getpagesize. Its functions are weak, so a wasi-libc that
# has its own never clashes. support/include declares them where wasi-libc's
# headers hide them; wasi.cmake puts it on the include path
# (WASIBUILD_SUPPORT_INCLUDE) only when the library is linked, so a
# declaration exists exactly when the function does. WasiSetjmp.cmake builds its setjmp runtime with the same
# function. try_compile projects receive WASIBUILD_SUPPORT_LIBRARY from the
# outer project (CMAKE_TRY_COMPILE_PLATFORM_VARIABLES) and reuse it.

# _wasibuild_build_archive(<out> <name> SOURCES <file>... [FLAGS <flag>...]
#                          [DEPENDS <file>...])
# Compiles the C sources into <build>/CMakeFiles/<name>/lib<name>.a and sets
# <out> to its path, or to "" when there is no archiver. Reconfiguring reuses the archive while no
# source or dependency is newer and the commands are the same (a stamp holds
# them, so a toolchain switch rebuilds it). It is built under a temporary
# name and renamed, so an interrupted configure never leaves a truncated
# archive that a later one would trust.
function(_wasibuild_build_archive out name)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "SOURCES;FLAGS;DEPENDS")
  set(dir "${CMAKE_BINARY_DIR}/CMakeFiles/${name}")
  set(library "${dir}/lib${name}.a")
  set(ar "${WASIBUILD_AR}")
  if(NOT ar)
    get_filename_component(clang_dir "${WASIBUILD_CLANG}" DIRECTORY)
    find_program(ar NAMES llvm-ar llvm-ar-19 HINTS "${clang_dir}" NO_CACHE)
  endif()
  if(NOT ar)
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  set(compile "${WASIBUILD_CLANG}" "--target=${WASIBUILD_TARGET}" "--sysroot=${WASIBUILD_SYSROOT}" -O2 ${arg_FLAGS})
  # A threads target's code goes into a shared-memory module: compiled as
  # the project's is (wasi.cmake), or wasm-ld refuses an object whose
  # thread-locals were made plain globals.
  if(WASIBUILD_TARGET MATCHES "-threads$")
    list(APPEND compile -pthread)
  endif()
  set(stamp "${compile};${ar};${arg_SOURCES}")
  if(EXISTS "${library}" AND EXISTS "${dir}/stamp")
    file(READ "${dir}/stamp" previous)
    set(current TRUE)
    foreach(input IN LISTS arg_SOURCES arg_DEPENDS)
      if("${input}" IS_NEWER_THAN "${library}")
        set(current FALSE)
      endif()
    endforeach()
    if(current AND previous STREQUAL stamp)
      set(${out} "${library}" PARENT_SCOPE)
      return()
    endif()
  endif()
  file(MAKE_DIRECTORY "${dir}")
  file(REMOVE "${dir}/stamp" "${library}.tmp")
  set(objects)
  foreach(source IN LISTS arg_SOURCES)
    get_filename_component(object_name "${source}" NAME_WE)
    set(object "${dir}/${object_name}.o")
    execute_process(COMMAND ${compile} -c "${source}" -o "${object}" RESULT_VARIABLE result ERROR_VARIABLE error)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "wasi.cmake: cannot compile wasibuild's ${name} code ${source}:\n${error}")
    endif()
    list(APPEND objects "${object}")
  endforeach()
  execute_process(COMMAND "${ar}" rcs "${library}.tmp" ${objects} RESULT_VARIABLE result ERROR_VARIABLE error)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "wasi.cmake: cannot archive wasibuild's ${name} code:\n${error}")
  endif()
  file(RENAME "${library}.tmp" "${library}")
  file(WRITE "${dir}/stamp" "${stamp}")
  set(${out} "${library}" PARENT_SCOPE)
endfunction()

# Single-threaded pthreads (support/pthread, docs/posix.md) for a sysroot
# without its own <pthread.h> (Debian 12's wasi-libc). They are not part of
# every build: a project that turns threads off but still tests for
# <pthread.h> (libxml2 2.9's HAVE_PTHREAD_H) would then take a threads code
# path. FindThreads.cmake builds them (_wasibuild_pthread_stubs) and hands
# them out through Threads::Threads only to a find_package(Threads REQUIRED)
# that would otherwise stop the configure. A newer wasi-libc has the same
# layer of its own, and then this is never used.
set(WASIBUILD_PTHREAD_STUBS_INCLUDE)
if(NOT EXISTS "${WASIBUILD_SYSROOT}/include/${WASIBUILD_TARGET}/pthread.h"
   AND NOT EXISTS "${WASIBUILD_SYSROOT}/include/pthread.h")
  set(WASIBUILD_PTHREAD_STUBS_INCLUDE "${CMAKE_CURRENT_LIST_DIR}/support/pthread/include")
endif()

# Sets <out> to the stubs' archive (built once per build tree), or "".
function(_wasibuild_pthread_stubs out)
  set(${out} "" PARENT_SCOPE)
  if(NOT WASIBUILD_PTHREAD_STUBS_INCLUDE)
    return()
  endif()
  get_filename_component(dir "${WASIBUILD_PTHREAD_STUBS_INCLUDE}" DIRECTORY)
  _wasibuild_build_archive(archive wasibuild-pthread SOURCES "${dir}/pthread.c"
    FLAGS -isystem "${WASIBUILD_PTHREAD_STUBS_INCLUDE}" DEPENDS "${WASIBUILD_PTHREAD_STUBS_INCLUDE}/pthread.h")
  set(${out} "${archive}" PARENT_SCOPE)
endfunction()

# <fstream> for a libc++ built without filesystem support (Debian's wasm32
# libc++ 19 and 23), which hides all of it, though file streams need only
# stdio: support/cxx/include/fstream lets it through, and libwasibuild-
# fstream.a instantiates the char streams libc++ declares extern. Built in
# the project's exception mode, as the instantiated code differs. <filesystem>
# stays off: its operations are missing from such a libc++ (docs/posix.md).
function(_wasibuild_libcxx_lacks_fstream out)
  set(${out} FALSE PARENT_SCOPE)
  foreach(dir "${WASIBUILD_SYSROOT}/include/c++/v1" "${WASIBUILD_SYSROOT}/include/${WASIBUILD_TARGET}/c++/v1")
    if(EXISTS "${dir}/__config_site")
      file(STRINGS "${dir}/__config_site" switch REGEX "^#define _LIBCPP_HAS_(NO_FILESYSTEM|FILESYSTEM 0)")
      if(switch)
        set(${out} TRUE PARENT_SCOPE)
      endif()
      return()
    endif()
  endforeach()
endfunction()

set(WASIBUILD_FSTREAM_INCLUDE)
_wasibuild_libcxx_lacks_fstream(_wasibuild_lacks_fstream)
if(_wasibuild_lacks_fstream)
  set(WASIBUILD_FSTREAM_INCLUDE "${CMAKE_CURRENT_LIST_DIR}/support/cxx/include")
  if(NOT (WASIBUILD_FSTREAM_LIBRARY AND EXISTS "${WASIBUILD_FSTREAM_LIBRARY}"))
    set(_wasibuild_fstream_flags -isystem "${WASIBUILD_FSTREAM_INCLUDE}" -fno-exceptions)
    if(WASIBUILD_HAS_EXCEPTIONS)
      set(_wasibuild_fstream_flags -isystem "${WASIBUILD_FSTREAM_INCLUDE}" -fwasm-exceptions
          -mllvm -wasm-use-legacy-eh=false)
    endif()
    _wasibuild_build_archive(WASIBUILD_FSTREAM_LIBRARY wasibuild-fstream
      SOURCES "${CMAKE_CURRENT_LIST_DIR}/support/cxx/fstream.cpp"
      FLAGS ${_wasibuild_fstream_flags} DEPENDS "${WASIBUILD_FSTREAM_INCLUDE}/fstream")
  endif()
  if(NOT WASIBUILD_FSTREAM_LIBRARY)
    set(WASIBUILD_FSTREAM_INCLUDE)
  endif()
endif()

if(WASIBUILD_SUPPORT_LIBRARY AND EXISTS "${WASIBUILD_SUPPORT_LIBRARY}")
  return()
endif()
file(GLOB _wasibuild_support_sources "${CMAKE_CURRENT_LIST_DIR}/support/*.c")
# wasi-libc's emulations the sysroot has no linkable archive for
# (WASIBUILD_SUPPORT_EMULATIONS, which wasi.cmake lists: wasm32-wasip1-threads
# lacks them), from support/emulated.
foreach(_wasibuild_emulation IN LISTS WASIBUILD_SUPPORT_EMULATIONS)
  list(APPEND _wasibuild_support_sources "${CMAKE_CURRENT_LIST_DIR}/support/emulated/${_wasibuild_emulation}.c")
endforeach()
file(GLOB_RECURSE _wasibuild_support_headers "${CMAKE_CURRENT_LIST_DIR}/support/include/*.h")
set(_wasibuild_support_flags -isystem "${CMAKE_CURRENT_LIST_DIR}/support/include")
_wasibuild_build_archive(WASIBUILD_SUPPORT_LIBRARY wasibuild-support SOURCES ${_wasibuild_support_sources}
  FLAGS ${_wasibuild_support_flags} DEPENDS ${_wasibuild_support_headers})
if(NOT WASIBUILD_SUPPORT_LIBRARY)
  message(STATUS "wasibuild: no archiver (WASIBUILD_AR): -fstack-protector support and the POSIX gap layer are not built")
endif()
