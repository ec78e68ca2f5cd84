# setjmp/longjmp for C and C++ built with wasi.cmake (which includes this
# file last, once the toolchain is known). Both forms end as standard
# (exnref) wasm exception handling, the only form Wasmtime runs.
#
# Inputs (cache or environment variables):
#   WASIBUILD_SETJMP     AUTO (default), ON or OFF
#   WASIBUILD_WASM_OPT   binaryen's wasm-opt with --translate-to-exnref
#                        (default: the binaryen `wasibuild toolchain install
#                        binaryen` installed, then wasm-opt on PATH)
#   WASIBUILD_HAS_SETJMP the toolchain's wasi-libc has setjmp and libsetjmp
#                        for standard exception handling (from `wasibuild
#                        toolchain which --cmake`; with explicit variables,
#                        detected when unset: see _wasibuild_detect_setjmp)
# Result, for projects to test:
#   WASIBUILD_SETJMP_MODE  native, lowered or off
#
# native  (WASI SDK 26+, clang 20+): clang emits exnref itself from
#         -mllvm -wasm-enable-sjlj -mllvm -wasm-use-legacy-eh=false; link -lsetjmp.
# lowered (Debian's clang 19 + wasi-libc 2022, which has no setjmp at all):
#         wasibuild's <setjmp.h> and runtime (support/setjmp next to this
#         file, compiled at configure time with the project's own clang);
#         clang 19 emits only the legacy exception-handling form, so every
#         linked executable that contains exception tags is rewritten by
#         `wasm-opt --translate-to-exnref`.
# AUTO chooses native, else lowered when a suitable wasm-opt exists, else off
# with a <setjmp.h> whose #error names the fix (WASIBUILD_SETJMP_MISSING). ON is AUTO that stops when neither
# works. Why this is the default and what it costs: docs/setjmp.md.
get_filename_component(_wasibuild_setjmp_support "${CMAKE_CURRENT_LIST_DIR}/support/setjmp" ABSOLUTE)

foreach(input WASIBUILD_SETJMP WASIBUILD_WASM_OPT WASIBUILD_HAS_SETJMP)
  _wasibuild_input_from_environment(${input})  # wasi.cmake
endforeach()
# try_compile projects get the outer project's decision and runtime, rather
# than probing wasm-opt and compiling the runtime again in every scratch dir.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES WASIBUILD_SETJMP_MODE WASIBUILD_SETJMP_LIBRARY WASIBUILD_WASM_OPT
  WASIBUILD_SETJMP_MISSING)

# Sets <out> to what <regex> captures (its group 1) in the output of
# `<tool> ARGN...`, or to "" when the tool fails or the output does not match.
# Starting a tool can be slow (npm's wasm-opt runs under node: about a
# second) and projects configure often, so the answer is cached in
# <cache_var> per tool path and modification time.
function(_wasibuild_ask_tool out cache_var tool regex)
  file(TIMESTAMP "${tool}" modified "%s" UTC)
  set(key "${tool}@${modified}")
  if("${${cache_var}}" MATCHES "^([^ ]*) (.*)$" AND CMAKE_MATCH_2 STREQUAL key)
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
    return()
  endif()
  execute_process(COMMAND "${tool}" ${ARGN} OUTPUT_VARIABLE output ERROR_QUIET RESULT_VARIABLE result)
  set(answer "")
  if(result EQUAL 0 AND output MATCHES "${regex}")
    set(answer "${CMAKE_MATCH_1}")
  endif()
  set(${cache_var} "${answer} ${key}" CACHE INTERNAL "answer of ${tool}, per its modification time")
  set(${out} "${answer}" PARENT_SCOPE)
endfunction()

# Sets <out> to the wasm-opt to use, or "" with the reason in <out>_reason.
# Tried in order, the first with --translate-to-exnref wins:
#   1. WASIBUILD_WASM_OPT (cache or environment);
#   2. the binaryen `wasibuild toolchain install binaryen` put in wasibuild's
#      store: WASIBUILD_TOOLCHAIN_WASM_OPT from `toolchain which --cmake`, or,
#      with explicit toolchain variables, `wasibuild toolchain path binaryen`;
#   3. wasm-opt on PATH.
function(_wasibuild_find_wasm_opt out)
  set(candidates)
  if(WASIBUILD_WASM_OPT)
    list(APPEND candidates "${WASIBUILD_WASM_OPT}")
  endif()
  if(WASIBUILD_TOOLCHAIN_WASM_OPT)
    list(APPEND candidates "${WASIBUILD_TOOLCHAIN_WASM_OPT}")
  elseif(NOT DEFINED WASIBUILD_TOOLCHAIN_NAME AND WASIBUILD_EXECUTABLE)
    execute_process(COMMAND "${WASIBUILD_EXECUTABLE}" toolchain path binaryen
      OUTPUT_VARIABLE binaryen OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE result)
    if(result EQUAL 0 AND binaryen)
      list(APPEND candidates "${binaryen}/bin/wasm-opt")
    endif()
  endif()
  find_program(found wasm-opt NO_CACHE)  # into an unset variable: a defined one stops the search
  if(found)
    list(APPEND candidates "${found}")
  endif()
  list(REMOVE_DUPLICATES candidates)
  set(${out} "" PARENT_SCOPE)
  set(reasons)
  foreach(candidate IN LISTS candidates)
    if(NOT EXISTS "${candidate}")
      list(APPEND reasons "${candidate} does not exist")
      continue()
    endif()
    # One answer cached per candidate: the verdicts do not evict each other.
    string(MD5 key "${candidate}")
    _wasibuild_ask_tool(option _WASIBUILD_WASM_OPT_EXNREF_${key} "${candidate}" "(--translate-to-exnref)" --help)
    if(option)
      set(${out} "${candidate}" PARENT_SCOPE)
      return()
    endif()
    list(APPEND reasons "${candidate} has no --translate-to-exnref (binaryen too old, or node missing for npm's)")
  endforeach()
  if(NOT reasons)
    set(reasons "no wasm-opt found (WASIBUILD_WASM_OPT, wasibuild toolchain install binaryen, or PATH)")
  endif()
  list(JOIN reasons "; " reasons)
  set(${out}_reason "${reasons}" PARENT_SCOPE)
endfunction()

# For a toolchain given with explicit variables, which has no probed
# capability: <out> is ON when the sysroot has setjmp.h and libsetjmp.a for
# the target and clang is 20 or newer. The version matters: WASI SDKs 22 to
# 25 ship both files for the legacy form, with a clang (19 or older) that
# rejects -wasm-use-legacy-eh.
function(_wasibuild_detect_setjmp out)
  set(${out} OFF PARENT_SCOPE)
  if(NOT EXISTS "${WASIBUILD_SYSROOT}/include/${WASIBUILD_TARGET}/setjmp.h"
     OR NOT EXISTS "${WASIBUILD_SYSROOT}/lib/${WASIBUILD_TARGET}/libsetjmp.a")
    return()
  endif()
  _wasibuild_ask_tool(major _WASIBUILD_CLANG_MAJOR "${WASIBUILD_CLANG}" "clang version ([0-9]+)\\." --version)
  if(major AND major GREATER_EQUAL 20)
    set(${out} ON PARENT_SCOPE)
  endif()
endfunction()

# Sets WASIBUILD_SETJMP_MODE (and WASIBUILD_WASM_OPT when lowered).
function(_wasibuild_setjmp_choose_mode)
  string(TOUPPER "${WASIBUILD_SETJMP}" wanted)
  if(wanted STREQUAL "")
    set(wanted AUTO)
  elseif(wanted MATCHES "^(ON|YES|TRUE|Y|1)$")
    set(wanted ON)
  elseif(wanted MATCHES "^(OFF|NO|FALSE|N|0)$")
    set(wanted OFF)
  elseif(NOT wanted STREQUAL "AUTO")
    message(FATAL_ERROR "wasi.cmake: WASIBUILD_SETJMP=${WASIBUILD_SETJMP} is not AUTO, ON or OFF")
  endif()
  set(mode off)
  set(reason "WASIBUILD_SETJMP=OFF")
  set(has_setjmp "${WASIBUILD_HAS_SETJMP}")
  set(has_setjmp_reason "the toolchain's wasi-libc")
  if(NOT DEFINED WASIBUILD_HAS_SETJMP AND NOT wanted STREQUAL "OFF")
    _wasibuild_detect_setjmp(has_setjmp)
    set(has_setjmp_reason "the toolchain's wasi-libc, detected: clang 20+, setjmp.h and libsetjmp.a")
  endif()
  if(wanted STREQUAL "OFF")
  elseif(has_setjmp)
    set(mode native)
    set(reason "${has_setjmp_reason}")
  else()
    _wasibuild_find_wasm_opt(wasm_opt)
    if(wasm_opt)
      set(mode lowered)
      set(reason "wasibuild's runtime, modules translated by ${wasm_opt}")
      set(WASIBUILD_WASM_OPT "${wasm_opt}" PARENT_SCOPE)
    elseif(wanted STREQUAL "ON")
      message(FATAL_ERROR "wasi.cmake: WASIBUILD_SETJMP=ON, but this toolchain has no setjmp of its own and ${wasm_opt_reason}.\n"
        "Run `wasibuild toolchain install binaryen` (its wasm-opt runs under node), "
        "use a WASI SDK 26 or newer (wasibuild toolchain install), or set WASIBUILD_SETJMP=OFF")
    else()
      set(reason "the toolchain has none and ${wasm_opt_reason}; <setjmp.h> names the fix: wasibuild toolchain install binaryen")
      set(mode missing)
    endif()
  endif()
  # "missing" is "off" with a <setjmp.h> that stops with the remedy.
  set(WASIBUILD_SETJMP_MISSING OFF PARENT_SCOPE)
  if(mode STREQUAL "missing")
    set(mode off)
    set(WASIBUILD_SETJMP_MISSING ON PARENT_SCOPE)
  endif()
  set(WASIBUILD_SETJMP_MODE ${mode} PARENT_SCOPE)
  # Said once per build tree and whenever it changes, not on every
  # inclusion of the toolchain file.
  if(NOT _WASIBUILD_SETJMP_REPORTED STREQUAL "${mode}: ${reason}")
    message(STATUS "wasibuild: setjmp/longjmp ${mode} (${reason})")
    set(_WASIBUILD_SETJMP_REPORTED "${mode}: ${reason}" CACHE INTERNAL "last setjmp mode reported")
  endif()
endfunction()

# Adds `option` (a "SHELL:" group, so CMake does not merge the repeated
# -mllvm) for C and C++ unless an earlier inclusion of the toolchain file
# already did: it is read more than once per configure.
function(_wasibuild_add_sjlj_option option)
  _wasibuild_add_compile_option("$<$<COMPILE_LANGUAGE:C,CXX>:SHELL:${option}>")  # wasi.cmake
endfunction()

function(_wasibuild_add_sjlj_link_option option)
  get_directory_property(options LINK_OPTIONS)
  list(FIND options "${option}" found)
  if(found EQUAL -1)
    add_link_options("${option}")
  endif()
endfunction()

if(NOT DEFINED WASIBUILD_SETJMP_MODE)
  _wasibuild_setjmp_choose_mode()
endif()

# Directory options and normal variables rather than *_FLAGS_INIT, which
# would freeze the first configure's choice into the cache: the mode can
# change between configures (wasm-opt installed, WASIBUILD_SETJMP toggled).
if(WASIBUILD_SETJMP_MODE STREQUAL "native")
  _wasibuild_add_sjlj_option("-mllvm -wasm-enable-sjlj")
  _wasibuild_add_sjlj_option("-mllvm -wasm-use-legacy-eh=false")
  _wasibuild_add_sjlj_link_option("-lsetjmp")
  # sigsetjmp/siglongjmp, which wasi-libc declares but does not define.
  foreach(lang C CXX)
    list(APPEND CMAKE_${lang}_STANDARD_INCLUDE_DIRECTORIES "${_wasibuild_setjmp_support}/native")
    list(REMOVE_DUPLICATES CMAKE_${lang}_STANDARD_INCLUDE_DIRECTORIES)
  endforeach()
elseif(WASIBUILD_SETJMP_MODE STREQUAL "off" AND WASIBUILD_SETJMP_MISSING)
  # No route to setjmp: a <setjmp.h> whose #error names the fix, so only
  # code that includes it fails, and check_include_file(setjmp.h) says no.
  foreach(lang C CXX)
    list(APPEND CMAKE_${lang}_STANDARD_INCLUDE_DIRECTORIES "${_wasibuild_setjmp_support}/missing")
    list(REMOVE_DUPLICATES CMAKE_${lang}_STANDARD_INCLUDE_DIRECTORIES)
  endforeach()
elseif(WASIBUILD_SETJMP_MODE STREQUAL "lowered")
  # An archive, so modules that never call setjmp or longjmp do not link
  # it (and so carry no exception tag to translate).
  if(NOT WASIBUILD_SETJMP_LIBRARY)
    _wasibuild_build_archive(WASIBUILD_SETJMP_LIBRARY wasibuild-setjmp
      SOURCES "${_wasibuild_setjmp_support}/wasibuild_setjmp.c"
      FLAGS -mllvm -wasm-enable-sjlj "-I${_wasibuild_setjmp_support}/include"
      DEPENDS "${_wasibuild_setjmp_support}/include/setjmp.h")
    if(NOT WASIBUILD_SETJMP_LIBRARY)
      message(FATAL_ERROR "wasi.cmake: no archiver for wasibuild's setjmp runtime: set WASIBUILD_AR, "
        "or WASIBUILD_SETJMP=OFF to build without setjmp/longjmp")
    endif()
  endif()
  _wasibuild_add_sjlj_option("-mllvm -wasm-enable-sjlj")
  _wasibuild_add_sjlj_link_option("${WASIBUILD_SETJMP_LIBRARY}")
  foreach(lang C CXX)
    list(APPEND CMAKE_${lang}_STANDARD_INCLUDE_DIRECTORIES "${_wasibuild_setjmp_support}/include")
    list(REMOVE_DUPLICATES CMAKE_${lang}_STANDARD_INCLUDE_DIRECTORIES)
    # A rule variable may hold several commands; appended to whatever rule
    # is in place, so another rule override earlier in wasi.cmake still works.
    if(NOT CMAKE_${lang}_LINK_EXECUTABLE)
      set(CMAKE_${lang}_LINK_EXECUTABLE
        "<CMAKE_${lang}_COMPILER> <FLAGS> <CMAKE_${lang}_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")
    endif()
    if(NOT CMAKE_${lang}_LINK_EXECUTABLE MATCHES "exnref\\.cmake")
      list(APPEND CMAKE_${lang}_LINK_EXECUTABLE
        "\"${CMAKE_COMMAND}\" \"-DWASM_OPT=${WASIBUILD_WASM_OPT}\" -DMODULE=<TARGET> -P \"${_wasibuild_setjmp_support}/exnref.cmake\"")
    endif()
  endforeach()
endif()
