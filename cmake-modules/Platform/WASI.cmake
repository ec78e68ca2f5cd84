# The WASI platform for CMake 3.25, which does not know it: static
# libraries only, `.wasm` executables.
set(WASI 1)
# wasi-libc is a POSIX-style libc (musl-based): projects test UNIX to choose
# their POSIX code paths and configure checks (as Emscripten's platform does).
set(UNIX 1)
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
set(CMAKE_STATIC_LIBRARY_PREFIX "lib")
set(CMAKE_STATIC_LIBRARY_SUFFIX ".a")
set(CMAKE_FIND_LIBRARY_PREFIXES "lib")
set(CMAKE_FIND_LIBRARY_SUFFIXES ".a")
set(CMAKE_DL_LIBS "")
# wasm-ld links statically: CMake builds a SHARED library request as a static
# one (wasi.cmake renames it when that clashes with the project's own static
# library of the same name).
set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS FALSE)
