# find_package(Threads) under wasi.cmake (whose directory is on
# CMAKE_MODULE_PATH): CMake's own FindThreads, then, when it finds nothing,
# one clear message instead of "Could NOT find Threads (missing:
# Threads_FOUND)". WASI preview 1 (wasm32-wasi, wasm32-wasip1) has no
# threads, but its libc has single-threaded pthreads (wasi-libc's own, or
# wasibuild's support library where the sysroot has no <pthread.h>;
# docs/posix.md): CMake finds them, Threads::Threads links, and
# pthread_create fails with EAGAIN at run time. Without them, a project that
# can turn threads off configures cleanly, with Threads_FOUND false.
set(_wasibuild_threads_required "${Threads_FIND_REQUIRED}")
set(_wasibuild_threads_quietly "${Threads_FIND_QUIETLY}")
set(Threads_FIND_REQUIRED FALSE)
set(Threads_FIND_QUIETLY TRUE)
include("${CMAKE_ROOT}/Modules/FindThreads.cmake")
set(Threads_FIND_REQUIRED "${_wasibuild_threads_required}")
set(Threads_FIND_QUIETLY "${_wasibuild_threads_quietly}")
if(NOT Threads_FOUND)
  set(_wasibuild_threads_message
    "the WASI target ${CMAKE_C_COMPILER_TARGET} has no thread support (no pthread_create, no std::thread)")
  if(Threads_FIND_REQUIRED)
    message(FATAL_ERROR "find_package(Threads REQUIRED): ${_wasibuild_threads_message}. "
      "Turn the project's threads option off, or use a toolchain and target with threads "
      "(wasm32-wasip1-threads; `wasibuild toolchain list` shows each toolchain's threads).")
  elseif(NOT Threads_FIND_QUIETLY)
    message(STATUS "Threads not found: ${_wasibuild_threads_message}")
  endif()
endif()
