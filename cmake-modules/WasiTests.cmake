# What the toolchain file adds so a project's own CTest suite runs under WASI
# unmodified (included by wasi.cmake; see docs/testing.md):
#  - a host launcher next to every executable (`prog` beside `prog.wasm`), so
#    `add_test(name prog)` (the old signature, which CMake does not run
#    through the emulator) and test scripts that call the built program
#    start it in the sandboxed runner;
#  - CTest's ENVIRONMENT reaches the guest: set_tests_properties() also
#    records the names it sets in WASIBUILD_GUEST_ENV, which the runner's
#    `--env-names-from` copies, and what a test's script sets for the
#    program it starts (`--env-changed-since`), and nothing else;
#  - add_test() whose command is a module's path or $<TARGET_FILE:t> runs it
#    through the emulator; one whose command is a host program that may run
#    modules itself (cmake -P, sh, python, a script) runs under `wasibuild
#    binfmt run`, so a module it executes runs with the test's grants;
#  - a SHARED library, built static on WASI, no longer clashes with the
#    project's STATIC library of the same output name.
include_guard(GLOBAL)
# No cmake_policy() here: setting one leaks into the project's own
# policies. Hence list(FIND) rather than IN_LIST, which needs CMP0057.

# Single-quoted for /bin/sh.
function(_wasibuild_shell_quote out value)
  string(REPLACE "'" "'\\''" value "${value}")
  set(${out} "'${value}'" PARENT_SCOPE)
endfunction()

# The names an ENVIRONMENT (NAME=VALUE) or ENVIRONMENT_MODIFICATION
# (NAME=OP:VALUE) list sets, comma-separated.
function(_wasibuild_environment_names out entries)
  set(names)
  foreach(entry IN LISTS entries)
    string(REGEX MATCH "^[^=]+" name "${entry}")
    if(name)
      list(APPEND names "${name}")
    endif()
  endforeach()
  list(JOIN names "," joined)
  set(${out} "${joined}" PARENT_SCOPE)
endfunction()

# Calls the built-in with every argument intact (a plain ${ARGV} would split
# `ENVIRONMENT "A=1;B=2"` into two arguments).
function(set_tests_properties)
  set(call "_set_tests_properties(")
  set(previous "")
  foreach(index RANGE 0 ${ARGC})
    if(index EQUAL ARGC)
      break()
    endif()
    set(argument "${ARGV${index}}")
    if(previous MATCHES "^ENVIRONMENT$")
      _wasibuild_environment_names(names "${argument}")
      string(APPEND argument ";WASIBUILD_GUEST_ENV=${names}")
    elseif(previous MATCHES "^ENVIRONMENT_MODIFICATION$")
      _wasibuild_environment_names(names "${argument}")
      string(APPEND argument ";WASIBUILD_GUEST_ENV=string_append:,${names}")
    endif()
    string(APPEND call " [==[${argument}]==]")
    set(previous "${argument}")
  endforeach()
  cmake_language(EVAL CODE "${call})")
endfunction()

# Whether COMMAND is a host program that may execute modules itself: CMake
# (`cmake -P script`), an interpreter, or an existing file that is neither a
# module nor a launcher (a script). A bare word naming no interpreter may be a
# target, defined now or later, which CMake resolves when it generates: left
# alone, as are generator expressions.
function(_wasibuild_runs_modules out command)
  set(${out} FALSE PARENT_SCOPE)
  if(command MATCHES "\\$<" OR command MATCHES "\\.wasm$")
    return()
  endif()
  get_filename_component(name "${command}" NAME)
  if(command STREQUAL CMAKE_COMMAND OR command STREQUAL CMAKE_CTEST_COMMAND
     OR name MATCHES "^(cmake|ctest|sh|bash|dash|env|perl|python|python[0-9][0-9.]*)$")
    set(${out} TRUE PARENT_SCOPE)
    return()
  endif()
  if(NOT command MATCHES "/")
    return()
  endif()
  get_filename_component(path "${command}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  if(NOT EXISTS "${path}" OR IS_DIRECTORY "${path}")
    return()
  endif()
  file(STRINGS "${path}" head LIMIT_COUNT 2 LIMIT_INPUT 4096)
  if(head MATCHES "# wasibuild-launcher: ")
    return()
  endif()
  set(${out} TRUE PARENT_SCOPE)
endfunction()

# add_test() whose command is a module itself: CMake puts the emulator only
# in front of a bare target name. A command that is `$<TARGET_FILE:t>`
# becomes `t` (CMake then adds the emulator, as for any target); a path
# ending in `.wasm` (`${CMAKE_BINARY_DIR}/prog.wasm`) gets the emulator in
# front. A command that is a host program which may run modules itself
# (_wasibuild_runs_modules) gets `wasibuild binfmt run <test grants> --` in
# front: in a user namespace of its own the kernel then runs any module it
# executes through wasibuild, with the test's grants (docs/testing.md).
# Other commands (a launcher, a target's name, a host tool) are unchanged.
# The project's policies apply here: with CMP0054 unset (projects requiring
# CMake < 3.1), a quoted "COMMAND" is still the if() keyword, so the word is
# matched as a regular expression instead.
function(add_test)
  set(command_at 1)  # add_test(<name> <command> ...)
  if(ARGV0 MATCHES "^NAME$")
    set(command_at -1)
    foreach(index RANGE 1 ${ARGC})
      set(argument "${ARGV${index}}")
      if(index LESS ARGC AND argument MATCHES "^COMMAND$")
        math(EXPR command_at "${index} + 1")
        break()
      endif()
    endforeach()
  endif()
  # A target a test runs is a test program: `wasibuild run` does not pick it.
  if(command_at GREATER 0 AND command_at LESS ARGC)
    set(command "${ARGV${command_at}}")
    if(command MATCHES "^\\$<TARGET_FILE:([^<>:]+)>$")
      set(command "${CMAKE_MATCH_1}")
    endif()
    set_property(GLOBAL APPEND PROPERTY _WASIBUILD_TEST_COMMANDS "${command}")
  endif()
  set(call "_add_test(")
  foreach(index RANGE 0 ${ARGC})
    if(index EQUAL ARGC)
      break()
    endif()
    set(argument "${ARGV${index}}")
    if(index EQUAL command_at AND CMAKE_CROSSCOMPILING_EMULATOR)
      if(ARGV0 MATCHES "^NAME$" AND argument MATCHES "^\\$<TARGET_FILE:([^<>:]+)>$")
        set(argument "${CMAKE_MATCH_1}")
      elseif(argument MATCHES "\\.wasm$")
        foreach(word IN LISTS CMAKE_CROSSCOMPILING_EMULATOR)
          string(APPEND call " [==[${word}]==]")
        endforeach()
      elseif(WASIBUILD_EXECUTABLE)
        _wasibuild_runs_modules(runs_modules "${argument}")
        if(runs_modules)
          foreach(word IN ITEMS "${WASIBUILD_EXECUTABLE}" binfmt run ${WASIBUILD_TEST_GRANTS} --)
            string(APPEND call " [==[${word}]==]")
          endforeach()
        endif()
      endif()
    endif()
    string(APPEND call " [==[${argument}]==]")
  endforeach()
  cmake_language(EVAL CODE "${call})")
endfunction()

function(_wasibuild_directories out directory)
  set(all "${directory}")
  get_property(children DIRECTORY "${directory}" PROPERTY SUBDIRECTORIES)
  foreach(child IN LISTS children)
    _wasibuild_directories(nested "${child}")
    list(APPEND all ${nested})
  endforeach()
  set(${out} "${all}" PARENT_SCOPE)
endfunction()

# <output directory>/<output name> of a target's KIND (RUNTIME, ARCHIVE)
# file, without prefix or suffix; `sharedlib/..` and its parent compare equal.
function(_wasibuild_output_path out target kind)
  get_target_property(binary_dir ${target} BINARY_DIR)
  get_target_property(dir ${target} ${kind}_OUTPUT_DIRECTORY)
  if(NOT dir)
    set(dir "${binary_dir}")
  endif()
  get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${binary_dir}")
  foreach(property IN ITEMS ${kind}_OUTPUT_NAME OUTPUT_NAME)
    get_target_property(name ${target} ${property})
    if(name)
      set(${out} "${dir}/${name}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "${dir}/${target}" PARENT_SCOPE)
endfunction()

# Shell lines setting $cwd_grant: run from the build or source tree (tests,
# test scripts), the working directory is guarded (--dir-build); run by hand
# from anywhere else, the program gets that directory as a native program
# would, without a walk of it for build files.
function(_wasibuild_launcher_cwd_grant out)
  set(patterns)
  foreach(tree IN ITEMS "${CMAKE_BINARY_DIR}" "${CMAKE_SOURCE_DIR}")
    _wasibuild_shell_quote(quoted "${tree}")
    list(APPEND patterns "${quoted}" "${quoted}/*")
  endforeach()
  string(REPLACE ";" "|" patterns "${patterns}")
  set(${out} "cwd_grant=--dir\ncase \"$PWD\" in ${patterns}) cwd_grant=--dir-build ;; esac\n" PARENT_SCOPE)
endfunction()

# The first two lines are fixed: `wasibuild exec <launcher>` reads the
# module's file name from the second and runs that file, beside it.
function(_wasibuild_write_launcher target binary_dirs)
  _wasibuild_output_path(path ${target} RUNTIME)
  # A build-tree directory of the same name wins: no launcher for that one.
  list(FIND binary_dirs "${path}" clash)
  if(NOT clash EQUAL -1)
    return()
  endif()
  set(command "exec")
  set(choose_grant "")
  foreach(word IN ITEMS "${WASIBUILD_EXECUTABLE}" exec ${WASIBUILD_TEST_GRANTS} --)
    if(word STREQUAL "--dir-build")
      string(APPEND command " \"$cwd_grant\"")
      _wasibuild_launcher_cwd_grant(choose_grant)
    else()
      _wasibuild_shell_quote(quoted "${word}")
      string(APPEND command " ${quoted}")
    endif()
  endforeach()
  file(GENERATE OUTPUT "$<TARGET_FILE_DIR:${target}>/$<TARGET_FILE_BASE_NAME:${target}>"
       CONTENT "#!/bin/sh\n# wasibuild-launcher: $<TARGET_FILE_NAME:${target}>\n# Written by wasibuild's toolchain file: runs that module, beside it, in the sandboxed runner.\n${choose_grant}${command} \"$<TARGET_FILE:${target}>\" \"$@\"\n"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endfunction()

# SHARED turned STATIC by the platform keeps its output name; when another
# static library in the same directory has it too, Ninja refuses two rules
# for one file. The later target gets `<name>-<target>`: the project links
# by target name, so nothing else changes.
function(_wasibuild_rename_clashing_archives targets)
  set(seen)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type STREQUAL "STATIC_LIBRARY")
      continue()
    endif()
    _wasibuild_output_path(path ${target} ARCHIVE)
    list(FIND seen "${path}" clash)
    if(NOT clash EQUAL -1)
      get_filename_component(name "${path}" NAME)
      set_target_properties(${target} PROPERTIES ARCHIVE_OUTPUT_NAME "${name}-${target}")
    else()
      list(APPEND seen "${path}")
    endif()
  endforeach()
endfunction()

# CTest reads CTestCustom.cmake (else CTestCustom.ctest) from the directory
# it runs in, if one exists, and runs the commands it names. A test cannot
# rewrite files that exist (--dir-build guards them), but it could create
# this one; an empty one, written when the project has none, takes the name.
function(_wasibuild_claim_ctest_custom)
  set(custom "${CMAKE_BINARY_DIR}/CTestCustom.cmake")
  if(WASIBUILD_TEST_GRANTS MATCHES "--dir-build" AND NOT EXISTS "${custom}")
    file(WRITE "${custom}" "# Written by wasibuild's toolchain file so that no test can plant one (docs/testing.md).\n")
  endif()
endfunction()

# The driver's list of the modules the build links (WASIBUILD_EXECUTABLES_FILE,
# in its own state directory): CMake names them, so nothing has to walk the
# build tree, where a test may have left files of its own (docs/security.md).
# Those that a test runs are marked, so `wasibuild run` can leave them out.
function(_wasibuild_list_executables targets)
  if(NOT WASIBUILD_EXECUTABLES_FILE)
    return()
  endif()
  # "test<TAB>" marks a module some add_test() runs (a path is absolute).
  get_property(test_commands GLOBAL PROPERTY _WASIBUILD_TEST_COMMANDS)
  set(content "")
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      list(FIND test_commands "${target}" runs_in_a_test)
      if(runs_in_a_test GREATER -1)
        string(APPEND content "test\t")
      endif()
      string(APPEND content "$<TARGET_FILE:${target}>\n")
    endif()
  endforeach()
  file(GENERATE OUTPUT "${WASIBUILD_EXECUTABLES_FILE}" CONTENT "${content}")
endfunction()

function(_wasibuild_finalize_project)
  _wasibuild_directories(directories "${CMAKE_SOURCE_DIR}")
  set(binary_dirs)
  set(targets)
  foreach(directory IN LISTS directories)
    get_property(binary_dir DIRECTORY "${directory}" PROPERTY BINARY_DIR)
    list(APPEND binary_dirs "${binary_dir}")
    get_property(directory_targets DIRECTORY "${directory}" PROPERTY BUILDSYSTEM_TARGETS)
    list(APPEND targets ${directory_targets})
  endforeach()
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      _wasibuild_write_launcher(${target} "${binary_dirs}")
    endif()
  endforeach()
  _wasibuild_rename_clashing_archives("${targets}")
  _wasibuild_list_executables("${targets}")
  _wasibuild_claim_ctest_custom()
endfunction()

# Once, at the end of the top-level CMakeLists.txt (the toolchain file is
# read more than once per configure, and again by every try_compile).
get_property(_wasibuild_deferred GLOBAL PROPERTY WASIBUILD_FINALIZE_DEFERRED)
if(NOT _wasibuild_deferred AND CMAKE_CURRENT_SOURCE_DIR STREQUAL CMAKE_SOURCE_DIR)
  set_property(GLOBAL PROPERTY WASIBUILD_FINALIZE_DEFERRED TRUE)
  cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _wasibuild_finalize_project)
endif()
