# find_package(Threads) under wasi.cmake (whose directory is on
# CMAKE_MODULE_PATH): CMake's own FindThreads first. WASI preview 1
# (wasm32-wasi, wasm32-wasip1) has no threads; a newer wasi-libc has
# single-threaded pthreads of its own, which CMake finds (pthread_create then
# fails at run time, with ENOTSUP). For a sysroot without them (Debian 12's):
#  - find_package(Threads) ends cleanly with Threads_FOUND false, so a
#    project that can do without threads configures without them;
#  - find_package(Threads REQUIRED), which would stop the configure, gets
#    wasibuild's single-threaded pthreads (docs/posix.md) through
#    Threads::Threads (and CMAKE_THREAD_LIBS_INIT), with <pthread.h> on this
#    directory's include path.
# wasm32-wasip1-threads (and wasm32-wasi-threads) have real pthreads in
# their libc: CMake's own FindThreads finds them there, and Threads::Threads
# carries -pthread, as wasi.cmake compiles and links every file of such a
# target; the single-threaded stubs below are never used for it.
set(_wasibuild_prefer_pthread_flag "${THREADS_PREFER_PTHREAD_FLAG}")
if(WASIBUILD_TARGET MATCHES "-threads$")
  set(THREADS_PREFER_PTHREAD_FLAG ON)
endif()
set(_wasibuild_threads_required "${Threads_FIND_REQUIRED}")
set(_wasibuild_threads_quietly "${Threads_FIND_QUIETLY}")
set(Threads_FIND_REQUIRED FALSE)
set(Threads_FIND_QUIETLY TRUE)
include("${CMAKE_ROOT}/Modules/FindThreads.cmake")
set(Threads_FIND_REQUIRED "${_wasibuild_threads_required}")
set(Threads_FIND_QUIETLY "${_wasibuild_threads_quietly}")
set(THREADS_PREFER_PTHREAD_FLAG "${_wasibuild_prefer_pthread_flag}")

if(NOT Threads_FOUND AND Threads_FIND_REQUIRED AND COMMAND _wasibuild_pthread_stubs
   AND NOT WASIBUILD_TARGET MATCHES "-threads$")
  _wasibuild_pthread_stubs(_wasibuild_pthread_archive)
  if(_wasibuild_pthread_archive)
    if(NOT TARGET Threads::Threads)
      add_library(Threads::Threads INTERFACE IMPORTED)
    endif()
    set_property(TARGET Threads::Threads PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${WASIBUILD_PTHREAD_STUBS_INCLUDE}")
    set_property(TARGET Threads::Threads PROPERTY INTERFACE_LINK_LIBRARIES "${_wasibuild_pthread_archive}")
    # Projects that use the variables rather than the target.
    include_directories(SYSTEM "${WASIBUILD_PTHREAD_STUBS_INCLUDE}")
    set(CMAKE_THREAD_LIBS_INIT "${_wasibuild_pthread_archive}")
    set(CMAKE_USE_PTHREADS_INIT 1)
    set(Threads_FOUND TRUE)
    set(THREADS_FOUND TRUE)
    if(NOT Threads_FIND_QUIETLY)
      message(STATUS "wasibuild: find_package(Threads REQUIRED): single-threaded pthreads "
        "(pthread_create fails with EAGAIN; docs/posix.md)")
    endif()
  endif()
endif()

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
